package widget

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"syncops/ui/tui/styles"
)

// Input is a one-line text field with a static cursor. (The Bubbles text
// input needs a clipboard module this build does not carry, and its cursor
// blinks on a timer; an idle console must not tick.)
type Input struct {
	Prompt      string
	Placeholder string
	// CharLimit bounds the value's length in runes; 0 means no limit.
	CharLimit int

	value   []rune
	pos     int
	focused bool
}

// DefaultCharLimit bounds inputs that set no limit of their own.
const DefaultCharLimit = 500

// Value returns the text.
func (in *Input) Value() string { return string(in.value) }

// SetValue replaces the text and puts the cursor at its end.
func (in *Input) SetValue(s string) {
	in.value = []rune(sanitize(s))
	in.limit()
	in.pos = len(in.value)
}

// Focus shows the cursor and takes keys.
func (in *Input) Focus() { in.focused = true }

// Blur hides the cursor.
func (in *Input) Blur() { in.focused = false }

// Update edits the text for a key press or a paste. It reports whether the
// message changed anything.
func (in *Input) Update(msg tea.Msg) bool {
	if !in.focused {
		return false
	}
	switch msg := msg.(type) {
	case tea.PasteMsg:
		in.insert(sanitize(msg.Content))
		return true
	case tea.KeyPressMsg:
		return in.key(msg)
	}
	return false
}

func (in *Input) key(msg tea.KeyPressMsg) bool {
	switch msg.String() {
	case "left", "ctrl+b":
		in.pos = max(0, in.pos-1)
	case "right", "ctrl+f":
		in.pos = min(len(in.value), in.pos+1)
	case "home", "ctrl+a":
		in.pos = 0
	case "end", "ctrl+e":
		in.pos = len(in.value)
	case "backspace", "ctrl+h":
		if in.pos > 0 {
			in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
			in.pos--
		}
	case "delete", "ctrl+d":
		if in.pos < len(in.value) {
			in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
		}
	case "ctrl+u":
		in.value = in.value[in.pos:]
		in.pos = 0
	case "ctrl+k":
		in.value = in.value[:in.pos]
	case "ctrl+w", "alt+backspace":
		start := in.pos
		for start > 0 && unicode.IsSpace(in.value[start-1]) {
			start--
		}
		for start > 0 && !unicode.IsSpace(in.value[start-1]) {
			start--
		}
		in.value = append(in.value[:start], in.value[in.pos:]...)
		in.pos = start
	default:
		if msg.Text == "" || msg.Mod&(tea.ModCtrl|tea.ModAlt) != 0 {
			return false
		}
		in.insert(sanitize(msg.Text))
	}
	return true
}

func (in *Input) insert(s string) {
	if s == "" {
		return
	}
	add := []rune(s)
	v := make([]rune, 0, len(in.value)+len(add))
	v = append(v, in.value[:in.pos]...)
	v = append(v, add...)
	v = append(v, in.value[in.pos:]...)
	in.value = v
	in.pos += len(add)
	in.limit()
}

func (in *Input) limit() {
	limit := in.CharLimit
	if limit <= 0 {
		limit = DefaultCharLimit
	}
	if len(in.value) > limit {
		in.value = in.value[:limit]
	}
	in.pos = min(in.pos, len(in.value))
}

// sanitize keeps one line of printable text.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case !unicode.IsPrint(r):
			return -1
		}
		return r
	}, s)
}

// View renders the input in width cells (prompt included), scrolled so the
// cursor stays visible.
func (in *Input) View(s styles.Styles, width int) string {
	prompt := s.InputPrompt.Render(in.Prompt)
	avail := width - ansi.StringWidth(in.Prompt)
	if avail < 2 {
		return prompt
	}
	if len(in.value) == 0 && !in.focused {
		return prompt + s.InputPlaceholder.Render(Cell(in.Placeholder, avail, false))
	}
	if len(in.value) == 0 {
		ph := []rune(in.Placeholder + " ")
		return prompt + s.InputCursor.Render(string(ph[0])) + s.InputPlaceholder.Render(Cell(string(ph[1:]), avail-1, false))
	}
	// Show the part of the value around the cursor, counted in cells (a
	// wide character such as an emoji or a CJK ideograph takes two): start
	// moves right until what precedes the cursor, and the cursor's own
	// cell, fit.
	cellsOf := func(rs []rune) int { return ansi.StringWidth(string(rs)) }
	underCells := 1
	if in.pos < len(in.value) {
		underCells = max(1, cellsOf(in.value[in.pos:in.pos+1]))
	}
	start := 0
	for start < in.pos && cellsOf(in.value[start:in.pos])+underCells > avail {
		start++
	}
	end := start
	for end < len(in.value) && cellsOf(in.value[start:end+1]) <= avail {
		end++
	}
	before := string(in.value[start:min(in.pos, end)])
	if !in.focused {
		return prompt + Cell(string(in.value[start:end]), avail, false)
	}
	under, after := " ", ""
	if in.pos < len(in.value) {
		under = string(in.value[in.pos])
		if in.pos+1 < end {
			after = string(in.value[in.pos+1 : end])
		}
	}
	used := ansi.StringWidth(before) + ansi.StringWidth(under) + ansi.StringWidth(after)
	return prompt + before + s.InputCursor.Render(under) + after + strings.Repeat(" ", max(0, avail-used))
}
