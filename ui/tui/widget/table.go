// Package widget holds the console's small building blocks: a column
// layout for tables that drops columns on narrow terminals, status badges,
// progress bars, a one-line text input, and dialogs drawn over a page.
package widget

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"syncops/ui/tui/styles"
)

// Column describes a table column.
type Column struct {
	Title string
	// Width is the column's width; for a Flex column, its minimum.
	Width int
	// Flex columns share the width left over by the others.
	Flex bool
	// Keep is how important the column is: when the terminal is too
	// narrow, columns with the lowest Keep are dropped first.
	Keep int
	// Right aligns the column's text to the right.
	Right bool
	// Min, when above 0 and below Width, lets a narrow terminal shorten the
	// column to Min cells (names get an ellipsis) instead of dropping a
	// column; KeepWhole is how important showing it at full Width is,
	// weighed against other columns' Keep.
	Min       int
	KeepWhole int
}

// gutter is the width of the selection marker before each row.
const gutter = 2

// Layout is a set of columns fitted to a width.
type Layout struct {
	cols   []Column
	keep   []int // indexes into the caller's columns, in order
	widths []int
}

// Fit fits cols into width: the least important columns are dropped
// until the rest fit, a shortenable column is cut to its Min when its
// KeepWhole is the least important thing left, and flex columns share what
// is left.
func Fit(cols []Column, width int) Layout {
	keep := make([]int, len(cols))
	widths := make([]int, len(cols)) // by column index
	for i, c := range cols {
		keep[i] = i
		widths[i] = c.Width
	}
	need := func() int {
		n := gutter
		for i, c := range keep {
			if i > 0 {
				n++
			}
			n += widths[c]
		}
		return n
	}
	for len(keep) > 1 && need() > width {
		// The least important of: a whole column, or a column's extra width.
		drop, shorten, least := 0, -1, cols[keep[0]].Keep
		for i, c := range keep {
			if cols[c].Keep < least {
				drop, shorten, least = i, -1, cols[c].Keep
			}
			if shortenable(cols[c]) && widths[c] > cols[c].Min && cols[c].KeepWhole < least {
				shorten, least = c, cols[c].KeepWhole
			}
		}
		if shorten >= 0 {
			widths[shorten] = cols[shorten].Min
			continue
		}
		keep = append(keep[:drop], keep[drop+1:]...)
	}
	shown := make([]int, len(keep))
	flex := 0
	for i, c := range keep {
		shown[i] = widths[c]
		if cols[c].Flex {
			flex++
		}
	}
	if spare := width - need(); spare > 0 && flex > 0 {
		for i, c := range keep {
			if !cols[c].Flex {
				continue
			}
			share := spare / flex
			shown[i] += share
			spare -= share
			flex--
		}
	}
	return Layout{cols: cols, keep: keep, widths: shown}
}

func shortenable(c Column) bool { return c.Min > 0 && c.Min < c.Width }

// WholeNames returns a copy of cols in which column col is wide enough for
// every name, shortened to its given Width only when what else fits is
// less important than keepWhole.
func WholeNames(cols []Column, col, keepWhole int, names []string) []Column {
	out := append([]Column(nil), cols...)
	c := &out[col]
	if whole := WidestText(c.Width, names...); whole > c.Width {
		c.Min, c.Width, c.KeepWhole = c.Width, whole, keepWhole
	}
	return out
}

// WidestText is the width in cells of the widest text, at least least:
// the Width a column needs to show every text whole.
func WidestText(least int, texts ...string) int {
	w := least
	for _, t := range texts {
		w = max(w, ansi.StringWidth(t))
	}
	return w
}

// Has reports whether column i (an index into the columns given to Fit)
// is shown.
func (l Layout) Has(i int) bool {
	for _, k := range l.keep {
		if k == i {
			return true
		}
	}
	return false
}

// Width returns the shown width of column i, or 0 when it is dropped.
func (l Layout) Width(i int) int {
	for j, k := range l.keep {
		if k == i {
			return l.widths[j]
		}
	}
	return 0
}

// Header renders the header row.
func (l Layout) Header(s styles.Styles) string {
	titles := make([]string, len(l.cols))
	for i, c := range l.cols {
		titles[i] = c.Title
	}
	return s.Header.Render(l.line(titles, "  ", false, s))
}

// Row renders one row; cells are indexed like the columns given to Fit.
// Cells may carry their own styles (badges, bars).
func (l Layout) Row(cells []string, selected bool, s styles.Styles) string {
	marker := "  "
	if selected {
		marker = "▸ "
	}
	return l.line(cells, marker, selected, s)
}

func (l Layout) line(cells []string, marker string, selected bool, s styles.Styles) string {
	var b strings.Builder
	b.WriteString(marker)
	for j, c := range l.keep {
		if j > 0 {
			b.WriteByte(' ')
		}
		cell := ""
		if c < len(cells) {
			cell = cells[c]
		}
		cell = Cell(cell, l.widths[j], l.cols[c].Right)
		if selected && strings.IndexByte(cell, ansi.ESC) < 0 {
			cell = s.Selected.Render(cell)
		}
		b.WriteString(cell)
	}
	return b.String()
}

// Cell truncates or pads text to exactly width cells.
func Cell(text string, width int, right bool) string {
	if width <= 0 {
		return ""
	}
	w := ansi.StringWidth(text)
	if w > width {
		return ansi.Truncate(text, width, "…")
	}
	pad := strings.Repeat(" ", width-w)
	if right {
		return pad + text
	}
	return text + pad
}

// Fill pads or cuts s to exactly height lines, each cut to width.
func Fill(s string, width, height int) string {
	if height <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, ln := range lines {
		if ansi.StringWidth(ln) > width {
			lines[i] = ansi.Truncate(ln, width, "…")
		}
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// Window returns the first index of a window of size n over total rows that
// keeps cursor visible, scrolling as little as possible from start.
func Window(start, cursor, n, total int) int {
	if n <= 0 || total <= n {
		return 0
	}
	if cursor < start {
		start = cursor
	}
	if cursor >= start+n {
		start = cursor - n + 1
	}
	return max(0, min(start, total-n))
}

// Join puts the non-empty parts together with a separator.
func Join(sep string, parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// Wrap wraps plain text to width.
func Wrap(text string, width int) string {
	if width <= 0 {
		return text
	}
	return lipgloss.Wrap(text, width, " ")
}

// More says how many of total rows are out of view above and below a
// window of n rows from top ("↑ 2 more · ↓ 3 more"), or "" when all show.
func More(top, n, total int) string {
	above, below := top, total-top-n
	if above <= 0 && below <= 0 {
		return ""
	}
	var parts []string
	if above > 0 {
		parts = append(parts, fmt.Sprintf("↑ %d more", above))
	}
	if below > 0 {
		parts = append(parts, fmt.Sprintf("↓ %d more", below))
	}
	return "  " + strings.Join(parts, " · ")
}
