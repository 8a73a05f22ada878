package locations

import (
	"fmt"
	"strings"

	"syncops/ui/tui/format"
	"syncops/ui/tui/widget"
)

// View implements page.Page.
func (p *Page) View() string {
	s := p.env.Styles
	switch {
	case p.source == nil:
		return widget.Fill(s.Muted.Render("Location mappings are unavailable in this session."), p.width, p.height)
	case !p.loaded:
		return widget.Fill(s.Muted.Render(p.env.Loading("loading locations…")), p.width, p.height)
	}
	leftW := p.width / 2
	rightW := p.width - leftW - 1
	rows := max(1, p.height-3)
	left := p.depotLines(leftW, rows)
	right := p.locationLines(rightW, rows)
	var b strings.Builder
	head := s.Header.Render(widget.Cell("NHANH DEPOTS → SHOPIFY LOCATION", leftW, false)) + " " +
		s.Header.Render(widget.Cell("SHOPIFY LOCATIONS", rightW, false))
	b.WriteString(head)
	for i := range rows {
		b.WriteString("\n" + widget.Cell(left[i], leftW, false) + " " + widget.Cell(right[i], rightW, false))
	}
	b.WriteString("\n\n")
	switch {
	case p.busy:
		b.WriteString(s.Notice.Render("saving…"))
	case p.picking:
		d := p.depots[p.cursor]
		b.WriteString(s.Notice.Render(fmt.Sprintf("Choose the Shopify location for depot %d (%s): ↑/↓ then enter · esc keep as is", d.ID, d.Name)))
	case len(p.depots) > 0 && countMapped(p.depots) == 0:
		b.WriteString(s.Muted.Render("No mappings: product syncs write the total stock at the primary location."))
	default:
		b.WriteString(s.Muted.Render("A location gets the sum of the stock of the depots mapped to it."))
	}
	body := widget.Fill(b.String(), p.width, p.height)
	if p.confirm != nil {
		return widget.Overlay(body, p.confirm.View(s, p.width), p.width, p.height)
	}
	return body
}

func countMapped(rows []depotRow) int {
	n := 0
	for _, r := range rows {
		if r.mapped {
			n++
		}
	}
	return n
}

func (p *Page) depotLines(width, rows int) []string {
	s := p.env.Styles
	out := make([]string, rows)
	if len(p.depots) == 0 {
		out[0] = s.Muted.Render("(no depots)")
		return out
	}
	top := widget.Window(0, p.cursor, rows, len(p.depots))
	for i := 0; i < rows && top+i < len(p.depots); i++ {
		d := p.depots[top+i]
		marker := "  "
		if top+i == p.cursor {
			marker = "▸ "
		}
		target := s.Muted.Render("(not mapped)")
		if d.mapped {
			target = "→ " + d.locName
		}
		line := fmt.Sprintf("%s%d %s %s", marker, d.ID, d.Name, target)
		if top+i == p.cursor && !p.picking {
			line = s.Selected.Render(widget.Cell(line, width, false))
		}
		out[i] = line
	}
	return out
}

func (p *Page) locationLines(width, rows int) []string {
	s := p.env.Styles
	out := make([]string, rows)
	if len(p.locations) == 0 {
		out[0] = s.Muted.Render("(no locations)")
		return out
	}
	cursor := -1
	if p.picking {
		cursor = p.locCursor
	}
	top := widget.Window(0, max(0, cursor), rows, len(p.locations))
	for i := 0; i < rows && top+i < len(p.locations); i++ {
		l := p.locations[top+i]
		marker := "  "
		if top+i == cursor {
			marker = "▸ "
		}
		line := marker + l.Name + s.Muted.Render(" · "+format.ShortGID(string(l.ID)))
		if l.Primary {
			line += s.Notice.Render(" (primary)")
		}
		if top+i == cursor {
			line = s.Selected.Render(widget.Cell(marker+l.Name+" · "+format.ShortGID(string(l.ID))+primary(l.Primary), width, false))
		}
		out[i] = line
	}
	return out
}

func primary(p bool) string {
	if p {
		return " (primary)"
	}
	return ""
}
