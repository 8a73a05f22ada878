package widget

import (
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"syncops/ui/tui/styles"
)

// Input is a one-line text field: the Bubbles text input with a static
// virtual cursor (a blinking one needs a timer, and an idle console must
// not tick), no clipboard key (ctrl+v would read the clipboard of the
// machine syncops runs on, not the operator's; terminals paste with a
// bracketed paste instead), and a view that is exactly as wide as asked,
// whatever the width of the characters in it. The zero value is ready to
// use once Prompt, Placeholder and CharLimit are set.
type Input struct {
	Prompt      string
	Placeholder string
	// CharLimit bounds the value's length in runes; 0 means DefaultCharLimit.
	CharLimit int

	model textinput.Model
	ready bool
	// width is the field's width in cells, prompt included, that offset
	// was computed for (SetWidth); offset is the first cell of the text in
	// view.
	width, offset int
}

// DefaultCharLimit bounds inputs that set no limit of their own.
const DefaultCharLimit = 500

func (in *Input) init() {
	if in.ready {
		return
	}
	in.ready = true
	in.model = textinput.New()
	in.model.Prompt = ""
	km := textinput.DefaultKeyMap()
	km.Paste = key.NewBinding(key.WithDisabled())
	// No suggestions are offered: the keys that would cycle them belong to
	// the form around the field.
	km.AcceptSuggestion = key.NewBinding(key.WithDisabled())
	km.NextSuggestion = key.NewBinding(key.WithDisabled())
	km.PrevSuggestion = key.NewBinding(key.WithDisabled())
	in.model.KeyMap = km
	in.model.SetVirtualCursor(true)
	st := textinput.DefaultStyles(true)
	st.Cursor.Blink = false
	in.model.SetStyles(st)
}

func (in *Input) limit() int {
	if in.CharLimit > 0 {
		return in.CharLimit
	}
	return DefaultCharLimit
}

// Value returns the text.
func (in *Input) Value() string {
	in.init()
	return in.model.Value()
}

// SetValue replaces the text and puts the cursor at its end.
func (in *Input) SetValue(s string) {
	in.init()
	in.model.CharLimit = in.limit()
	in.model.SetValue(sanitize(s))
	in.model.CursorEnd()
	in.offset = in.scrolled(in.offset, in.width)
}

// Focus shows the cursor and takes keys.
func (in *Input) Focus() {
	in.init()
	in.model.Focus() // a static cursor returns no blink command
}

// Blur hides the cursor.
func (in *Input) Blur() {
	in.init()
	in.model.Blur()
}

// Focused reports whether the field takes keys.
func (in *Input) Focused() bool { return in.ready && in.model.Focused() }

// SetWidth sets the field's width in cells, prompt included, and scrolls
// the text so the cursor stays in view. Owners call it when their size
// changes, so View never has to move the text.
func (in *Input) SetWidth(width int) {
	in.init()
	in.width = width
	in.offset = in.scrolled(in.offset, width)
}

// scrolled is the scroll offset, in cells, that keeps the cursor's cell in
// a field width cells wide, moving as little as possible from offset.
// Cells, not runes: an emoji or a CJK ideograph takes two.
func (in *Input) scrolled(offset, width int) int {
	avail := width - ansi.StringWidth(in.Prompt)
	if avail < 2 {
		return 0
	}
	value := []rune(in.model.Value())
	pos := min(in.model.Position(), len(value))
	start := ansi.StringWidth(string(value[:pos]))
	end := start + 1
	if pos < len(value) {
		end = start + max(1, ansi.StringWidth(string(value[pos])))
	}
	if start < offset {
		offset = start
	}
	if end > offset+avail {
		offset = end - avail
	}
	// Never leave blank cells at the end while text is hidden at the start.
	total := ansi.StringWidth(string(value)) + 1
	offset = max(0, min(offset, total-avail))
	// Start on a character, never in the middle of a wide one.
	cells := 0
	for _, r := range value {
		if cells >= offset {
			break
		}
		cells += ansi.StringWidth(string(r))
	}
	return cells
}

// Update edits the text for a key press or a paste. It reports whether the
// message changed the text or moved the cursor.
func (in *Input) Update(msg tea.Msg) bool {
	in.init()
	if !in.model.Focused() {
		return false
	}
	switch msg := msg.(type) {
	case tea.PasteMsg:
		msg.Content = sanitize(msg.Content)
	case tea.KeyPressMsg:
		if msg.Mod&(tea.ModCtrl|tea.ModAlt) != 0 && !in.editKey(msg) {
			return false // ctrl and alt letters are commands, never text
		}
		msg.Text = sanitize(msg.Text)
	default:
		return false
	}
	in.model.CharLimit = in.limit()
	before, pos := in.model.Value(), in.model.Position()
	in.model, _ = in.model.Update(msg) // a static cursor and no clipboard: no command
	in.offset = in.scrolled(in.offset, in.width)
	return in.model.Value() != before || in.model.Position() != pos
}

// editKey reports whether a ctrl or alt key is one of the field's own
// editing keys.
func (in *Input) editKey(msg tea.KeyPressMsg) bool {
	km := in.model.KeyMap
	for _, b := range []key.Binding{km.CharacterForward, km.CharacterBackward, km.WordForward, km.WordBackward,
		km.DeleteWordBackward, km.DeleteWordForward, km.DeleteAfterCursor, km.DeleteBeforeCursor,
		km.DeleteCharacterBackward, km.DeleteCharacterForward, km.LineStart, km.LineEnd} {
		if key.Matches(msg, b) {
			return true
		}
	}
	return false
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

// View renders the input in exactly width cells (prompt included), scrolled
// so the cursor stays visible. The text input draws the whole text (it
// is given no width: its own scrolling counts runes, not cells) and the
// field shows the cells from the scroll offset that Update kept.
func (in *Input) View(s styles.Styles, width int) string {
	in.init()
	m := in.model // a copy: styles are the session's, and drawing changes nothing
	m.Placeholder = in.Placeholder
	m.SetStyles(inputStyles(s))
	prompt := s.InputPrompt.Render(in.Prompt)
	avail := width - ansi.StringWidth(in.Prompt)
	if avail < 2 {
		return ansi.Truncate(prompt, max(0, width), "")
	}
	offset := in.offset
	if width != in.width {
		offset = in.scrolled(0, width) // not sized yet: show the cursor
	}
	var out string
	switch {
	case m.Value() != "":
		// A wide character cut by the right edge is left out whole.
		out = ansi.Truncate(ansi.Cut(m.View(), offset, offset+avail), avail, "")
	case m.Focused():
		ph := []rune(in.Placeholder + " ")
		out = s.InputCursor.Render(string(ph[0])) + s.InputPlaceholder.Render(ansi.Truncate(string(ph[1:]), avail-1, "…"))
	default:
		out = s.InputPlaceholder.Render(ansi.Truncate(in.Placeholder, avail, "…"))
	}
	return prompt + out + strings.Repeat(" ", max(0, avail-ansi.StringWidth(out)))
}

// inputStyles are the text input's styles in the console's colours; the
// placeholder is dim and italic, so it never reads as a value.
func inputStyles(s styles.Styles) textinput.Styles {
	st := textinput.DefaultStyles(s.IsDark)
	state := textinput.StyleState{
		Text:        lipgloss.NewStyle(),
		Placeholder: s.InputPlaceholder,
		Suggestion:  s.InputPlaceholder,
		Prompt:      lipgloss.NewStyle(),
	}
	st.Focused, st.Blurred = state, state
	st.Cursor.Blink = false
	st.Cursor.Color = s.InputPrompt.GetForeground()
	return st
}
