// Package styles holds the console's look: one Styles value per program,
// built for a light or a dark terminal background. Nothing here is a
// package-level style, so two SSH sessions with different terminals each get
// their own readable colours.
package styles

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"syncops/engine"
)

// Styles are the console's styles for one terminal background.
type Styles struct {
	IsDark bool

	Brand       lipgloss.Style
	TabActive   lipgloss.Style
	TabInactive lipgloss.Style
	TabDisabled lipgloss.Style
	Sandbox     lipgloss.Style
	ReadOnly    lipgloss.Style

	Title    lipgloss.Style
	Subtitle lipgloss.Style
	Label    lipgloss.Style
	Muted    lipgloss.Style
	Selected lipgloss.Style
	Header   lipgloss.Style

	Error   lipgloss.Style
	Warning lipgloss.Style
	Success lipgloss.Style
	Notice  lipgloss.Style

	StatusBar lipgloss.Style
	Dialog    lipgloss.Style
	HelpBox   lipgloss.Style

	BudgetOK   lipgloss.Style
	BudgetLow  lipgloss.Style
	BudgetLock lipgloss.Style

	// BarFull and BarEmpty colour progress bars; BarFull depends on status.
	BarEmpty color.Color
	barFull  map[engine.Status]color.Color
	badges   map[engine.Status]lipgloss.Style

	Help help.Styles

	InputPrompt      lipgloss.Style
	InputCursor      lipgloss.Style
	InputPlaceholder lipgloss.Style
}

// New builds the styles for a dark (isDark) or light terminal background.
func New(isDark bool) Styles {
	ld := lipgloss.LightDark(isDark)
	var (
		fg       = ld(lipgloss.Color("#1F1F1F"), lipgloss.Color("#E4E4E4"))
		muted    = ld(lipgloss.Color("#6B6B6B"), lipgloss.Color("#8A8A8A"))
		accent   = ld(lipgloss.Color("#5A32C8"), lipgloss.Color("#A48CFF"))
		green    = ld(lipgloss.Color("#11752E"), lipgloss.Color("#5FD17F"))
		red      = ld(lipgloss.Color("#B3141B"), lipgloss.Color("#FF6B6B"))
		yellow   = ld(lipgloss.Color("#8A5A00"), lipgloss.Color("#F2C744"))
		blue     = ld(lipgloss.Color("#0B5CAD"), lipgloss.Color("#6CB6FF"))
		selectBg = ld(lipgloss.Color("#E3DDF7"), lipgloss.Color("#3A2F63"))
		barEmpty = ld(lipgloss.Color("#C9C9C9"), lipgloss.Color("#4A4A4A"))
		onColor  = ld(lipgloss.Color("#FFFFFF"), lipgloss.Color("#101010"))
	)
	badge := func(bg color.Color) lipgloss.Style {
		return lipgloss.NewStyle().Foreground(onColor).Background(bg).Bold(true)
	}
	s := Styles{
		IsDark:      isDark,
		Brand:       lipgloss.NewStyle().Foreground(onColor).Background(accent).Bold(true),
		TabActive:   lipgloss.NewStyle().Foreground(accent).Bold(true).Underline(true),
		TabInactive: lipgloss.NewStyle().Foreground(fg),
		TabDisabled: lipgloss.NewStyle().Foreground(muted),
		Sandbox:     badge(yellow),
		ReadOnly:    badge(blue),
		Title:       lipgloss.NewStyle().Foreground(accent).Bold(true),
		Subtitle:    lipgloss.NewStyle().Foreground(fg).Bold(true),
		Label:       lipgloss.NewStyle().Foreground(muted),
		Muted:       lipgloss.NewStyle().Foreground(muted),
		Selected:    lipgloss.NewStyle().Background(selectBg).Bold(true),
		Header:      lipgloss.NewStyle().Foreground(muted).Bold(true),
		Error:       lipgloss.NewStyle().Foreground(red).Bold(true),
		Warning:     lipgloss.NewStyle().Foreground(yellow).Bold(true),
		Success:     lipgloss.NewStyle().Foreground(green),
		Notice:      lipgloss.NewStyle().Foreground(blue),
		StatusBar:   lipgloss.NewStyle().Foreground(muted),
		Dialog: lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).
			Padding(0, 1),
		HelpBox: lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(muted).
			Padding(0, 1),
		BudgetOK:   lipgloss.NewStyle().Foreground(green),
		BudgetLow:  lipgloss.NewStyle().Foreground(yellow),
		BudgetLock: lipgloss.NewStyle().Foreground(red).Bold(true),
		BarEmpty:   barEmpty,
		barFull: map[engine.Status]color.Color{
			engine.StatusPending: muted, engine.StatusRunning: accent, engine.StatusCompleted: green,
			engine.StatusFailed: red, engine.StatusCancelled: yellow,
		},
		badges: map[engine.Status]lipgloss.Style{
			engine.StatusPending: badge(muted), engine.StatusRunning: badge(blue), engine.StatusCompleted: badge(green),
			engine.StatusFailed: badge(red), engine.StatusCancelled: badge(yellow),
		},
		Help: help.DefaultStyles(isDark),
	}
	s.InputPrompt = lipgloss.NewStyle().Foreground(accent)
	// The cursor does not blink: blinking needs a timer, and an idle console
	// must not tick.
	s.InputCursor = lipgloss.NewStyle().Reverse(true)
	s.InputPlaceholder = lipgloss.NewStyle().Foreground(muted).Italic(true)
	return s
}

// Badge styles a job status badge.
func (s Styles) Badge(st engine.Status) lipgloss.Style {
	if b, ok := s.badges[st]; ok {
		return b
	}
	return s.Muted
}

// BarColor is the filled colour of a progress bar for a job in status st.
func (s Styles) BarColor(st engine.Status) color.Color {
	if c, ok := s.barFull[st]; ok {
		return c
	}
	return s.BarEmpty
}
