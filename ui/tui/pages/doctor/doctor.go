// Package doctor is the console's doctor page: the same checks as
// `syncops doctor` (engine/doctor), each with ok, warn or fail and what to
// do, in a scrolled list. The checks run when the page first comes to the
// front and again on r; they never fix anything from here (`syncops doctor
// --fix` does, from a shell).
package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	enginedoctor "syncops/engine/doctor"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// Runner runs every check once, without fixing anything.
type Runner func(ctx context.Context) (enginedoctor.Report, error)

// Page is the doctor page.
type Page struct {
	env  *page.Env
	run  Runner // nil: unavailable
	keys keyMap

	report  enginedoctor.Report
	err     error
	loaded  bool
	running bool
	seq     int
	// announce: the next finished run is reported on the message line.
	announce bool

	width, height int
	scroll        widget.Scroll
}

type keyMap struct{ Rerun, Copy key.Binding }

// New builds the doctor page; run may be nil (the page says the checks are
// unavailable). With announce, the first run's outcome is also reported on
// the message line, for a doctor run at start.
func New(env *page.Env, run Runner, announce bool) *Page {
	return &Page{env: env, run: run, announce: announce, scroll: widget.NewScroll(), keys: keyMap{
		Rerun: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "check again")),
		Copy:  key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy report")),
	}}
}

// Title implements page.Page.
func (p *Page) Title() string { return "Doctor" }

// ShortHelp implements help.KeyMap.
func (p *Page) ShortHelp() []key.Binding {
	return []key.Binding{p.keys.Rerun, widget.ScrollKeys.Down, p.keys.Copy}
}

// FullHelp implements help.KeyMap.
func (p *Page) FullHelp() [][]key.Binding {
	k := widget.ScrollKeys
	return [][]key.Binding{{p.keys.Rerun, p.keys.Copy}, {k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}}
}

// SetSize implements page.Page.
func (p *Page) SetSize(width, height int) {
	p.width, p.height = width, height
	p.scroll.SetSize(width, max(1, height-headLines-footLines))
	p.fill()
}

// Capturing implements page.Page.
func (p *Page) Capturing() bool { return false }

// Pending implements page.Pender.
func (p *Page) Pending() bool { return p.running }

// Report is the last report shown, for tests and the root's summary.
func (p *Page) Report() (enginedoctor.Report, bool) { return p.report, p.loaded && p.err == nil }

type doneMsg struct {
	seq int
	rep enginedoctor.Report
	err error
}

// Activate implements page.Page: the first visit runs the checks; later
// visits show the last report until r.
func (p *Page) Activate() tea.Cmd {
	if p.loaded || p.running {
		return nil
	}
	return p.start()
}

func (p *Page) start() tea.Cmd {
	if p.run == nil || p.running {
		return nil
	}
	p.running = true
	p.seq++
	seq, run, env := p.seq, p.run, p.env
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		rep, err := run(ctx)
		return doneMsg{seq: seq, rep: rep, err: err}
	}
}

// Update implements page.Page.
func (p *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case doneMsg:
		if msg.seq != p.seq {
			return nil
		}
		p.running, p.loaded = false, true
		p.report, p.err = msg.rep, msg.err
		p.fill()
		if p.announce {
			p.announce = false
			return p.outcome()
		}
		return nil
	case page.WheelMsg:
		p.scroll.Wheel(msg.Delta)
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, p.keys.Rerun):
			return p.start()
		case key.Matches(msg, p.keys.Copy):
			if !p.loaded || p.err != nil {
				return nil
			}
			return page.Copy("the doctor's report", plainReport(p.report))
		default:
			p.scroll.Update(msg)
		}
	}
	return nil
}

// The page's lines around the scrolled checks: the summary and a blank
// above, the scroll position below.
const (
	headLines = 2
	footLines = 1
)

// markWidth is the width of "FAIL" and its gap.
const markWidth = 6

// nameWidth bounds the check-name column; longer names wrap the message
// under them.
const nameWidth = 20

// fill lays the checks out for the current width. It runs in Update (and
// SetSize), never in View.
func (p *Page) fill() {
	if !p.loaded || p.err != nil || p.width <= 0 {
		p.scroll.SetContent("")
		return
	}
	s := p.env.Styles
	nw := 0
	for _, c := range p.report.Checks {
		nw = max(nw, lipgloss.Width(c.Name))
	}
	nw = min(nw, nameWidth)
	indent := 2 + markWidth + nw + 2
	msgWidth := p.width - indent
	stacked := msgWidth < 24 // too narrow for a column: the message goes under the name
	if stacked {
		indent, msgWidth = 2+markWidth, max(10, p.width-2-markWidth)
	}
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	for i, c := range p.report.Checks {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("  " + p.mark(c) + "  ")
		name := c.Name
		if !stacked {
			b.WriteString(widget.Cell(name, nw, false) + "  ")
		} else {
			b.WriteString(ansi.Truncate(name, msgWidth, "…") + "\n" + pad)
		}
		msg := c.Message
		if c.Fixed {
			msg += " (fixed)"
		}
		b.WriteString(hang(widget.WrapLines(msg, msgWidth), pad, lipgloss.NewStyle()))
		if c.Fix != "" && c.Status != enginedoctor.StatusOK {
			b.WriteString("\n" + pad + hang(widget.WrapLines("→ "+c.Fix, msgWidth), pad, s.Muted))
		}
	}
	p.scroll.SetContent(b.String())
}

