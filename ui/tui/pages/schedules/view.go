package schedules

import (
	"fmt"
	"strings"
	"time"

	"syncops/engine/scheduler"
	"syncops/ui/tui/format"
	"syncops/ui/tui/widget"
)

const (
	colType = iota
	colState
	colCron
	colNext
	colLast
	colBy
)

var columns = []widget.Column{
	colType:  {Title: "TYPE", Width: 16, Flex: true, Keep: 100},
	colState: {Title: "STATE", Width: 8, Keep: 90},
	colCron:  {Title: "CRON", Width: 14, Keep: 80},
	colNext:  {Title: "NEXT RUN", Width: 9, Keep: 70},
	colLast:  {Title: "LAST RUN", Width: 18, Keep: 60},
	colBy:    {Title: "CHANGED BY", Width: 16, Keep: 10},
}

// keepWholeType ranks whole type names below the last run but above who
// changed the schedule.
const keepWholeType = 50

// panelLines is the height of the selected schedule's panel.
const panelLines = 6

// heights splits the page: the panel's height, the table's (header, rows
// and a "more" line when not all fit) and how many rows it shows.
func (p *Page) heights() (panelH, tableH, rows int) {
	panelH = min(panelLines, max(0, p.height-4))
	tableH = max(1, p.height-panelH-1)
	tableH = min(tableH, 1+len(p.views)) // the panel follows the last row
	rows = tableH - 1
	if rows < len(p.views) && rows > 1 {
		rows--
	}
	return panelH, tableH, max(0, rows)
}

// follow scrolls the table to the cursor; it runs in Update.
func (p *Page) follow() {
	_, _, rows := p.heights()
	p.top = widget.Window(p.top, p.cursor, rows, len(p.views))
}

// editWidth is the width of the cron editor's dialog.
func (p *Page) editWidth() int { return min(p.width, 76) }

// View implements page.Page.
func (p *Page) View() string {
	s := p.env.Styles
	switch {
	case p.source == nil:
		return widget.Fill(s.Muted.Render("Schedules are unavailable in this session (no scheduler configured)."), p.width, p.height)
	case !p.loaded:
		return widget.Fill(s.Muted.Render(p.env.Loading("loading schedules…")), p.width, p.height)
	case len(p.views) == 0:
		return widget.Fill(s.Muted.Render("No schedules."), p.width, p.height)
	}
	panelH, tableH, rows := p.heights()
	layout := widget.Fit(p.columns, p.width)
	var b strings.Builder
	b.WriteString(layout.Header(s))
	cells := make([]string, len(p.columns))
	for i := p.top; i < min(len(p.views), p.top+rows); i++ {
		p.cells(cells, p.views[i])
		b.WriteString("\n" + layout.Row(cells, i == p.cursor, s))
	}
	if more := widget.More(p.top, rows, len(p.views)); more != "" {
		b.WriteString("\n" + s.Muted.Render(more))
	}
	body := widget.Fill(b.String(), p.width, tableH)
	if panelH > 0 {
		body += "\n\n" + p.panel()
	}
	body = widget.Fill(body, p.width, p.height)
	if p.edit != nil {
		return widget.Overlay(body, p.editView(), p.width, p.height)
	}
	return body
}

func (p *Page) label(jobType string) string {
	if l, ok := p.labels[jobType]; ok {
		return l
	}
	return jobType
}

func (p *Page) cells(cells []string, v scheduler.ScheduleView) {
	s, now := p.env.Styles, p.env.Now
	cells[colType] = p.label(v.JobType)
	switch {
	case v.Problem != "":
		cells[colState] = s.Warning.Render("problem")
	case v.Enabled:
		cells[colState] = s.Success.Render("enabled")
	default:
		cells[colState] = s.Muted.Render("off")
	}
	cells[colCron] = v.Cron
	cells[colNext] = "–"
	if len(v.NextRuns) > 0 {
		cells[colNext] = format.In(now, v.NextRuns[0])
	}
	cells[colLast] = "never"
	if v.LastRun != nil {
		cells[colLast] = lastRun(v, now)
	}
	cells[colBy] = v.UpdatedBy
}

func lastRun(v scheduler.ScheduleView, now time.Time) string {
	j := v.LastRun
	at := j.CreatedAt
	if j.StartedAt != nil {
		at = *j.StartedAt
	}
	return format.Title(string(j.Status)) + " " + format.Ago(now, at)
}

func (p *Page) panel() string {
	s, now, loc := p.env.Styles, p.env.Now, p.env.Location
	v := p.views[p.cursor]
	lines := []string{s.Subtitle.Render(p.label(v.JobType)) + s.Muted.Render(" · "+v.JobType+" · cron "+v.Cron)}
	if v.Problem != "" {
		lines = append(lines, s.Warning.Render("problem: ")+v.Problem)
	}
	switch {
	case len(v.NextRuns) > 0:
		rc := clockOf(v.Cron, p.source.Location())
		runs := make([]string, len(v.NextRuns))
		for i, t := range v.NextRuns {
			runs[i] = rc.format(t)
		}
		lines = append(lines, "Next runs ("+rc.zone()+"): "+strings.Join(runs, ", ")+" ("+format.In(now, v.NextRuns[0])+")")
	case !v.Enabled:
		lines = append(lines, s.Muted.Render("Disabled: press space to enable it on this expression."))
	}
	if j := v.LastRun; j != nil {
		lines = append(lines, fmt.Sprintf("Last run: job #%d %s, %s · %s processed, %s failed",
			j.ID, format.Title(string(j.Status)), format.Stamp(j.CreatedAt, loc),
			widget.DoneText(*j), format.Count(j.Failed)))
	} else {
		lines = append(lines, s.Muted.Render("Last run: never started by a schedule"))
	}
	if v.UpdatedBy != "" {
		lines = append(lines, s.Muted.Render(fmt.Sprintf("Changed by %s, %s", v.UpdatedBy, format.Stamp(v.UpdatedAt, loc))))
	}
	if v.SkippedOverlap > 0 {
		lines = append(lines, s.Muted.Render(fmt.Sprintf("%d ticks skipped while the previous job still ran", v.SkippedOverlap)))
	}
	return strings.Join(lines, "\n")
}

func (p *Page) editView() string {
	s, now := p.env.Styles, p.env.Now
	e := p.edit
	rc := clockOf(e.input.Value(), p.source.Location())
	width := p.editWidth()
	var b strings.Builder
	b.WriteString(e.input.View(s, width-4))
	b.WriteString("\n\n")
	switch {
	case e.busy:
		b.WriteString(s.Notice.Render("saving…"))
	case e.err != nil:
		b.WriteString(s.Error.Render("✗ " + e.err.Error()))
	case len(e.preview) > 0:
		b.WriteString("Next runs (" + rc.zone() + "):")
		for _, t := range e.preview {
			b.WriteString("\n  " + rc.format(t) + s.Muted.Render(" ("+format.In(now, t)+")"))
		}
	}
	b.WriteString("\n\n" + s.Muted.Render("5 or 6 fields, @hourly, @every 90s · enter save and enable · esc cancel"))
	return widget.Box(s, "Schedule "+p.label(e.jobType)+" ("+e.jobType+")", b.String(), width)
}
