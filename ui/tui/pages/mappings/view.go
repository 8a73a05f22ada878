package mappings

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"syncops/engine"
	"syncops/ui/tui/format"
	"syncops/ui/tui/widget"
)

const (
	colNhanh = iota
	colContact
	colShopify
	colState
	colMethod
	colValue
	colWritten
	colWhen
)

var columns = []widget.Column{
	colNhanh:   {Title: "NHANH", Width: 18, Flex: true, Keep: 100},
	colContact: {Title: "CONTACT", Width: 16, Keep: 40},
	colShopify: {Title: "SHOPIFY", Width: 16, Flex: true, Keep: 90},
	colState:   {Title: "STATE", Width: 16, Keep: 95},
	colMethod:  {Title: "MATCHED", Width: 7, Keep: 50},
	colValue:   {Title: "NHANH VALUE", Width: 11, Right: true, Keep: 80},
	colWritten: {Title: "WRITTEN", Width: 11, Right: true, Keep: 60},
	colWhen:    {Title: "WHEN", Width: 8, Right: true, Keep: 30},
}

// tabTitles are the state tabs' names, in engine.MappingTabs' order.
var tabTitles = map[engine.MappingTab]string{
	engine.TabAll: "All", engine.TabPending: "Pending", engine.TabSynced: "Synced", engine.TabFailed: "Failed",
	engine.TabManual: "Manual", engine.TabOrphaned: "Orphaned", engine.TabUnmatched: "Unmatched Nhanh",
	engine.TabUnmatchedShopify: "Unmatched Shopify",
}

func (p *Page) tabCount(t engine.MappingTab) int64 {
	c := p.counts
	switch t {
	case engine.TabPending:
		return c.Pending
	case engine.TabSynced:
		return c.Synced
	case engine.TabFailed:
		return c.Failed
	case engine.TabManual:
		return c.Manual
	case engine.TabOrphaned:
		return c.Orphaned
	case engine.TabUnmatched:
		return c.UnmatchedNhanh
	case engine.TabUnmatchedShopify:
		return c.UnmatchedShopify
	}
	return c.Mappings
}

// View implements page.Page.
func (p *Page) View() string {
	var body string
	if p.detail != nil {
		body = p.detailView()
	} else {
		body = p.listView()
	}
	if p.confirm != nil {
		return widget.Overlay(body, p.confirm.View(p.env.Styles, p.width), p.width, p.height)
	}
	return body
}

func (p *Page) listView() string {
	s := p.env.Styles
	var b strings.Builder
	title := map[engine.MappingKind]string{engine.MappingCustomers: "Customer mappings", engine.MappingProducts: "Product mappings"}[p.kind]
	c := p.counts
	b.WriteString(ansi.Truncate(widget.Join(" · ", s.Title.Render(title),
		fmt.Sprintf("%s mapped", format.Count(c.Mappings)),
		fmt.Sprintf("unmatched %s Nhanh, %s Shopify", format.Count(c.UnmatchedNhanh), format.Count(c.UnmatchedShopify)),
		s.Muted.Render("t: "+kindWord(otherKind(p.kind))+"s")), p.width, "…"))
	b.WriteString("\n" + p.tabsLine() + "\n")
	if p.search.Editing != nil {
		b.WriteString(p.search.Editing.View(s, p.width))
	} else {
		b.WriteString(ansi.Truncate(s.Muted.Render(p.infoLine()), p.width, "…"))
	}
	b.WriteString("\n")
	layout := widget.Fit(columns, p.width)
	b.WriteString(layout.Header(s))
	switch {
	case p.err != nil:
		b.WriteString("\n" + s.Error.Render(ansi.Truncate("cannot read the mappings: "+p.err.Error(), p.width, "…")))
	case !p.loaded:
		b.WriteString("\n" + s.Muted.Render(p.env.Loading("loading mappings…")))
	case len(p.rows) == 0:
		b.WriteString("\n" + s.Muted.Render("  "+p.emptyText()))
	}
	cells := make([]string, len(columns))
	shown := p.rows[:min(len(p.rows), p.pageSize())] // a page read before a resize
	for i, r := range shown {
		p.cells(cells, r)
		b.WriteString("\n" + layout.Row(cells, i == p.cursor, s))
	}
	for range p.pageSize() - max(1, len(shown)) {
		b.WriteString("\n")
	}
	if p.cursor < len(p.rows) {
		b.WriteString("\n" + ansi.Truncate(p.footText(p.rows[p.cursor]), p.width, "…"))
	}
	return widget.Fill(b.String(), p.width, p.height)
}

// tabsLine shows every state tab with its count; when they do not fit,
// the tabs other than the selected one lose their counts.
func (p *Page) tabsLine() string {
	s := p.env.Styles
	render := func(counts bool) string {
		parts := make([]string, len(engine.MappingTabs))
		for i, t := range engine.MappingTabs {
			text := tabTitles[t]
			if counts || i == p.tab {
				text += " " + format.Count(p.tabCount(t))
			}
			if i == p.tab {
				parts[i] = s.TabActive.Render("[" + text + "]")
			} else {
				parts[i] = s.TabInactive.Render(" " + text + " ")
			}
		}
		return strings.Join(parts, "")
	}
	line := render(true)
	if ansi.StringWidth(line) > p.width {
		line = render(false)
	}
	return ansi.Truncate(line, p.width, "…")
}

