package jobdetail

import (
	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// failures is the job's failed items as one page of a keyset listing by
// item id. askedAt is the job's failed count: an item is stored before the
// count that includes it, so a list asked for at count N holds at least N
// items' worth, and the list is read again whenever the known count moves
// past askedAt, whichever way the page learnt it (an event, or a job read
// that saw the count before the event for it arrived).
type failures struct {
	listing[int64]
	items []engine.FailedItem
	total int64
}

type failuresMsg struct {
	seq, pageIdx int
	starts       []int64
	items        []engine.FailedItem
	total        int64
	err          error
}

// failureChrome is the lines of the failures section above its rows: the
// search line and the header.
const failureChrome = 2

func (p *Page) failurePageSize() int {
	return max(1, p.sectionHeight()-failureChrome)
}

// loadFailures reads page idx of the failed items (idx may be one past the
// pages read so far: the next page).
func (p *Page) loadFailures(idx int) tea.Cmd {
	f := &p.fail
	// The next page starts after the last item shown.
	seq, idx, starts := f.ask(idx, p.job.Failed, func() (int64, bool) {
		if len(f.items) == 0 {
			return 0, false
		}
		return f.items[len(f.items)-1].ID, true
	})
	filter := engine.FailureFilter{JobID: int64(p.id), Search: f.search.Text, AfterID: starts[idx], Limit: p.failurePageSize()}
	env := p.env
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		items, total, err := env.Engine.Failures(ctx, filter)
		return failuresMsg{seq: seq, pageIdx: idx, starts: starts[:idx+1], items: items, total: total, err: err}
	}
}

func (p *Page) failuresLoaded(msg failuresMsg) tea.Cmd {
	f := &p.fail
	if !f.answered(msg.seq) {
		return nil
	}
	if msg.err != nil {
		return page.Fail("load failed items", msg.err)
	}
	if len(msg.items) == 0 && msg.pageIdx > 0 {
		// The page emptied (a search narrowed, or items were retried
		// away): show the first page instead.
		f.starts = []int64{0}
		return p.loadFailures(0)
	}
	f.items, f.total = msg.items, msg.total
	f.show(msg.pageIdx, msg.starts, len(f.items))
	return p.refresh()
}

func (p *Page) failuresKey(msg tea.KeyPressMsg) tea.Cmd {
	f := &p.fail
	switch msg.String() {
	case "up", "k":
		f.cursor = max(0, f.cursor-1)
	case "down", "j":
		f.cursor = min(max(0, len(f.items)-1), f.cursor+1)
	case "n", "pgdown":
		if int64((f.pageIdx+1)*p.failurePageSize()) < f.total {
			f.cursor = 0
			return p.loadFailures(f.pageIdx + 1)
		}
	case "p", "pgup":
		if f.pageIdx > 0 {
			f.cursor = 0
			return p.loadFailures(f.pageIdx - 1)
		}
	case "enter":
		p.openItem()
	case "m":
		if f.cursor < len(f.items) {
			return p.openRecord(f.items[f.cursor].ItemKey)
		}
	case "y":
		if f.cursor < len(f.items) {
			it := f.items[f.cursor]
			return page.Copy("the error of "+it.ItemKey, it.Message)
		}
	case "/":
		f.search.Open("item key, message or error class", p.width)
	}
	return nil
}

// openItem shows the selected failed item over the list.
func (p *Page) openItem() {
	f := &p.fail
	if f.cursor >= len(f.items) {
		return
	}
	it := f.items[f.cursor]
	p.item = &it
	p.itemScroll = widget.NewScroll()
	p.fillItem()
}

// searchKey edits the failed items' search (a key or a paste) and lists
// what the search in force selects.
func (p *Page) searchKey(msg tea.Msg) tea.Cmd {
	f := &p.fail
	if !f.search.Update(msg, p.keys.Apply, p.keys.Clear) {
		return nil
	}
	f.searched()
	return p.loadFailures(0)
}
