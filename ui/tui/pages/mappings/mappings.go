// Package mappings is the console's mapping workbench (issue 12): the
// customer and product mappings with their counts, state tabs, `/` search
// by phone (any written form), e-mail, name, SKU, barcode or id, and keyset
// paging; a detail view of one mapping or one unmatched record (both sides,
// why it was not matched and its candidates, the sync log, its failed items
// and the jobs that touched it); and the actions that settle what automatic
// matching left: map by hand, remap, unmap, clean up orphans, sync now.
// Viewers see everything and change nothing (the engine refuses them too).
// The CLI twins are `syncops mappings`, `mapping`, `map`, `remap`, `unmap`,
// `clean-orphans` and `sync-now`.
package mappings

import (
	"context"
	"fmt"
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// Page is the mappings page.
type Page struct {
	env  *page.Env
	keys keyMap

	kind   engine.MappingKind
	tab    int // index into engine.MappingTabs
	search widget.Search

	rows    []engine.MappingRow
	matches int64
	capped  bool
	next    string
	// starts[i] is the After that reads page i; pageIdx is the page shown.
	starts  []string
	pageIdx int
	cursor  int
	counts  engine.MappingCounts
	err     error
	loaded  bool

	listSeq, countSeq int
	// detailSeq and pickSeq number the detail's reads across detail views,
	// so a late answer for a detail closed since is never taken.
	detailSeq, pickSeq int
	listBusy           bool
	// stale: the page's height changed; the list is read again, fitted to
	// it, on the next tick.
	stale bool

	// detail is the open detail view, nil on the list.
	detail *detailView
	// confirm is an open question about an action.
	confirm *widget.Question

	width, height int
}

type keyMap struct {
	widget.ListKeys
	Search, Kind, Clean, Reload key.Binding
	// Keys of the detail view; Close is for help only (esc reaches the
	// page through CloseView).
	Map, Remap, Unmap, SyncNow, Pick, OpenJob, Close key.Binding
	// Keys while a search field is open.
	Apply, Clear key.Binding
}

// New builds the mappings page, showing customers first.
func New(env *page.Env) *Page {
	return &Page{env: env, kind: engine.MappingCustomers, keys: keyMap{
		ListKeys: widget.NewListKeys(),
		Search:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		Kind:     key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "customers/products")),
		Clean:    key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "clean up orphans")),
		Reload:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload")),
		Map:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "map to selected")),
		Remap:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "remap to selected")),
		Unmap:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "unmap")),
		SyncNow:  key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sync now")),
		Pick:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search Shopify side")),
		OpenJob:  key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open last job")),
		Close:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to list")),
		Apply:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep search")),
		Clear:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear search")),
	}}
}

// Title implements page.Page.
func (p *Page) Title() string { return "Mappings" }

// ShortHelp implements help.KeyMap.
func (p *Page) ShortHelp() []key.Binding {
	switch {
	case p.confirm != nil:
		return p.confirm.Keys()
	case p.search.Editing != nil, p.detail != nil && p.detail.pick.Editing != nil:
		return []key.Binding{p.keys.Apply, p.keys.Clear}
	case p.detail != nil:
		return p.detail.keys(p.keys)
	}
	return []key.Binding{p.keys.Open, p.keys.NextTab, p.keys.Search, p.keys.Kind, p.keys.NextPage, p.keys.Clean}
}

// FullHelp implements help.KeyMap.
func (p *Page) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{p.keys.Up, p.keys.Down, p.keys.Open, p.keys.Kind},
		{p.keys.NextTab, p.keys.PrevTab, p.keys.Search, p.keys.Reload},
		{p.keys.NextPage, p.keys.PrevPage, p.keys.First, p.keys.Clean},
		{p.keys.Map, p.keys.Pick, p.keys.Unmap, p.keys.SyncNow, p.keys.OpenJob, p.keys.Close},
	}
}

// SetSize implements page.Page; after a new height the list is read
// again from its first page, fitted to it.
func (p *Page) SetSize(width, height int) {
	resized := height != p.height
	p.width, p.height = width, height
	p.search.SetWidth(width)
	if p.detail != nil {
		p.detail.pick.SetWidth(width)
	}
	if resized && p.loaded {
		p.stale = true
	}
}

// Capturing implements page.Page: a search field and a question take
// every key.
func (p *Page) Capturing() bool {
	return p.confirm != nil || p.search.Editing != nil || (p.detail != nil && p.detail.pick.Editing != nil)
}

