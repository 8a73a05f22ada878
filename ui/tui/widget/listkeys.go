package widget

import "charm.land/bubbles/v2/key"

// ListKeys are the keys of a paged list with state tabs (the jobs, the
// mappings): move, switch tab, page, open.
type ListKeys struct {
	Up, Down, NextTab, PrevTab, NextPage, PrevPage, First, Open key.Binding
}

// NewListKeys returns the list keys every such page binds alike.
func NewListKeys() ListKeys {
	return ListKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		NextTab:  key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "next state")),
		PrevTab:  key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "previous state")),
		NextPage: key.NewBinding(key.WithKeys("n", "pgdown"), key.WithHelp("n/pgdn", "next page")),
		PrevPage: key.NewBinding(key.WithKeys("p", "pgup"), key.WithHelp("p/pgup", "previous page")),
		First:    key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "first page")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
	}
}
