package tui

import (
	bubblesSpinner "charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"syncops/ui/tui/page"
)

// click handles a left click at x, y of the screen: a dialog's button, a
// tab, or something on the page, which gets the click in body cells.
func (m *Model) click(x, y int) tea.Cmd {
	w, h := m.bodySize()
	switch {
	case m.quitAsk != nil:
		settled, cmd := m.quitAsk.Click(m.env.Styles, x, y-1, w, h)
		if settled {
			m.quitAsk = nil
		}
		return cmd
	case m.showHelp:
		return nil
	case y == 0:
		if id, ok := m.tabAt(x); ok {
			if id == page.Detail && !m.jobOpen {
				m.report("no job open yet: press enter on a job first", true)
				return nil
			}
			return m.switchTo(id)
		}
		return nil
	case y >= 1 && y <= h && !m.setupActive():
		return m.pages[m.active].Update(page.ClickMsg{X: x, Y: y - 1})
	}
	return nil
}

// tabAt is the page whose tab is at column x of the tab bar.
func (m *Model) tabAt(x int) (page.ID, bool) {
	labels, withBrand := m.tabLabels()
	from, gap := 0, 0
	if withBrand {
		from, gap = lipgloss.Width(brand), len(tabGap)
	}
	for i, label := range labels {
		from += gap // the gap before each tab
		gap = len(tabGap)
		w := lipgloss.Width(label)
		if x >= from && x < from+w {
			return page.ID(i), true
		}
		from += w
	}
	return 0, false
}

// wheel scrolls the help overlay or the page under the pointer.
func (m *Model) wheel(msg tea.Mouse) tea.Cmd {
	delta := 0
	switch msg.Button {
	case tea.MouseWheelUp:
		delta = -1
	case tea.MouseWheelDown:
		delta = 1
	default:
		return nil
	}
	_, h := m.bodySize()
	switch {
	case m.quitAsk != nil:
		return nil
	case m.showHelp:
		m.helpScroll.Wheel(delta)
		return nil
	case msg.Y >= 1 && msg.Y <= h && !m.setupActive():
		return m.pages[m.active].Update(page.WheelMsg{X: msg.X, Y: msg.Y - 1, Delta: delta})
	}
	return nil
}

// spinner is the spinner the console draws beside pending work: Bubbles'
// frames, moved on by the console's clock rather than by the spinner's own
// timer, so the fake clock of tests draws the same frame on every run and
// nothing turns once the work is done.
var spinner = bubblesSpinner.MiniDot

type spinTickMsg struct{}

// pending reports whether the page in front waits for the engine.
func (m *Model) pending() bool {
	p, ok := m.pages[m.active].(page.Pender)
	return ok && p.Pending()
}

// spin arms the spinner's next frame while the page in front waits, and
// clears it once the page is done.
func (m *Model) spin() tea.Cmd {
	if !m.pending() {
		m.env.Spinner = ""
		return nil
	}
	if m.env.Spinner == "" {
		m.env.Spinner = spinner.Frames[m.spinFrame%len(spinner.Frames)]
	}
	if m.spinning {
		return nil
	}
	m.spinning = true
	clock, done := m.env.Clock, m.env.Ctx.Done()
	return func() tea.Msg {
		select {
		case <-clock.After(spinner.FPS):
		case <-done:
			return nil
		}
		return spinTickMsg{}
	}
}
