package jobs

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"syncops/engine"
	"syncops/ui/tui/format"
	"syncops/ui/tui/widget"
)

const (
	colID = iota
	colType
	colStatus
	colDone
	colFailed
	colCreated
	colTook
	colBy
	colError
)

var columns = []widget.Column{
	colID:      {Title: "ID", Width: 7, Right: true, Keep: 100},
	colType:    {Title: "TYPE", Width: 15, Keep: 95},
	colStatus:  {Title: "STATUS", Width: widget.BadgeWidth, Keep: 90},
	colDone:    {Title: "DONE", Width: 11, Right: true, Keep: 70},
	colFailed:  {Title: "FAILED", Width: 6, Right: true, Keep: 60},
	colCreated: {Title: "CREATED", Width: 14, Keep: 50},
	colTook:    {Title: "TOOK", Width: 7, Right: true, Keep: 40},
	colBy:      {Title: "BY", Width: 14, Keep: 10},
	colError:   {Title: "ERROR", Width: 12, Flex: true, Keep: 20},
}

// keepWholeType ranks whole type names below the created time but above
// the duration, requester and error, which the job page shows in full.
const keepWholeType = 45

// View implements page.Page.
func (p *Page) View() string {
	s := p.env.Styles
	var b strings.Builder
	b.WriteString(p.tabsLine())
	b.WriteString("\n")
	if p.editing != nil {
		b.WriteString(p.editing.View(s, p.width))
	} else {
		b.WriteString(p.infoLine())
	}
	b.WriteString("\n")
	cols := p.shown
	if cols == nil {
		cols = p.columns
	}
	layout := widget.Fit(cols, p.width)
	b.WriteString(layout.Header(s))
	if p.loaded && len(p.rows) == 0 {
		b.WriteString("\n" + s.Muted.Render("  no jobs"))
	}
	cells := make([]string, len(p.columns))
	for i, j := range p.rows {
		p.cells(cells, j)
		b.WriteString("\n" + layout.Row(cells, i == p.cursor, s))
	}
	return widget.Fill(b.String(), p.width, p.height)
}

func (p *Page) tabsLine() string {
	s := p.env.Styles
	parts := p.tabTexts()
	for i, text := range parts {
		if i == p.tab {
			parts[i] = s.TabActive.Render("[" + text + "]")
		} else {
			parts[i] = s.TabInactive.Render(" " + text + " ")
		}
	}
	return strings.Join(parts, " ")
}

// tabTexts are the state tabs with their counts, undecorated.
func (p *Page) tabTexts() []string {
	var all int64
	for _, n := range p.counts {
		all += n
	}
	parts := make([]string, len(tabs))
	for i, t := range tabs {
		n := all
		if len(t.statuses) > 0 {
			n = 0
			for _, st := range t.statuses {
				n += p.counts[st]
			}
		}
		parts[i] = fmt.Sprintf("%s %s", t.title, format.Count(n))
	}
	return parts
}

func (p *Page) infoLine() string {
	s := p.env.Styles
	order := "newest first"
	if p.oldest {
		order = "oldest first"
	}
	filter := "no filter"
	if p.filter != "" {
		filter = "filter: " + p.filter
	}
	rows := "no rows"
	if n := len(p.rows); n > 0 {
		from := p.pageIdx*p.pageSize() + 1
		rows = fmt.Sprintf("page %d · rows %s–%s", p.pageIdx+1, format.Count(int64(from)), format.Count(int64(from+n-1)))
	}
	loading := ""
	if p.listBusy {
		loading = p.env.Loading("loading…")
	}
	return s.Muted.Render(widget.Join(" · ", filter, order, rows, loading))
}

// kind is a job type's description; a type no longer registered is
// labelled with its name.
func (p *Page) kind(t string) engine.KindInfo {
	for _, k := range p.types {
		if k.Type == t {
			return k
		}
	}
	return engine.KindInfo{Type: t, Label: t}
}

func (p *Page) cells(cells []string, j engine.Job) {
	s := p.env.Styles
	cells[colID] = fmt.Sprintf("#%d", j.ID)
	cells[colType] = widget.TypeLabel(p.kind(j.Type), j)
	cells[colStatus] = widget.Badge(s, j.Status)
	cells[colDone] = widget.DoneText(j)
	cells[colFailed] = format.Count(j.Failed)
	if j.Failed > 0 {
		cells[colFailed] = s.Error.Render(cells[colFailed])
	}
	cells[colCreated] = format.Stamp(j.CreatedAt, p.env.Location)
	cells[colTook] = widget.ElapsedText(j, p.env.Now)
	cells[colBy] = j.RequestedBy
	cells[colError] = firstLine(j.Error)
}

// fitNumbers widens the id, done and failed columns to the widest value on
// the page, so a number is never cut ("20,000/20,000", "12,345 so far");
// the layout then drops less important columns instead. It runs in Update
// whenever the rows change.
func (p *Page) fitNumbers() {
	if p.shown == nil {
		p.shown = make([]widget.Column, len(p.columns))
	}
	copy(p.shown, p.columns)
	for _, j := range p.rows {
		p.shown[colID].Width = max(p.shown[colID].Width, len(fmt.Sprintf("#%d", j.ID)))
		p.shown[colDone].Width = max(p.shown[colDone].Width, lipgloss.Width(widget.DoneText(j)))
		p.shown[colFailed].Width = max(p.shown[colFailed].Width, len(format.Count(j.Failed)))
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
