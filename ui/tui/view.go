package tui

import (
	"fmt"
	"math"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// chromeLines are the lines around the body: the tab bar above; the
// message line, status bar and help line below.
const chromeLines = 4

// View implements tea.Model.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "syncops"
	if m.opts.Mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	return v
}

func (m *Model) render() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	w, h := m.bodySize()
	var body string
	if m.setupActive() {
		body = m.setupView(w, h)
	} else {
		body = m.pages[m.active].View()
	}
	switch {
	case m.quitAsk != nil:
		body = widget.Overlay(widget.Fill(body, w, h), m.quitAsk.View(m.env.Styles, w), w, h)
	case m.showHelp:
		body = widget.Overlay(widget.Fill(body, w, h), m.helpView(), w, h)
	}
	var b strings.Builder
	b.Grow((m.width + 16) * m.height)
	b.WriteString(m.tabBar())
	b.WriteString("\n")
	b.WriteString(widget.Fill(body, w, h))
	b.WriteString("\n")
	b.WriteString(m.messageLine())
	b.WriteString("\n")
	b.WriteString(m.statusBar())
	b.WriteString("\n")
	b.WriteString(m.helpLine())
	return b.String()
}

func (m *Model) tabBar() string {
	s := m.env.Styles
	var parts []string
	labels, withBrand := m.tabLabels()
	if withBrand {
		parts = append(parts, s.Brand.Render(brand))
	}
	for i, title := range labels {
		switch {
		case page.ID(i) == m.active:
			parts = append(parts, s.TabActive.Render(title))
		case page.ID(i) == page.Detail && !m.jobOpen:
			parts = append(parts, s.TabDisabled.Render(title))
		default:
			parts = append(parts, s.TabInactive.Render(title))
		}
	}
	left := strings.Join(parts, tabGap)
	return spread(left, m.sandboxMark(), m.width)
}

// brand heads the tab bar when there is room; tabGap separates tabs.
const (
	brand  = " syncops "
	tabGap = "  "
)

func (m *Model) sandboxMark() string {
	if !m.opts.Sandbox {
		return ""
	}
	return m.env.Styles.Sandbox.Render(" SANDBOX ")
}

// tabLabels are the tab bar's labels ("3 Job #5") and whether the brand
// heads them, for the drawing and for mouse clicks alike. The brand is
// shown only when every tab (and the sandbox mark) fits beside it; when
// the full titles do not fit even without it, the tabs in the back are
// shortened to the longest common length that fits (the digit that opens
// each page always stays), and the page in front keeps its whole title.
func (m *Model) tabLabels() (labels []string, withBrand bool) {
	full := make([]string, len(m.pages))
	for i, p := range m.pages {
		full[i] = p.Title()
	}
	room := m.width
	if mark := m.sandboxMark(); mark != "" {
		room -= 1 + lipgloss.Width(mark)
	}
	label := func(titles []string) []string {
		out := make([]string, len(titles))
		for i, t := range titles {
			out[i] = strings.TrimSpace(fmt.Sprintf("%d %s", i+1, t))
		}
		return out
	}
	width := func(titles []string) int {
		w := len(tabGap) * (len(titles) - 1)
		for _, l := range label(titles) {
			w += lipgloss.Width(l)
		}
		return w
	}
	if w := width(full); w+lipgloss.Width(brand)+len(tabGap) <= room {
		return label(full), true
	} else if w <= room {
		return label(full), false
	}
	longest := 0
	for _, t := range full {
		longest = max(longest, lipgloss.Width(t))
	}
	short := make([]string, len(full))
	for n := longest - 1; n >= 0; n-- {
		for i, t := range full {
			switch {
			case page.ID(i) == m.active || lipgloss.Width(t) <= n:
				short[i] = t
			case n == 0:
				short[i] = ""
			default:
				short[i] = ansi.Truncate(t, n, "…")
			}
		}
		if width(short) <= room {
			break
		}
	}
	return label(short), false
}

func (m *Model) messageLine() string {
	s := m.env.Styles
	if m.message == "" {
		return ""
	}
	text := firstLine(m.message)
	if m.messageErr {
		return s.Error.Render(ansi.Truncate("✗ "+text, m.width, "…"))
	}
	return s.Notice.Render(ansi.Truncate("✓ "+text, m.width, "…"))
}

func (m *Model) statusBar() string {
	s := m.env.Styles
	var left []string
	if m.opts.ReadOnly {
		left = append(left, s.ReadOnly.Render(" READ-ONLY "))
	}
	if m.opts.DatabaseName != "" {
		left = append(left, s.StatusBar.Render("db "+m.opts.DatabaseName))
	}
	right := make([]string, 0, len(m.budgets)+1)
	if t := m.tokenText(); t != "" {
		right = append(right, t)
	}
	for _, b := range m.budgets {
		right = append(right, m.budgetText(b))
	}
	return spread(strings.Join(left, " "), strings.Join(right, s.StatusBar.Render(" · ")), m.width)
}

