// Package jobs is the console's job history: state tabs with counts, a
// filter by type, status or error text, newest- or oldest-first order, and
// keyset paging with a page size fitted to the terminal, so any number of
// jobs can be browsed without loading them all.
package jobs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"syncops/engine"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// tab is a state tab.
type tab struct {
	title    string
	statuses []engine.Status
}

// tabs in order; Running also shows jobs waiting for a worker.
var tabs = []tab{
	{title: "All"},
	{title: "Running", statuses: []engine.Status{engine.StatusPending, engine.StatusRunning}},
	{title: "Completed", statuses: []engine.Status{engine.StatusCompleted}},
	{title: "Failed", statuses: []engine.Status{engine.StatusFailed}},
	{title: "Cancelled", statuses: []engine.Status{engine.StatusCancelled}},
}

// chromeLines are the lines above the rows: tabs, info, header.
const chromeLines = 3

// Page is the job history page.
type Page struct {
	env   *page.Env
	keys  keyMap
	types []engine.KindInfo
	// columns fit the registered types' names.
	columns []widget.Column
	// shown are the columns as laid out: numbers widened to the page's
	// widest (fitNumbers).
	shown []widget.Column

	tab     int
	filter  string
	editing *widget.Input
	oldest  bool

	rows    []engine.Job
	pageIdx int
	// queued is the page moves asked for while a page was loading, taken
	// one after the other so fast paging loses no key.
	queued int
	counts map[engine.Status]int64
	loaded bool
	seen   map[engine.JobID]engine.Status // the active jobs' last status

	listSeq, countSeq     int
	listBusy, countBusy   bool
	listDir               int // the direction of the read in flight
	listStale, countStale bool
	width, height, cursor int
	pendingCursor         int // where the cursor goes when a page arrives
}

type keyMap struct {
	widget.ListKeys
	Filter, Sort, Copy key.Binding
	// Keys while the filter is open.
	Apply, Clear key.Binding
}

// New builds the job history page.
func New(env *page.Env) *Page {
	types := env.Engine.Types()
	labels := make([]string, len(types))
	for i, k := range types {
		labels[i] = k.Label
	}
	return &Page{env: env, types: types, columns: widget.WholeNames(columns, colType, keepWholeType, labels),
		counts: map[engine.Status]int64{},
		seen:   map[engine.JobID]engine.Status{}, keys: keyMap{
			ListKeys: widget.NewListKeys(),
			Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
			Sort:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "newest/oldest")),
			Copy:     key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy id")),
			Apply:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			Clear:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		}}
}

// Title implements page.Page.
func (p *Page) Title() string { return "Jobs" }

// ShortHelp implements help.KeyMap.
func (p *Page) ShortHelp() []key.Binding {
	if p.editing != nil {
		return []key.Binding{p.keys.Apply, p.keys.Clear}
	}
	return []key.Binding{p.keys.Open, p.keys.NextTab, p.keys.Filter, p.keys.NextPage, p.keys.Copy, p.keys.Sort}
}

// FullHelp implements help.KeyMap.
func (p *Page) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{p.keys.Up, p.keys.Down, p.keys.Open},
		{p.keys.NextTab, p.keys.PrevTab, p.keys.Filter, p.keys.Sort},
		{p.keys.NextPage, p.keys.PrevPage, p.keys.First, p.keys.Copy},
	}
}

// SetSize implements page.Page; a new page size reloads the current page.
func (p *Page) SetSize(width, height int) {
	resized := height != p.height
	p.width, p.height = width, height
	if resized && p.loaded {
		p.listStale = true
	}
	if p.editing != nil {
		p.editing.SetWidth(width)
	}
}

func (p *Page) pageSize() int { return max(1, p.height-chromeLines) }

// Capturing implements page.Page.
func (p *Page) Capturing() bool { return p.editing != nil }

// Activate implements page.Page.
func (p *Page) Activate() tea.Cmd {
	if !p.loaded {
		return tea.Batch(p.load(dirFirst), p.loadCounts())
	}
	p.listStale, p.countStale = true, true
	return p.refresh()
}

