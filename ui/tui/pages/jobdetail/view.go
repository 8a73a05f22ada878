package jobdetail

import (
	"fmt"
	"strings"
	"time"

	"syncops/ui/tui/format"
	"syncops/ui/tui/widget"
)

// headerLines is the summary above the section: title, bar, counters, tabs.
const headerLines = 4

func (p *Page) sectionHeight() int { return max(1, p.height-headerLines) }

// View implements page.Page.
func (p *Page) View() string {
	s := p.env.Styles
	switch {
	case p.id == 0:
		return widget.Fill(s.Muted.Render("No job open: press enter on a job in the overview or the jobs page."), p.width, p.height)
	case !p.loaded:
		return widget.Fill(s.Muted.Render(fmt.Sprintf("loading job #%d…", p.id)), p.width, p.height)
	}
	var b strings.Builder
	b.WriteString(p.summary())
	b.WriteString("\n")
	b.WriteString(p.sectionTabs())
	b.WriteString("\n")
	if p.section == sectionInfo {
		b.WriteString(p.infoView())
	} else {
		b.WriteString(p.failuresView())
	}
	body := widget.Fill(b.String(), p.width, p.height)
	switch {
	case p.item != nil:
		return widget.Overlay(body, p.itemView(), p.width, p.height)
	case p.confirm != nil:
		return widget.Overlay(body, p.confirm.View(s, p.width), p.width, p.height)
	}
	return body
}

func (p *Page) summary() string {
	s, j := p.env.Styles, p.job
	title := s.Title.Render(fmt.Sprintf("Job #%d", j.ID)) + " " + widget.Badge(s, j.Status) + " " +
		s.Subtitle.Render(p.label(j.Type)) + s.Muted.Render(" · "+j.Type)
	if j.RetryOf != 0 {
		title += s.Muted.Render(fmt.Sprintf(" · retry of #%d", j.RetryOf))
	}
	barW := max(10, min(40, p.width-24))
	bar := widget.Bar(s, widget.JobProgress(j), barW) + "  " + widget.DoneText(j) + " processed"
	sp := widget.JobSpeed(j)
	counters := fmt.Sprintf("ok %s · failed %s · skipped %s · rate %s · ETA %s · took %s",
		format.Count(j.Successful), format.Count(j.Failed), format.Count(j.Skipped),
		sp.RateText(), sp.ETAText(), widget.ElapsedText(j, p.env.Now))
	return title + "\n" + bar + "\n" + counters
}

func (p *Page) sectionTabs() string {
	s := p.env.Styles
	info, fail := " Info ", fmt.Sprintf(" Failed items (%s) ", format.Count(p.job.Failed))
	if p.section == sectionInfo {
		info = s.TabActive.Render("[Info]")
	} else {
		fail = s.TabActive.Render(fmt.Sprintf("[Failed items (%s)]", format.Count(p.job.Failed)))
	}
	return info + " " + fail + s.Muted.Render("  ←/→ switch")
}

// infoLines are the parameters, metadata, timeline and error, one per line.
func (p *Page) infoLines() []string {
	s, j, loc := p.env.Styles, p.job, p.env.Location
	var lines []string
	field := func(f format.Field) string { return "  " + s.Label.Render(f.Key+":") + " " + f.Value }
	if j.Error != "" {
		// The reason a job failed comes first: it is what the operator
		// opened the job for.
		lines = append(lines, s.Subtitle.Render("Error"))
		for _, ln := range strings.Split(widget.Wrap(j.Error, max(10, p.width-2)), "\n") {
			lines = append(lines, "  "+s.Error.Render(ln))
		}
	}
	lines = append(lines, s.Subtitle.Render("Parameters"))
	params := format.Flatten(j.Params)
	if len(params) == 0 {
		lines = append(lines, s.Muted.Render("  (defaults)"))
	}
	for _, f := range params {
		lines = append(lines, field(f))
	}
	lines = append(lines, s.Subtitle.Render("Metadata"))
	meta := format.Flatten(j.Metadata)
	if len(meta) == 0 {
		lines = append(lines, s.Muted.Render("  (none)"))
	}
	for _, f := range meta {
		lines = append(lines, field(f))
	}
	lines = append(lines, s.Subtitle.Render("Timeline"))
	at := func(t time.Time, text string) {
		lines = append(lines, "  "+s.Label.Render(format.Stamp(t, loc))+"  "+text)
	}
	created := "created"
	if j.RequestedBy != "" {
		created += " by " + j.RequestedBy
	}
	at(j.CreatedAt, created)
	for _, a := range p.attempts {
		at(a.StartedAt, fmt.Sprintf("attempt %d started", a.Attempt))
		if a.FinishedAt.IsZero() {
			continue
		}
		text := fmt.Sprintf("attempt %d %s", a.Attempt, outcome(a.Outcome))
		if a.Error != "" {
			text += ": " + s.Error.Render(a.Error)
		}
		at(a.FinishedAt, text)
	}
	if j.CompletedAt != nil {
		at(*j.CompletedAt, "finished "+format.Title(string(j.Status)))
	} else if j.StartedAt != nil {
		lines = append(lines, s.Muted.Render("  "+format.Title(string(j.Status))+" for "+widget.ElapsedText(j, p.env.Now)))
	}
	return lines
}

