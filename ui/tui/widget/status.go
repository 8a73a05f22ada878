package widget

import (
	"fmt"
	"math"
	"strings"

	"charm.land/lipgloss/v2"

	"syncops/engine"
	"syncops/ui/tui/styles"
)

// BadgeWidth is the width of every status badge, so columns line up.
const BadgeWidth = len(" COMPLETED ")

// Badge renders a job status as a coloured label of BadgeWidth cells.
func Badge(s styles.Styles, st engine.Status) string {
	if st == "" {
		return s.Muted.Render(Cell(" never run", BadgeWidth, false))
	}
	return s.Badge(st).Render(Cell(" "+string(st), BadgeWidth, false))
}

// Bar renders a progress bar of width cells (label included). A known
// fraction fills its share with the percentage beside it; an unknown total
// draws a hatched bar, labelled "···" while the job is still counting and
// "–" once it stopped. It draws a static frame: the console redraws on
// engine events, so no animation timer runs.
func Bar(s styles.Styles, pr Progress, width int) string {
	const pctWidth = 5 // " 100%"
	// Floored, so an unfinished job never reads 100%.
	pct := fmt.Sprintf(" %3.0f%%", math.Floor(pr.Fraction*100))
	if !pr.Known {
		pct = "   – "
		if !pr.Status.Terminal() {
			pct = "  ···"
		}
	}
	if width < pctWidth+2 {
		return Cell(strings.TrimSpace(pct), width, true)
	}
	bar := width - pctWidth
	if !pr.Known {
		return lipgloss.NewStyle().Foreground(s.BarColor(pr.Status)).Render(strings.Repeat("▒", bar)) + pct
	}
	full := int(pr.Fraction*float64(bar) + 0.5)
	full = max(0, min(bar, full))
	if full == bar && pr.Fraction < 1 {
		full-- // an unfinished job never shows a full bar
	}
	return lipgloss.NewStyle().Foreground(s.BarColor(pr.Status)).Render(strings.Repeat("█", full)) +
		lipgloss.NewStyle().Foreground(s.BarEmpty).Render(strings.Repeat("░", bar-full)) + pct
}
