// Package jobdetail is the console's job page: one job's parameters,
// metadata, timeline of attempts, live counters and progress, and its failed
// items (paged and searchable, each openable with its message, error class,
// request and attempts). From here the operator cancels the job, retries its
// failed items, or force-restarts it with the same parameters.
package jobdetail

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/action"
	"syncops/ui/tui/format"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// noRetryHint is what fits a failed item of a kind that cannot retry
// items: matching failures (no candidate, or several) need a person.
const noRetryHint = "map the right record by hand, or start the job again once the data is fixed"

// section is the lower part of the page.
type section int

const (
	sectionInfo section = iota
	sectionFailures
	// sectionDiff is a sync preview's diff; only previews have it.
	sectionDiff
)

// Page is the job detail page.
type Page struct {
	env   *page.Env
	keys  keyMap
	kinds map[string]engine.KindInfo

	id       engine.JobID
	job      engine.Job
	loaded   bool
	attempts []engine.Attempt
	jobSeq   int
	jobBusy  bool
	jobStale bool

	section section
	// info scrolls the parameters, metadata, timeline and error; its
	// content is rebuilt in Update whenever the job changes.
	info Scroll
	fail failures
	diff diffLines

	width, height int

	confirm *widget.Question
	item    *engine.FailedItem
	// itemScroll scrolls the open failed item's message and request.
	itemScroll Scroll
}

// Scroll is the widget the page scrolls long text with.
type Scroll = widget.Scroll

type keyMap struct {
	Up, Down, Section, NextPage, PrevPage, Search, Open, Cancel, Retry, Force, Copy, Diff, MapByHand key.Binding
	// Keys of an open failed item, and of the search field.
	CopyError, CopyRequest, Close, Apply, Clear key.Binding
}

// New builds the job detail page.
func New(env *page.Env) *Page {
	kinds := map[string]engine.KindInfo{}
	for _, k := range env.Engine.Types() {
		kinds[k.Type] = k
	}
	return &Page{env: env, kinds: kinds, keys: keyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Section:     key.NewBinding(key.WithKeys("left", "right", "h", "l"), key.WithHelp("←/→", "info/failed items")),
		NextPage:    key.NewBinding(key.WithKeys("n", "pgdown"), key.WithHelp("n/pgdn", "next page")),
		PrevPage:    key.NewBinding(key.WithKeys("p", "pgup"), key.WithHelp("p/pgup", "previous page")),
		Search:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search items")),
		Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open item")),
		Cancel:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cancel")),
		Retry:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry failed")),
		Force:       key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "force restart")),
		Copy:        key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy id")),
		Diff:        key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "diff")),
		MapByHand:   key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "map by hand")),
		CopyError:   key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy error")),
		CopyRequest: key.NewBinding(key.WithKeys("Y"), key.WithHelp("Y", "copy request")),
		Close:       key.NewBinding(key.WithKeys("esc", "enter", "q"), key.WithHelp("esc", "close")),
		Apply:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep search")),
		Clear:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear search")),
	}, info: widget.NewScroll(), itemScroll: widget.NewScroll()}
}

// Title implements page.Page.
func (p *Page) Title() string {
	if p.id == 0 {
		return "Job"
	}
	return fmt.Sprintf("Job #%d", p.id)
}

// ShortHelp implements help.KeyMap: only the keys that apply to this job.
func (p *Page) ShortHelp() []key.Binding {
	k := p.applicableKeys()
	switch {
	case p.confirm != nil:
		return p.confirm.Keys()
	case p.item != nil:
		return []key.Binding{k.Close, k.MapByHand, k.CopyError, k.CopyRequest, widget.ScrollKeys.Down}
	case p.fail.search.Editing != nil, p.diff.search.Editing != nil:
		return []key.Binding{k.Apply, k.Clear}
	case p.section == sectionDiff:
		k.Copy.SetHelp("y", "copy line")
		k.Search.SetHelp("/", "search lines")
		return []key.Binding{k.Section, k.Search, k.NextPage, k.Copy}
	case p.section == sectionFailures:
		k.Copy.SetHelp("y", "copy error")
		return []key.Binding{k.Section, k.Open, k.MapByHand, k.Search, k.NextPage, k.Copy, k.Retry}
	}
	return []key.Binding{k.Section, k.Diff, k.Cancel, k.Retry, k.Force, k.Copy, widget.ScrollKeys.Down}
}

