package tui

import (
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/ui/tui/page"
)

// globalKeys work on every page unless the page is capturing keys (a form,
// a filter, a dialog); ctrl+c always quits.
type globalKeys struct {
	Help, Back, Quit, ForceQuit, NextPage, PrevPage, Pages key.Binding
}

func newGlobalKeys() globalKeys {
	return globalKeys{
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		NextPage:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next page")),
		PrevPage:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous page")),
		Pages:     pageDigits(),
	}
}

// pageDigits binds one digit per page of the registry (page.Count is at
// most 9), so a page added to the registry gets its key with it.
func pageDigits() key.Binding {
	digits := make([]string, page.Count)
	for i := range digits {
		digits[i] = strconv.Itoa(i + 1)
	}
	return key.NewBinding(key.WithKeys(digits...), key.WithHelp("1-"+digits[len(digits)-1], "go to page"))
}

// page maps a digit key to its page.
func (k globalKeys) page(msg tea.KeyPressMsg) (page.ID, bool) {
	if !key.Matches(msg, k.Pages) {
		return 0, false
	}
	return page.ID(msg.String()[0] - '1'), true
}

func (k globalKeys) short() []key.Binding { return []key.Binding{k.Help, k.Back, k.Quit} }

func (k globalKeys) full() []key.Binding {
	return []key.Binding{k.Pages, k.NextPage, k.PrevPage, k.Back, k.Help, k.Quit}
}
