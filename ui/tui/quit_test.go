package tui_test

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/require"

	"syncops/ui/tui"
)

// TestQuitWhileJobsRunAsksFirst: q (or ctrl+c) with a job running asks
// first, naming the job; "n" stays; "y" quits and the exit note says what
// was paused. A console that does not own the engine (an SSH session)
// quits at once.
func TestQuitWhileJobsRunAsksFirst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		quit string
	}{
		{name: "q", quit: "q"},
		{name: "ctrl+c", quit: "ctrl+c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, 120, 40, world{seed: history, owns: true})
			b.waitFor(t, "Job #3 Running")
			b.press(tt.quit)
			b.waitFor(t, "Quit syncops?", "1 job is still active; quitting pauses it:", "#3 Stepped import (running, 400/1,000)")
			b.press("n")
			b.waitView(t, func(v string) bool { return !strings.Contains(v, "Quit syncops?") })
			b.press(tt.quit)
			b.waitFor(t, "Quit syncops?")
			b.press("y")
			final := b.tm.FinalModel(t, teatest.WithFinalTimeout(waitTimeout))
			note := final.(*recorder).Model.(*tui.Model).ExitNote()
			require.Contains(t, note, "Paused 1 job when syncops stopped:\n  #3 Stepped import (running, 400/1,000)")
		})
	}
	t.Run("ssh session", func(t *testing.T) {
		t.Parallel()
		b := setup(t, 80, 24, world{seed: history})
		b.waitFor(t, "Job #3 Running")
		b.press("q")
		final := b.tm.FinalModel(t, teatest.WithFinalTimeout(waitTimeout))
		require.Empty(t, final.(*recorder).Model.(*tui.Model).ExitNote())
	})
}
