// Package overview is the console's home page: every registered job type in
// one table with the status, live progress, counters, rate, ETA, duration
// and next scheduled run of its latest job, and the actions an operator
// takes on a type: start (with a parameter form), watch, cancel and retry.
package overview

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/engine/scheduler"
	"syncops/ui/tui/action"
	"syncops/ui/tui/format"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// ScheduleLister gives the overview each type's next scheduled run.
type ScheduleLister interface {
	Schedules(ctx context.Context) ([]scheduler.ScheduleView, error)
	// Location is the zone schedules run in; next runs are shown in it.
	Location() *time.Location
}

// Page is the overview page.
type Page struct {
	env   *page.Env
	sched ScheduleLister // nil: schedules unavailable
	keys  keyMap

	types   []engine.KindInfo
	columns []widget.Column
	latest  map[string]engine.Job
	next    map[string]time.Time
	schedOK bool
	loaded  bool
	seq     int

	width, height int
	cursor, top   int

	form     *startForm
	confirm  *widget.Question
	conflict *conflict
}

// conflict is a refused start the operator may force.
type conflict struct {
	err    *engine.ConflictError
	kind   engine.KindInfo
	params engine.Params
}

type keyMap struct {
	Up, Down, Start, Watch, Cancel, Retry, Copy key.Binding
	// Keys of the start form and of the dialogs.
	Submit, Field, Toggle, Close, Force key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Start:  key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "start")),
		Watch:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "watch")),
		Cancel: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cancel")),
		Retry:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry failed")),
		Copy:   key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy job id")),
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start")),
		Field:  key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("↑/↓", "field")),
		Toggle: key.NewBinding(key.WithKeys("space"), key.WithHelp("space/←/→", "toggle/choose")),
		Close:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Force:  key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "force restart")),
	}
}

// New builds the overview; sched may be nil.
func New(env *page.Env, sched ScheduleLister) *Page {
	types := env.Engine.Types()
	labels := make([]string, len(types))
	for i, k := range types {
		labels[i] = k.Label
	}
	return &Page{env: env, sched: sched, keys: newKeyMap(), types: types,
		columns: widget.WholeNames(columns, colType, keepWholeType, labels),
		latest:  map[string]engine.Job{}, next: map[string]time.Time{}}
}

// Title implements page.Page.
func (p *Page) Title() string { return "Overview" }

// ShortHelp implements help.KeyMap: only the keys that apply to the
// selected type.
func (p *Page) ShortHelp() []key.Binding {
	k := p.applicableKeys()
	switch {
	case p.form != nil:
		return []key.Binding{k.Submit, k.Field, k.Toggle, k.Close}
	case p.confirm != nil:
		return p.confirm.Keys()
	case p.conflict != nil:
		w := key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "watch"))
		c := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "leave it"))
		if p.conflict.err.Lane != "" {
			return []key.Binding{w, c} // a lane refusal cannot be forced
		}
		return []key.Binding{k.Force, w, c}
	}
	return []key.Binding{k.Start, k.Watch, k.Cancel, k.Retry, k.Copy}
}

// FullHelp implements help.KeyMap.
func (p *Page) FullHelp() [][]key.Binding {
	k := p.applicableKeys()
	return [][]key.Binding{{k.Up, k.Down, k.Watch}, {k.Start, k.Cancel, k.Retry, k.Copy}}
}

// applicableKeys disables what cannot apply to the selected type: watch
// and retry before it ever ran, cancel once its latest job finished, retry
// while it runs, without failed items, or for a kind that cannot retry
// single items.
func (p *Page) applicableKeys() keyMap {
	k := p.keys
	kind, j, ok := p.selected()
	if !p.loaded {
		return k
	}
	k.Watch.SetEnabled(ok)
	k.Copy.SetEnabled(ok)
	k.Cancel.SetEnabled(ok && !j.Status.Terminal())
	k.Retry.SetEnabled(ok && kind.RetryItems && j.Status.Terminal() && j.Failed > 0)
	return k
}

// SetSize implements page.Page.
func (p *Page) SetSize(width, height int) {
	p.width, p.height = width, height
	p.follow()
}

