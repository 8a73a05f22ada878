package tui_test

import (
	"testing"
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
