package jobs

import (
	"context"
	"slices"

	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/page"
)

// Paging directions.
const (
	dirFirst = iota
	dirNext
	dirPrev
	dirReload
)

type (
	listMsg struct {
		seq, dir, pageIdx int
		rows              []engine.Job
		end               bool // no page in that direction
		err               error
	}
	countsMsg struct {
		seq    int
		counts map[engine.Status]int64
		err    error
	}
)

// pager is one keyset page request, captured so the query runs off the
// event loop.
type pager struct {
	f           engine.ListFilter
	oldest      bool
	dir         int
	pageIdx     int
	first, last engine.JobID // ids of the rows shown now (0 when none)
}

func (p *Page) load(dir int) tea.Cmd {
	p.listSeq++
	p.listBusy, p.listStale, p.listDir = true, false, dir
	if dir != dirNext && dir != dirPrev {
		p.queued = 0 // a new listing: moves asked for on the old one are void
	}
	req := pager{f: p.listFilter(), oldest: p.oldest, dir: dir, pageIdx: p.pageIdx}
	if n := len(p.rows); n > 0 {
		req.first, req.last = p.rows[0].ID, p.rows[n-1].ID
	}
	seq, env := p.listSeq, p.env
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		rows, idx, end, err := req.fetch(ctx, env.Engine)
		return listMsg{seq: seq, dir: dir, pageIdx: idx, rows: rows, end: end, err: err}
	}
}

// fetch reads the requested page by id (keyset), never by offset, so any
// page of any history costs the same.
func (r pager) fetch(ctx context.Context, e *engine.Engine) ([]engine.Job, int, bool, error) {
	f := r.f
	f.Oldest = r.oldest
	first := func() ([]engine.Job, int, bool, error) {
		rows, err := e.List(ctx, f)
		return rows, 0, false, err
	}
	if r.first == 0 || r.dir == dirFirst {
		return first()
	}
	switch r.dir {
	case dirNext:
		if r.oldest {
			f.AfterID = int64(r.last)
		} else {
			f.BeforeID = int64(r.last)
		}
		rows, err := e.List(ctx, f)
		if err != nil || len(rows) == 0 {
			return nil, r.pageIdx, true, err
		}
		return rows, r.pageIdx + 1, false, nil
	case dirPrev:
		// Read the other way from the first row shown, then turn it round.
		if r.oldest {
			f.Oldest, f.BeforeID = false, int64(r.first)
		} else {
			f.Oldest, f.AfterID = true, int64(r.first)
		}
		rows, err := e.List(ctx, f)
		if err != nil {
			return nil, r.pageIdx, false, err
		}
		if len(rows) < f.Limit || r.pageIdx <= 1 {
			f = r.f
			f.Oldest = r.oldest
			return first()
		}
		slices.Reverse(rows)
		return rows, r.pageIdx - 1, false, nil
	default: // dirReload: the same page, from its first row
		if r.pageIdx == 0 {
			return first()
		}
		if r.oldest {
			f.AfterID = int64(r.first) - 1
		} else {
			f.BeforeID = int64(r.first) + 1
		}
		rows, err := e.List(ctx, f)
		if err != nil || len(rows) > 0 {
			return rows, r.pageIdx, false, err
		}
		f = r.f
		f.Oldest = r.oldest
		return first()
	}
}

func (p *Page) listed(msg listMsg) tea.Cmd {
	if msg.seq != p.listSeq {
		return nil
	}
	p.listBusy = false
	switch {
	case msg.err != nil:
		p.queued = 0
		return page.Fail("list jobs", msg.err)
	case msg.end:
		p.queued = 0
		return page.Notify("no more jobs that way")
	}
	var keepID engine.JobID
	if p.cursor < len(p.rows) {
		keepID = p.rows[p.cursor].ID
	}
	p.rows, p.pageIdx, p.loaded = msg.rows, msg.pageIdx, true
	p.fitNumbers()
	for _, j := range p.rows {
		if _, ok := p.seen[j.ID]; !ok {
			p.seen[j.ID] = j.Status
		}
	}
	switch {
	case msg.dir == dirPrev && p.pendingCursor < 0:
		p.cursor = len(p.rows) - 1
	case msg.dir != dirReload:
		p.cursor = 0
	default:
		// New jobs may have pushed the selected one down: follow it.
		if i := slices.IndexFunc(p.rows, func(j engine.Job) bool { return j.ID == keepID }); i >= 0 {
			p.cursor = i
		}
	}
	p.pendingCursor = 0
	p.cursor = max(0, min(p.cursor, len(p.rows)-1))
	switch {
	case p.queued > 0:
		p.queued--
		return p.load(dirNext)
	case p.queued < 0 && p.pageIdx > 0:
		p.queued++
		return p.load(dirPrev)
	}
	p.queued = 0
	return p.refresh()
}

func (p *Page) loadCounts() tea.Cmd {
	p.countSeq++
	p.countBusy, p.countStale = true, false
	seq, env, f := p.countSeq, p.env, p.listFilter()
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		counts, err := env.Engine.CountByStatus(ctx, f)
		return countsMsg{seq: seq, counts: counts, err: err}
	}
}
