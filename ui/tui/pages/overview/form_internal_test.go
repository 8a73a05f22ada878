package overview

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/ui/tui/styles"
)

// TestIDsPlaceholderIsNoValue: an empty ids field shows an example that
// reads as one ("e.g. 1,2,3"), and the example is never sent as the
// parameter; text typed in replaces it.
func TestIDsPlaceholderIsNoValue(t *testing.T) {
	t.Parallel()
	k := engine.KindInfo{Type: "CUSTOMER_SYNC", Label: "Customer sync",
		Params: []engine.ParamSpec{{Name: "ids", Kind: engine.ParamIDs, Help: "mapping ids"}}}
	f := newStartForm(k, 100)
	view := ansi.Strip(f.view(styles.New(true), 100))
	require.Contains(t, view, "e.g. 1,2,3")
	require.NotContains(t, f.params(), "ids", "the placeholder is not a value")

	for _, r := range "4,5" {
		f.update(keyPress(string(r)))
	}
	require.Equal(t, "4,5", f.params()["ids"])
	require.NotContains(t, ansi.Strip(f.view(styles.New(true), 100)), "e.g.")
}

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec engine.ParamSpec
		want string
	}{
		{engine.ParamSpec{Kind: engine.ParamIDs}, "e.g. 1,2,3"},
		{engine.ParamSpec{Kind: engine.ParamDate}, "yyyy-mm-dd"},
		{engine.ParamSpec{Kind: engine.ParamInt, Default: "500"}, "500 (default)"},
		{engine.ParamSpec{Kind: engine.ParamString, Required: true}, "required"},
		{engine.ParamSpec{Kind: engine.ParamString}, ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, placeholder(tt.spec), "%+v", tt.spec)
	}
}

func keyPress(s string) tea.KeyPressMsg {
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}