// FullHelp implements help.KeyMap.
func (p *Page) FullHelp() [][]key.Binding {
	k := p.applicableKeys()
	return [][]key.Binding{
		{k.Up, k.Down, widget.ScrollKeys.PageDown, widget.ScrollKeys.PageUp, widget.ScrollKeys.Top, widget.ScrollKeys.Bottom},
		{k.Section, k.Open, k.MapByHand, k.Search, k.NextPage, k.PrevPage},
		{k.Diff, k.Cancel, k.Retry, k.Force, k.Copy, k.CopyRequest},
	}
}

// applicableKeys is the key map with the keys that cannot apply to this
// job disabled (help hides them): cancel on a finished job, retry on a job
// still running, without failed items, or of a kind that cannot retry
// single items (a matching job's failures need a person, not a retry).
func (p *Page) applicableKeys() keyMap {
	k := p.keys
	if !p.loaded {
		return k
	}
	k.Cancel.SetEnabled(!p.job.Status.Terminal())
	k.Retry.SetEnabled(p.canRetryItems() && p.job.Status.Terminal() && p.job.Failed > 0)
	k.Diff.SetEnabled(p.isPreview())
	_, matching := p.matchKind()
	k.MapByHand.SetEnabled(matching && p.job.Failed > 0)
	if p.isPreview() {
		k.Section.SetHelp("←/→", "info/failed/diff")
	}
	return k
}

// canRetryItems reports whether the job's kind can retry single items.
func (p *Page) canRetryItems() bool { return p.kinds[p.job.Type].RetryItems }

// SetSize implements page.Page.
func (p *Page) SetSize(width, height int) {
	resized := height != p.height
	p.width, p.height = width, height
	if resized && p.fail.loaded {
		p.fail.stale = true
	}
	p.fail.search.SetWidth(width)
	p.diff.search.SetWidth(width)
	p.info.SetSize(width, p.sectionHeight())
	p.fillInfo()
	if p.item != nil {
		p.fillItem()
	}
}

// Pending implements page.Pender: the job or its failed items are being
// read for the first time.
func (p *Page) Pending() bool {
	return p.id != 0 && (!p.loaded || (p.section == sectionFailures && !p.fail.loaded) ||
		(p.section == sectionDiff && !p.diff.loaded))
}

// Capturing implements page.Page.
func (p *Page) Capturing() bool {
	return p.confirm != nil || p.item != nil || p.fail.search.Editing != nil || p.diff.search.Editing != nil
}

type jobMsg struct {
	seq      int
	job      engine.Job
	attempts []engine.Attempt
	err      error
}

// Open shows job id and returns the commands that load it.
func (p *Page) Open(id engine.JobID) tea.Cmd {
	if id != p.id {
		// The read numbers move on from the last ones: an answer to a read
		// for the job shown before, landing late, must not pass for one of
		// this job's (a section this job has not read yet included).
		jobSeq, failSeq, diffSeq := p.jobSeq, p.fail.seq, p.diff.seq
		*p = Page{env: p.env, keys: p.keys, kinds: p.kinds, width: p.width, height: p.height, id: id,
			info: widget.NewScroll(), itemScroll: widget.NewScroll()}
		p.jobSeq, p.fail.seq, p.diff.seq = jobSeq+1, failSeq+1, diffSeq+1
		p.info.SetSize(p.width, p.sectionHeight())
	}
	return p.Activate()
}

// Activate implements page.Page.
func (p *Page) Activate() tea.Cmd {
	if p.id == 0 {
		return nil
	}
	return tea.Batch(p.loadJob(), p.loadFailures(p.fail.pageIdx))
}

func (p *Page) loadJob() tea.Cmd {
	p.jobSeq++
	p.jobBusy, p.jobStale = true, false
	seq, env, id := p.jobSeq, p.env, p.id
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		j, err := env.Engine.Get(ctx, id)
		if err != nil {
			return jobMsg{seq: seq, err: err}
		}
		attempts, err := env.Engine.Attempts(ctx, id)
		return jobMsg{seq: seq, job: j, attempts: attempts, err: err}
	}
}

