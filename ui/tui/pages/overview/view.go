package overview

import (
	"fmt"
	"strings"

	"syncops/engine"
	"syncops/ui/tui/format"
	"syncops/ui/tui/widget"
)

// Columns of the overview table, most important first.
const (
	colType = iota
	colStatus
	colProgress
	colDone
	colFailed
	colNext
	colDuration
	colETA
	colRate
	colOK
	colSkipped
)

var columns = []widget.Column{
	colType:     {Title: "TYPE", Width: 14, Flex: true, Keep: 100},
	colStatus:   {Title: "STATUS", Width: widget.BadgeWidth, Keep: 90},
	colProgress: {Title: "PROGRESS", Width: 16, Keep: 80},
	colDone:     {Title: "DONE", Width: 13, Right: true, Keep: 70},
	colFailed:   {Title: "FAILED", Width: 6, Right: true, Keep: 60},
	colNext:     {Title: "NEXT RUN", Width: 9, Keep: 50},
	colDuration: {Title: "TOOK", Width: 7, Right: true, Keep: 40},
	colETA:      {Title: "ETA", Width: 7, Right: true, Keep: 30},
	colRate:     {Title: "RATE", Width: 8, Right: true, Keep: 25},
	colOK:       {Title: "OK", Width: 7, Right: true, Keep: 20},
	colSkipped:  {Title: "SKIPPED", Width: 7, Right: true, Keep: 10},
}

// keepWholeType ranks whole type names above the rate, OK and skipped
// counts (all in the panel below) but below the ETA and everything more
// important: at 100 columns and wider every name is shown whole.
const keepWholeType = 28

// panelLines is the height of the selected type's panel under the table.
const panelLines = 7

// heights splits the page: the panel's height, the table's (header and
// rows, plus a line saying how many rows are out of view when not all fit)
// and how many rows it shows.
func (p *Page) heights() (panelH, tableH, rows int) {
	panelH = min(panelLines, max(0, p.height-4))
	tableH = max(1, p.height-panelH-1)
	tableH = min(tableH, 1+len(p.types)) // the panel follows the last row
	rows = tableH - 1
	if rows < len(p.types) && rows > 1 {
		rows-- // the "more" line
	}
	return panelH, tableH, max(0, rows)
}

// follow scrolls the table so the cursor's row is in view; it runs in
// Update whenever the cursor or the size changes.
func (p *Page) follow() {
	_, _, rows := p.heights()
	p.top = widget.Window(p.top, p.cursor, rows, len(p.types))
}

// View implements page.Page.
func (p *Page) View() string {
	s := p.env.Styles
	if len(p.types) == 0 {
		return widget.Fill(s.Muted.Render("No job types are registered."), p.width, p.height)
	}
	panelH, tableH, rows := p.heights()
	layout := widget.Fit(p.columns, p.width)
	var b strings.Builder
	b.WriteString(layout.Header(s))
	cells := make([]string, len(p.columns))
	for i := p.top; i < min(len(p.types), p.top+rows); i++ {
		p.cells(cells, layout, p.types[i])
		b.WriteString("\n")
		b.WriteString(layout.Row(cells, i == p.cursor, s))
	}
	if more := widget.More(p.top, rows, len(p.types)); more != "" {
		b.WriteString("\n" + s.Muted.Render(more))
	}
	body := widget.Fill(b.String(), p.width, tableH)
	if panelH > 0 {
		body += "\n\n" + p.panel()
	}
	body = widget.Fill(body, p.width, p.height)
	switch {
	case p.form != nil:
		return widget.Overlay(body, p.form.view(s, p.width), p.width, p.height)
	case p.confirm != nil:
		return widget.Overlay(body, p.confirm.View(s, p.width), p.width, p.height)
	case p.conflict != nil:
		return widget.Overlay(body, p.conflictView(), p.width, p.height)
	}
	return body
}

