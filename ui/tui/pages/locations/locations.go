// Package locations is the console's location page: Nhanh depots and
// Shopify locations side by side, and the mappings that send a depot's stock
// to a location. The operator maps and unmaps depots from here.
package locations

import (
	"context"
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	enginelocations "syncops/engine/locations"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// The page shows engine/locations' own view types.
type (
	Depot    = enginelocations.Depot
	Location = enginelocations.Location
	Mapping  = enginelocations.Mapping
	View     = enginelocations.View
)

// Source lists and edits location mappings.
type Source interface {
	List(ctx context.Context) (View, error)
	Set(ctx context.Context, depot enginelocations.DepotID, loc enginelocations.LocationID, actor engine.Actor) error
	Remove(ctx context.Context, depot enginelocations.DepotID, actor engine.Actor) error
}

// depotRow is a depot and where its stock goes.
type depotRow struct {
	Depot
	mapped  bool
	locID   enginelocations.LocationID
	locName string
}

// Page is the locations page.
type Page struct {
	env    *page.Env
	source Source // nil: unavailable
	keys   keyMap

	depots    []depotRow
	locations []Location
	loaded    bool
	seq       int

	width, height int
	cursor        int
	picking       bool // choosing a location for the selected depot
	locCursor     int
	confirm       *widget.Question
	busy          bool
}

type keyMap struct {
	Up, Down, Map, Unmap, Choose, Back key.Binding
}

// New builds the locations page; source may be nil.
func New(env *page.Env, source Source) *Page {
	return &Page{env: env, source: source, keys: keyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Map:    key.NewBinding(key.WithKeys("enter", "m"), key.WithHelp("enter/m", "map depot")),
		Unmap:  key.NewBinding(key.WithKeys("u", "x"), key.WithHelp("u", "unmap depot")),
		Choose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "map to this location")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "keep as is")),
	}}
}

// Title implements page.Page.
func (p *Page) Title() string { return "Locations" }

// ShortHelp implements help.KeyMap.
func (p *Page) ShortHelp() []key.Binding {
	if p.confirm != nil {
		return p.confirm.Keys()
	}
	if p.picking {
		return []key.Binding{p.keys.Choose, p.keys.Back}
	}
	return []key.Binding{p.keys.Map, p.keys.Unmap}
}

// FullHelp implements help.KeyMap.
func (p *Page) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.keys.Up, p.keys.Down}, {p.keys.Map, p.keys.Unmap}, {p.keys.Choose, p.keys.Back}}
}

// SetSize implements page.Page.
func (p *Page) SetSize(width, height int) { p.width, p.height = width, height }

// Pending implements page.Pender: locations are being read for the first
// time, or a change is being saved.
func (p *Page) Pending() bool { return p.source != nil && (!p.loaded || p.busy) }

// Capturing implements page.Page.
func (p *Page) Capturing() bool { return p.picking || p.confirm != nil }

type (
	loadedMsg struct {
		seq  int
		view View
		err  error
	}
	changedMsg struct {
		action string // what was tried, for an error
		done   string // what happened, for a notice
		err    error
	}
)

// Activate implements page.Page.
func (p *Page) Activate() tea.Cmd {
	if p.source == nil {
		return nil
	}
	p.seq++
	seq, env, src := p.seq, p.env, p.source
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		v, err := src.List(ctx)
		return loadedMsg{seq: seq, view: v, err: err}
	}
}

// Update implements page.Page.
func (p *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.seq != p.seq {
			return nil
		}
		if msg.err != nil {
			return page.Fail("load locations", msg.err)
		}
		p.apply(msg.view)
	case changedMsg:
		p.busy = false
		if msg.err != nil {
			return page.Fail(msg.action, msg.err)
		}
		return tea.Batch(page.Notify("%s", msg.done), p.Activate())
	case tea.KeyPressMsg:
		return p.key(msg)
	case page.ClickMsg:
		return p.click(msg)
	case page.WheelMsg:
		if p.busy || p.confirm != nil {
			return nil
		}
		if p.picking {
			p.locCursor = max(0, min(len(p.locations)-1, p.locCursor+msg.Delta))
		} else {
			p.cursor = max(0, min(len(p.depots)-1, p.cursor+msg.Delta))
		}
	}
	return nil
}

