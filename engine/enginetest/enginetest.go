// Package enginetest builds what the faces' tests need below the engine's
// API: a fresh database for an engine, job history seeded straight into it,
// and the sandbox's fakes with an app configured for them. The faces' tests
// use it so that no face, tests included, imports the store or the API
// clients. It is test support: only tests import it.
package enginetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/store"
	"syncops/store/storetest"
)

// DB is a database for an engine under test.
type DB struct {
	s *store.Store
}

// SQLite opens a fresh, migrated SQLite database, closed when the test ends.
func SQLite(t testing.TB) *DB {
	t.Helper()
	return &DB{s: storetest.Open(t, store.SQLite)}
}

// PostgresDSN is the DSN of a fresh PostgreSQL schema for SYNCOPS_DB (the
// test is skipped when SYNCOPS_TEST_POSTGRES is not set).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return storetest.DSN(t, store.Postgres)
}

// OpenDataDir opens the SQLite database of a data directory as the command
// line does (without migrating it), closed when the test ends.
func OpenDataDir(t testing.TB, dataDir string) *DB {
	t.Helper()
	s, err := store.Open(context.Background(), "", dataDir)
	if err != nil {
		t.Fatalf("open the data directory's database: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &DB{s: s}
}

// Store is the database handle the engine-side constructors take
// (engine.Config, scheduler.Config); a face's test passes it on unopened.
func (d *DB) Store() *store.Store { return d.s }

// WaitMaintenanceEnqueued waits until River's leader has inserted the
// engine's start-up maintenance job. River gives job ids in insert order,
// so waiting for it makes the ids of the test's jobs the same on every run.
// River offers no signal for it; this polls the database.
func (d *DB) WaitMaintenanceEnqueued(t testing.TB, timeout time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool { return storetest.MaintenanceEnqueued(d.s) }, timeout, 5*time.Millisecond,
		"the engine's maintenance job was not enqueued")
}

// Job is a job as SeedJobs writes it.
type Job struct {
	ID                                    int64
	Type                                  string
	Status                                engine.Status
	Params, Metadata, Error, By           string
	Total, Processed, OK, Failed, Skipped int64
	Created, Started, Completed           time.Time // zero: not set
	RetryOf                               int64
	Attempt                               int
}

// SeedJobs writes jobs straight to the database, in one transaction; jobs
// the test starts later get higher ids.
func (d *DB) SeedJobs(t testing.TB, jobs []Job) {
	t.Helper()
	rows := make([]storetest.SeedJob, len(jobs))
	for i, j := range jobs {
		rows[i] = storetest.SeedJob{ID: j.ID, Type: j.Type, Status: store.JobStatus(j.Status), Params: j.Params,
			Metadata: j.Metadata, Error: j.Error, By: j.By, Total: j.Total, Processed: j.Processed, OK: j.OK,
			Failed: j.Failed, Skipped: j.Skipped, Created: j.Created, Started: j.Started, Completed: j.Completed,
			RetryOf: j.RetryOf, Attempt: j.Attempt}
	}
	storetest.SeedJobs(t, d.s, rows)
}

// SeedFailures writes n failed items of job id (keys sku-000001 and up).
func (d *DB) SeedFailures(t testing.TB, id int64, n int, at time.Time) {
	t.Helper()
	storetest.SeedFailures(t, d.s, id, n, at)
}

// SeedAttempt records attempt n of a seeded job; a zero finished leaves it
// running.
func (d *DB) SeedAttempt(t testing.TB, id int64, n int, started, finished time.Time, outcome, errText string) {
	t.Helper()
	storetest.SeedAttempt(t, d.s, id, n, started, finished, outcome, errText)
}

// SaveScheduleUnchecked saves an enabled schedule as given, without the
// scheduler's validation: how a schedule the scheduler would refuse (a bad
// cron expression) reaches the database through an older version or a
// hand edit.
func (d *DB) SaveScheduleUnchecked(t testing.TB, jobType, cron string) {
	t.Helper()
	err := d.s.UpsertSchedule(context.Background(), d.s.DB(), store.Schedule{JobType: jobType, Cron: cron, Enabled: true,
		UpdatedBy: "test", UpdatedAt: time.Now()})
	if err != nil {
		t.Fatalf("save schedule: %v", err)
	}
}

// ChangeState summarises what an operator's action could change (jobs'
// status and progress, audit entries, schedule revisions); equal summaries
// before and after mean nothing changed.
func (d *DB) ChangeState(t testing.TB) string {
	t.Helper()
	return storetest.ChangeState(t, d.s)
}

// Stream is a pull stream as a test seeds it (see engine.StreamState).
type Stream struct {
	Name, State                     string // State: running, paused or done
	Rows, JobID                     int64
	Started, Updated, LastCompleted time.Time // zero: not set
}

// SeedStreams writes pull streams' cursors straight to the database.
func (d *DB) SeedStreams(t testing.TB, streams []Stream) {
	t.Helper()
	for _, s := range streams {
		err := d.s.SavePullCursor(context.Background(), d.s.DB(), store.PullCursor{Stream: s.Name,
			State: store.PullState(s.State), TotalPulled: s.Rows, JobID: s.JobID, StartedAt: s.Started,
			UpdatedAt: s.Updated, CompletedAt: s.LastCompleted})
		if err != nil {
			t.Fatalf("seed stream %s: %v", s.Name, err)
		}
	}
}
