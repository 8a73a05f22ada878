package mappings

import (
	"context"
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// detailView is one mapping, or one Nhanh record without a mapping, with
// the Shopify records it can be mapped to: the reason's candidates, or
// what a search of the Shopify side's free records found.
type detailView struct {
	kind      engine.MappingKind
	mappingID int64 // 0: a record without a mapping
	nhanhID   int64

	d      engine.MappingDetail
	loaded bool
	err    error
	busy   bool

	// targets are the records enter maps to; cursor selects one.
	targets []engine.Candidate
	cursor  int
	// pick searches the Shopify side's records no mapping targets; while
	// its text is set, targets are what it found.
	pick widget.Search
	// seq and pickSeq are the page's numbers of the reads in flight.
	seq, pickSeq int
}

// pickLimit bounds the records a search of the Shopify side lists.
const pickLimit = 8

type detailMsg struct {
	seq    int
	detail engine.MappingDetail
	err    error
}

type pickMsg struct {
	seq  int
	page engine.MappingPage
	err  error
}

// actedMsg is the outcome of an action: a notice or an error, and what to
// show next (the mapping made, a started job, or the list).
type actedMsg struct {
	action, notice string
	err            error
	mappingID      int64        // reopen the detail on this mapping
	job            engine.JobID // open this job
	closeDetail    bool
}

// keys are the detail view's keys for the foot line.
func (v *detailView) keys(k keyMap) []key.Binding {
	var out []key.Binding
	if len(v.targets) > 0 {
		if v.mappingID == 0 {
			out = append(out, k.Map)
		} else {
			out = append(out, k.Remap)
		}
	}
	out = append(out, k.Pick)
	if v.mappingID != 0 {
		out = append(out, k.SyncNow, k.Unmap)
	}
	if v.loaded && len(v.d.Jobs) > 0 {
		out = append(out, k.OpenJob)
	}
	return out
}

// openDetail opens the detail of mapping id, or of Nhanh record nhanhID
// when id is 0.
func (p *Page) openDetail(id, nhanhID int64) tea.Cmd {
	v := &detailView{kind: p.kind, mappingID: id, nhanhID: nhanhID}
	p.detail = v
	return p.loadDetail()
}

func (p *Page) loadDetail() tea.Cmd {
	v := p.detail
	p.detailSeq++
	v.seq, v.busy = p.detailSeq, true
	seq, kind, id, nhanhID := v.seq, v.kind, v.mappingID, v.nhanhID
	return page.Ask(p.env, func(ctx context.Context) (engine.MappingDetail, error) {
		if id != 0 {
			return p.env.Engine.MappingDetail(ctx, kind, id)
		}
		return p.env.Engine.RecordDetail(ctx, kind, nhanhID)
	}, func(d engine.MappingDetail, err error) tea.Msg { return detailMsg{seq: seq, detail: d, err: err} })
}

func (p *Page) loadPick() tea.Cmd {
	v := p.detail
	p.pickSeq++
	v.pickSeq = p.pickSeq
	seq := v.pickSeq
	q := engine.MappingQuery{Kind: v.kind, Tab: engine.TabUnmatchedShopify, Search: v.pick.Text, Limit: pickLimit}
	return page.Ask(p.env, func(ctx context.Context) (engine.MappingPage, error) {
		return p.env.Engine.Mappings(ctx, q)
	}, func(pg engine.MappingPage, err error) tea.Msg { return pickMsg{seq: seq, page: pg, err: err} })
}

// detailUpdate takes the detail view's and the actions' messages.
func (p *Page) detailUpdate(msg tea.Msg) tea.Cmd {
	v := p.detail
	switch msg := msg.(type) {
	case detailMsg:
		if v == nil || msg.seq != v.seq {
			return nil
		}
		v.busy, v.loaded, v.err = false, true, msg.err
		if msg.err == nil {
			v.d = msg.detail
			v.mappingID = msg.detail.Row.MappingID
			if v.pick.Text == "" {
				v.targets, v.cursor = msg.detail.Candidates, 0
			}
		}
	case pickMsg:
		if v == nil || msg.seq != v.pickSeq {
			return nil
		}
		if msg.err != nil {
			return page.Fail("search the Shopify side", msg.err)
		}
		v.targets, v.cursor = nil, 0
		for _, r := range msg.page.Rows {
			v.targets = append(v.targets, engine.Candidate{ID: r.Shopify.ID, Name: r.Shopify.Name,
				Contact: r.Shopify.Contact, Known: r.Shopify.Known})
		}
	case actedMsg:
		if msg.err != nil {
			return page.Fail(msg.action, msg.err)
		}
		cmds := []tea.Cmd{p.reload()}
		if msg.notice != "" {
			cmds = append(cmds, page.Notify("%s", msg.notice))
		}
		switch {
		case msg.job != 0:
			cmds = append(cmds, page.Open(msg.job))
			if v != nil {
				cmds = append(cmds, p.loadDetail())
			}
		case msg.closeDetail:
			p.detail = nil
		case msg.mappingID != 0 && v != nil:
			v.mappingID, v.pick = msg.mappingID, widget.Search{}
			cmds = append(cmds, p.loadDetail())
		}
		return tea.Batch(cmds...)
	}
	return nil
}

func (p *Page) detailKey(msg tea.KeyPressMsg) tea.Cmd {
	v := p.detail
	if v.pick.Editing != nil {
		if v.pick.Update(msg, p.keys.Apply, p.keys.Clear) {
			if v.pick.Text == "" {
				v.targets, v.cursor = v.d.Candidates, 0
				return nil
			}
			return p.loadPick()
		}
		return nil
	}
	// esc never comes here: the console closes the detail with it
	// (CloseView) before going back a page.
	switch {
	case key.Matches(msg, p.keys.Up):
		v.cursor = max(0, v.cursor-1)
	case key.Matches(msg, p.keys.Down):
		v.cursor = max(0, min(len(v.targets)-1, v.cursor+1))
	case key.Matches(msg, p.keys.Pick):
		v.pick.Open("the Shopify side's free records: "+searchPlaceholder(v.kind), p.width)
	case key.Matches(msg, p.keys.Map):
		return p.askMap()
	case key.Matches(msg, p.keys.Unmap):
		return p.askUnmap()
	case key.Matches(msg, p.keys.SyncNow):
		return p.syncNow()
	case key.Matches(msg, p.keys.OpenJob):
		if v.loaded && len(v.d.Jobs) > 0 {
			return page.Open(v.d.Jobs[0].ID)
		}
	}
	return nil
}

// askMap asks before mapping the record to the selected target (or
// remapping the mapping to it).
func (p *Page) askMap() tea.Cmd {
	v := p.detail
	if !v.loaded || v.err != nil || v.cursor >= len(v.targets) {
		return nil
	}
	t := v.targets[v.cursor]
	kind, id, nhanhID, word := v.kind, v.mappingID, v.nhanhID, kindWord(v.kind)
	if id == 0 {
		what := fmt.Sprintf("map %s %d", word, nhanhID)
		if cmd := p.env.Refuse(what); cmd != nil {
			return cmd
		}
		p.confirm = &widget.Question{Confirm: widget.Confirm{Title: fmt.Sprintf("Map Nhanh %s %d to %s?", word, nhanhID, t.ID),
			Body: "A manual mapping: automatic matching never replaces or removes it. The next sync writes its value.",
			Yes:  "map it"}}
		p.confirm.OnYes = func() tea.Cmd {
			return page.Ask(p.env, func(ctx context.Context) (int64, error) {
				return p.env.Engine.MapByHand(ctx, kind, nhanhID, t.ID, p.env.Actor)
			}, func(mid int64, err error) tea.Msg {
				return actedMsg{action: what, err: err, mappingID: mid,
					notice: fmt.Sprintf("mapped Nhanh %s %d to %s as mapping #%d", word, nhanhID, t.ID, mid)}
			})
		}
		return nil
	}
	what := fmt.Sprintf("remap %s mapping #%d", word, id)
	if cmd := p.env.Refuse(what); cmd != nil {
		return cmd
	}
	p.confirm = &widget.Question{Confirm: widget.Confirm{Title: fmt.Sprintf("Remap mapping #%d to %s?", id, t.ID),
		Body: fmt.Sprintf("It now targets %s. It becomes manual and PENDING, and the next sync writes to the new target.",
			v.d.Row.Shopify.ID),
		Yes: "remap it"}}
	p.confirm.OnYes = func() tea.Cmd {
		return page.Ask(p.env, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, p.env.Engine.Remap(ctx, kind, id, t.ID, p.env.Actor)
		}, func(_ struct{}, err error) tea.Msg {
			return actedMsg{action: what, err: err, mappingID: id, notice: fmt.Sprintf("remapped mapping #%d to %s", id, t.ID)}
		})
	}
	return nil
}