// click answers the unmap question, or selects the depot (or, while
// choosing, the location) under the pointer.
func (p *Page) click(msg page.ClickMsg) tea.Cmd {
	if p.busy || p.source == nil {
		return nil
	}
	if p.confirm != nil {
		settled, cmd := p.confirm.Click(p.env.Styles, msg.X, msg.Y, p.width, p.height)
		if settled {
			p.confirm = nil
		}
		return cmd
	}
	rows := max(1, p.height-3)
	line := msg.Y - 1 // under the header
	if line < 0 || line >= rows {
		return nil
	}
	if p.picking {
		if msg.X > p.width/2 {
			top := widget.Window(0, p.locCursor, rows, len(p.locations))
			if i := top + line; i < len(p.locations) {
				p.locCursor = i
			}
		}
		return nil
	}
	top := widget.Window(0, p.cursor, rows, len(p.depots))
	if i := top + line; i < len(p.depots) {
		p.cursor = i
	}
	return nil
}

// apply builds the depot rows: every known depot, plus depots only known
// from a saved mapping (when the Nhanh API is not configured).
func (p *Page) apply(v View) {
	byDepot := make(map[enginelocations.DepotID]Mapping, len(v.Mappings))
	for _, m := range v.Mappings {
		byDepot[m.DepotID] = m
	}
	rows := make([]depotRow, 0, len(v.Depots)+len(v.Mappings))
	seen := map[enginelocations.DepotID]bool{}
	for _, d := range v.Depots {
		r := depotRow{Depot: d}
		if m, ok := byDepot[d.ID]; ok {
			r.mapped, r.locID, r.locName = true, m.LocationID, m.LocationName
		}
		rows = append(rows, r)
		seen[d.ID] = true
	}
	for _, m := range v.Mappings {
		if !seen[m.DepotID] {
			rows = append(rows, depotRow{Depot: Depot{ID: m.DepotID, Name: m.DepotName}, mapped: true,
				locID: m.LocationID, locName: m.LocationName})
		}
	}
	p.depots, p.locations, p.loaded = rows, v.Locations, true
	p.cursor = min(p.cursor, max(0, len(rows)-1))
}

func (p *Page) key(msg tea.KeyPressMsg) tea.Cmd {
	if p.busy || p.source == nil {
		return nil
	}
	switch {
	case p.confirm != nil:
		settled, cmd := p.confirm.Key(msg)
		if settled {
			p.confirm = nil
		}
		return cmd
	case p.picking:
		return p.pickKey(msg)
	}
	if len(p.depots) == 0 {
		return nil
	}
	d := p.depots[p.cursor]
	switch {
	case key.Matches(msg, p.keys.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(msg, p.keys.Down):
		p.cursor = min(len(p.depots)-1, p.cursor+1)
	case key.Matches(msg, p.keys.Map):
		if cmd := p.env.Refuse("mapping depot " + fmt.Sprint(d.ID)); cmd != nil {
			return cmd
		}
		if len(p.locations) == 0 {
			return page.Fail("map depot", fmt.Errorf("no Shopify locations are known (is the Shopify API configured?)"))
		}
		p.picking, p.locCursor = true, 0
		for i, l := range p.locations {
			if l.ID == d.locID {
				p.locCursor = i
			}
		}
	case key.Matches(msg, p.keys.Unmap):
		if cmd := p.env.Refuse("unmapping depot " + fmt.Sprint(d.ID)); cmd != nil {
			return cmd
		}
		if !d.mapped {
			return page.Fail("unmap depot", fmt.Errorf("depot %d is not mapped", d.ID))
		}
		p.confirm = &widget.Question{Confirm: widget.Confirm{Title: fmt.Sprintf("Unmap depot %d?", d.ID),
			Body: fmt.Sprintf("%s will no longer feed %s.", d.Name, d.locName)},
			OnYes: func() tea.Cmd { return p.unmap(d.ID) }}
	}
	return nil
}

func (p *Page) pickKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, p.keys.Back):
		p.picking = false
	case key.Matches(msg, p.keys.Up):
		p.locCursor = max(0, p.locCursor-1)
	case key.Matches(msg, p.keys.Down):
		p.locCursor = min(len(p.locations)-1, p.locCursor+1)
	case key.Matches(msg, p.keys.Choose):
		p.picking, p.busy = false, true
		d, l := p.depots[p.cursor], p.locations[p.locCursor]
		env, src := p.env, p.source
		return func() tea.Msg {
			ctx, cancel := env.Call()
			defer cancel()
			err := src.Set(ctx, d.ID, l.ID, env.Actor)
			return changedMsg{action: fmt.Sprintf("map depot %d to %s", d.ID, l.Name),
				done: fmt.Sprintf("mapped depot %d (%s) to %s", d.ID, d.Name, l.Name), err: err}
		}
	}
	return nil
}

func (p *Page) unmap(id enginelocations.DepotID) tea.Cmd {
	p.busy = true
	env, src := p.env, p.source
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		err := src.Remove(ctx, id, env.Actor)
		return changedMsg{action: fmt.Sprintf("unmap depot %d", id), done: fmt.Sprintf("unmapped depot %d", id), err: err}
	}
}