func (p *Page) infoLine() string {
	rows := "no rows"
	if n := len(p.rows); n > 0 {
		rows = fmt.Sprintf("page %d · %d rows", p.pageIdx+1, n)
	}
	matches := ""
	if p.search.Text != "" {
		matches = fmt.Sprintf("%s matches", format.Count(p.matches))
		if p.capped {
			matches = "at least " + matches
		}
	}
	more := ""
	if p.next != "" {
		more = "n: next page"
	}
	loading := ""
	if p.listBusy {
		loading = p.env.Loading("loading…")
	}
	return widget.Join(" · ", p.search.Status(), matches, rows, more, loading)
}

func (p *Page) emptyText() string {
	switch {
	case p.search.Text != "":
		return "nothing matches the search"
	case p.currentTab() == engine.TabUnmatched:
		return "every Nhanh record is mapped"
	case p.currentTab() == engine.TabUnmatchedShopify:
		return "every Shopify record is a mapping's target"
	}
	return "no mappings here: pull both sides and run the automatic match"
}

func (p *Page) cells(cells []string, r engine.MappingRow) {
	s := p.env.Styles
	cells[colNhanh] = sideText(r.Nhanh, false)
	cells[colContact] = r.Nhanh.Contact
	if r.Nhanh.ID == "" {
		cells[colContact] = r.Shopify.Contact
	}
	cells[colShopify] = sideText(r.Shopify, true)
	cells[colState] = p.stateText(r)
	cells[colMethod] = r.MatchMethod
	cells[colValue] = number(r.Nhanh.Value)
	cells[colWritten], cells[colWhen] = "–", ""
	if r.LastSyncedValue != nil {
		cells[colWritten] = number(*r.LastSyncedValue)
	}
	if r.LastSyncedAt != nil {
		cells[colWhen] = format.Ago(p.env.Now, *r.LastSyncedAt)
	}
	if r.Manual {
		cells[colMethod] = s.Notice.Render("manual")
	}
}

// sideText is one side of a row: its id (a Shopify GID shortened) and
// name, marked when the record is deleted or not in the mirror.
func sideText(sd engine.MappingSide, shopify bool) string {
	if sd.ID == "" {
		return "–"
	}
	id := sd.ID
	if shopify {
		id = format.ShortGID(id)
	}
	text := widget.Join(" ", id, sd.Name)
	switch {
	case sd.Deleted:
		text += " (deleted)"
	case !sd.Known:
		text += " (not pulled)"
	}
	return text
}

// stateText is a mapping's status, or why a record has none.
func (p *Page) stateText(r engine.MappingRow) string {
	s := p.env.Styles
	switch {
	case r.MappingID == 0 && r.Reason != nil:
		return s.Warning.Render(r.Reason.Code)
	case r.MappingID == 0:
		return s.Muted.Render("unmatched")
	case r.Nhanh.Deleted || r.Shopify.Deleted:
		return s.Error.Render("orphaned")
	}
	switch r.Status {
	case "SYNCED":
		return s.Success.Render(r.Status)
	case "FAILED":
		return s.Error.Render(r.Status)
	}
	return r.Status
}

// footText says, for the selected row, why it was not matched or its last
// error.
func (p *Page) footText(r engine.MappingRow) string {
	s := p.env.Styles
	switch {
	case r.Reason != nil:
		return s.Warning.Render("why not matched: ") + r.Reason.Message
	case r.LastError != "":
		return s.Error.Render("last error: ") + firstLine(r.LastError)
	case r.MappingID != 0:
		return s.Muted.Render(fmt.Sprintf("mapping #%d · enter: detail, sync now, remap or unmap", r.MappingID))
	}
	return s.Muted.Render("enter: detail")
}

