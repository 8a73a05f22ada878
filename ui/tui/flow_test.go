package tui_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
)

// TestStartWatchCancelRetry drives the console the way an operator does:
// start a job from the overview, watch its progress bar move with engine
// events, open its detail, open a failed item of another job, retry the
// failed items, and cancel a running job after confirming.
func TestStartWatchCancelRetry(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{workers: true})
			b.waitFor(t, "Stepped import", "Never run. Press s to start it.")

			// Start STEPPED with n=8 from the form.
			b.press("s")
			b.waitFor(t, "Start Stepped import (STEPPED)")
			b.press("8", "down", "right", "down", "space")
			b.waitFor(t, "> 8", "‹ full ›", "[x]")
			b.golden(t, "start_form")
			b.press("enter")
			require.Equal(t, engine.JobID(2), b.bodyReached(t))
			b.waitFor(t, "started STEPPED as job #2")

			// A second later the body has counted half its items; it writes
			// its progress, and the engine's event moves the bar.
			b.clock.Advance(time.Second)
			b.proceed <- struct{}{}
			b.waitFor(t, "4/8", " 50%", "rate 4.0/s · ETA 1s · took 1s")
			b.golden(t, "running")
			b.proceed <- struct{}{}
			b.waitFor(t, "8/8", "100%", "Job #2 Completed")

			// Watch: the detail of the latest run.
			b.press("enter")
			b.waitFor(t, "Job #2  COMPLETED", "attempt 1 completed", "finished Completed", "dryRun: true",
				"itemsPerSecond: 8")
			b.golden(t, "detail")

			// A job with failed items: open one.
			b.press("esc")
			b.waitFor(t, "TYPE")
			b.press("down", "s")
			b.waitFor(t, "Start Failing items (FAILING_ITEMS)")
			b.press("enter")
			b.waitFor(t, "Job #3 Completed", "4 failed")
			b.press("enter")
			b.waitFor(t, "[Info]  Failed items (4)")
			b.press("right")
			b.waitFor(t, "[Failed items (4)]", "item-20", "4 failed items · page 1 of 1")
			b.press("down", "enter")
			b.waitFor(t, "Failed item item-10", "metafieldsSet owner=item-10")
			b.golden(t, "failed_item")

			// Retry the failed items: a new job, and the console jumps to it.
			b.press("esc", "r")
			b.waitFor(t, "Job #4  COMPLETED", "retry of #3", "4/4 processed", "attempt 1 completed",
				"finished Completed", "retried: item-5, item-10, item-15, item-20")
			b.golden(t, "retry")

			// Cancel a running job, after confirming.
			b.press("1")
			b.waitFor(t, "TYPE")
			b.press("down", "s")
			b.waitFor(t, "Start Waiter (WAITER)")
			b.press("enter")
			require.Equal(t, engine.JobID(5), b.bodyReached(t))
			b.clock.Advance(time.Second)
			b.proceed <- struct{}{}
			b.waitFor(t, "Job #5 Running", "1/3", "rate 1.0/s")
			b.press("c")
			b.waitFor(t, "Cancel job #5?")
			b.golden(t, "cancel_confirm")
			b.press("y")
			b.waitFor(t, "Job #5 Cancelled", "cancelled job #5", "error: cancelled by local:ops")
			b.finish(t)

			j, err := b.engine.Get(t.Context(), 5)
			require.NoError(t, err)
			require.Equal(t, engine.StatusCancelled, j.Status)
		})
	}
}

// bodyReached waits for a gated job body to report it counted its first
// items, and returns its job id.
func (b *bundle) bodyReached(t *testing.T) engine.JobID {
	t.Helper()
	select {
	case id := <-b.reached:
		return id
	case <-time.After(waitTimeout):
		t.Fatal("no job body started")
		return 0
	}
}
