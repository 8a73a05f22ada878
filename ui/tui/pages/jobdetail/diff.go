package jobdetail

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/format"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// diffLines is a preview's diff (issue 12, "preview before writing"): what
// its sync would write, item by item, with the totals, as one page of a
// keyset listing searched like the failed items. askedAt is the job's
// processed count: a running preview adds lines as it goes. The CLI twin is
// `syncops diff JOB_ID`.
type diffLines struct {
	listing[engine.DiffCursor]
	page engine.DiffPage
}

type diffMsg struct {
	seq, pageIdx int
	starts       []engine.DiffCursor
	page         engine.DiffPage
	err          error
}

// diffChrome is the lines of the diff section above its rows: the totals,
// the search line and the header.
const diffChrome = 3

func (p *Page) diffPageSize() int { return max(1, p.sectionHeight()-diffChrome) }

// isPreview: the job is a sync preview, whose diff the page can show.
func (p *Page) isPreview() bool { return p.loaded && widget.IsPreview(p.kinds[p.job.Type], p.job) }

// loadDiff reads page idx of the diff (idx may be one past the pages read
// so far: the next page).
func (p *Page) loadDiff(idx int) tea.Cmd {
	d := &p.diff
	seq, idx, starts := d.ask(idx, p.job.Processed, func() (engine.DiffCursor, bool) {
		if d.page.Next == nil {
			return engine.DiffCursor{}, false
		}
		return *d.page.Next, true
	})
	filter := engine.DiffFilter{Job: p.id, Search: d.search.Text, After: starts[idx], Limit: p.diffPageSize()}
	env := p.env
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		pg, err := env.Engine.Diff(ctx, filter)
		return diffMsg{seq: seq, pageIdx: idx, starts: starts[:idx+1], page: pg, err: err}
	}
}

func (p *Page) diffLoaded(msg diffMsg) tea.Cmd {
	d := &p.diff
	if !d.answered(msg.seq) {
		return nil
	}
	if msg.err != nil {
		return page.Fail(fmt.Sprintf("load the diff of job #%d", p.id), msg.err)
	}
	d.page = msg.page
	d.show(msg.pageIdx, msg.starts, len(d.page.Items))
	return p.refresh()
}

// processedSeen marks the diff stale when a running preview has moved on
// since its lines were read.
func (p *Page) processedSeen() {
	if p.diff.loaded && p.job.Processed != p.diff.askedAt {
		p.diff.stale = true
	}
}

// showDiff brings the diff section to the front, reading it the first time.
func (p *Page) showDiff() tea.Cmd {
	if !p.isPreview() {
		return page.Fail(fmt.Sprintf("diff of job #%d", p.id), engine.ErrNoDiff)
	}
	p.section = sectionDiff
	if !p.diff.loaded && !p.diff.busy {
		return p.loadDiff(0)
	}
	return nil
}

func (p *Page) diffKey(msg tea.KeyPressMsg) tea.Cmd {
	d := &p.diff
	switch {
	case key.Matches(msg, p.keys.Up):
		d.cursor = max(0, d.cursor-1)
	case key.Matches(msg, p.keys.Down):
		d.cursor = min(max(0, len(d.page.Items)-1), d.cursor+1)
	case key.Matches(msg, p.keys.NextPage):
		if d.page.Next != nil {
			d.cursor = 0
			return p.loadDiff(d.pageIdx + 1)
		}
	case key.Matches(msg, p.keys.PrevPage):
		if d.pageIdx > 0 {
			d.cursor = 0
			return p.loadDiff(d.pageIdx - 1)
		}
	case key.Matches(msg, p.keys.Copy):
		if d.cursor < len(d.page.Items) {
			it := d.page.Items[d.cursor]
			return page.Copy("the line of "+it.Name, diffLineText(it))
		}
	case key.Matches(msg, p.keys.Search):
		d.search.Open("name, id, location, action or reason", p.width)
	}
	return nil
}

