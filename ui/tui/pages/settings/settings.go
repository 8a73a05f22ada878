// Package settings is the console's settings page (issue 12, "settings"):
// every setting that changes behaviour with its value in force, whether an
// operator set it, and what it does; enter edits the selected one. The
// engine validates (a refused value is shown and nothing changes), audits
// with the actor, and refuses a viewer. The CLI twin is `syncops settings`.
package settings

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"syncops/engine"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// Page is the settings page.
type Page struct {
	env  *page.Env
	keys keyMap

	settings []engine.Setting
	err      error
	loaded   bool
	cursor   int

	// edit is the value being typed for the selected setting; editErr is
	// the engine's refusal of the last value tried.
	edit    *widget.Input
	editErr string
	saving  bool

	width, height int
}

type keyMap struct{ Up, Down, Edit, Save, Cancel key.Binding }

// New builds the settings page.
func New(env *page.Env) *Page {
	return &Page{env: env, keys: keyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Edit:   key.NewBinding(key.WithKeys("enter", "e"), key.WithHelp("enter", "change")),
		Save:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "keep as is")),
	}}
}

// Title implements page.Page.
func (p *Page) Title() string { return "Settings" }

// ShortHelp implements help.KeyMap.
func (p *Page) ShortHelp() []key.Binding {
	if p.edit != nil {
		return []key.Binding{p.keys.Save, p.keys.Cancel}
	}
	return []key.Binding{p.keys.Edit}
}

// FullHelp implements help.KeyMap.
func (p *Page) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.keys.Up, p.keys.Down}, {p.keys.Edit, p.keys.Save, p.keys.Cancel}}
}

// SetSize implements page.Page.
func (p *Page) SetSize(width, height int) {
	p.width, p.height = width, height
	if p.edit != nil {
		p.edit.SetWidth(p.inputWidth())
	}
}

// Capturing implements page.Page: the value being typed takes every key.
func (p *Page) Capturing() bool { return p.edit != nil }

type loadedMsg struct {
	settings []engine.Setting
	err      error
}

type savedMsg struct {
	key, value string
	err        error
}

// Activate implements page.Page.
func (p *Page) Activate() tea.Cmd { return p.load() }

func (p *Page) load() tea.Cmd {
	env := p.env
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		ss, err := env.Engine.Settings(ctx)
		return loadedMsg{settings: ss, err: err}
	}
}

// Update implements page.Page.
func (p *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		p.loaded, p.settings, p.err = true, msg.settings, msg.err
		p.cursor = max(0, min(p.cursor, len(p.settings)-1))
	case savedMsg:
		p.saving = false
		if msg.err != nil {
			var perr *engine.ParamError
			if errors.As(msg.err, &perr) {
				// A refused value: say why beside the field and keep it
				// open for another try; nothing was stored.
				p.editErr = perr.Reason
				return nil
			}
			p.edit, p.editErr = nil, ""
			return page.Fail("set "+msg.key, msg.err)
		}
		p.edit, p.editErr = nil, ""
		return tea.Batch(p.load(), page.Notify("%s set to %s", msg.key, msg.value))
	case page.ClickMsg:
		if i := msg.Y - headLines; p.edit == nil && i >= 0 && i < len(p.settings) {
			p.cursor = i
		}
	case tea.KeyPressMsg:
		if p.edit != nil {
			return p.editKey(msg)
		}
		switch {
		case key.Matches(msg, p.keys.Up):
			p.cursor = max(0, p.cursor-1)
		case key.Matches(msg, p.keys.Down):
			p.cursor = max(0, min(len(p.settings)-1, p.cursor+1))
		case key.Matches(msg, p.keys.Edit):
			if p.cursor >= len(p.settings) {
				return nil
			}
			st := p.settings[p.cursor]
			if cmd := p.env.Refuse("change " + st.Key); cmd != nil {
				return cmd
			}
			in := &widget.Input{Prompt: "> ", Placeholder: st.Default + " (default)"}
			in.SetWidth(p.inputWidth())
			in.SetValue(st.Value)
			in.Focus()
			p.edit, p.editErr = in, ""
		}
	}
	return nil
}

func (p *Page) editKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, p.keys.Cancel):
		p.edit, p.editErr = nil, ""
		return nil
	case key.Matches(msg, p.keys.Save):
		if p.saving {
			return nil
		}
		p.saving = true
		k, v, env := p.settings[p.cursor].Key, p.edit.Value(), p.env
		return func() tea.Msg {
			ctx, cancel := env.Call()
			defer cancel()
			return savedMsg{key: k, value: v, err: env.Engine.SetSetting(ctx, k, v, env.Actor)}
		}
	}
	if p.edit.Update(msg) {
		p.editErr = ""
	}
	return nil
}

func (p *Page) inputWidth() int { return max(10, min(40, p.width-4)) }

// headLines are the lines above the rows: the title, a blank, the header.
const headLines = 3

// columns: the setting's key is shown whole unless only the value's
// column would then be left out (WholeNames in View).
var columns = []widget.Column{
	{Title: "SETTING", Width: 14, Keep: 100},
	{Title: "VALUE", Width: 16, Flex: true, Keep: 95},
	{Title: "DEFAULT", Width: 12, Keep: 60},
	{Title: "SET", Width: 9, Keep: 70},
}

// View implements page.Page.
func (p *Page) View() string {
	s := p.env.Styles
	switch {
	case p.err != nil:
		return widget.Fill(s.Error.Render(ansi.Truncate("cannot read the settings: "+p.err.Error(), p.width, "…")), p.width, p.height)
	case !p.loaded:
		return widget.Fill(s.Muted.Render(p.env.Loading("loading settings…")), p.width, p.height)
	}
	var b strings.Builder
	title := widget.Join(" · ", s.Title.Render("Settings"), fmt.Sprintf("%d settings", len(p.settings)),
		s.Muted.Render("changes apply to the next job that reads them and are audited"))
	b.WriteString(ansi.Truncate(title, p.width, "…") + "\n\n")
	keys := make([]string, len(p.settings))
	for i, st := range p.settings {
		keys[i] = st.Key
	}
	l := widget.Fit(widget.WholeNames(columns, 0, 96, keys), p.width)
	b.WriteString(l.Header(s))
	for i, st := range p.settings {
		set := s.Muted.Render("default")
		if st.Set {
			set = "set"
			if st.UpdatedAt != nil {
				set = st.UpdatedAt.In(p.env.Location).Format("01-02 15:04")
			}
		}
		b.WriteString("\n" + l.Row([]string{st.Key, st.Value, st.Default, set}, i == p.cursor, s))
	}
	if p.cursor < len(p.settings) {
		st := p.settings[p.cursor]
		b.WriteString("\n\n" + s.Title.Render(st.Key) + "\n")
		b.WriteString(widget.Wrap(st.Help, max(10, p.width-2)))
		if p.edit != nil {
			b.WriteString("\n\n" + p.edit.View(s, p.inputWidth()+2))
			switch {
			case p.saving:
				b.WriteString("\n" + s.Muted.Render(p.env.Loading("saving…")))
			case p.editErr != "":
				b.WriteString("\n" + s.Error.Render(widget.Wrap("✗ "+p.editErr+"; nothing was changed", max(10, p.width-2))))
			default:
				b.WriteString("\n" + s.Muted.Render("enter save · esc keep as is"))
			}
		}
	}
	return widget.Fill(b.String(), p.width, p.height)
}
