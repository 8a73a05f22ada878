package overview

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/styles"
	"syncops/ui/tui/widget"
)

// field is one parameter of the start form.
type field struct {
	spec    engine.ParamSpec
	input   widget.Input // string, int, date and ids
	on      bool         // bool
	options []string     // enum: "" (the default) first unless required
	choice  int
}

// startForm asks for a job type's parameters before Start.
type startForm struct {
	kind   engine.KindInfo
	fields []field
	force  bool
	focus  int // len(fields) is the force toggle
	err    string
	busy   bool
	// width is the page's width, which the dialog fits into.
	width int
}

func newStartForm(k engine.KindInfo, width int) *startForm {
	f := &startForm{kind: k, width: width}
	for _, p := range k.Params {
		fl := field{spec: p}
		switch p.Kind {
		case engine.ParamBool:
			fl.on = p.Default == "true"
		case engine.ParamEnum:
			if !p.Required {
				fl.options = append(fl.options, "")
			}
			fl.options = append(fl.options, p.Enum...)
		default:
			fl.input = widget.Input{Prompt: "> ", Placeholder: placeholder(p)}
			fl.input.SetWidth(inputWidth)
		}
		f.fields = append(f.fields, fl)
	}
	f.setFocus(0)
	return f
}

func placeholder(p engine.ParamSpec) string {
	switch {
	case p.Default != "":
		return p.Default + " (default)"
	case p.Required:
		return "required"
	case p.Kind == engine.ParamDate:
		return "yyyy-mm-dd"
	case p.Kind == engine.ParamIDs:
		return "e.g. 1,2,3"
	}
	return ""
}

func (f *startForm) setFocus(i int) {
	n := len(f.fields) + 1
	f.focus = (i%n + n) % n
	for j := range f.fields {
		if j == f.focus {
			f.fields[j].input.Focus()
		} else {
			f.fields[j].input.Blur()
		}
	}
}

func (f *startForm) focused() *field {
	if f.focus < len(f.fields) {
		return &f.fields[f.focus]
	}
	return nil
}

// formAction is what a key press asks of the form's owner.
type formAction int

const (
	formNone formAction = iota
	formSubmit
	formClose
)

func (f *startForm) update(msg tea.Msg) formAction {
	if f.busy {
		return formNone
	}
	key, ok := msg.(tea.KeyPressMsg)
	if !ok {
		if fl := f.focused(); fl != nil && isText(fl.spec.Kind) {
			fl.input.Update(msg)
		}
		return formNone
	}
	fl := f.focused()
	switch key.String() {
	case "esc":
		return formClose
	case "enter":
		return formSubmit
	case "tab", "down":
		f.setFocus(f.focus + 1)
		return formNone
	case "shift+tab", "up":
		f.setFocus(f.focus - 1)
		return formNone
	}
	switch {
	case fl == nil: // the force toggle
		if key.String() == "space" || key.String() == "x" {
			f.force = !f.force
		}
	case fl.spec.Kind == engine.ParamBool:
		if key.String() == "space" || key.String() == "x" {
			fl.on = !fl.on
		}
	case fl.spec.Kind == engine.ParamEnum:
		switch key.String() {
		case "right", "space", "l":
			fl.choice = (fl.choice + 1) % len(fl.options)
		case "left", "h":
			fl.choice = (fl.choice - 1 + len(fl.options)) % len(fl.options)
		}
	default:
		fl.input.Update(key)
	}
	f.err = ""
	return formNone
}

func isText(k engine.ParamKind) bool {
	return k != engine.ParamBool && k != engine.ParamEnum
}

// params are the values to start with: only what the operator set, so an
// untouched form starts the job exactly as a schedule would.
func (f *startForm) params() engine.Params {
	out := engine.Params{}
	for _, fl := range f.fields {
		switch fl.spec.Kind {
		case engine.ParamBool:
			if fl.on != (fl.spec.Default == "true") {
				out[fl.spec.Name] = fmt.Sprint(fl.on)
			}
		case engine.ParamEnum:
			if v := fl.options[fl.choice]; v != "" {
				out[fl.spec.Name] = v
			}
		default:
			if v := strings.TrimSpace(fl.input.Value()); v != "" {
				out[fl.spec.Name] = v
			}
		}
	}
	return out
}

