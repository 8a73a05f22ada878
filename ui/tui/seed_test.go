package tui_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
	"syncops/engine/scheduler"
	"syncops/ui/tui"
)

// seedJob is a job row written straight to the database, for views of
// history that tests do not want to run job by job.
type seedJob = enginetest.Job

// insertJobs writes jobs in one transaction.
func insertJobs(t testing.TB, db *enginetest.DB, jobs []seedJob) {
	t.Helper()
	db.SeedJobs(t, jobs)
}

// insertFailures writes n failed items of job id in one transaction.
func insertFailures(t testing.TB, db *enginetest.DB, id int64, n int, at time.Time) {
	t.Helper()
	db.SeedFailures(t, id, n, at)
}

// insertAttempt records one attempt of a seeded job.
func insertAttempt(t testing.TB, db *enginetest.DB, id int64, n int, started, finished time.Time, outcome, errText string) {
	t.Helper()
	db.SeedAttempt(t, id, n, started, finished, outcome, errText)
}

// history is a small seeded history: one job of each outcome.
func history(t testing.TB, b *bundle) {
	insertJobs(t, b.store, []seedJob{
		{ID: 1, Type: "STEPPED", Status: engine.StatusCompleted, Params: `{"n":10}`, Total: 10, Processed: 10, OK: 9, Skipped: 1,
			Metadata: `{"itemsPerSecond":0.2}`, Created: t0.Add(-2 * time.Hour), Started: t0.Add(-2 * time.Hour),
			Completed: t0.Add(-2*time.Hour + 65*time.Second), By: "scheduler:scheduler", Attempt: 1},
		{ID: 2, Type: "FAILING_ITEMS", Status: engine.StatusCompleted, Params: `{"n":20}`, Total: 20, Processed: 20, OK: 16,
			Failed: 4, Created: t0.Add(-30 * time.Minute), Started: t0.Add(-30 * time.Minute),
			Completed: t0.Add(-29 * time.Minute), By: "local:ops", Attempt: 1},
		{ID: 3, Type: "STEPPED", Status: engine.StatusRunning, Params: `{"mode":"delta","n":1000}`, Total: 1000,
			Processed: 400, OK: 390, Failed: 10, Metadata: `{"etaSeconds":48,"itemsPerSecond":12.5,"pull":{"cursor":"c-17","pages":4}}`,
			Created: t0.Add(-32 * time.Second), Started: t0.Add(-32 * time.Second), By: "ssh:alice", Attempt: 2},
	})
	insertAttempt(t, b.store, 3, 1, t0.Add(-32*time.Second), t0.Add(-20*time.Second), "interrupted", "")
	insertAttempt(t, b.store, 3, 2, t0.Add(-19*time.Second), time.Time{}, "", "")
	insertFailures(t, b.store, 3, 10, t0.Add(-10*time.Second))
	insertFailures(t, b.store, 2, 4, t0.Add(-29*time.Minute))
}

// budgets are API budgets as the status bar shows them: Nhanh locked.
func budgets(clock interface{ Now() time.Time }) func() []tui.Budget {
	return func() []tui.Budget {
		return []tui.Budget{
			{API: "Shopify", Available: 1840, Capacity: 2000, Unit: tui.BudgetPoints},
			{API: "Nhanh", Available: 0, Capacity: 150, Unit: tui.BudgetRequests, LockedUntil: clock.Now().Add(12 * time.Second)},
		}
	}
}

// realScheduler is the scheduler the console gets in production, with an
// enabled hourly schedule for STEPPED and a disabled one for WAITER.
func realScheduler(t testing.TB) func(b *bundle) tui.ScheduleSource {
	return func(b *bundle) tui.ScheduleSource {
		s, err := scheduler.New(scheduler.Config{Engine: b.engine, Store: b.store.Store(), Location: zone, Clock: b.clock})
		require.NoError(t, err)
		ctx := context.Background()
		admin := engine.Actor{Name: "admin", Kind: engine.ActorCLI}
		_, err = s.Set(ctx, "STEPPED", "0 * * * *", nil, admin)
		require.NoError(t, err)
		_, err = s.Set(ctx, "WAITER", "30 2 * * *", nil, admin)
		require.NoError(t, err)
		_, err = s.SetEnabled(ctx, "WAITER", false, admin)
		require.NoError(t, err)
		return s
	}
}

// manyJobs is a history of n jobs of every type and outcome, ten minutes
// apart, the newest two still active.
func manyJobs(n int) []seedJob {
	types := []string{"STEPPED", "FAILING_ITEMS", "WAITER"}
	jobs := make([]seedJob, 0, n)
	for i := 1; i <= n; i++ {
		created := t0.Add(-time.Duration(n-i+1) * 10 * time.Minute)
		j := seedJob{ID: int64(i), Type: types[i%len(types)], Status: engine.StatusCompleted, Params: fmt.Sprintf(`{"n":%d}`, 10+i%7),
			Total: 100, Processed: 100, OK: 100, Created: created, Started: created.Add(time.Second),
			Completed: created.Add(time.Duration(40+i%50) * time.Second), By: "scheduler:scheduler", Attempt: 1}
		switch {
		case i == n:
			j.Status, j.Processed, j.OK, j.Completed = engine.StatusPending, 0, 0, time.Time{}
			j.Started, j.Attempt = time.Time{}, 0
		case i == n-1:
			j.Status, j.Processed, j.OK, j.Completed = engine.StatusRunning, 37, 37, time.Time{}
		case i%20 == 0:
			j.Status, j.Processed, j.OK, j.Error = engine.StatusFailed, 3, 3, "shopify customers: 401 invalid token"
		case i%10 == 0:
			j.Status, j.Processed, j.OK, j.Error = engine.StatusFailed, 50, 50, "nhanh customer/list: ERR_429 locked for 30s"
		case i%7 == 0:
			j.Status, j.Processed, j.OK, j.Error = engine.StatusCancelled, 12, 12, "cancelled by ssh:alice"
		case i%3 == 0:
			j.OK, j.Failed = 95, 5
		}
		jobs = append(jobs, j)
	}
	return jobs
}
