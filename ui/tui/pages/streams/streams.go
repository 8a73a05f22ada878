// Package streams is the console's pull-streams page (issue 12, "pull
// streams visible"): each full pull's stream with its state (running,
// paused, done), the rows its pass has read, how long ago its cursor moved
// and when a pass last completed; enter opens the job that last moved it.
// The CLI twin is `syncops streams`.
package streams

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"syncops/engine"
	"syncops/ui/tui/format"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// Page is the streams page.
type Page struct {
	env  *page.Env
	keys keyMap

	streams []engine.StreamState
	err     error
	loaded  bool
	loading bool
	cursor  int

	width, height int
}

type keyMap struct{ Up, Down, Open, Reload key.Binding }

// New builds the streams page.
func New(env *page.Env) *Page {
	return &Page{env: env, keys: keyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open its job")),
		Reload: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload")),
	}}
}

// Title implements page.Page.
func (p *Page) Title() string { return "Streams" }

// ShortHelp implements help.KeyMap.
func (p *Page) ShortHelp() []key.Binding { return []key.Binding{p.keys.Open, p.keys.Reload} }

// FullHelp implements help.KeyMap.
func (p *Page) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.keys.Up, p.keys.Down}, {p.keys.Open, p.keys.Reload}}
}

// SetSize implements page.Page.
func (p *Page) SetSize(width, height int) { p.width, p.height = width, height }

// Capturing implements page.Page.
func (p *Page) Capturing() bool { return false }

type loadedMsg struct {
	streams []engine.StreamState
	err     error
}

// Activate implements page.Page.
func (p *Page) Activate() tea.Cmd { return p.load() }

func (p *Page) load() tea.Cmd {
	if p.loading {
		return nil
	}
	p.loading = true
	env := p.env
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		ss, err := env.Engine.Streams(ctx)
		return loadedMsg{streams: ss, err: err}
	}
}

// Update implements page.Page.
func (p *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		p.loading, p.loaded = false, true
		p.streams, p.err = msg.streams, msg.err
		p.cursor = max(0, min(p.cursor, len(p.streams)-1))
	case page.TickMsg:
		// The console's clock moved: cursor ages and a running pass's rows
		// move with it while the page is in front.
		if p.env.Active == page.Streams {
			return p.load()
		}
	case page.ClickMsg:
		if i := msg.Y - headLines; i >= 0 && i < len(p.streams) {
			p.cursor = i
		}
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, p.keys.Up):
			p.cursor = max(0, p.cursor-1)
		case key.Matches(msg, p.keys.Down):
			p.cursor = max(0, min(len(p.streams)-1, p.cursor+1))
		case key.Matches(msg, p.keys.Reload):
			return p.load()
		case key.Matches(msg, p.keys.Open):
			if p.cursor < len(p.streams) && p.streams[p.cursor].JobID != 0 {
				return page.Open(p.streams[p.cursor].JobID)
			}
		}
	}
	return nil
}

// headLines are the lines above the rows: the summary, a blank, the header.
const headLines = 3

var columns = []widget.Column{
	{Title: "STREAM", Width: 22, Flex: true, Keep: 100},
	{Title: "STATE", Width: 8, Keep: 95},
	{Title: "ROWS THIS PASS", Width: 14, Right: true, Keep: 90},
	{Title: "CURSOR MOVED", Width: 12, Right: true, Keep: 85},
	{Title: "LAST COMPLETED", Width: 14, Right: true, Keep: 80},
	{Title: "PASS STARTED", Width: 12, Right: true, Keep: 40},
	{Title: "JOB", Width: 8, Right: true, Keep: 50},
}

// View implements page.Page.
func (p *Page) View() string {
	s := p.env.Styles
	switch {
	case p.err != nil:
		return widget.Fill(s.Error.Render(ansi.Truncate("cannot read the pull streams: "+p.err.Error(), p.width, "…")), p.width, p.height)
	case !p.loaded:
		return widget.Fill(s.Muted.Render(p.env.Loading("loading pull streams…")), p.width, p.height)
	case len(p.streams) == 0:
		return widget.Fill(s.Title.Render("Pull streams")+"\n\n"+
			s.Muted.Render(widget.Wrap("No full pull has run yet: each pull keeps its stream here, with its cursor, so a pass that stops resumes where it was.", p.width)),
			p.width, p.height)
	}
	var running, paused int
	for _, st := range p.streams {
		switch st.State {
		case "running":
			running++
		case "paused":
			paused++
		}
	}
	var b strings.Builder
	b.WriteString(ansi.Truncate(widget.Join(" · ", s.Title.Render("Pull streams"),
		fmt.Sprintf("%d running, %d paused, %d done", running, paused, len(p.streams)-running-paused),
		s.Muted.Render("a paused pass resumes at its cursor on the next pull")), p.width, "…"))
	b.WriteString("\n\n")
	l := widget.Fit(columns, p.width)
	b.WriteString(l.Header(s))
	now := p.env.Now
	for i, st := range p.streams {
		completed := "never"
		if st.LastCompleted != nil {
			completed = format.Ago(now, *st.LastCompleted)
		}
		started := "–"
		if st.PassStarted != nil {
			started = format.Ago(now, *st.PassStarted)
		}
		job := "–"
		if st.JobID != 0 {
			job = fmt.Sprintf("#%d", st.JobID)
		}
		b.WriteString("\n")
		b.WriteString(l.Row([]string{st.Stream, p.state(st.State), format.Count(st.RowsThisPass),
			format.Ago(now, st.UpdatedAt), completed, started, job}, i == p.cursor, s))
	}
	return widget.Fill(b.String(), p.width, p.height)
}

// state colours a stream's state.
func (p *Page) state(st string) string {
	s := p.env.Styles
	switch st {
	case "running":
		return s.Notice.Render(st)
	case "paused":
		return s.Warning.Render(st)
	}
	return s.Success.Render(st)
}
