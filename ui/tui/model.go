package tui

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/page"
	"syncops/ui/tui/pages/doctor"
	"syncops/ui/tui/pages/jobdetail"
	"syncops/ui/tui/pages/jobs"
	"syncops/ui/tui/pages/locations"
	"syncops/ui/tui/pages/mappings"
	"syncops/ui/tui/pages/overview"
	"syncops/ui/tui/pages/schedules"
	"syncops/ui/tui/pages/settings"
	"syncops/ui/tui/pages/streams"
	"syncops/ui/tui/styles"
	"syncops/ui/tui/widget"
)

// maxHistory bounds the pages esc can go back through.
const maxHistory = 50

// Model is the console's root model (a tea.Model).
type Model struct {
	opts   Options
	env    *page.Env
	cancel context.CancelFunc

	pages    [page.Count]page.Page
	detail   *jobdetail.Page
	mappings *mappings.Page
	active   page.ID
	history  []page.ID
	jobOpen  bool

	width, height int
	showHelp      bool
	help          help.Model
	keys          globalKeys

	message    string
	messageErr bool
	messageAt  time.Time
	messageSeq int
	budgets    []Budget

	// quitAsk is the open "quit while jobs run?" question, or nil.
	quitAsk  *widget.Question
	exitNote string
	// quitWaiting: quit was asked before the active jobs were known; the
	// question is settled when they are.
	quitWaiting  bool
	activeLoaded bool

	events     <-chan engine.Event
	stopOnce   sync.Once
	closed     atomic.Bool
	stopEvents func()
	activeJobs map[engine.JobID]engine.Job
	// endedEarly are the jobs that ended before the list of active jobs
	// arrived, which may still show them; nil once it has.
	endedEarly  map[engine.JobID]bool
	tickPending bool
	tickEvery   time.Duration
	tickSeq     int

	// token is the Nhanh token's state at the last look; tokenWarned is how
	// many of its warning thresholds the operator has been told about.
	token       TokenStatus
	tokenWarned int

	// helpScroll scrolls the help overlay when it is taller than the screen.
	helpScroll widget.Scroll
	// spinning: a spinner frame timer is pending; spinFrame is its frame.
	spinning  bool
	spinFrame int
}

// New builds a console. It subscribes to engine events at once; the
// subscription ends when the operator quits, when Options.Context ends, or
// on Close. It panics when opts.Engine is nil, a programming error.
func New(opts Options) *Model {
	opts, err := opts.withDefaults()
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(opts.Context)
	env := &page.Env{Engine: opts.Engine, Actor: opts.Actor, ReadOnly: opts.ReadOnly, Clock: opts.Clock,
		Location: opts.Location, Styles: styles.New(true), Now: opts.Clock.Now(), Ctx: ctx, Active: page.Overview}
	m := &Model{opts: opts, env: env, cancel: cancel, help: help.New(), keys: newGlobalKeys(),
		activeJobs: map[engine.JobID]engine.Job{}, endedEarly: map[engine.JobID]bool{}, helpScroll: widget.NewScroll()}
	m.help.Styles = env.Styles.Help
	var sched overview.ScheduleLister
	if opts.Schedules != nil {
		sched = opts.Schedules
	}
	m.detail = jobdetail.New(env)
	m.mappings = mappings.New(env)
	m.pages = [page.Count]page.Page{
		page.Overview:  overview.New(env, sched),
		page.Jobs:      jobs.New(env),
		page.Detail:    m.detail,
		page.Schedules: schedules.New(env, opts.Schedules),
		page.Locations: locations.New(env, opts.Locations),
		page.Doctor:    doctor.New(env, opts.Doctor, opts.DoctorAtStart),
		page.Streams:   streams.New(env),
		page.Settings:  settings.New(env),
		page.Mappings:  m.mappings,
	}
	m.events, m.stopEvents = opts.Engine.Subscribe()
	context.AfterFunc(ctx, m.Close)
	m.refreshBudgets()
	m.refreshToken()
	return m
}