// Update implements page.Page.
func (p *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case listMsg:
		return p.listed(msg)
	case countsMsg:
		if msg.seq != p.countSeq {
			return nil
		}
		p.countBusy = false
		if msg.err != nil {
			return page.Fail("count jobs", msg.err)
		}
		p.counts = msg.counts
		return p.refresh()
	case page.JobsChangedMsg:
		p.observe(msg.Jobs)
		return p.refresh()
	case tea.KeyPressMsg:
		return p.key(msg)
	case page.ClickMsg:
		return p.click(msg)
	case page.WheelMsg:
		return p.move(msg.Delta)
	case tea.PasteMsg:
		if p.editing != nil && p.editing.Update(msg) {
			return p.applyFilter()
		}
	}
	return nil
}

// Pending implements page.Pender: a page of jobs is being read.
func (p *Page) Pending() bool { return p.listBusy }

// click selects the tab or the row under the pointer; a click on the
// selected row opens it.
func (p *Page) click(msg page.ClickMsg) tea.Cmd {
	switch {
	case p.editing != nil:
		return nil
	case msg.Y == 0:
		x := 0
		for i, t := range p.tabTexts() {
			w := lipgloss.Width(t) + 2 // brackets or padding
			if msg.X >= x && msg.X < x+w {
				if i == p.tab {
					return nil
				}
				p.tab = i
				return p.load(dirFirst)
			}
			x += w + 1
		}
		return nil
	case msg.Y >= chromeLines:
		row := msg.Y - chromeLines
		if row >= len(p.rows) {
			return nil
		}
		if row == p.cursor {
			return page.Open(p.rows[row].ID)
		}
		p.cursor = row
	}
	return nil
}

// move moves the cursor by delta rows, reading the next or previous page
// at an end of this one.
func (p *Page) move(delta int) tea.Cmd {
	switch {
	case delta < 0 && p.cursor > 0:
		p.cursor--
	case delta < 0 && p.pageIdx > 0:
		p.pendingCursor = -1
		return p.page(dirPrev)
	case delta > 0 && p.cursor < len(p.rows)-1:
		p.cursor++
	case delta > 0 && len(p.rows) == p.pageSize():
		return p.page(dirNext)
	}
	return nil
}

// page moves one page; while a page is loading the move is queued, so
// every key press counts.
func (p *Page) page(dir int) tea.Cmd {
	if p.listBusy && (p.listDir == dirNext || p.listDir == dirPrev) {
		if dir == dirNext {
			p.queued++
		} else {
			p.queued--
		}
		return nil
	}
	return p.load(dir)
}

// observe applies engine events: rows shown are updated in place; a new job
// or a status change makes the page or the counts stale.
func (p *Page) observe(jobs []engine.Job) {
	for _, j := range jobs {
		if old, ok := p.seen[j.ID]; !ok || old != j.Status {
			p.countStale = true
		}
		if p.listBusy {
			// The page in flight may predate this change.
			p.listStale = true
		}
		// A finished job's status changes no more: it is forgotten once its
		// end is counted (a repeated end only recounts), so the map holds
		// the active jobs, not every job the console has seen.
		if j.Status.Terminal() {
			delete(p.seen, j.ID)
		} else {
			p.seen[j.ID] = j.Status
		}
		i := slices.IndexFunc(p.rows, func(r engine.Job) bool { return r.ID == j.ID })
		switch {
		case i >= 0:
			p.rows[i] = j
		case p.pageIdx == 0 && !p.oldest && p.matches(j) && (len(p.rows) == 0 || j.ID > p.rows[0].ID):
			p.listStale = true
		}
	}
	p.fitNumbers()
}

// matches reports whether a job belongs on the current tab.
func (p *Page) matches(j engine.Job) bool {
	st := tabs[p.tab].statuses
	return len(st) == 0 || slices.Contains(st, j.Status)
}