// hang styles each line of text and indents every line after the first.
func hang(text, pad string, st lipgloss.Style) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		l = st.Render(strings.TrimRight(l, " "))
		if i > 0 {
			l = pad + l
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// mark is a check's outcome as a coloured word of four cells.
func (p *Page) mark(c enginedoctor.Check) string {
	s := p.env.Styles
	switch c.Status {
	case enginedoctor.StatusOK:
		return s.Success.Render(widget.Cell("OK", 4, false))
	case enginedoctor.StatusWarn:
		return s.Warning.Render("WARN")
	default:
		return s.Error.Render("FAIL")
	}
}

// View implements page.Page.
func (p *Page) View() string {
	s := p.env.Styles
	var b strings.Builder
	b.WriteString(p.summary())
	b.WriteString("\n\n")
	switch {
	case p.run == nil:
		b.WriteString(s.Muted.Render("  the doctor is not available in this console: run `syncops doctor` in a shell"))
	case p.err != nil:
		b.WriteString(s.Error.Render("  " + ansi.Truncate("the checks did not finish: "+p.err.Error(), max(1, p.width-2), "…")))
	case !p.loaded:
		b.WriteString(s.Muted.Render("  " + p.env.Loading("checking the configuration, the database and both APIs…")))
	default:
		b.WriteString(p.scroll.View())
		if pos := p.scroll.Position(); pos != "" {
			b.WriteString("\n" + s.Muted.Render(pos))
		}
	}
	return widget.Fill(b.String(), p.width, p.height)
}

// summary is the head line: the counts, when they were taken, and whether
// a new run is under way.
func (p *Page) summary() string {
	s := p.env.Styles
	title := s.Title.Render("Doctor")
	if !p.loaded || p.err != nil {
		return ansi.Truncate(title, p.width, "…")
	}
	r := p.report
	counts := []string{
		s.Success.Render(fmt.Sprintf("%d ok", r.Count(enginedoctor.StatusOK))),
		s.Warning.Render(fmt.Sprintf("%d warn", r.Count(enginedoctor.StatusWarn))),
		s.Error.Render(fmt.Sprintf("%d fail", r.Count(enginedoctor.StatusFail))),
	}
	verdict := s.Success.Render("all pass")
	switch {
	case !r.OK:
		verdict = s.Error.Render("fix the failures")
	case r.Count(enginedoctor.StatusWarn) > 0:
		verdict = s.Warning.Render("see the warnings")
	}
	at := s.Muted.Render("checked " + r.At.In(p.env.Location).Format(time.TimeOnly))
	if p.running {
		at = s.Muted.Render(p.env.Loading("checking again…"))
	}
	line := widget.Join(" · ", title, strings.Join(counts, " "), verdict, at)
	return ansi.Truncate(line, p.width, "…")
}

// outcome reports a finished run on the message line: a notice when all is
// green, an error (which stays until seen) naming what is not.
func (p *Page) outcome() tea.Cmd {
	if p.err != nil {
		return page.Fail("doctor", p.err)
	}
	r := p.report
	ok, warn, fail := r.Count(enginedoctor.StatusOK), r.Count(enginedoctor.StatusWarn), r.Count(enginedoctor.StatusFail)
	if warn == 0 && fail == 0 {
		return page.Notify("doctor: all %d checks pass", ok)
	}
	var names []string
	for _, c := range r.Checks {
		if c.Status != enginedoctor.StatusOK {
			names = append(names, c.Name)
		}
	}
	return page.Fail("doctor", fmt.Errorf("%d fail, %d warn (%s): press 6 for what to do", fail, warn, strings.Join(names, ", ")))
}

// plainReport is the report as text, for the clipboard.
func plainReport(r enginedoctor.Report) string {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%s %s: %s\n", strings.ToUpper(string(c.Status)), c.Name, c.Message)
		if c.Fix != "" && c.Status != enginedoctor.StatusOK {
			fmt.Fprintf(&b, "  -> %s\n", c.Fix)
		}
	}
	return b.String()
}