// Close ends the console's engine subscription and cancels its engine
// calls. It is safe to call more than once and from any goroutine.
func (m *Model) Close() {
	m.stopOnce.Do(func() {
		m.closed.Store(true)
		m.stopEvents()
		m.cancel()
	})
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd {
	// The front page loads when the first window size arrives: pages fit
	// what they load to their size.
	var doctorCmd tea.Cmd
	if m.opts.DoctorAtStart {
		doctorCmd = m.pages[page.Doctor].Activate()
	}
	return tea.Batch(tea.RequestBackgroundColor, waitEvents(m.events), m.loadActive(), m.armTick(), doctorCmd)
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.closed.Load() {
		// The session is over: results of calls cut short by Close are
		// not news for the operator.
		return m, nil
	}
	m.env.Now = m.env.Clock.Now()
	cmd := m.route(msg)
	return m, tea.Batch(cmd, m.spin())
}

// route handles one message and returns what it asks to run.
func (m *Model) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		if msg.Width == m.width && msg.Height == m.height {
			return nil
		}
		m.width, m.height = msg.Width, msg.Height
		return m.resize()
	case tea.BackgroundColorMsg:
		m.env.Styles = styles.New(msg.IsDark())
		m.help.Styles = m.env.Styles.Help
		if m.showHelp {
			m.fillHelp()
		}
		return m.broadcast(msg)
	case tea.KeyPressMsg:
		m.seenMessage()
		return m.key(msg)
	case tea.MouseClickMsg:
		if msg.Button != tea.MouseLeft {
			return nil
		}
		m.seenMessage()
		return m.click(msg.X, msg.Y)
	case tea.MouseWheelMsg:
		return m.wheel(tea.Mouse(msg))
	case spinTickMsg:
		m.spinning = false
		if m.pending() {
			m.spinFrame++
			m.env.Spinner = spinner.Frames[m.spinFrame%len(spinner.Frames)]
		}
		return nil
	case page.JobsChangedMsg:
		return m.jobsChanged(msg)
	case eventsClosedMsg:
		if m.closed.Load() {
			return nil // our own Close ended the subscription
		}
		m.report("live updates stopped: the engine is shutting down", true)
		return nil
	case activeJobsMsg:
		for _, j := range msg.jobs {
			if _, seen := m.activeJobs[j.ID]; !seen && !m.endedEarly[j.ID] {
				m.activeJobs[j.ID] = j // an event may already have told newer news
			}
		}
		m.activeLoaded, m.endedEarly = true, nil
		if m.quitWaiting {
			return tea.Batch(m.askQuit(), m.armTick())
		}
		return m.armTick()
	case tickMsg:
		if msg.seq != m.tickSeq {
			return nil // superseded by a faster tick
		}
		m.tickPending = false
		m.refreshBudgets()
		m.refreshToken()
		return tea.Batch(m.broadcast(page.TickMsg{}), m.armTick())
	case page.ErrorMsg:
		m.report(msg.Error(), true)
		return m.broadcast(msg)
	case page.NoticeMsg:
		return m.report(msg.Text, false)
	case clearNoticeMsg:
		if msg.seq == m.messageSeq && !m.messageErr {
			m.message = ""
		}
		return nil
	case page.OpenRecordMsg:
		cmd := m.mappings.OpenRecord(msg.Kind, msg.NhanhID)
		m.navigate(page.Mappings)
		return cmd
	case page.OpenJobMsg:
		m.jobOpen = true
		cmd := m.detail.Open(msg.ID)
		m.navigate(page.Detail)
		if msg.Notice != "" {
			cmd = tea.Batch(cmd, m.report(msg.Notice, false))
		}
		return cmd
	}
	return m.broadcast(msg)
}