// Pending implements page.Pender: the latest jobs are being read for the
// first time, or a start is on its way.
func (p *Page) Pending() bool { return !p.loaded || (p.form != nil && p.form.busy) }

// Capturing implements page.Page.
func (p *Page) Capturing() bool { return p.form != nil || p.confirm != nil || p.conflict != nil }

// Messages of the overview's own commands.
type (
	latestMsg struct {
		seq    int
		latest map[string]engine.Job
		err    error
	}
	nextRunsMsg struct {
		next map[string]time.Time
		err  error
	}
)

// Activate implements page.Page: it reloads the latest jobs and next runs.
func (p *Page) Activate() tea.Cmd {
	p.seq++
	seq, env := p.seq, p.env
	load := func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		latest, err := env.Engine.Latest(ctx)
		return latestMsg{seq: seq, latest: latest, err: err}
	}
	return tea.Batch(load, p.loadNextRuns())
}

// loadNextRuns reads each type's next scheduled run.
func (p *Page) loadNextRuns() tea.Cmd {
	if p.sched == nil {
		return nil
	}
	env, sched := p.env, p.sched
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		views, err := sched.Schedules(ctx)
		next := map[string]time.Time{}
		for _, v := range views {
			if v.Enabled && len(v.NextRuns) > 0 {
				next[v.JobType] = v.NextRuns[0]
			}
		}
		return nextRunsMsg{next: next, err: err}
	}
}

// Update implements page.Page.
func (p *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case latestMsg:
		if msg.seq != p.seq {
			return nil
		}
		if msg.err != nil {
			return page.Fail("load latest jobs", msg.err)
		}
		for _, j := range msg.latest {
			p.observe(j, false)
		}
		p.loaded = true
	case nextRunsMsg:
		if msg.err != nil {
			p.schedOK = false
			return page.Fail("load schedules", msg.err)
		}
		p.next, p.schedOK = msg.next, true
	case page.JobsChangedMsg:
		ticked := false
		for _, j := range msg.Jobs {
			p.observe(j, true)
			ticked = ticked || (scheduler.IsScheduled(j) && j.Status == engine.StatusPending)
		}
		if ticked && p.sched != nil && p.env.Active == page.Overview {
			// A schedule fired: its next run moved on.
			return p.loadNextRuns()
		}
	case action.StartedMsg:
		return p.started(msg)
	case tea.KeyPressMsg:
		cmd := p.key(msg)
		p.follow()
		return cmd
	case page.ClickMsg:
		cmd := p.click(msg)
		p.follow()
		return cmd
	case page.WheelMsg:
		if p.Capturing() {
			return nil
		}
		p.cursor = max(0, min(len(p.types)-1, p.cursor+msg.Delta))
		p.follow()
	default:
		if p.form != nil {
			p.form.update(msg)
		}
	}
	return nil
}

// observe keeps the newest job of each type. Engine events are the newest
// word on a job; a loaded snapshot of the same job replaces what is shown
// only when it is strictly newer, since it may have been read before the
// last event.
func (p *Page) observe(j engine.Job, event bool) {
	cur, ok := p.latest[j.Type]
	switch {
	case !ok || j.ID > cur.ID:
	case j.ID < cur.ID:
		return
	case event && j.UpdatedAt.Before(cur.UpdatedAt):
		return
	case !event && !j.UpdatedAt.After(cur.UpdatedAt):
		return
	}
	p.latest[j.Type] = j
}

func (p *Page) selected() (engine.KindInfo, engine.Job, bool) {
	if p.cursor < 0 || p.cursor >= len(p.types) {
		return engine.KindInfo{}, engine.Job{}, false
	}
	k := p.types[p.cursor]
	j, ok := p.latest[k.Type]
	return k, j, ok
}

