// Package widget holds the console's small building blocks: a column
// layout for tables that drops columns on narrow terminals, status badges,
// progress bars, a one-line text input, and dialogs drawn over a page.
package widget

import (
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
}

// gutter is the width of the selection marker before each row.
const gutter = 2

// Layout is a set of columns fitted to a width.
type Layout struct {
	cols   []Column
	keep   []int // indexes into the caller's columns, in order
	widths []int
}

// Fit fits cols into width: the least important columns are dropped until
// the rest fit, and flex columns share what is left.
func Fit(cols []Column, width int) Layout {
	keep := make([]int, len(cols))
	for i := range cols {
		keep[i] = i
	}
	need := func(idx []int) int {
		n := gutter
		for i, c := range idx {
			if i > 0 {
				n++
			}
			n += cols[c].Width
		}
		return n
	}
	for len(keep) > 1 && need(keep) > width {
		drop := 0
		for i, c := range keep {
			if cols[c].Keep < cols[keep[drop]].Keep {
				drop = i
			}
		}
		keep = append(keep[:drop], keep[drop+1:]...)
	}
	widths := make([]int, len(keep))
	flex := 0
	for i, c := range keep {
		widths[i] = cols[c].Width
		if cols[c].Flex {
			flex++
		}
	}
	if spare := width - need(keep); spare > 0 && flex > 0 {
		for i, c := range keep {
			if !cols[c].Flex {
				continue
			}
			share := spare / flex
			widths[i] += share
			spare -= share
			flex--
		}
	}
	return Layout{cols: cols, keep: keep, widths: widths}
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
