package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// BudgetKey names one shared rate window: an API ("nhanh"), a scope within
// it (app and business) and an endpoint.
type BudgetKey struct {
	API, Scope, Endpoint string
}

// BudgetGrant is the answer to one slot reservation: Slot is set when a slot
// was taken; otherwise RetryAt (the window is full) or LockedUntil (the API
// locked the endpoint) says when to look again.
type BudgetGrant struct {
	Slot        int64
	RetryAt     time.Time
	LockedUntil time.Time
}

// ceilMillis is the stored form of an expiry: rounded up, so a slot never
// leaves the window a hair early.
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}

// ReserveBudgetSlot takes one slot in key's window at now when fewer than
// limit slots are live (expiring after now) and key is not locked; the slot
// expires at expires unless ReleaseBudgetSlot moves it. It commits its own
// transaction: the key's row is locked first (an upsert, which locks the row
// on PostgreSQL; SQLite has one writer), so concurrent reservers from every
// instance take turns and the count they see includes each other's slots.
func (s *Store) ReserveBudgetSlot(ctx context.Context, key BudgetKey, now time.Time, limit int, expires time.Time) (BudgetGrant, error) {
	var g BudgetGrant
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		var locked int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_budget (api, scope, endpoint) VALUES ($1, $2, $3)
			ON CONFLICT (api, scope, endpoint) DO UPDATE SET locked_until = api_budget.locked_until
			RETURNING locked_until`, key.API, key.Scope, key.Endpoint).Scan(&locked); err != nil {
			return fmt.Errorf("lock budget key: %w", err)
		}
		nowMs := Millis(now)
		if locked > nowMs {
			g.LockedUntil = FromMillis(locked)
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_budget_slots
			WHERE api = $1 AND scope = $2 AND endpoint = $3 AND expires_at <= $4`,
			key.API, key.Scope, key.Endpoint, nowMs); err != nil {
			return fmt.Errorf("prune budget slots: %w", err)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO api_budget_slots (api, scope, endpoint, expires_at)
			SELECT $1, $2, $3, $5
			WHERE (SELECT count(*) FROM api_budget_slots
			       WHERE api = $1 AND scope = $2 AND endpoint = $3 AND expires_at > $4) < $6
			RETURNING id`, key.API, key.Scope, key.Endpoint, nowMs, ceilMillis(expires), limit).Scan(&g.Slot)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("take budget slot: %w", err)
		}
		var first int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(expires_at), 0) FROM api_budget_slots
			WHERE api = $1 AND scope = $2 AND endpoint = $3 AND expires_at > $4`,
			key.API, key.Scope, key.Endpoint, nowMs).Scan(&first); err != nil {
			return fmt.Errorf("oldest budget slot: %w", err)
		}
		if first > 0 {
			g.RetryAt = FromMillis(first)
		}
		return nil
	})
	if err != nil {
		return BudgetGrant{}, fmt.Errorf("reserve %s %s: %w", key.API, key.Endpoint, err)
	}
	return g, nil
}

// ReleaseBudgetSlot moves slot's expiry to expires (when its request has
// surely left the window). A slot already pruned is not an error.
func (s *Store) ReleaseBudgetSlot(ctx context.Context, q Querier, key BudgetKey, slot int64, expires time.Time) error {
	if _, err := q.ExecContext(ctx, `UPDATE api_budget_slots SET expires_at = $5
		WHERE id = $4 AND api = $1 AND scope = $2 AND endpoint = $3`,
		key.API, key.Scope, key.Endpoint, slot, ceilMillis(expires)); err != nil {
		return fmt.Errorf("release %s %s slot %d: %w", key.API, key.Endpoint, slot, err)
	}
	return nil
}

