package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"syncops/store"
)

// SeedJob is a job row written straight to the database, for tests of views
// of history that do not want to run job by job.
type SeedJob struct {
	ID                                    int64
	Type                                  string
	Status                                store.JobStatus
	Params, Metadata, Error, By           string
	Total, Processed, OK, Failed, Skipped int64
	Created, Started, Completed           time.Time // zero: not set
	RetryOf                               int64
	Attempt                               int
}

// SeedJobs writes jobs in one transaction. River numbers the jobs it
// inserts after the highest id in its table, so a finished placeholder at
// the highest seeded id keeps jobs the test starts after the seeded ones.
func SeedJobs(t testing.TB, s *store.Store, jobs []SeedJob) {
	t.Helper()
	ctx := context.Background()
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO jobs (id, type, params, unique_key, status, total, processed,
			successful, failed, skipped, metadata, error, attempt, retry_of, requested_by, created_at, started_at,
			completed_at, updated_at, error_search) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
			$14, $15, $16, $17, $18, $19, $20)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
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
				store.Millis(j.Created), nullMillis(j.Started), nullMillis(j.Completed), store.Millis(j.Created),
				store.SearchText(j.Error)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed jobs: %v", err)
	}
}

// SeedFailures writes n failed items of job id in one transaction, keyed
// sku-000001 and up, with every error class in turn, through the store so
// their search column is filled; item i is given 1+i%3 times, which counts
// as that many tries.
func SeedFailures(t testing.TB, s *store.Store, id int64, n int, at time.Time) {
	t.Helper()
	ctx := context.Background()
	classes := []string{"validation", "not_found", "rate_limit", "transient"}
	items := make([]store.FailedItem, 0, 2*n)
	for i := 1; i <= n; i++ {
		key := fmt.Sprintf("sku-%06d", i)
		for range 1 + i%3 {
			items = append(items, store.FailedItem{JobID: id, ItemKey: key,
				Message:    fmt.Sprintf("variant %s: inventory item not found on Shopify", key),
				ErrorClass: classes[i%len(classes)], Request: fmt.Sprintf("inventorySetQuantities item=%s location=5001", key),
				CreatedAt: at})
		}
	}
	if err := s.InTx(ctx, func(tx *sql.Tx) error { return s.UpsertFailedItems(ctx, tx, items) }); err != nil {
		t.Fatalf("seed failed items: %v", err)
	}
}

// SeedAttempt records attempt n of a seeded job; a zero finished leaves it
// running.
func SeedAttempt(t testing.TB, s *store.Store, id int64, n int, started, finished time.Time, outcome, errText string) {
	t.Helper()
	_, err := s.DB().Exec(`INSERT INTO job_attempts (job_id, attempt, started_at, finished_at, outcome, error)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, n, store.Millis(started), nullMillis(finished), outcome, errText)
	if err != nil {
		t.Fatalf("seed attempt: %v", err)
	}
}

// MaintenanceEnqueued reports whether River's leader has inserted the
// engine's start-up maintenance job (River gives job ids in insert order,
// so tests wait for it to keep their jobs' ids stable).
func MaintenanceEnqueued(s *store.Store) bool {
	var n int
	err := s.DB().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'syncops_maintenance'`).Scan(&n)
	return err == nil && n > 0
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: store.Millis(t), Valid: true}
}

// ChangeState summarises what an operator's action could change: each
// job's status, progress and update time, the number of audit entries and
// the schedules' revisions. Equal summaries before and after mean nothing
// changed.
func ChangeState(t testing.TB, s *store.Store) string {
	t.Helper()
	var out string
	rows, err := s.DB().Query(`SELECT id, status, processed, updated_at FROM jobs ORDER BY id`)
	if err != nil {
		t.Fatalf("read jobs: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, processed, updated int64
		var status string
		if err := rows.Scan(&id, &status, &processed, &updated); err != nil {
			t.Fatalf("read jobs: %v", err)
		}
		out += fmt.Sprintf("job %d %s %d %d\n", id, status, processed, updated)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read jobs: %v", err)
	}
	var audits, revisions int64
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&audits); err != nil {
		t.Fatalf("count audit entries: %v", err)
	}
	if err := s.DB().QueryRow(`SELECT COALESCE(SUM(revision), 0) FROM schedules`).Scan(&revisions); err != nil {
		t.Fatalf("sum schedule revisions: %v", err)
	}
	// Mappings: how many, which, and what each targets and how it stands.
	for table, target := range map[string]string{"customer_mappings": "shopify_customer_gid", "product_mappings": "shopify_variant_gid"} {
		rows, err := s.DB().Query(`SELECT id, COALESCE(` + target + `, ''), status, match_method FROM ` + table + ` ORDER BY id`)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		for rows.Next() {
			var id int64
			var gid, status, method string
			if err := rows.Scan(&id, &gid, &status, &method); err != nil {
				t.Fatalf("read %s: %v", table, err)
			}
			out += fmt.Sprintf("%s %d %s %s %s\n", table, id, gid, status, method)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		rows.Close()
	}
	return out + fmt.Sprintf("audit %d, schedule revisions %d\n", audits, revisions)
}