// budgetText renders "Shopify 1840/2000 pts" or "Nhanh locked 12s".
func (m *Model) budgetText(b Budget) string {
	s := m.env.Styles
	if left := b.LockedUntil.Sub(m.env.Now); left > 0 {
		return s.BudgetLock.Render(fmt.Sprintf("%s locked %ds", b.API, int(math.Ceil(left.Seconds()))))
	}
	unit := "req"
	if b.Unit == BudgetPoints {
		unit = "pts"
	}
	// A bucket overdrawn by a request in flight reads empty, never negative.
	avail := max(0, math.Floor(b.Available))
	text := fmt.Sprintf("%s %.0f/%.0f %s", b.API, avail, b.Capacity, unit)
	switch {
	case b.Capacity > 0 && b.Available/b.Capacity < lowBudget:
		return s.BudgetLow.Render(text)
	default:
		return s.BudgetOK.Render(text)
	}
}

// lowBudget is the share of an API budget under which it shows as low.
const lowBudget = 0.2

// helpLine is the foot key line: the page's keys, most important first,
// as many as fit, then the global keys, which are never cut.
func (m *Model) helpLine() string {
	global := m.keys.short()
	if m.quitAsk != nil || m.pages[m.active].Capturing() {
		global = nil // a form, filter or dialog says its own keys
	}
	h := m.help
	h.SetWidth(0) // fitKeys does the fitting
	tail := h.ShortHelpView(global)
	sep := ""
	if tail != "" {
		sep = h.ShortSeparator
	}
	keys := m.pages[m.active].ShortHelp()
	if m.setupActive() {
		keys = setupKeys
	}
	head := fitKeys(h, keys, m.width-lipgloss.Width(tail)-lipgloss.Width(sep))
	switch {
	case head == "":
		return tail
	case tail == "":
		return head
	}
	return head + h.Styles.ShortSeparator.Render(sep) + tail
}

// fitKeys renders the enabled keys that fit in width, in order, ending in
// an ellipsis when some were left out. help.Model cuts a line itself, but
// once its ellipsis no longer fits it adds every remaining key instead, so
// a nearly full line overflowed the screen (the 80-column job page's line
// was 109 cells wide).
func fitKeys(h help.Model, keys []key.Binding, width int) string {
	var enabled []key.Binding
	for _, k := range keys {
		if k.Enabled() {
			enabled = append(enabled, k)
		}
	}
	ellipsis := " " + h.Ellipsis
	sepWidth := lipgloss.Width(h.ShortSeparator)
	used, n := 0, 0
	for i, k := range enabled {
		w := lipgloss.Width(h.ShortHelpView([]key.Binding{k}))
		if i > 0 {
			w += sepWidth
		}
		room := width
		if i < len(enabled)-1 {
			room -= lipgloss.Width(ellipsis) // keep room to say more follow
		}
		if used+w > room {
			break
		}
		used, n = used+w, n+1
	}
	out := h.ShortHelpView(enabled[:n])
	if n < len(enabled) && used+lipgloss.Width(ellipsis) <= width {
		out += h.Styles.Ellipsis.Render(ellipsis)
	}
	return out
}

// helpChrome is the help box's lines around its scrolled keys: border,
// title, blank, position, border.
const helpChrome = 5

// fillHelp lays out every key of the page in front for the help overlay:
// in columns when they fit the screen's width, one group under another
// when they do not, scrolled when taller than the screen. It runs in
// Update.
func (m *Model) fillHelp() {
	p := m.pages[m.active]
	groups := append(p.FullHelp(), m.keys.full())
	h := m.help
	h.SetWidth(0) // never cut a column: stack them instead
	inner := max(10, m.width-4)
	content := h.FullHelpView(groups)
	if lipgloss.Width(content) > inner {
		parts := make([]string, 0, len(groups))
		for _, g := range groups {
			if text := h.FullHelpView([][]key.Binding{g}); text != "" {
				parts = append(parts, text)
			}
		}
		content = strings.Join(parts, "\n\n")
	}
	_, bodyH := m.bodySize()
	lines := strings.Count(content, "\n") + 1
	m.helpScroll.SetSize(min(inner, lipgloss.Width(content)), max(1, min(lines, bodyH-helpChrome)))
	m.helpScroll.SetContent(content)
}

func (m *Model) helpView() string {
	s := m.env.Styles
	body := s.Title.Render("Keys · "+m.pages[m.active].Title()) + "\n\n" + m.helpScroll.View()
	if pos := m.helpScroll.Position(); pos != "" {
		body += "\n" + s.Muted.Render(pos+" · ↑/↓ scroll · esc close")
	}
	return s.HelpBox.Render(body)
}

// spread puts left and right on one line of width cells; left is cut
// first when they do not fit.
func spread(left, right string, width int) string {
	rw := lipgloss.Width(right)
	if rw >= width {
		return ansi.Truncate(right, width, "…")
	}
	lw := lipgloss.Width(left)
	if lw+rw+1 > width {
		left = ansi.Truncate(left, width-rw-1, "…")
		lw = lipgloss.Width(left)
	}
	return left + strings.Repeat(" ", max(1, width-lw-rw)) + right
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
