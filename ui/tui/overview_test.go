package tui_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine/jobs"
)

func TestOverviewGolden(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{sandbox: true, seed: history, schedules: realScheduler(t), budgets: true})
			b.waitFor(t, "Job #3 Running", "Next run", "Failing items", "Nhanh locked 12s")
			b.golden(t, "overview")
			b.press("down")
			b.waitFor(t, "Job #2 Completed")
			b.finish(t)
		})
	}
}

// TestOverviewNamesInFull: at 100 columns and wider every real job type's
// name is shown whole; at 80 names are shortened before the progress,
// counts and next run are dropped.
func TestOverviewNamesInFull(t *testing.T) {
	t.Parallel()
	kinds := jobs.Unavailable(errors.New("no credentials"))
	for _, sz := range []struct{ w, h int }{{80, 24}, {100, 30}, {120, 40}} {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{kinds: kinds})
			b.waitFor(t, "TYPE", "PROGRESS", "DONE", "FAILED", "NEXT RUN", "Never run. Press s to start it.")
			view := b.rec.current()
			for _, k := range kinds {
				if sz.w >= 100 {
					require.Contains(t, view, k.Label+" ", "%s is cut at %d columns", k.Label, sz.w)
				}
			}
			if sz.w != 100 {
				b.golden(t, "overview")
			}
		})
	}
}
