package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// keptFailedItemCount is how many failed items job jobID has, as the job row
// keeps it: triggers on job_failed_items count every insert and delete
// (migration 0003), so a job with 100,000 failed items answers with one row
// read instead of a scan. A job that does not exist has none.
func keptFailedItemCount(ctx context.Context, q Querier, jobID int64) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT failed_items FROM jobs WHERE id = $1`, jobID).Scan(&n)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("count failed items: %w", err)
	}
	return n, nil
}

// UpsertFailedItems is UpsertFailedItem for many items at once, with
// multi-row statements: a job that fails tens of thousands of items in one
// checkpoint writes them in a few statements instead of one each. An item
// key given twice keeps its last message and counts both attempts.
func (s *Store) UpsertFailedItems(ctx context.Context, q Querier, items []FailedItem) error {
	// One statement may not touch a row twice (PostgreSQL refuses), so a
	// repeated key is folded into its last occurrence first.
	type key struct {
		job  int64
		item string
	}
	last := make(map[key]int, len(items))
	attempts := make(map[key]int, len(items))
	order := make([]key, 0, len(items))
	for i, it := range items {
		k := key{it.JobID, it.ItemKey}
		if _, seen := last[k]; !seen {
			order = append(order, k)
		}
		last[k] = i
		attempts[k]++
	}
	for chunk := range slices.Chunk(order, rowsPerStatement(s.dialect)) {
		var sb strings.Builder
		sb.WriteString(`INSERT INTO job_failed_items
			(job_id, item_key, message, error_class, request, attempts, created_at, updated_at, search) VALUES `)
		b := binder{dialect: s.dialect, args: make([]any, 0, 9*len(chunk))}
		for i, k := range chunk {
			it := items[last[k]]
			if i > 0 {
				sb.WriteString(", ")
			}
			at := Millis(it.CreatedAt)
			sb.WriteString("(" + b.list([]any{it.JobID, it.ItemKey, it.Message, it.ErrorClass, it.Request,
				attempts[k], at, at, it.searchText()}) + ")")
		}
		sb.WriteString(` ON CONFLICT (job_id, item_key) DO UPDATE SET message = excluded.message,
			error_class = excluded.error_class, request = excluded.request,
			attempts = job_failed_items.attempts + excluded.attempts, updated_at = excluded.updated_at,
			search = excluded.search`)
		if _, err := q.ExecContext(ctx, sb.String(), b.args...); err != nil {
			return fmt.Errorf("record failed items: %w", err)
		}
	}
	return nil
}