// diffSearchKey edits the diff's search (a key or a paste) and lists the
// lines the search in force selects.
func (p *Page) diffSearchKey(msg tea.Msg) tea.Cmd {
	d := &p.diff
	if !d.search.Update(msg, p.keys.Apply, p.keys.Clear) {
		return nil
	}
	d.searched()
	return p.loadDiff(0)
}

// diffLineText is one line as the clipboard gets it.
func diffLineText(it engine.DiffItem) string {
	parts := []string{fmt.Sprintf("mapping %d", it.MappingID), it.Name}
	if it.LocationName != "" {
		parts = append(parts, it.LocationName)
	}
	return strings.Join(append(parts, it.Describe()), " · ")
}

const (
	dcName = iota
	dcLocation
	dcChange
	dcIDs
	dcMapping
)

// diffColumns put the change right after the item: it is what the preview
// is read for.
var diffColumns = []widget.Column{
	dcName:     {Title: "ITEM", Width: 20, Min: 12, KeepWhole: 40, Keep: 100},
	dcLocation: {Title: "LOCATION", Width: 14, Keep: 60},
	dcChange:   {Title: "CHANGE", Width: 24, Flex: true, Keep: 95},
	dcIDs:      {Title: "NHANH → SHOPIFY", Width: 24, Keep: 30},
	dcMapping:  {Title: "MAPPING", Width: 8, Right: true, Keep: 50},
}

func (p *Page) diffView() string {
	s, d := p.env.Styles, &p.diff
	var b strings.Builder
	if !d.loaded {
		return s.Muted.Render(p.env.Loading("reading the preview's diff…"))
	}
	t := d.page.Totals
	b.WriteString(fmt.Sprintf("%s would write · %s up (+%s) · %s down (-%s, %s to 0) · net %s · %s unchanged · %s skipped · %s failed",
		format.Count(t.Writes), format.Count(t.Up), format.Count(t.SumUp), format.Count(t.Down), format.Count(t.SumDown),
		format.Count(t.ToZero), signed(t.Net), format.Count(t.Unchanged), format.Count(t.Skipped), format.Count(t.Failed)))
	b.WriteString("\n")
	if d.search.Editing != nil {
		b.WriteString(d.search.Editing.View(s, p.width))
	} else {
		b.WriteString(s.Muted.Render(fmt.Sprintf("%s · %s of %s lines · page %s", d.search.Status(),
			format.Count(d.page.Matching.Lines), format.Count(t.Lines), format.Count(int64(d.pageIdx+1)))))
	}
	names := make([]string, len(d.page.Items))
	for i, it := range d.page.Items {
		names[i] = it.Name
	}
	layout := widget.Fit(widget.WholeNames(diffColumns, dcName, 40, names), p.width)
	b.WriteString("\n" + layout.Header(s))
	if len(d.page.Items) == 0 {
		b.WriteString("\n" + s.Muted.Render("  no lines"))
	}
	cells := make([]string, len(diffColumns))
	for i, it := range d.page.Items {
		cells[dcName] = it.Name
		cells[dcLocation] = it.LocationName
		cells[dcChange] = p.change(it)
		cells[dcIDs] = it.NhanhID + " → " + format.ShortGID(it.ShopifyID)
		cells[dcMapping] = fmt.Sprintf("#%d", it.MappingID)
		b.WriteString("\n" + layout.Row(cells, i == d.cursor, s))
	}
	return b.String()
}

// signed writes a sum with its sign and grouped digits (+175,000).
func signed(n int64) string {
	if n > 0 {
		return "+" + format.Count(n)
	}
	return format.Count(n)
}

// change colours a line by what the sync would do with it.
func (p *Page) change(it engine.DiffItem) string {
	s := p.env.Styles
	text := it.DescribeWith(format.Count)
	switch it.Action {
	case engine.DiffWrite:
		if ch, ok := it.Change(); ok && ch < 0 {
			return s.Warning.Render(text)
		}
		return s.Notice.Render(text)
	case engine.DiffFailed:
		return s.Error.Render(text)
	case engine.DiffSkipped:
		return s.Muted.Render(text)
	}
	return text
}