// broadcast gives a message to every page; each ignores what is not its own.
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.pages))
	for _, p := range m.pages {
		cmds = append(cmds, p.Update(msg))
	}
	return tea.Batch(cmds...)
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.quitAsk != nil {
		return m.quitKey(msg)
	}
	if key.Matches(msg, m.keys.ForceQuit) {
		return m.askQuit()
	}
	if m.showHelp {
		switch {
		case key.Matches(msg, m.keys.Quit):
			return m.askQuit()
		case key.Matches(msg, m.keys.Help), key.Matches(msg, m.keys.Back):
			m.showHelp = false
		default:
			m.helpScroll.Update(msg)
		}
		return nil
	}
	active := m.pages[m.active]
	if active.Capturing() {
		return active.Update(msg)
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.askQuit()
	case key.Matches(msg, m.keys.Help):
		m.showHelp = true
		m.helpScroll = widget.NewScroll()
		m.fillHelp()
		return nil
	case key.Matches(msg, m.keys.Back):
		if c, ok := active.(page.Closer); ok && c.CloseView() {
			return nil
		}
		return m.back()
	case key.Matches(msg, m.keys.NextPage):
		return m.switchTo(m.step(1))
	case key.Matches(msg, m.keys.PrevPage):
		return m.switchTo(m.step(-1))
	}
	if id, ok := m.keys.page(msg); ok {
		if id == page.Detail && !m.jobOpen {
			m.report("no job open yet: press enter on a job first", true)
			return nil
		}
		return m.switchTo(id)
	}
	if m.setupActive() {
		return m.setupKey(msg)
	}
	return active.Update(msg)
}

// step returns the page n tabs away, skipping the detail page until a job
// has been opened.
func (m *Model) step(n int) page.ID {
	id := m.active
	for {
		id = page.ID((int(id) + n + page.Count) % page.Count)
		if id != page.Detail || m.jobOpen {
			return id
		}
	}
}

func (m *Model) switchTo(id page.ID) tea.Cmd {
	if id == m.active {
		return nil
	}
	m.navigate(id)
	return m.pages[id].Activate()
}

// navigate brings id to the front and remembers where we came from.
func (m *Model) navigate(id page.ID) {
	if id != m.active {
		m.history = append(m.history, m.active)
		if len(m.history) > maxHistory {
			m.history = slices.Delete(m.history, 0, len(m.history)-maxHistory)
		}
	}
	m.active, m.env.Active = id, id
}

func (m *Model) back() tea.Cmd {
	if len(m.history) == 0 {
		if m.active == page.Overview {
			return nil
		}
		m.history = append(m.history, page.Overview)
	}
	prev := m.history[len(m.history)-1]
	m.history = m.history[:len(m.history)-1]
	m.active, m.env.Active = prev, prev
	return m.pages[prev].Activate()
}

// Message line timing: a notice goes after noticeTTL or at the next key;
// an error stays until a key is pressed at least errorSeen after it was
// shown, so a key already on its way cannot hide it unread.
const (
	noticeTTL = 5 * time.Second
	errorSeen = 2 * time.Second
)

type clearNoticeMsg struct{ seq int }

// report shows a message on the message line; for a notice, it returns the
// command that clears it after noticeTTL.
func (m *Model) report(text string, isErr bool) tea.Cmd {
	m.messageSeq++
	m.message, m.messageErr, m.messageAt = text, isErr, m.env.Now
	if isErr {
		return nil
	}
	seq, clock, done := m.messageSeq, m.env.Clock, m.env.Ctx.Done()
	return func() tea.Msg {
		select {
		case <-clock.After(noticeTTL):
		case <-done:
		}
		return clearNoticeMsg{seq: seq}
	}
}

// seenMessage clears the message line at the operator's next action: a
// notice at once, an error once it has been on screen errorSeen.
func (m *Model) seenMessage() {
	if m.message == "" || (m.messageErr && m.env.Now.Sub(m.messageAt) < errorSeen) {
		return
	}
	m.message = ""
}

// resize gives every page the body area.
func (m *Model) resize() tea.Cmd {
	w, h := m.bodySize()
	m.help.SetWidth(m.width)
	for _, p := range m.pages {
		p.SetSize(w, h)
	}
	if m.showHelp {
		m.fillHelp()
	}
	return m.pages[m.active].Activate()
}

func (m *Model) bodySize() (int, int) {
	return max(1, m.width), max(1, m.height-chromeLines)
}

func (m *Model) refreshBudgets() {
	if m.opts.Budgets != nil {
		m.budgets = m.opts.Budgets()
	}
}