// inputWidth is the width of a text field in the form.
const inputWidth = 22

func (f *startForm) view(s styles.Styles, width int) string {
	var b strings.Builder
	if f.kind.Description != "" {
		b.WriteString(s.Muted.Render(f.kind.Description))
		b.WriteString("\n\n")
	}
	nameW := len("force")
	for _, fl := range f.fields {
		nameW = max(nameW, len(fl.spec.Name))
	}
	inner := max(10, min(width, maxFormWidth)-4)
	row := func(i int, name, control, hint string) {
		marker := "  "
		if i == f.focus {
			marker = "▸ "
		}
		b.WriteString(marker + widget.Cell(name, nameW, false) + "  " + control)
		b.WriteString(hintLines(s, hint, 2+nameW+2+inputWidth, inner))
		b.WriteString("\n")
	}
	for i, fl := range f.fields {
		switch fl.spec.Kind {
		case engine.ParamBool:
			row(i, fl.spec.Name, widget.Cell(check(fl.on), inputWidth, false), fl.spec.Help)
		case engine.ParamEnum:
			v := fl.options[fl.choice]
			if v == "" {
				v = "(default)"
				if fl.spec.Default != "" {
					v = "(default " + fl.spec.Default + ")"
				}
			}
			row(i, fl.spec.Name, widget.Cell("‹ "+v+" ›", inputWidth, false), widget.Join(" ", fl.spec.Help, "one of "+strings.Join(fl.spec.Enum, ", ")))
		default:
			row(i, fl.spec.Name, fl.input.View(s, inputWidth), hint(fl.spec))
		}
	}
	row(len(f.fields), "force", widget.Cell(check(f.force), inputWidth, false), "cancel an identical active job first")
	if len(f.fields) == 0 {
		b.WriteString(s.Muted.Render("  (this job type takes no parameters)") + "\n")
	}
	b.WriteString("\n")
	switch {
	case f.busy:
		b.WriteString(s.Notice.Render("starting…"))
	case f.err != "":
		b.WriteString(s.Error.Render("✗ " + f.err))
	default:
		b.WriteString(s.Muted.Render("enter start · ↑/↓ field · space toggle · ←/→ choose · esc cancel"))
	}
	return widget.Box(s, "Start "+f.kind.Label+" ("+f.kind.Type+")", b.String(), min(width, maxFormWidth))
}

// maxFormWidth is the widest the start form's dialog gets.
const maxFormWidth = 76

// minHintWidth is the narrowest a hint beside its field may be; a
// narrower one goes under the field.
const minHintWidth = 16

// hintLines renders a field's hint beside its control (which ends at
// column at), wrapped to the dialog's inner width and indented under
// itself, so no hint runs to the dialog's edge; when too little room is
// left beside the control, the hint goes on the lines under it.
func hintLines(s styles.Styles, hint string, at, inner int) string {
	if hint == "" {
		return ""
	}
	indent := at + 2
	if inner-indent < minHintWidth {
		indent = 4
		lines := strings.Split(widget.Wrap(hint, inner-indent), "\n")
		for i, ln := range lines {
			lines[i] = "\n" + strings.Repeat(" ", indent) + s.Muted.Render(ln)
		}
		return strings.Join(lines, "")
	}
	lines := strings.Split(widget.Wrap(hint, inner-indent), "\n")
	for i, ln := range lines {
		if i == 0 {
			lines[i] = "  " + s.Muted.Render(ln)
			continue
		}
		lines[i] = "\n" + strings.Repeat(" ", indent) + s.Muted.Render(ln)
	}
	return strings.Join(lines, "")
}

func check(on bool) string {
	if on {
		return "[x]"
	}
	return "[ ]"
}

func hint(p engine.ParamSpec) string {
	if p.Help != "" {
		return p.Help
	}
	switch p.Kind {
	case engine.ParamInt:
		return fmt.Sprintf("whole number ≥ %d", p.Min)
	case engine.ParamDate:
		return "a date"
	case engine.ParamIDs:
		return "comma-separated ids"
	}
	return ""
}
