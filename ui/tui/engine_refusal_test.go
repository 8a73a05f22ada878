package tui_test

import (
	"testing"

	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/require"

	"syncops/engine"
)

// TestEngineRefusesAViewerTheConsoleLetThrough: the console's read-only
// flag only words refusals; a console that was not told its actor is a
// viewer still cannot change anything, because the engine refuses the
// viewer's Actor and the console shows the engine's refusal.
func TestEngineRefusesAViewerTheConsoleLetThrough(t *testing.T) {
	t.Parallel()
	viewer := engine.Actor{Kind: engine.ActorSSH, Name: "SHA256:abc victor@view", Role: engine.RoleViewer}
	b := setup(t, 160, 30, world{actor: &viewer, seed: history})
	before := dbState(t, b)
	b.waitFor(t, "Stepped import")
	b.press("s")
	b.waitFor(t, "Start Stepped import (STEPPED)")
	b.press("enter")
	b.waitFor(t, "viewers can look but not change anything")
	b.press("ctrl+c")
	b.tm.WaitFinished(t, teatest.WithFinalTimeout(waitTimeout))
	require.Equal(t, before, dbState(t, b), "a viewer changed the database")
}