// CloseView implements page.Closer: esc on a detail goes back to the list.
func (p *Page) CloseView() bool {
	open := p.detail != nil
	p.detail = nil
	return open
}

// Pending implements page.Pender.
func (p *Page) Pending() bool { return p.listBusy || (p.detail != nil && p.detail.busy) }

// chromeLines are the lines above the rows: counts, tabs, search line,
// header.
const chromeLines = 4

func (p *Page) pageSize() int { return max(1, p.height-chromeLines-footLines) }

// footLines are the lines below the rows: the selected row's last error or
// reason.
const footLines = 2

func (p *Page) currentTab() engine.MappingTab { return engine.MappingTabs[p.tab] }

type listMsg struct {
	seq  int
	idx  int
	page engine.MappingPage
	err  error
	// starts read the page (PageStarts).
	starts []string
}

type countsMsg struct {
	seq    int
	counts engine.MappingCounts
	err    error
}

// Activate implements page.Page: counts, the current page and an open
// detail are read again.
func (p *Page) Activate() tea.Cmd {
	cmds := []tea.Cmd{p.loadCounts(), p.loadPage(p.pageIdx)}
	if p.detail != nil {
		cmds = append(cmds, p.loadDetail())
	}
	return tea.Batch(cmds...)
}

func (p *Page) loadCounts() tea.Cmd {
	p.countSeq++
	seq, kind := p.countSeq, p.kind
	return page.Ask(p.env, func(ctx context.Context) (engine.MappingCounts, error) {
		return p.env.Engine.MappingCounts(ctx, kind)
	}, func(c engine.MappingCounts, err error) tea.Msg { return countsMsg{seq: seq, counts: c, err: err} })
}

// loadPage reads page idx of the list as it is selected now (idx one past
// the pages read is the next page).
func (p *Page) loadPage(idx int) tea.Cmd {
	idx, starts := widget.PageStarts(p.starts, idx, func() (string, bool) { return p.next, p.next != "" })
	p.listSeq++
	p.listBusy = true
	seq := p.listSeq
	q := engine.MappingQuery{Kind: p.kind, Tab: p.currentTab(), Search: p.search.Text, After: starts[idx], Limit: p.pageSize()}
	return page.Ask(p.env, func(ctx context.Context) (engine.MappingPage, error) {
		return p.env.Engine.Mappings(ctx, q)
	}, func(pg engine.MappingPage, err error) tea.Msg {
		return listMsg{seq: seq, idx: idx, page: pg, err: err, starts: starts}
	})
}

// reload reads the counts and the list from its first page, after a change
// of kind or an action.
func (p *Page) reload() tea.Cmd { return tea.Batch(p.loadCounts(), p.firstPage()) }

// firstPage reads the list from its first page, after a change of tab or
// search or of the page's height (the counts stay as they are: they count
// every tab of the kind, searched or not).
func (p *Page) firstPage() tea.Cmd {
	p.starts, p.pageIdx, p.cursor = nil, 0, 0
	return p.loadPage(0)
}

// Update implements page.Page.
func (p *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case listMsg:
		if msg.seq != p.listSeq {
			return nil // superseded by a newer read
		}
		p.listBusy, p.loaded, p.err = false, true, msg.err
		if msg.err == nil {
			p.rows, p.matches, p.capped, p.next = msg.page.Rows, msg.page.Matches, msg.page.Capped, msg.page.Next
			p.starts, p.pageIdx = msg.starts, msg.idx
			p.cursor = max(0, min(p.cursor, len(p.rows)-1))
		}
	case countsMsg:
		if msg.seq == p.countSeq && msg.err == nil {
			p.counts = msg.counts
		}
	case detailMsg, pickMsg, actedMsg:
		return p.detailUpdate(msg)
	case page.TickMsg:
		if p.stale && p.env.Active == page.Mappings {
			p.stale = false
			return p.firstPage()
		}
	case page.ClickMsg:
		if p.confirm != nil {
			settled, cmd := p.confirm.Click(p.env.Styles, msg.X, msg.Y, p.width, p.height)
			if settled {
				p.confirm = nil
			}
			return cmd
		}
		if i := msg.Y - chromeLines; p.detail == nil && i >= 0 && i < len(p.rows) {
			p.cursor = i
		}
	case tea.KeyPressMsg:
		return p.key(msg)
	}
	return nil
}

