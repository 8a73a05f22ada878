package widget

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"syncops/store"
	"syncops/ui/tui/styles"
)

// BadgeWidth is the width of every status badge, so columns line up.
const BadgeWidth = len(" COMPLETED ")

// Badge renders a job status as a coloured label of BadgeWidth cells.
func Badge(s styles.Styles, st store.JobStatus) string {
	if st == "" {
		return s.Muted.Render(Cell(" never run", BadgeWidth, false))
	}
	return s.Badge(st).Render(Cell(" "+string(st), BadgeWidth, false))
}

// Bar renders a progress bar of width cells (percentage included) for a
// job in status st. It draws a static frame: the console redraws on engine
// events, so no animation timer runs.
func Bar(s styles.Styles, st store.JobStatus, percent float64, width int) string {
	const pctWidth = 5 // " 100%"
	pct := fmt.Sprintf(" %3.0f%%", percent*100)
	if width < pctWidth+2 {
		return Cell(strings.TrimSpace(pct), width, true)
	}
	bar := width - pctWidth
	full := int(percent*float64(bar) + 0.5)
	full = max(0, min(bar, full))
	return lipgloss.NewStyle().Foreground(s.BarColor(st)).Render(strings.Repeat("█", full)) +
		lipgloss.NewStyle().Foreground(s.BarEmpty).Render(strings.Repeat("░", bar-full)) + pct
}
