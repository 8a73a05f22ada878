package tui_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/scheduler"
	"syncops/store"
	"syncops/ui/tui"
)

// seedJob is a job row written straight to the database, for views of
// history that tests do not want to run job by job.
type seedJob struct {
	ID                                    int64
	Type                                  string
	Status                                engine.Status
	Params, Metadata, Error, By           string
	Total, Processed, OK, Failed, Skipped int64
	Created, Started, Completed           time.Time // zero: not set
	RetryOf                               int64
	Attempt                               int
}

// insertJobs writes jobs in one transaction.
func insertJobs(t testing.TB, s *store.Store, jobs []seedJob) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.InTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO jobs (id, type, params, unique_key, status, total, processed,
			successful, failed, skipped, metadata, error, attempt, retry_of, requested_by, created_at, started_at,
			completed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
			$17, $18, $19)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		// River numbers the jobs it inserts after the highest id in its
		// table: a finished placeholder at the highest seeded id keeps
		// jobs started by the test after the seeded ones.
		var top int64
		for _, j := range jobs {
			top = max(top, j.ID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO river_job (id, kind, max_attempts, state, finalized_at)
			VALUES ($1, 'seed_placeholder', 1, 'discarded', CURRENT_TIMESTAMP)
			ON CONFLICT (id) DO NOTHING`, top); err != nil {
			return err
		}
		for _, j := range jobs {
			params, meta := or(j.Params, "{}"), or(j.Metadata, "{}")
			var retryOf sql.NullInt64
			if j.RetryOf != 0 {
				retryOf = sql.NullInt64{Int64: j.RetryOf, Valid: true}
			}
			if _, err := stmt.ExecContext(ctx, j.ID, j.Type, params, fmt.Sprintf("%s %s #%d", j.Type, params, j.ID),
				j.Status, j.Total, j.Processed, j.OK, j.Failed, j.Skipped, meta, j.Error, j.Attempt, retryOf, j.By,
				millis(j.Created), nullMillis(j.Started), nullMillis(j.Completed), millis(j.Created)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// insertFailures writes n failed items of job id in one transaction.
func insertFailures(t testing.TB, s *store.Store, id int64, n int, at time.Time) {
	t.Helper()
	ctx := context.Background()
	classes := []string{"validation", "not_found", "rate_limit", "transient"}
	require.NoError(t, s.InTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO job_failed_items (job_id, item_key, message, error_class,
			request, attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := 1; i <= n; i++ {
			key := fmt.Sprintf("sku-%06d", i)
			if _, err := stmt.ExecContext(ctx, id, key, fmt.Sprintf("variant %s: inventory item not found on Shopify", key),
				classes[i%len(classes)], fmt.Sprintf("inventorySetQuantities item=%s location=5001", key),
				1+i%3, millis(at)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// insertAttempt records one attempt of a seeded job.
func insertAttempt(t testing.TB, s *store.Store, id int64, n int, started, finished time.Time, outcome, errText string) {
	t.Helper()
	_, err := s.DB().Exec(`INSERT INTO job_attempts (job_id, attempt, started_at, finished_at, outcome, error)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, n, millis(started), nullMillis(finished), outcome, errText)
	require.NoError(t, err)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
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
		s, err := scheduler.New(scheduler.Config{Engine: b.engine, Store: b.store, Location: zone, Clock: b.clock})
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