// OpenRecord shows the detail of a Nhanh record's mapping, or of the record
// alone (page.OpenRecordMsg).
func (p *Page) OpenRecord(kind engine.MappingKind, nhanhID int64) tea.Cmd {
	p.confirm = nil
	if kind != p.kind {
		p.kind, p.tab, p.search, p.counts = kind, 0, widget.Search{}, engine.MappingCounts{}
		p.starts, p.pageIdx, p.cursor, p.rows, p.loaded = nil, 0, 0, nil, false
	}
	p.detail = nil
	return tea.Batch(p.Activate(), p.openDetail(0, nhanhID))
}

func (p *Page) key(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case p.confirm != nil:
		settled, cmd := p.confirm.Key(msg)
		if settled {
			p.confirm = nil
		}
		return cmd
	case p.detail != nil:
		return p.detailKey(msg)
	case p.search.Editing != nil:
		if p.search.Update(msg, p.keys.Apply, p.keys.Clear) {
			return p.firstPage()
		}
		return nil
	}
	switch {
	case key.Matches(msg, p.keys.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(msg, p.keys.Down):
		p.cursor = max(0, min(len(p.rows)-1, p.cursor+1))
	case key.Matches(msg, p.keys.NextTab):
		p.tab = (p.tab + 1) % len(engine.MappingTabs)
		return p.firstPage()
	case key.Matches(msg, p.keys.PrevTab):
		p.tab = (p.tab + len(engine.MappingTabs) - 1) % len(engine.MappingTabs)
		return p.firstPage()
	case key.Matches(msg, p.keys.NextPage):
		if p.next != "" && !p.listBusy {
			p.cursor = 0
			return p.loadPage(p.pageIdx + 1)
		}
	case key.Matches(msg, p.keys.PrevPage):
		if p.pageIdx > 0 && !p.listBusy {
			p.cursor = 0
			return p.loadPage(p.pageIdx - 1)
		}
	case key.Matches(msg, p.keys.First):
		p.cursor = 0
		return p.loadPage(0)
	case key.Matches(msg, p.keys.Search):
		p.search.Open(searchPlaceholder(p.kind), p.width)
	case key.Matches(msg, p.keys.Kind):
		p.kind = otherKind(p.kind)
		p.search, p.counts = widget.Search{}, engine.MappingCounts{}
		return p.reload()
	case key.Matches(msg, p.keys.Reload):
		return tea.Batch(p.loadCounts(), p.loadPage(p.pageIdx))
	case key.Matches(msg, p.keys.Clean):
		return p.askClean()
	case key.Matches(msg, p.keys.Open):
		if p.cursor < len(p.rows) {
			r := p.rows[p.cursor]
			id, _ := strconv.ParseInt(r.Nhanh.ID, 10, 64)
			return p.openDetail(r.MappingID, id)
		}
	}
	return nil
}

func otherKind(k engine.MappingKind) engine.MappingKind {
	if k == engine.MappingCustomers {
		return engine.MappingProducts
	}
	return engine.MappingCustomers
}

func searchPlaceholder(k engine.MappingKind) string {
	if k == engine.MappingProducts {
		return "SKU, barcode, name or id"
	}
	return "phone, e-mail, name or id"
}

// kindWord is the kind as the page's text says it.
func kindWord(k engine.MappingKind) string {
	if k == engine.MappingProducts {
		return "product"
	}
	return "customer"
}

// askClean asks before deleting every orphaned mapping of the kind.
func (p *Page) askClean() tea.Cmd {
	what := fmt.Sprintf("clean up orphaned %s mappings", kindWord(p.kind))
	if cmd := p.env.Refuse(what); cmd != nil {
		return cmd
	}
	if p.counts.Orphaned == 0 {
		return page.Notify("no orphaned %s mappings to clean up", kindWord(p.kind))
	}
	kind := p.kind
	p.confirm = &widget.Question{Confirm: widget.Confirm{Title: fmt.Sprintf("Delete %d orphaned %s mappings?", p.counts.Orphaned, kindWord(kind)),
		Body: "Each has a side deleted at its source, so every sync fails it. Their records stay in the mirrors and can be matched again.",
		Yes:  "delete them"}}
	p.confirm.OnYes = func() tea.Cmd {
		return page.Ask(p.env, func(ctx context.Context) ([]int64, error) {
			return p.env.Engine.CleanOrphans(ctx, kind, p.env.Actor)
		}, func(ids []int64, err error) tea.Msg {
			return actedMsg{action: what, err: err, notice: fmt.Sprintf("deleted %d orphaned %s mappings", len(ids), kindWord(kind))}
		})
	}
	return nil
}