// number shows an integer value with thousands separators, and other text
// as it is.
func number(v string) string {
	if v == "" {
		return "–"
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return format.Count(n)
	}
	return v
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// detailView renders the open detail: both sides, why it was not matched
// and the records it can be mapped to, the sync log, failed items and jobs.
func (p *Page) detailView() string {
	s := p.env.Styles
	v := p.detail
	switch {
	case v.err != nil:
		return widget.Fill(s.Error.Render(widget.Wrap("cannot read it: "+v.err.Error(), p.width))+"\n\n"+
			s.Muted.Render("esc: back to the list"), p.width, p.height)
	case !v.loaded:
		return widget.Fill(s.Muted.Render(p.env.Loading("loading…")), p.width, p.height)
	}
	r := v.d.Row
	var b strings.Builder
	head := fmt.Sprintf("Nhanh %s %s", kindWord(v.kind), r.Nhanh.ID)
	if r.MappingID != 0 {
		head = fmt.Sprintf("%s mapping #%d", format.Title(kindWord(v.kind)), r.MappingID)
	}
	state := p.stateText(r)
	if r.Manual {
		state += " · " + s.Notice.Render("manual")
	} else if r.MatchMethod != "" {
		state += " · matched by " + r.MatchMethod
	}
	b.WriteString(ansi.Truncate(widget.Join(" · ", s.Title.Render(head), state), p.width, "…") + "\n\n")

	half := max(10, (p.width-11)/2)
	side := func(label, nhanh, shopify string) {
		b.WriteString(fmt.Sprintf("%-10s %s %s\n", label, widget.Cell(nhanh, half, false), widget.Cell(shopify, half, false)))
	}
	side("", s.Title.Render(widget.Cell("Nhanh", half, false)), s.Title.Render("Shopify"))
	side("id", r.Nhanh.ID, r.Shopify.ID)
	side("name", r.Nhanh.Name, r.Shopify.Name)
	side("contact", r.Nhanh.Contact, r.Shopify.Contact)
	written := "nothing written yet"
	if r.LastSyncedValue != nil {
		written = "written " + number(*r.LastSyncedValue)
		if r.LastSyncedAt != nil {
			written += " · " + format.Ago(p.env.Now, *r.LastSyncedAt)
		}
	}
	side("value", number(r.Nhanh.Value), written)
	if r.LastError != "" {
		b.WriteString(ansi.Truncate(s.Error.Render("last error: ")+firstLine(r.LastError), p.width, "…") + "\n")
	}

	short := p.height < 30
	limit := func(n int) int {
		if short {
			return min(n, 3)
		}
		return min(n, 6)
	}
	if r.Reason != nil {
		b.WriteString("\n" + ansi.Truncate(s.Warning.Render("Why not matched: ")+r.Reason.Code+": "+r.Reason.Message, p.width, "…") + "\n")
	}
	b.WriteString("\n" + p.targetsText(limit(pickLimit)))
	if r.MappingID != 0 {
		b.WriteString("\n" + s.Title.Render("Sync log") + "\n")
	}
	if r.MappingID != 0 && len(v.d.SyncLog) == 0 {
		b.WriteString(s.Muted.Render("  no writes yet") + "\n")
	}
	for _, l := range v.d.SyncLog[:limit(len(v.d.SyncLog))] {
		old := "–"
		if l.OldValue != nil {
			old = number(*l.OldValue)
		}
		b.WriteString(ansi.Truncate(fmt.Sprintf("  %s  job #%d  %s -> %s  %s %s", format.Short(l.At, p.env.Location), l.JobID,
			old, number(l.NewValue), l.Status, firstLine(l.Message)), p.width, "…") + "\n")
	}
	if len(v.d.Failures) > 0 {
		b.WriteString(s.Title.Render("Failed items") + "\n")
		for _, f := range v.d.Failures[:limit(len(v.d.Failures))] {
			b.WriteString(ansi.Truncate(fmt.Sprintf("  job #%d %s  %s", f.JobID, f.JobType, firstLine(f.Message)), p.width, "…") + "\n")
		}
	}
	if len(v.d.Jobs) > 0 {
		jobs := make([]string, 0, len(v.d.Jobs))
		for _, j := range v.d.Jobs[:limit(len(v.d.Jobs))] {
			jobs = append(jobs, fmt.Sprintf("#%d %s %s", j.ID, j.Type, j.Status))
		}
		b.WriteString(ansi.Truncate(s.Title.Render("Jobs")+"  "+strings.Join(jobs, " · "), p.width, "…") + "\n")
	}
	return widget.Fill(b.String(), p.width, p.height)
}

// targetsText lists the records enter maps to, the selected one marked.
func (p *Page) targetsText(n int) string {
	s := p.env.Styles
	v := p.detail
	var b strings.Builder
	verb := "Map to"
	if v.mappingID != 0 {
		verb = "Remap to"
	}
	if v.pick.Editing != nil {
		b.WriteString(v.pick.Editing.View(s, p.width) + "\n")
	} else {
		from := "candidates"
		if v.pick.Text != "" {
			from = "free Shopify records matching " + strconv.Quote(v.pick.Text)
		}
		b.WriteString(ansi.Truncate(s.Title.Render(verb)+s.Muted.Render(" ("+from+"; / searches the Shopify side)"), p.width, "…") + "\n")
	}
	if len(v.targets) == 0 {
		none := "  no candidates"
		if v.pick.Text != "" {
			none = "  no free Shopify record matches"
		}
		return b.String() + s.Muted.Render(none) + "\n"
	}
	top := widget.Window(0, v.cursor, n, len(v.targets))
	for i := top; i < min(len(v.targets), top+n); i++ {
		t := v.targets[i]
		marker := "  "
		if i == v.cursor {
			marker = "▸ "
		}
		state := "free"
		switch {
		case t.MappedTo != 0:
			state = fmt.Sprintf("mapped by #%d", t.MappedTo)
		case !t.Known:
			state = "not in the mirror"
		}
		line := ansi.Truncate(marker+widget.Join("  ", format.ShortGID(t.ID), t.Name, t.Contact, s.Muted.Render(state)), p.width, "…")
		if i == v.cursor {
			line = s.Selected.Render(line)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
