package store

import (
	"context"
	"fmt"
	"time"
)

// BulkLane is who holds a shop's Shopify bulk lane: JobID 0 when nobody
// does; OperationID is the bulk operation the holder started, "" before it
// has one.
type BulkLane struct {
	Shop        string
	JobID       int64
	OperationID string
	UpdatedAt   time.Time
}

// LockBulkLane reads shop's lane for update within tx, creating a free one
// if there is none: the row stays locked until tx ends (PostgreSQL; SQLite
// has one writer), so two jobs never take the lane at once.
func (s *Store) LockBulkLane(ctx context.Context, q Querier, shop string) (BulkLane, error) {
	l := BulkLane{Shop: shop}
	var at int64
	err := q.QueryRowContext(ctx, `INSERT INTO bulk_lanes (shop) VALUES ($1)
		ON CONFLICT (shop) DO UPDATE SET job_id = bulk_lanes.job_id
		RETURNING job_id, operation_id, updated_at`, shop).Scan(&l.JobID, &l.OperationID, &at)
	if err != nil {
		return BulkLane{}, fmt.Errorf("lock bulk lane of %s: %w", shop, err)
	}
	if at > 0 {
		l.UpdatedAt = FromMillis(at)
	}
	return l, nil
}

// SetBulkLane stores l as its shop's lane.
func (s *Store) SetBulkLane(ctx context.Context, q Querier, l BulkLane) error {
	_, err := q.ExecContext(ctx, `INSERT INTO bulk_lanes (shop, job_id, operation_id, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (shop) DO UPDATE SET job_id = excluded.job_id, operation_id = excluded.operation_id,
			updated_at = excluded.updated_at`, l.Shop, l.JobID, l.OperationID, Millis(l.UpdatedAt))
	if err != nil {
		return fmt.Errorf("set bulk lane of %s: %w", l.Shop, err)
	}
	return nil
}

// ReleaseBulkLane frees shop's lane if job holds it; a lane another job
// holds is left alone.
func (s *Store) ReleaseBulkLane(ctx context.Context, q Querier, shop string, job int64, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE bulk_lanes SET job_id = 0, operation_id = '', updated_at = $3
		WHERE shop = $1 AND job_id = $2`, shop, job, Millis(now))
	if err != nil {
		return fmt.Errorf("release bulk lane of %s: %w", shop, err)
	}
	return nil
}
