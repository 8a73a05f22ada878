package jobdetail

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/ui/tui/widget"
)

// searchBox is a listed section's search (the failed items, the diff): the
// text in force and, while the operator types, the field. The search
// applies as it is typed; enter keeps it and closes the field, esc clears it.
type searchBox struct {
	text    string
	editing *widget.Input
}

// open shows the field, holding the search in force.
func (b *searchBox) open(placeholder string, width int) {
	in := &widget.Input{Prompt: "/ ", Placeholder: placeholder}
	in.Focus()
	in.SetWidth(width)
	in.SetValue(b.text)
	b.editing = in
}

// setWidth fits an open field to a resized page.
func (b *searchBox) setWidth(width int) {
	if b.editing != nil {
		b.editing.SetWidth(width)
	}
}

// update takes a key or a paste while the field is open and reports
// whether the search in force changed (the list is then read again from
// its first page).
func (b *searchBox) update(msg tea.Msg, keys keyMap) bool {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, keys.Clear):
			b.editing = nil
			changed := b.text != ""
			b.text = ""
			return changed
		case key.Matches(k, keys.Apply):
			b.editing = nil
			return false
		}
	}
	if !b.editing.Update(msg) {
		return false
	}
	text := strings.TrimSpace(b.editing.Value())
	changed := text != b.text
	b.text = text
	return changed
}

// status names the search in force for the line the field takes while open.
func (b searchBox) status() string {
	if b.text == "" {
		return "no search"
	}
	return "search: " + b.text
}

// pageStarts returns the page to read and the keyset starts that read it.
// starts[i] reads page i (the zero cursor, the first page); idx may be one
// past the pages read so far, the next page, which next says where it
// starts (false: there is none, and the last page read is read again).
func pageStarts[C any](starts []C, idx int, next func() (C, bool)) (int, []C) {
	starts = append([]C(nil), starts...)
	if len(starts) == 0 {
		var first C
		starts = []C{first}
	}
	idx = max(0, min(idx, len(starts)))
	if idx == len(starts) {
		if c, ok := next(); ok {
			starts = append(starts, c)
		} else {
			idx = len(starts) - 1
		}
	}
	return idx, starts
}