// askUnmap asks before deleting the mapping.
func (p *Page) askUnmap() tea.Cmd {
	v := p.detail
	if v.mappingID == 0 {
		return nil
	}
	kind, id, word := v.kind, v.mappingID, kindWord(v.kind)
	what := fmt.Sprintf("unmap %s mapping #%d", word, id)
	if cmd := p.env.Refuse(what); cmd != nil {
		return cmd
	}
	p.confirm = &widget.Question{Confirm: widget.Confirm{Title: fmt.Sprintf("Delete mapping #%d?", id),
		Body: fmt.Sprintf("Nhanh %s %s and %s are no longer linked; nothing is written to Shopify. "+
			"Automatic matching may link them again unless one is mapped by hand elsewhere.", word, v.d.Row.Nhanh.ID, v.d.Row.Shopify.ID),
		Yes: "delete it"}}
	p.confirm.OnYes = func() tea.Cmd {
		return page.Ask(p.env, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, p.env.Engine.Unmap(ctx, kind, id, p.env.Actor)
		}, func(_ struct{}, err error) tea.Msg {
			return actedMsg{action: what, err: err, closeDetail: true, notice: fmt.Sprintf("deleted mapping #%d", id)}
		})
	}
	return nil
}

// syncNow starts a tracked sync of the mapping and opens its job.
func (p *Page) syncNow() tea.Cmd {
	v := p.detail
	if v.mappingID == 0 {
		return nil
	}
	kind, id := v.kind, v.mappingID
	what := fmt.Sprintf("sync %s mapping #%d now", kindWord(kind), id)
	if cmd := p.env.Refuse(what); cmd != nil {
		return cmd
	}
	return page.Ask(p.env, func(ctx context.Context) (engine.JobID, error) {
		return p.env.Engine.SyncNow(ctx, kind, id, p.env.Actor)
	}, func(job engine.JobID, err error) tea.Msg {
		return actedMsg{action: what, err: err, job: job, notice: fmt.Sprintf("started job #%d for mapping #%d", job, id)}
	})
}