// LockBudget stops reservations on key until until; a lock already longer
// is kept.
func (s *Store) LockBudget(ctx context.Context, q Querier, key BudgetKey, until time.Time) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO api_budget (api, scope, endpoint, locked_until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (api, scope, endpoint) DO UPDATE SET locked_until =
			CASE WHEN excluded.locked_until > api_budget.locked_until THEN excluded.locked_until ELSE api_budget.locked_until END`,
		key.API, key.Scope, key.Endpoint, ceilMillis(until)); err != nil {
		return fmt.Errorf("lock %s %s: %w", key.API, key.Endpoint, err)
	}
	return nil
}

// BudgetState is one window as stored: its live slots at a moment and its
// lock (zero when none).
type BudgetState struct {
	Live        int
	LockedUntil time.Time
}

// BudgetAt reports key's live slots at now and its lock.
func (s *Store) BudgetAt(ctx context.Context, q Querier, key BudgetKey, now time.Time) (BudgetState, error) {
	var st BudgetState
	var locked int64
	err := q.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM api_budget_slots WHERE api = $1 AND scope = $2 AND endpoint = $3 AND expires_at > $4),
			COALESCE((SELECT locked_until FROM api_budget WHERE api = $1 AND scope = $2 AND endpoint = $3), 0)`,
		key.API, key.Scope, key.Endpoint, Millis(now)).Scan(&st.Live, &locked)
	if err != nil {
		return BudgetState{}, fmt.Errorf("budget %s %s: %w", key.API, key.Endpoint, err)
	}
	if locked > Millis(now) {
		st.LockedUntil = FromMillis(locked)
	}
	return st, nil
}

// Bucket is a leaky bucket of cost points (Shopify's) as last known:
// Available at At, refilling at RestoreRate points a second up to Maximum.
type Bucket struct {
	Maximum, Available, RestoreRate float64
	At                              time.Time
}

// refilled is the SQL of a bucket row's available points refilled up to
// $3 (a clock behind the row's own counts as no time passed); t qualifies
// the columns where an upsert makes them ambiguous.
func refilled(t string) string {
	elapsed := `(CASE WHEN $3 > ` + t + `at THEN $3 - ` + t + `at ELSE 0 END)`
	level := t + `available + ` + t + `restore_rate * ` + elapsed + ` / 1000.0`
	return `(CASE WHEN ` + level + ` > ` + t + `maximum THEN ` + t + `maximum ELSE ` + level + ` END)`
}

var refilledSQL = refilled("")

// TakeBucketPoints takes cost points from the shared bucket of (api, scope)
// when it holds them at now, in one atomic statement. It returns whether
// it did, and otherwise the bucket as it stands (ok false and a zero
// Bucket when no instance has observed it yet).
func (s *Store) TakeBucketPoints(ctx context.Context, q Querier, api, scope string, cost float64, now time.Time) (taken bool, b Bucket, ok bool, err error) {
	var at int64
	err = q.QueryRowContext(ctx, `UPDATE api_bucket SET available = `+refilledSQL+` - $4,
			at = CASE WHEN $3 > at THEN $3 ELSE at END
		WHERE api = $1 AND scope = $2 AND `+refilledSQL+` >= $4
		RETURNING maximum, available, restore_rate, at`, api, scope, Millis(now), cost).
		Scan(&b.Maximum, &b.Available, &b.RestoreRate, &at)
	if err == nil {
		b.At = FromMillis(at)
		return true, b, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, Bucket{}, false, fmt.Errorf("take %s bucket points: %w", api, err)
	}
	err = q.QueryRowContext(ctx, `SELECT maximum, `+refilledSQL+`, restore_rate FROM api_bucket
		WHERE api = $1 AND scope = $2`, api, scope, Millis(now)).Scan(&b.Maximum, &b.Available, &b.RestoreRate)
	if errors.Is(err, sql.ErrNoRows) {
		return false, Bucket{}, false, nil
	}
	if err != nil {
		return false, Bucket{}, false, fmt.Errorf("read %s bucket: %w", api, err)
	}
	b.At = now
	return false, b, true, nil
}

// ObserveBucket records what a reply said about the bucket of (api, scope)
// at now (Available already less the observer's own requests in flight).
// The stored level becomes the lower of the observation and the stored
// level refilled to now, since the stored one may include other
// instances' reservations the reply did not yet reflect; the shape
// (maximum, rate) is taken from the observation.
func (s *Store) ObserveBucket(ctx context.Context, q Querier, api, scope string, b Bucket, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO api_bucket (api, scope, maximum, available, restore_rate, at)
		VALUES ($1, $2, $4, $5, $6, $3)
		ON CONFLICT (api, scope) DO UPDATE SET
			available = CASE WHEN excluded.available < `+refilled("api_bucket.")+` THEN excluded.available ELSE `+refilled("api_bucket.")+` END,
			maximum = excluded.maximum, restore_rate = excluded.restore_rate,
			at = CASE WHEN $3 > api_bucket.at THEN $3 ELSE api_bucket.at END`,
		api, scope, Millis(now), b.Maximum, b.Available, b.RestoreRate)
	if err != nil {
		return fmt.Errorf("observe %s bucket: %w", api, err)
	}
	return nil
}