// Update implements page.Page.
func (p *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case jobMsg:
		if msg.seq != p.jobSeq {
			return nil
		}
		p.jobBusy = false
		if msg.err != nil {
			return page.Fail(fmt.Sprintf("load job #%d", p.id), msg.err)
		}
		p.job, p.attempts, p.loaded = msg.job, msg.attempts, true
		p.failedCountSeen()
		p.processedSeen()
		p.fillInfo()
		return p.refresh()
	case failuresMsg:
		return p.failuresLoaded(msg)
	case diffMsg:
		return p.diffLoaded(msg)
	case page.JobsChangedMsg:
		for _, j := range msg.Jobs {
			if j.ID != p.id {
				continue
			}
			if !p.loaded || p.jobBusy {
				// A load in flight may have read the job before this
				// change: read it again once it lands (and the failed
				// items with it if this change moved their count).
				p.jobStale = true
				if j.Failed != p.fail.askedAt {
					p.fail.stale = true
				}
				continue
			}
			// Any change may come with a change to the attempts (the worker
			// records an attempt's outcome after the job's), so the timeline
			// is read again; reads are one at a time, so a busy job costs at
			// most one small query per flush.
			p.jobStale = true
			p.job = j
			p.failedCountSeen()
			p.processedSeen()
			p.fillInfo()
		}
		return p.refresh()
	case page.TickMsg:
		p.fillInfo() // "running for 3m" moves on
	case tea.BackgroundColorMsg:
		p.fillInfo()
	case tea.KeyPressMsg:
		return p.key(msg)
	case page.ClickMsg:
		return p.click(msg)
	case page.WheelMsg:
		switch {
		case p.item != nil:
			p.itemScroll.Wheel(msg.Delta)
		case p.section == sectionInfo:
			p.info.Wheel(msg.Delta)
		case p.section == sectionDiff:
			p.diff.cursor = max(0, min(len(p.diff.page.Items)-1, p.diff.cursor+msg.Delta))
		default:
			p.fail.cursor = max(0, min(len(p.fail.items)-1, p.fail.cursor+msg.Delta))
		}
	case tea.PasteMsg:
		if p.fail.search.Editing != nil {
			return p.searchKey(msg)
		}
		if p.diff.search.Editing != nil {
			return p.diffSearchKey(msg)
		}
	}
	return nil
}

// click answers a dialog's button, switches the section from its tab, or
// selects (then opens) a failed item.
func (p *Page) click(msg page.ClickMsg) tea.Cmd {
	switch {
	case p.confirm != nil:
		settled, cmd := p.confirm.Click(p.env.Styles, msg.X, msg.Y, p.width, p.height)
		if settled {
			p.confirm = nil
		}
		return cmd
	case p.item != nil, p.fail.search.Editing != nil, p.diff.search.Editing != nil, !p.loaded:
		return nil
	case msg.Y == headerLines-1:
		if want := p.sectionAt(msg.X); want == sectionDiff {
			return p.showDiff()
		} else if want != p.section {
			p.section = want
		}
		return nil
	case p.section == sectionDiff && msg.Y >= headerLines+diffChrome:
		if row := msg.Y - headerLines - diffChrome; row < len(p.diff.page.Items) {
			p.diff.cursor = row
		}
	case p.section == sectionFailures && msg.Y >= headerLines+failureChrome:
		row := msg.Y - headerLines - failureChrome
		if row >= len(p.fail.items) {
			return nil
		}
		if row == p.fail.cursor {
			p.openItem()
			return nil
		}
		p.fail.cursor = row
	}
	return nil
}

// failedCountSeen marks the failed items stale when the job's failed count
// is not the one the list was asked for at.
func (p *Page) failedCountSeen() {
	if p.job.Failed != p.fail.askedAt {
		p.fail.stale = true
	}
}

// refresh reloads what engine events made stale, one query of each kind at
// a time, while the page is in front.
func (p *Page) refresh() tea.Cmd {
	if p.env.Active != page.Detail {
		return nil
	}
	var cmds []tea.Cmd
	if p.jobStale && !p.jobBusy {
		cmds = append(cmds, p.loadJob())
	}
	if p.fail.stale && !p.fail.busy {
		cmds = append(cmds, p.loadFailures(p.fail.pageIdx))
	}
	if p.diff.stale && !p.diff.busy && p.section == sectionDiff {
		cmds = append(cmds, p.loadDiff(p.diff.pageIdx))
	}
	return tea.Batch(cmds...)
}

func (p *Page) key(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case p.item != nil:
		return p.itemKey(msg)
	case p.confirm != nil:
		settled, cmd := p.confirm.Key(msg)
		if settled {
			p.confirm = nil
		}
		return cmd
	case p.fail.search.Editing != nil:
		return p.searchKey(msg)
	case p.diff.search.Editing != nil:
		return p.diffSearchKey(msg)
	}
	switch {
	case key.Matches(msg, p.keys.Section):
		return p.switchSection(msg.String() == "right" || msg.String() == "l")
	case key.Matches(msg, p.keys.Diff):
		return p.showDiff()
	case key.Matches(msg, p.keys.Cancel):
		return p.askCancel()
	case key.Matches(msg, p.keys.Retry):
		if cmd := p.env.Refuse(fmt.Sprintf("retrying job #%d", p.id)); cmd != nil {
			return cmd
		}
		if p.loaded && !p.canRetryItems() {
			return page.Fail(fmt.Sprintf("retry job #%d", p.id), fmt.Errorf("%s cannot retry single items: %s",
				p.label(p.job.Type), p.handWork()))
		}
		return action.Retry(p.env, p.id)
	case key.Matches(msg, p.keys.Force):
		return p.askRestart()
	}
	if p.section == sectionInfo {
		if key.Matches(msg, p.keys.Copy) {
			id := fmt.Sprint(p.id)
			return page.Copy("job id "+id, id)
		}
		p.info.Update(msg)
		return nil
	}
	if p.section == sectionDiff {
		return p.diffKey(msg)
	}
	return p.failuresKey(msg)
}

