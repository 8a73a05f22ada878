package widget

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"syncops/ui/tui/format"
)

// wheelLines is how far one turn of the mouse wheel scrolls.
const wheelLines = 3

// ScrollKeys are the keys a Scroll answers, for help lines.
var ScrollKeys = struct{ Up, Down, PageUp, PageDown, Top, Bottom key.Binding }{
	Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
	Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
	PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
	PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
	Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "top")),
	Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "bottom")),
}

// Scroll is a Bubbles viewport over text that can be taller than the
// screen: up/down/j/k, pgup/pgdn, home/end and the mouse wheel move it,
// and Position says where the view is. Its keys leave letters other than
// j, k, g and G to the page (the viewport's own map also takes space, f,
// b, d, u, h and l, which pages use for actions). Content is wrapped to the
// width by the owner, so every line counts as one in the position.
type Scroll struct {
	vp viewport.Model
}

// NewScroll returns an empty Scroll.
func NewScroll() Scroll {
	vp := viewport.New()
	km := viewport.DefaultKeyMap()
	km.Up, km.Down = ScrollKeys.Up, ScrollKeys.Down
	km.PageUp, km.PageDown = ScrollKeys.PageUp, ScrollKeys.PageDown
	off := key.NewBinding(key.WithDisabled())
	km.HalfPageUp, km.HalfPageDown, km.Left, km.Right = off, off, off, off
	vp.KeyMap = km
	return Scroll{vp: vp}
}

// SetSize sets the visible area.
func (s *Scroll) SetSize(width, height int) {
	s.vp.SetWidth(max(1, width))
	s.vp.SetHeight(max(1, height))
	s.vp.SetYOffset(s.vp.YOffset()) // clamps to the new height
}

// SetContent replaces the text, keeping the scroll position where it still
// exists.
func (s *Scroll) SetContent(text string) {
	s.vp.SetContent(text)
	s.vp.SetYOffset(s.vp.YOffset())
}

// Update scrolls for a key; it reports whether the key was a scroll key.
func (s *Scroll) Update(msg tea.KeyPressMsg) bool {
	switch {
	case key.Matches(msg, ScrollKeys.Top):
		s.vp.GotoTop()
	case key.Matches(msg, ScrollKeys.Bottom):
		s.vp.GotoBottom()
	case key.Matches(msg, ScrollKeys.Up, ScrollKeys.Down, ScrollKeys.PageUp, ScrollKeys.PageDown):
		s.vp, _ = s.vp.Update(msg)
	default:
		return false
	}
	return true
}

// Wheel scrolls for a turn of the mouse wheel (delta -1 up, +1 down).
func (s *Scroll) Wheel(delta int) {
	if delta < 0 {
		s.vp.ScrollUp(wheelLines)
	} else {
		s.vp.ScrollDown(wheelLines)
	}
}

// Top scrolls back to the first line.
func (s *Scroll) Top() { s.vp.GotoTop() }

// Fits reports whether all the content is in view.
func (s Scroll) Fits() bool { return s.vp.TotalLineCount() <= s.vp.Height() }

// View renders the visible lines.
func (s Scroll) View() string { return s.vp.View() }

// Position says which lines are in view: "lines 11–30 of 120 · 25%", or ""
// when everything fits.
func (s Scroll) Position() string {
	total := s.vp.TotalLineCount()
	if total <= s.vp.Height() {
		return ""
	}
	first := s.vp.YOffset() + 1
	last := min(total, s.vp.YOffset()+s.vp.Height())
	return fmt.Sprintf("lines %s–%s of %s · %.0f%%", format.Count(int64(first)), format.Count(int64(last)),
		format.Count(int64(total)), s.vp.ScrollPercent()*100)
}

// WrapLines wraps text (which may carry styles) to width cells per line,
// so a Scroll counts what the operator sees.
func WrapLines(text string, width int) string {
	if width <= 0 {
		return text
	}
	return lipgloss.Wrap(text, width, " ")
}
