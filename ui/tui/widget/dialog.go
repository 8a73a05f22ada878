package widget

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"syncops/ui/tui/styles"
)

// Confirm is a yes/no question about an action.
type Confirm struct {
	Title string
	Body  string
	// Yes and No say what each answer does; empty means "confirm" and
	// "keep it as it is".
	Yes, No string
}

// Answer reads a key press: y or enter says yes, n or esc says no, any
// other key leaves the question open.
func Answer(msg tea.KeyPressMsg) (decided, yes bool) {
	switch msg.String() {
	case "y", "Y", "enter":
		return true, true
	case "n", "N", "esc":
		return true, false
	}
	return false, false
}

// buttons are the answers' texts as the box shows them.
func (c Confirm) buttons() (yes, no string) {
	yes, no = c.answers()
	return "y " + yes, "n/esc " + no
}

func (c Confirm) answers() (yes, no string) {
	yes, no = c.Yes, c.No
	if yes == "" {
		yes = "confirm"
	}
	if no == "" {
		no = "keep it as it is"
	}
	return yes, no
}

// Keys are the question's answers as key bindings, for the foot key line
// while the question is open (the page's own keys do nothing then).
func (c Confirm) Keys() []key.Binding {
	yes, no := c.answers()
	return []key.Binding{
		key.NewBinding(key.WithKeys("y", "enter"), key.WithHelp("y", yes)),
		key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", no)),
	}
}

// View renders the question as a box no wider than width.
func (c Confirm) View(s styles.Styles, width int) string {
	yes, no := c.buttons()
	return Box(s, c.Title, c.Body+"\n\n"+s.Muted.Render(yes+" · "+no), width)
}

// Click answers the question for a click at x, y of an area width by
// height cells over which the box is drawn centred (Overlay): a click on
// the yes or the no text decides; anywhere else leaves it open.
func (c Confirm) Click(s styles.Styles, x, y, width, height int) (decided, yes bool) {
	box := c.View(s, width)
	bw, bh := lipgloss.Size(box)
	x0, y0 := max(0, (width-bw)/2), max(0, (height-bh)/2)
	if y < y0 || y >= y0+bh {
		return false, false
	}
	yesText, noText := c.buttons()
	line := ansi.Strip(strings.Split(box, "\n")[y-y0])
	hit := func(text string) bool {
		i := strings.Index(line, text)
		if i < 0 {
			return false
		}
		from := x0 + ansi.StringWidth(line[:i])
		return x >= from && x < from+ansi.StringWidth(text)
	}
	switch {
	case hit(yesText):
		return true, true
	case hit(noText):
		return true, false
	}
	return false, false
}

// maxBoxWidth keeps dialogs readable on wide terminals.
const maxBoxWidth = 76

// Box draws a bordered box with a title; body lines are wrapped to fit.
func Box(s styles.Styles, title, body string, width int) string {
	content := ansi.StringWidth(title)
	for _, ln := range strings.Split(body, "\n") {
		content = max(content, ansi.StringWidth(ln))
	}
	w := min(width, maxBoxWidth, content+4)
	inner := max(10, w-4) // border and padding
	var b strings.Builder
	b.WriteString(s.Title.Render(ansi.Truncate(title, inner, "…")))
	b.WriteString("\n")
	for _, ln := range strings.Split(body, "\n") {
		b.WriteString("\n")
		if ansi.StringWidth(ln) > inner {
			ln = lipgloss.Wrap(ln, inner, " ")
		}
		b.WriteString(ln)
	}
	return s.Dialog.Width(inner + 4).Render(b.String())
}

// Overlay draws box centred over base, which is width by height cells.
func Overlay(base, box string, width, height int) string {
	bw, bh := lipgloss.Size(box)
	x := max(0, (width-bw)/2)
	y := max(0, (height-bh)/2)
	canvas := lipgloss.NewCanvas(width, height)
	canvas.Compose(lipgloss.NewCompositor(
		lipgloss.NewLayer(base),
		lipgloss.NewLayer(box).X(x).Y(y).Z(1),
	))
	return canvas.Render()
}

// Question is an open yes/no question about an action, with what a yes
// does; a page keeps one while it is open and drops it once settled.
type Question struct {
	Confirm
	// OnYes is the command a yes runs.
	OnYes func() tea.Cmd
}

// Key answers the question with a key press (Answer): settled reports that
// it is answered, cmd is OnYes's command for a yes.
func (q *Question) Key(msg tea.KeyPressMsg) (settled bool, cmd tea.Cmd) {
	return q.settle(Answer(msg))
}

// Click answers the question with a click on its box, drawn centred over
// an area width by height cells (Confirm.Click).
func (q *Question) Click(s styles.Styles, x, y, width, height int) (settled bool, cmd tea.Cmd) {
	return q.settle(q.Confirm.Click(s, x, y, width, height))
}

func (q *Question) settle(decided, yes bool) (bool, tea.Cmd) {
	if decided && yes && q.OnYes != nil {
		return true, q.OnYes()
	}
	return decided, nil
}