// switchSection moves to the next (or previous) section, in tab order;
// only a preview has the diff.
func (p *Page) switchSection(next bool) tea.Cmd {
	n := section(2)
	if p.isPreview() {
		n = 3
	}
	step := n - 1
	if next {
		step = 1
	}
	if to := (p.section + step) % n; to == sectionDiff {
		return p.showDiff()
	} else {
		p.section = to
	}
	return nil
}

// itemKey scrolls, copies from or closes the open failed item.
func (p *Page) itemKey(msg tea.KeyPressMsg) tea.Cmd {
	it := p.item
	switch {
	case key.Matches(msg, p.keys.Close):
		p.item = nil
	case key.Matches(msg, p.keys.MapByHand):
		return p.openRecord(it.ItemKey)
	case key.Matches(msg, p.keys.CopyError):
		return page.Copy("the error of "+it.ItemKey, it.Message)
	case key.Matches(msg, p.keys.CopyRequest):
		if it.Request == "" {
			return page.Fail("copy request", fmt.Errorf("the request of %s was not recorded", it.ItemKey))
		}
		return page.Copy("the request of "+it.ItemKey, it.Request)
	default:
		p.itemScroll.Update(msg)
	}
	return nil
}

func (p *Page) askCancel() tea.Cmd {
	if cmd := p.env.Refuse(fmt.Sprintf("cancelling job #%d", p.id)); cmd != nil {
		return cmd
	}
	if !p.loaded {
		return nil
	}
	if p.job.Status.Terminal() {
		return page.Fail(fmt.Sprintf("cancel job #%d", p.id),
			fmt.Errorf("it is already %s", format.Title(string(p.job.Status))))
	}
	j := p.job
	p.confirm = &widget.Question{Confirm: widget.Confirm{Title: fmt.Sprintf("Cancel job #%d?", j.ID),
		Body: fmt.Sprintf("%s is %s (%s processed). Its work so far is kept.",
			p.label(j.Type), format.Title(string(j.Status)), widget.DoneText(j))},
		OnYes: func() tea.Cmd { return action.Cancel(p.env, j.ID) }}
	return nil
}

func (p *Page) askRestart() tea.Cmd {
	if cmd := p.env.Refuse(fmt.Sprintf("restarting job #%d", p.id)); cmd != nil {
		return cmd
	}
	if !p.loaded {
		return nil
	}
	j := p.job
	params, err := p.env.Engine.DecodeParams(j.Type, j.Params)
	if err != nil {
		return page.Fail(fmt.Sprintf("restarting job #%d", p.id), err)
	}
	body := fmt.Sprintf("Start %s again with %s as a new job. %s", p.label(j.Type), engine.FormatParams(params),
		p.restartEffect(params))
	if !j.Status.Terminal() {
		body += fmt.Sprintf(" Job #%d is still %s and will be cancelled first.", j.ID, format.Title(string(j.Status)))
	}
	if j.RetryOf != 0 {
		body += " This starts a full run, not a retry of failed items."
	}
	p.confirm = &widget.Question{Confirm: widget.Confirm{Title: fmt.Sprintf("Force restart job #%d?", j.ID), Body: body},
		OnYes: func() tea.Cmd { return action.Restart(p.env, j) }}
	return nil
}

// restartEffect says whether a restarted job resumes or starts over: a
// pull (a kind with a "restart" parameter) resumes from where its stream
// stopped unless that parameter is set.
func (p *Page) restartEffect(params engine.Params) string {
	for _, ps := range p.kinds[p.job.Type].Params {
		if ps.Name != restartParam || ps.Kind != engine.ParamBool {
			continue
		}
		if params[restartParam] == "true" {
			return "It starts over from the first page (restart is set)."
		}
		return "It resumes from where this pull stopped; to start over, start it from the overview with restart set."
	}
	return "It starts over from the beginning."
}

// restartParam is the parameter that makes a pull start over.
const restartParam = "restart"

func (p *Page) label(t string) string {
	if k, ok := p.kinds[t]; ok {
		return k.Label
	}
	return t
}