func outcome(o string) string {
	if o == "" {
		return "ended"
	}
	return o
}

func (p *Page) infoView() string {
	lines := p.infoLines()
	h := p.sectionHeight()
	p.infoTop = max(0, min(p.infoTop, len(lines)-h))
	shown := lines[p.infoTop:min(len(lines), p.infoTop+h)]
	if below := len(lines) - p.infoTop - len(shown); below > 0 && len(shown) > 1 {
		shown = append(shown[:len(shown)-1:len(shown)-1],
			p.env.Styles.Muted.Render(fmt.Sprintf("  ↓ %d more lines (↑/↓ scroll)", below+1)))
	}
	return strings.Join(shown, "\n")
}

const (
	fcKey = iota
	fcClass
	fcAttempts
	fcWhen
	fcMessage
)

var failureColumns = []widget.Column{
	fcKey:      {Title: "ITEM", Width: 16, Keep: 100},
	fcClass:    {Title: "CLASS", Width: 11, Keep: 80},
	fcAttempts: {Title: "TRIES", Width: 5, Right: true, Keep: 40},
	fcWhen:     {Title: "AT", Width: 8, Keep: 30},
	fcMessage:  {Title: "MESSAGE", Width: 20, Flex: true, Keep: 90},
}

func (p *Page) failuresView() string {
	s, f := p.env.Styles, &p.fail
	var b strings.Builder
	if f.editing != nil {
		b.WriteString(f.editing.View(s, p.width))
	} else {
		search := "no search"
		if f.search != "" {
			search = "search: " + f.search
		}
		size := int64(p.failurePageSize())
		pages := max(1, (f.total+size-1)/size)
		b.WriteString(s.Muted.Render(fmt.Sprintf("%s · %s failed items · page %s of %s", search,
			format.Count(f.total), format.Count(int64(f.pageIdx+1)), format.Count(pages))))
	}
	layout := widget.Fit(failureColumns, p.width)
	b.WriteString("\n" + layout.Header(s))
	if f.loaded && len(f.items) == 0 {
		b.WriteString("\n" + s.Muted.Render("  no failed items"))
	}
	cells := make([]string, len(failureColumns))
	for i, it := range f.items {
		cells[fcKey] = it.ItemKey
		cells[fcClass] = it.ErrorClass
		cells[fcAttempts] = format.Count(int64(it.Attempts))
		cells[fcWhen] = format.Clock(it.UpdatedAt, p.env.Location)
		cells[fcMessage] = firstLine(it.Message)
		b.WriteString("\n" + layout.Row(cells, i == f.cursor, s))
	}
	return b.String()
}

func (p *Page) itemView() string {
	s, it, loc := p.env.Styles, p.item, p.env.Location
	row := func(label, value string) string { return s.Label.Render(widget.Cell(label, 9, false)) + " " + value }
	request := it.Request
	if request == "" {
		request = s.Muted.Render("(not recorded)")
	}
	body := strings.Join([]string{
		row("Message", it.Message),
		row("Class", it.ErrorClass),
		row("Request", request),
		row("Attempts", format.Count(int64(it.Attempts))),
		row("Failed", format.Stamp(it.CreatedAt, loc)+" · last "+format.Stamp(it.UpdatedAt, loc)),
		"",
		s.Muted.Render(p.itemHint()),
	}, "\n")
	return widget.Box(s, "Failed item "+it.ItemKey, body, p.width)
}

// itemHint says what fits a failed item: a retry where the kind retries
// items, otherwise the hand work it needs.
func (p *Page) itemHint() string {
	if p.canRetryItems() {
		return "esc close · then r retries every failed item of this job"
	}
	return "esc close · this kind cannot retry items: " + noRetryHint
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
