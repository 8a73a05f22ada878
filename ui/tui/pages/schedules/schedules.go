// Package schedules is the console's schedules page: each job type's
// schedule with its state, cron expression, last and next runs; the operator
// enables and disables schedules and edits the expression with a live
// preview of the next runs.
package schedules

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/engine/scheduler"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// Source lists and edits schedules; *scheduler.Scheduler satisfies it.
type Source interface {
	Schedules(ctx context.Context) ([]scheduler.ScheduleView, error)
	// Validate checks a cron expression and returns its next runs.
	Validate(spec string) ([]time.Time, error)
	// Set schedules jobType on spec and enables it; nil params keep the
	// schedule's parameters.
	Set(ctx context.Context, jobType, spec string, params engine.Params, actor engine.Actor) (scheduler.ScheduleView, error)
	SetEnabled(ctx context.Context, jobType string, enabled bool, actor engine.Actor) (scheduler.ScheduleView, error)
	// Location is the zone cron expressions are read in; run times are
	// shown in it, labelled, whatever the operator's own zone.
	Location() *time.Location
}

// Page is the schedules page.
type Page struct {
	env    *page.Env
	source Source // nil: unavailable
	keys   keyMap
	labels map[string]string
	// columns fit the registered types' names.
	columns []widget.Column

	views  []scheduler.ScheduleView
	loaded bool
	seq    int
	busy   bool // a load is in flight

	width, height int
	cursor, top   int

	edit *editor
}

// editor edits one schedule's cron expression.
type editor struct {
	jobType string
	input   widget.Input
	preview []time.Time
	err     error
	busy    bool
}

type keyMap struct {
	Up, Down, Toggle, Edit key.Binding
	// Keys of the cron editor.
	Save, Close key.Binding
}

// New builds the schedules page; source may be nil.
func New(env *page.Env, source Source) *Page {
	labels := map[string]string{}
	names := []string{}
	for _, k := range env.Engine.Types() {
		labels[k.Type] = k.Label
		names = append(names, k.Label)
	}
	return &Page{env: env, source: source, labels: labels,
		columns: widget.WholeNames(columns, colType, keepWholeType, names), keys: keyMap{
			Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
			Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
			Toggle: key.NewBinding(key.WithKeys("space", "e"), key.WithHelp("space/e", "enable/disable")),
			Edit:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "edit cron")),
			Save:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save and enable")),
			Close:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}}
}

// Title implements page.Page.
func (p *Page) Title() string { return "Schedules" }

// ShortHelp implements help.KeyMap.
func (p *Page) ShortHelp() []key.Binding {
	if p.edit != nil {
		return []key.Binding{p.keys.Save, p.keys.Close}
	}
	return []key.Binding{p.keys.Toggle, p.keys.Edit}
}

// FullHelp implements help.KeyMap.
func (p *Page) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.keys.Up, p.keys.Down}, {p.keys.Toggle, p.keys.Edit}}
}

// SetSize implements page.Page.
func (p *Page) SetSize(width, height int) {
	p.width, p.height = width, height
	p.follow()
	if p.edit != nil {
		p.edit.input.SetWidth(p.editWidth() - 4)
	}
}

// Pending implements page.Pender: schedules are being read for the first
// time, or a change is being saved.
func (p *Page) Pending() bool {
	return p.source != nil && ((!p.loaded && p.busy) || (p.edit != nil && p.edit.busy))
}

// Capturing implements page.Page.
func (p *Page) Capturing() bool { return p.edit != nil }

type (
	loadedMsg struct {
		seq   int
		views []scheduler.ScheduleView
		err   error
	}
	savedMsg struct {
		view   scheduler.ScheduleView
		action string
		err    error
	}
	previewMsg struct {
		spec string
		runs []time.Time
		err  error
	}
)

// Activate implements page.Page.
func (p *Page) Activate() tea.Cmd {
	if p.source == nil {
		return nil
	}
	p.seq++
	p.busy = true
	seq, env, src := p.seq, p.env, p.source
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		views, err := src.Schedules(ctx)
		return loadedMsg{seq: seq, views: views, err: err}
	}
}

