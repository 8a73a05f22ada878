package widget

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Search is a listed section's search (a job's failed items and diff, the
// mappings): the text in force and, while the operator types, the field.
// The search applies as it is typed; the apply key keeps it and closes the
// field, the clear key clears it.
type Search struct {
	Text    string
	Editing *Input
}

// Open shows the field, holding the search in force.
func (b *Search) Open(placeholder string, width int) {
	in := &Input{Prompt: "/ ", Placeholder: placeholder}
	in.Focus()
	in.SetWidth(width)
	in.SetValue(b.Text)
	b.Editing = in
}

// SetWidth fits an open field to a resized page.
func (b *Search) SetWidth(width int) {
	if b.Editing != nil {
		b.Editing.SetWidth(width)
	}
}

// Update takes a key or a paste while the field is open and reports
// whether the search in force changed (the list is then read again from
// its first page).
func (b *Search) Update(msg tea.Msg, apply, clear key.Binding) bool {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, clear):
			b.Editing = nil
			changed := b.Text != ""
			b.Text = ""
			return changed
		case key.Matches(k, apply):
			b.Editing = nil
			return false
		}
	}
	if !b.Editing.Update(msg) {
		return false
	}
	text := strings.TrimSpace(b.Editing.Value())
	changed := text != b.Text
	b.Text = text
	return changed
}

// Status names the search in force for the line the field takes while open.
func (b Search) Status() string {
	if b.Text == "" {
		return "no search"
	}
	return "search: " + b.Text
}

// PageStarts returns the page to read and the keyset starts that read it.
// starts[i] reads page i (the zero cursor, the first page); idx may be one
// past the pages read so far, the next page, which next says where it
// starts (false: there is none, and the last page read is read again).
func PageStarts[C any](starts []C, idx int, next func() (C, bool)) (int, []C) {
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
