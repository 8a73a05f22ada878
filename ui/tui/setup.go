package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/engine/nhanhtoken"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// TokenStatus is the Nhanh token's expiry state as the status bar shows it;
// the app's NhanhTokenStatus returns it.
type TokenStatus = nhanhtoken.Status

// setupActive: nothing is configured for the APIs and the overview is in
// front, so the console shows what to set up instead of job types whose
// every start would fail.
func (m *Model) setupActive() bool {
	return len(m.opts.Setup) > 0 && m.active == page.Overview
}

// setupKeys are the setup view's own keys for the foot line.
var setupKeys = []key.Binding{
	key.NewBinding(key.WithKeys("6"), key.WithHelp("6", "doctor")),
	key.NewBinding(key.WithKeys("2"), key.WithHelp("2", "job history")),
}

// setupKey handles a key the root did not take while the setup view is in
// front: nothing on it starts a job.
func (m *Model) setupKey(tea.KeyPressMsg) tea.Cmd {
	m.report("syncops is not configured for the APIs: quit (q) and run `syncops init`", true)
	return nil
}

// setupView is the first screen of a console with no API settings: what is
// missing and how to set it up.
func (m *Model) setupView(w, h int) string {
	s := m.env.Styles
	wrap := func(text string, indent int) string {
		pad := strings.Repeat(" ", indent)
		lines := strings.Split(widget.WrapLines(text, max(10, w-indent)), "\n")
		for i, l := range lines {
			lines[i] = pad + strings.TrimRight(l, " ")
		}
		return strings.Join(lines, "\n")
	}
	var b strings.Builder
	b.WriteString(s.Title.Render("  syncops is not set up yet") + "\n\n")
	b.WriteString(wrap("Jobs cannot run until both APIs are configured. Missing:", 2) + "\n")
	for _, gap := range m.opts.Setup {
		// "✗ " then the text, its later lines under the text.
		b.WriteString(s.Error.Render("    ✗ "+strings.TrimLeft(wrap(gap, 6), " ")) + "\n")
	}
	b.WriteString("\n" + wrap("To set up, quit (q) and run in a shell:", 2) + "\n")
	b.WriteString(s.Label.Render("      syncops init") + "\n")
	b.WriteString(s.Muted.Render(wrap("It connects the Nhanh app (prints the authorization URL and takes the access code), "+
		"checks the Shopify shop and its Admin token, and writes the configuration, with the secrets in a file only "+
		"you can read. Or set the SYNCOPS_* settings named above and start syncops again.", 2)) + "\n\n")
	b.WriteString(wrap("Press 6 for the doctor's checks; the job history (2), schedules (4) and locations (5) can "+
		"still be browsed.", 2))
	return widget.Fill(b.String(), w, h)
}

// tokenWarnAt are the times left under which the console warns once each,
// longest first (the same thresholds the logs use).
var tokenWarnAt = nhanhtoken.Thresholds

// refreshToken reads the Nhanh token's state for the status bar and
// returns the warning to show when it crossed a threshold (or expired)
// since the last look; the console warns once per threshold per session.
func (m *Model) refreshToken() tea.Cmd {
	if m.opts.NhanhToken == nil {
		return nil
	}
	st := m.opts.NhanhToken()
	m.token = st
	crossed := 0 // how many thresholds are crossed; len+1 once expired
	switch st.Level {
	case nhanhtoken.LevelExpired:
		crossed = len(tokenWarnAt) + 1
	case nhanhtoken.LevelWarn:
		for _, t := range tokenWarnAt {
			if st.Left <= t {
				crossed++
			}
		}
	}
	if crossed <= m.tokenWarned {
		return nil
	}
	m.tokenWarned = crossed
	text := st.Message
	if st.Fix != "" {
		text += ": " + st.Fix
	}
	// An error stays until the operator has seen it.
	m.report(text, true)
	return nil
}

// tokenText is the token's state for the status bar: "Nhanh token 364d",
// in warning colours under 30 days, "expired" in error colours.
func (m *Model) tokenText() string {
	s := m.env.Styles
	st := m.token
	switch st.Level {
	case nhanhtoken.LevelOK:
		return s.StatusBar.Render("Nhanh token " + daysLeft(st.Left))
	case nhanhtoken.LevelWarn:
		return s.Warning.Render("Nhanh token expires in " + daysLeft(st.Left))
	case nhanhtoken.LevelExpired:
		if st.Revoked {
			return s.Error.Render("Nhanh token refused")
		}
		return s.Error.Render("Nhanh token expired")
	}
	return ""
}

// daysLeft is a time left in whole days, or hours under two days.
func daysLeft(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%dh", max(0, int(d.Hours())))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
