package jobdetail

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

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
		return widget.Fill(s.Muted.Render(p.env.Loading(fmt.Sprintf("loading job #%d…", p.id))), p.width, p.height)
	}
	var b strings.Builder
	b.WriteString(p.summary())
	b.WriteString("\n")
	b.WriteString(p.sectionTabs())
	b.WriteString("\n")
	switch p.section {
	case sectionInfo:
		b.WriteString(p.infoView())
	case sectionDiff:
		b.WriteString(p.diffView())
	default:
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
	if p.isPreview() {
		title += " " + s.Notice.Render(widget.PreviewNote)
	}
	barW := max(10, min(40, p.width-24))
	bar := widget.Bar(s, widget.JobProgress(j), barW) + "  " + widget.DoneText(j) + " processed"
	sp := widget.JobSpeed(j, p.env.Now)
	speed := fmt.Sprintf("rate %s · ETA %s", sp.RateText(), sp.ETAText())
	if stall := sp.StallText(); stall != "" {
		speed = s.Warning.Render(stall) + " (no progress since " + format.Clock(j.UpdatedAt, p.env.Location) + ")"
	}
	counters := fmt.Sprintf("ok %s · failed %s · skipped %s · %s · took %s",
		format.Count(j.Successful), format.Count(j.Failed), format.Count(j.Skipped),
		speed, widget.ElapsedText(j, p.env.Now))
	return title + "\n" + bar + "\n" + counters
}

// sectionTitles are the section tabs' titles, in order; a preview has a
// third, its diff.
func (p *Page) sectionTitles() []string {
	titles := []string{"Info", fmt.Sprintf("Failed items (%s)", format.Count(p.job.Failed))}
	if p.isPreview() {
		titles = append(titles, "Diff (d)")
	}
	return titles
}

func (p *Page) sectionTabs() string {
	s := p.env.Styles
	parts := make([]string, 0, 3)
	for i, t := range p.sectionTitles() {
		if section(i) == p.section {
			parts = append(parts, s.TabActive.Render("["+t+"]"))
		} else {
			parts = append(parts, " "+t+" ")
		}
	}
	return strings.Join(parts, " ") + s.Muted.Render("  ←/→ switch")
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

// fillInfo rebuilds the info section's content for the job as it is now
// and fits the scroll to the section, keeping a line for the position when
// the content is taller than the section. It runs in Update.
func (p *Page) fillInfo() {
	if !p.loaded || p.width <= 0 {
		return
	}
	h := p.sectionHeight()
	content := widget.WrapLines(strings.Join(p.infoLines(), "\n"), max(10, p.width))
	p.info.SetSize(p.width, h)
	p.info.SetContent(content)
	if !p.info.Fits() && h > 1 {
		p.info.SetSize(p.width, h-1)
		p.info.SetContent(content)
	}
}

func (p *Page) infoView() string {
	v := p.info.View()
	if pos := p.info.Position(); pos != "" {
		v += "\n" + p.env.Styles.Muted.Render("  "+pos+" · ↑/↓ pgup/pgdn home/end")
	}
	return v
}

// sectionAt is the section whose tab is at column x of the tab line.
func (p *Page) sectionAt(x int) section {
	from := 0
	titles := p.sectionTitles()
	for i, t := range titles {
		from += lipgloss.Width(t) + 3 // the brackets or spaces, and the gap
		if x < from {
			return section(i)
		}
	}
	return section(len(titles) - 1)
}

const (
	fcKey = iota
	fcMessage
	fcClass
	fcAttempts
	fcWhen
)

// failureColumns put the reason right after the item: the message is what
// an operator scans the list for, so it keeps its width before the class,
// tries and time do, and a long item key is shortened rather than pushing
// the message off the screen.
var failureColumns = []widget.Column{
	fcKey:      {Title: "ITEM", Width: 16, Min: 10, KeepWhole: 35, Keep: 100},
	fcMessage:  {Title: "MESSAGE", Width: 24, Flex: true, Keep: 95},
	fcClass:    {Title: "CLASS", Width: 11, Keep: 50},
	fcAttempts: {Title: "TRIES", Width: 5, Right: true, Keep: 30},
	fcWhen:     {Title: "AT", Width: 8, Keep: 40},
}

func (p *Page) failuresView() string {
	s, f := p.env.Styles, &p.fail
	var b strings.Builder
	if f.search.Editing != nil {
		b.WriteString(f.search.Editing.View(s, p.width))
	} else {
		size := int64(p.failurePageSize())
		pages := max(1, (f.total+size-1)/size)
		b.WriteString(s.Muted.Render(fmt.Sprintf("%s · %s failed items · page %s of %s", f.search.Status(),
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

// itemBoxWidth is the open failed item's box: as wide as dialogs get.
func (p *Page) itemBoxWidth() int { return min(p.width, 76) }

// itemChrome is the box's lines around the scrolled text: border, title,
// blank, blank, position, hint, border.
const itemChrome = 7

// fillItem lays out the open failed item in the scroll that shows it:
// its message and request wrap to the box and scroll when taller than the
// screen. It runs in Update.
func (p *Page) fillItem() {
	s, it, loc := p.env.Styles, p.item, p.env.Location
	inner := max(10, p.itemBoxWidth()-4)
	const labelW = 9
	valueW := max(10, inner-labelW-1)
	row := func(label, value string) string {
		lines := strings.Split(widget.WrapLines(value, valueW), "\n")
		for i := range lines {
			head := strings.Repeat(" ", labelW)
			if i == 0 {
				head = s.Label.Render(widget.Cell(label, labelW, false))
			}
			lines[i] = head + " " + lines[i]
		}
		return strings.Join(lines, "\n")
	}
	request := it.Request
	if request == "" {
		request = s.Muted.Render("(not recorded)")
	}
	content := strings.Join([]string{
		row("Message", it.Message),
		row("Class", it.ErrorClass),
		row("Request", request),
		row("Attempts", format.Count(int64(it.Attempts))),
		row("Failed", format.Stamp(it.CreatedAt, loc)+" · last "+format.Stamp(it.UpdatedAt, loc)),
	}, "\n")
	lines := strings.Count(content, "\n") + 1
	p.itemScroll.SetSize(inner, max(1, min(lines, p.height-itemChrome)))
	p.itemScroll.SetContent(content)
}

func (p *Page) itemView() string {
	s, it := p.env.Styles, p.item
	body := p.itemScroll.View()
	if pos := p.itemScroll.Position(); pos != "" {
		body += "\n" + s.Muted.Render(pos+" · ↑/↓ scroll")
	}
	body += "\n\n" + s.Muted.Render(p.itemHint())
	return widget.Box(s, "Failed item "+it.ItemKey, body, p.itemBoxWidth())
}

// itemHint says what fits a failed item: a retry where the kind retries
// items, otherwise the hand work it needs.
func (p *Page) itemHint() string {
	if p.canRetryItems() {
		return "esc close · y copy error · Y copy request · then r retries every failed item of this job"
	}
	return "esc close · y copy error · Y copy request · this kind cannot retry items:\n" +
		strings.Join(p.handWorkLines(p.item.ItemKey), "\n")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