// Update implements page.Page.
func (p *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.seq != p.seq {
			return nil
		}
		p.busy = false
		if msg.err != nil {
			return page.Fail("load schedules", msg.err)
		}
		p.views, p.loaded = msg.views, true
		p.cursor = min(p.cursor, max(0, len(p.views)-1))
		p.follow()
	case previewMsg:
		if p.edit != nil && strings.TrimSpace(p.edit.input.Value()) == msg.spec {
			p.edit.preview, p.edit.err = msg.runs, msg.err
		}
	case savedMsg:
		return p.saved(msg)
	case page.JobsChangedMsg:
		if p.env.Active != page.Schedules || p.busy {
			return nil
		}
		for _, j := range msg.Jobs {
			if scheduler.IsScheduled(j) {
				// A schedule fired or its job moved on: last and next runs changed.
				return p.Activate()
			}
		}
	case tea.KeyPressMsg:
		cmd := p.key(msg)
		p.follow()
		return cmd
	case page.ClickMsg:
		p.click(msg)
	case page.WheelMsg:
		if p.edit == nil && len(p.views) > 0 {
			p.cursor = max(0, min(len(p.views)-1, p.cursor+msg.Delta))
			p.follow()
		}
	default:
		if p.edit != nil && p.edit.input.Update(msg) {
			return p.validate()
		}
	}
	return nil
}

// click selects the schedule under the pointer.
func (p *Page) click(msg page.ClickMsg) {
	if p.edit != nil || len(p.views) == 0 {
		return
	}
	_, _, rows := p.heights()
	if row := msg.Y - 1; row >= 0 && row < rows && p.top+row < len(p.views) {
		p.cursor = p.top + row
	}
}

func (p *Page) saved(msg savedMsg) tea.Cmd {
	if msg.err != nil {
		if p.edit != nil {
			p.edit.busy, p.edit.err = false, msg.err
		}
		return page.Fail(msg.action, msg.err)
	}
	p.edit = nil
	for i := range p.views {
		if p.views[i].JobType == msg.view.JobType {
			p.views[i] = msg.view
		}
	}
	state := "disabled"
	if msg.view.Enabled {
		state = "enabled on " + msg.view.Cron
	}
	return page.Notify("schedule of %s %s", msg.view.JobType, state)
}

func (p *Page) key(msg tea.KeyPressMsg) tea.Cmd {
	if p.edit != nil {
		return p.editKey(msg)
	}
	if p.source == nil || len(p.views) == 0 {
		return nil
	}
	v := p.views[p.cursor]
	switch {
	case key.Matches(msg, p.keys.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(msg, p.keys.Down):
		p.cursor = min(len(p.views)-1, p.cursor+1)
	case key.Matches(msg, p.keys.Toggle):
		if cmd := p.env.Refuse("changing the schedule of " + v.JobType); cmd != nil {
			return cmd
		}
		return p.setEnabled(v.JobType, !v.Enabled)
	case key.Matches(msg, p.keys.Edit):
		if cmd := p.env.Refuse("editing the schedule of " + v.JobType); cmd != nil {
			return cmd
		}
		p.edit = &editor{jobType: v.JobType, input: widget.Input{Prompt: "cron> ", CharLimit: 120}}
		p.edit.input.Focus()
		p.edit.input.SetWidth(p.editWidth() - 4)
		p.edit.input.SetValue(v.Cron)
		return p.validate()
	}
	return nil
}

func (p *Page) editKey(msg tea.KeyPressMsg) tea.Cmd {
	e := p.edit
	if e.busy {
		return nil
	}
	switch msg.String() {
	case "esc":
		p.edit = nil
		return nil
	case "enter":
		spec := strings.TrimSpace(e.input.Value())
		if e.err != nil || spec == "" {
			return nil
		}
		e.busy = true
		env, src, jobType := p.env, p.source, e.jobType
		return func() tea.Msg {
			ctx, cancel := env.Call()
			defer cancel()
			v, err := src.Set(ctx, jobType, spec, nil, env.Actor)
			return savedMsg{view: v, action: "schedule " + jobType, err: err}
		}
	}
	if e.input.Update(msg) {
		return p.validate()
	}
	return nil
}

// validate previews the next runs of the expression being edited.
func (p *Page) validate() tea.Cmd {
	spec := strings.TrimSpace(p.edit.input.Value())
	if spec == "" {
		p.edit.preview, p.edit.err = nil, fmt.Errorf("type a cron expression, e.g. 0 */6 * * *")
		return nil
	}
	src := p.source
	return func() tea.Msg {
		runs, err := src.Validate(spec)
		return previewMsg{spec: spec, runs: runs, err: err}
	}
}

func (p *Page) setEnabled(jobType string, enabled bool) tea.Cmd {
	env, src := p.env, p.source
	action := "disable schedule of " + jobType
	if enabled {
		action = "enable schedule of " + jobType
	}
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		v, err := src.SetEnabled(ctx, jobType, enabled, env.Actor)
		return savedMsg{view: v, action: action, err: err}
	}
}