func (p *Page) cells(cells []string, layout widget.Layout, k engine.KindInfo) {
	s, now := p.env.Styles, p.env.Now
	for i := range cells {
		cells[i] = ""
	}
	cells[colType] = k.Label
	cells[colNext] = "–"
	if t, ok := p.next[k.Type]; ok {
		cells[colNext] = format.In(now, t)
	}
	j, ok := p.latest[k.Type]
	if !ok {
		cells[colStatus] = widget.Badge(s, "")
		return
	}
	cells[colType] = widget.TypeLabel(k, j)
	cells[colStatus] = widget.Badge(s, j.Status)
	if layout.Has(colProgress) {
		cells[colProgress] = widget.Bar(s, widget.JobProgress(j), layout.Width(colProgress))
	}
	cells[colDone] = widget.DoneText(j)
	cells[colFailed] = format.Count(j.Failed)
	if j.Failed > 0 {
		cells[colFailed] = s.Error.Render(cells[colFailed])
	}
	cells[colOK] = format.Count(j.Successful)
	cells[colSkipped] = format.Count(j.Skipped)
	sp := widget.JobSpeed(j, now)
	cells[colRate] = sp.RateText()
	cells[colETA] = sp.ETAText()
	cells[colDuration] = widget.ElapsedText(j, now)
}

// panel describes the selected type and its latest job in full.
func (p *Page) panel() string {
	s, now, loc := p.env.Styles, p.env.Now, p.env.Location
	k, j, ok := p.selected()
	var lines []string
	lines = append(lines, s.Subtitle.Render(k.Label)+s.Muted.Render(" · "+k.Type))
	if k.Description != "" {
		lines = append(lines, s.Muted.Render(k.Description))
	}
	switch {
	case !p.loaded:
		lines = append(lines, s.Muted.Render(p.env.Loading("loading…")))
	case !ok:
		lines = append(lines, "Never run. Press s to start it.")
	default:
		started := "not started yet"
		if j.StartedAt != nil {
			started = fmt.Sprintf("started %s (%s)", format.Stamp(*j.StartedAt, loc), format.Ago(now, *j.StartedAt))
		}
		by := ""
		if j.RequestedBy != "" {
			by = "by " + j.RequestedBy
		}
		preview := ""
		if widget.IsPreview(k, j) {
			preview = s.Notice.Render(widget.PreviewNote)
		}
		lines = append(lines, widget.Join(" · ", fmt.Sprintf("Job #%d %s", j.ID, format.Title(string(j.Status))), preview, started, by))
		sp := widget.JobSpeed(j, now)
		lines = append(lines, fmt.Sprintf("%s processed · %s ok · %s failed · %s skipped",
			widget.DoneText(j), format.Count(j.Successful), format.Count(j.Failed), format.Count(j.Skipped)))
		speed := fmt.Sprintf("rate %s · ETA %s · took %s", sp.RateText(), sp.ETAText(), widget.ElapsedText(j, now))
		if stall := sp.StallText(); stall != "" {
			speed = fmt.Sprintf("%s · no progress since %s · took %s", s.Warning.Render(stall),
				format.Clock(j.UpdatedAt, loc), widget.ElapsedText(j, now))
		}
		lines = append(lines, speed)
		if j.Error != "" {
			lines = append(lines, s.Error.Render("error: ")+j.Error)
		}
	}
	switch t, scheduled := p.next[k.Type]; {
	case p.sched == nil:
		lines = append(lines, s.Muted.Render("Schedules unavailable"))
	case scheduled:
		zone := p.sched.Location()
		lines = append(lines, fmt.Sprintf("Next run %s %s (%s)", format.Stamp(t, zone), zone, format.In(now, t)))
	case p.schedOK:
		lines = append(lines, s.Muted.Render("Not scheduled"))
	}
	return strings.Join(lines, "\n")
}

func (p *Page) conflictView() string {
	c := p.conflict
	if c.err.Lane != "" {
		// Refused by a write lane (whenBusy=refuse): forcing would not help.
		body := fmt.Sprintf("%s was refused: job #%d (%s, %s) holds the %s write lane.\nStart it with whenBusy=wait to queue behind it.\n\n",
			c.kind.Label, c.err.Existing, c.err.Type, strings.ToLower(string(c.err.Status)), c.err.Lane) +
			p.env.Styles.Muted.Render(fmt.Sprintf("w watch #%d · esc leave it", c.err.Existing))
		return widget.Box(p.env.Styles, "Write lane busy", body, p.width)
	}
	body := fmt.Sprintf("%s is already %s as job #%d with the same parameters.\n\n",
		c.kind.Label, strings.ToLower(string(c.err.Status)), c.err.Existing) +
		p.env.Styles.Muted.Render(fmt.Sprintf("f force restart (cancels #%d) · w watch #%d · esc leave it", c.err.Existing, c.err.Existing))
	return widget.Box(p.env.Styles, "Already "+strings.ToLower(string(c.err.Status)), body, p.width)
}
