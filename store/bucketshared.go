package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// BucketTake is the answer to TakeSharedBucket: Taken with the Pending id
// to settle, or the bucket as it stands (Known false when no instance has
// observed it yet; then Pending is set too, as the request may go).
type BucketTake struct {
	Taken   bool
	Known   bool
	Pending int64
	Bucket  Bucket
}

// TakeSharedBucket takes cost points from the shared bucket of (api,
// scope) when it holds them at now (see TakeBucketPoints) and records the
// request as pending until SettleSharedBucket, or until expires when its
// process dies. A bucket no instance has observed yet is not known: the
// request may go, and is recorded pending too.
func (s *Store) TakeSharedBucket(ctx context.Context, api, scope string, cost float64, now, expires time.Time) (BucketTake, error) {
	var out BucketTake
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockSharedBucket(ctx, tx, api, scope); err != nil {
			return err
		}
		taken, b, known, err := s.TakeBucketPoints(ctx, tx, api, scope, cost, now)
		if err != nil {
			return err
		}
		out = BucketTake{Taken: taken, Known: known, Bucket: b}
		if known && !taken {
			return nil
		}
		return tx.QueryRowContext(ctx, `INSERT INTO api_bucket_pending (api, scope, cost, expires_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, api, scope, cost, ceilMillis(expires)).Scan(&out.Pending)
	})
	if err != nil {
		return BucketTake{}, fmt.Errorf("take %s bucket points: %w", api, err)
	}
	return out, nil
}

// SettleSharedBucket ends pending request id (0: none) once its reply is
// in and, when the reply reported the bucket (observed, its Available as
// Shopify said it), records it less the requests of every instance still
// pending, which the reply may not include yet (see ObserveBucket).
func (s *Store) SettleSharedBucket(ctx context.Context, api, scope string, id int64, observed *Bucket, now time.Time) error {
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		// A take between the sum of pending costs and the observation
		// would be lost from both: takes and settles take turns.
		if err := s.lockSharedBucket(ctx, tx, api, scope); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_bucket_pending
			WHERE api = $1 AND scope = $2 AND (id = $3 OR expires_at <= $4)`, api, scope, id, Millis(now)); err != nil {
			return fmt.Errorf("settle pending: %w", err)
		}
		if observed == nil {
			return nil
		}
		var pending float64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(cost), 0) FROM api_bucket_pending
			WHERE api = $1 AND scope = $2`, api, scope).Scan(&pending); err != nil {
			return fmt.Errorf("sum pending: %w", err)
		}
		b := *observed
		b.Available -= pending
		return s.ObserveBucket(ctx, tx, api, scope, b, now)
	})
	if err != nil {
		return fmt.Errorf("settle %s bucket: %w", api, err)
	}
	return nil
}

// lockSharedBucket makes the takes and settles of one bucket take turns
// until tx ends, whether or not its row exists yet: a transaction-scoped
// advisory lock on PostgreSQL; SQLite's single writer already serialises
// them.
func (s *Store) lockSharedBucket(ctx context.Context, tx *sql.Tx, api, scope string) error {
	if s.Dialect() != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('api_bucket ' || $1 || ' ' || $2))`, api, scope); err != nil {
		return fmt.Errorf("lock bucket: %w", err)
	}
	return nil
}