func (p *Page) key(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case p.form != nil:
		return p.formKey(msg)
	case p.confirm != nil:
		settled, cmd := p.confirm.Key(msg)
		if settled {
			p.confirm = nil
		}
		return cmd
	case p.conflict != nil:
		return p.conflictKey(msg)
	}
	k, j, hasJob := p.selected()
	switch {
	case key.Matches(msg, p.keys.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(msg, p.keys.Down):
		p.cursor = min(len(p.types)-1, p.cursor+1)
	case key.Matches(msg, p.keys.Copy):
		if hasJob {
			id := fmt.Sprint(j.ID)
			return page.Copy("job id "+id, id)
		}
	case key.Matches(msg, p.keys.Watch):
		if !hasJob {
			return page.Notify("%s has never run; press s to start it", k.Label)
		}
		return page.Open(j.ID)
	case key.Matches(msg, p.keys.Start):
		if cmd := p.env.Refuse("starting " + k.Type); cmd != nil {
			return cmd
		}
		p.form = newStartForm(k, p.width)
	case key.Matches(msg, p.keys.Cancel):
		if cmd := p.env.Refuse("cancelling " + k.Type); cmd != nil {
			return cmd
		}
		if !hasJob || j.Status.Terminal() {
			return page.Fail("cancel "+k.Type, errors.New("no pending or running job to cancel"))
		}
		p.confirm = &widget.Question{Confirm: widget.Confirm{Title: fmt.Sprintf("Cancel job #%d?", j.ID),
			Body: fmt.Sprintf("%s is %s (%s processed). Its work so far is kept.",
				k.Label, format.Title(string(j.Status)), widget.DoneText(j))},
			OnYes: func() tea.Cmd { return action.Cancel(p.env, j.ID) }}
	case key.Matches(msg, p.keys.Retry):
		if cmd := p.env.Refuse("retrying " + k.Type); cmd != nil {
			return cmd
		}
		if !hasJob {
			return page.Fail("retry "+k.Type, errors.New("it has never run"))
		}
		return action.Retry(p.env, j.ID)
	}
	return nil
}

// click answers a dialog's button, or selects the type under the pointer
// (a click on the selected one watches its latest job).
func (p *Page) click(msg page.ClickMsg) tea.Cmd {
	switch {
	case p.confirm != nil:
		settled, cmd := p.confirm.Click(p.env.Styles, msg.X, msg.Y, p.width, p.height)
		if settled {
			p.confirm = nil
		}
		return cmd
	case p.form != nil, p.conflict != nil:
		return nil
	}
	_, _, rows := p.heights()
	row := msg.Y - 1 // under the header
	if row < 0 || row >= rows || p.top+row >= len(p.types) {
		return nil
	}
	if p.top+row == p.cursor {
		return p.key(tea.KeyPressMsg{Code: tea.KeyEnter})
	}
	p.cursor = p.top + row
	return nil
}

func (p *Page) formKey(msg tea.KeyPressMsg) tea.Cmd {
	switch p.form.update(msg) {
	case formClose:
		p.form = nil
	case formSubmit:
		p.form.busy = true
		return action.Start(p.env, p.form.kind, p.form.params(), p.form.force)
	}
	return nil
}

func (p *Page) conflictKey(msg tea.KeyPressMsg) tea.Cmd {
	c := p.conflict
	switch msg.String() {
	case "f":
		if c.err.Lane != "" {
			return nil // a lane refusal: forcing would not start it
		}
		p.conflict = nil
		return action.Start(p.env, c.kind, c.params, true)
	case "w", "enter":
		p.conflict = nil
		return page.Open(c.err.Existing)
	case "esc", "n":
		p.conflict = nil
	}
	return nil
}

func (p *Page) started(msg action.StartedMsg) tea.Cmd {
	var conflictErr *engine.ConflictError
	switch {
	case errors.As(msg.Err, &conflictErr):
		p.form = nil
		p.conflict = &conflict{err: conflictErr, kind: msg.Kind, params: msg.Params}
		return nil
	case msg.Err != nil:
		if p.form != nil {
			p.form.busy = false
			p.form.err = msg.Err.Error()
		}
		return page.Fail("start "+msg.Kind.Type, msg.Err)
	}
	p.form = nil
	return page.Notify("started %s as job #%d", msg.Kind.Type, msg.ID)
}