// refresh reloads what is stale, one query of each kind at a time, and only
// while the page is in front.
func (p *Page) refresh() tea.Cmd {
	if p.env.Active != page.Jobs || !p.loaded {
		return nil
	}
	var cmds []tea.Cmd
	if p.listStale && !p.listBusy {
		cmds = append(cmds, p.load(dirReload))
	}
	if p.countStale && !p.countBusy {
		cmds = append(cmds, p.loadCounts())
	}
	return tea.Batch(cmds...)
}

func (p *Page) key(msg tea.KeyPressMsg) tea.Cmd {
	if p.editing != nil {
		return p.filterKey(msg)
	}
	switch {
	case key.Matches(msg, p.keys.Up):
		return p.move(-1)
	case key.Matches(msg, p.keys.Down):
		return p.move(1)
	case key.Matches(msg, p.keys.NextTab), key.Matches(msg, p.keys.PrevTab):
		step := 1
		if key.Matches(msg, p.keys.PrevTab) {
			step = len(tabs) - 1
		}
		p.tab = (p.tab + step) % len(tabs)
		return p.load(dirFirst)
	case key.Matches(msg, p.keys.NextPage):
		return p.page(dirNext)
	case key.Matches(msg, p.keys.PrevPage):
		if p.pageIdx > 0 || p.queued > 0 {
			return p.page(dirPrev)
		}
	case key.Matches(msg, p.keys.First):
		return p.load(dirFirst)
	case key.Matches(msg, p.keys.Sort):
		p.oldest = !p.oldest
		return p.load(dirFirst)
	case key.Matches(msg, p.keys.Open):
		if p.cursor < len(p.rows) {
			return page.Open(p.rows[p.cursor].ID)
		}
	case key.Matches(msg, p.keys.Copy):
		if p.cursor < len(p.rows) {
			id := fmt.Sprint(p.rows[p.cursor].ID)
			return page.Copy("job id "+id, id)
		}
	case key.Matches(msg, p.keys.Filter):
		in := &widget.Input{Prompt: "/ ", Placeholder: "#id, type, label, status or error text"}
		in.Focus()
		in.SetWidth(p.width)
		in.SetValue(p.filter)
		p.editing = in
	}
	return nil
}

// filterKey edits the filter, which applies as it is typed: enter keeps
// it and closes the field, esc clears it.
func (p *Page) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, p.keys.Clear):
		p.editing = nil
		if p.filter == "" {
			return nil
		}
		p.filter = ""
		return tea.Batch(p.load(dirFirst), p.loadCounts())
	case key.Matches(msg, p.keys.Apply):
		p.editing = nil
	case p.editing.Update(msg):
		return p.applyFilter()
	}
	return nil
}

// applyFilter lists what the filter being typed selects.
func (p *Page) applyFilter() tea.Cmd {
	f := strings.TrimSpace(p.editing.Value())
	if f == p.filter {
		return nil
	}
	p.filter = f
	return tea.Batch(p.load(dirFirst), p.loadCounts())
}

// listFilter turns the tab and filter into an engine filter, matching what
// the list shows: a job id as the list writes it ("#42") selects that job
// (bare digits are searched as text, such as an HTTP status); text found in
// type labels (as shown in the TYPE column) selects those types; anything
// else is searched in type, status and error text.
func (p *Page) listFilter() engine.ListFilter {
	f := engine.ListFilter{Statuses: tabs[p.tab].statuses, Limit: p.pageSize()}
	if p.filter == "" {
		return f
	}
	if digits, ok := strings.CutPrefix(p.filter, "#"); ok {
		if id, err := strconv.ParseInt(digits, 10, 64); err == nil && id > 0 {
			f.ID = id
			return f
		}
	}
	needle := strings.ToLower(p.filter)
	for _, k := range p.types {
		if strings.Contains(strings.ToLower(k.Label), needle) || strings.Contains(strings.ToLower(k.Type), needle) {
			f.Types = append(f.Types, k.Type)
		}
	}
	if len(f.Types) == 0 {
		f.Search = p.filter
	}
	return f
}
