package nhanh

import (
	"context"
	"time"
)

// BudgetKey names one of Nhanh's rate windows: Nhanh counts requests per
// app, business and endpoint, so every process calling with the same app
// and business draws on the same window.
type BudgetKey struct {
	AppID      string
	BusinessID string
	// Endpoint is the v3 path under /v3.0/, e.g. "customer/list".
	Endpoint string
}

// BudgetGrant is a BudgetStore's answer to one reservation.
type BudgetGrant struct {
	// Slot identifies the granted slot for Release; zero when refused.
	Slot int64
	// RetryAt is, when refused because the window is full, when its oldest
	// slot leaves it.
	RetryAt time.Time
	// LockedUntil is, when refused because Nhanh locked the endpoint, when
	// the lock ends.
	LockedUntil time.Time
}

// Granted reports whether the reservation took a slot.
func (g BudgetGrant) Granted() bool { return g.Slot != 0 }

// BudgetStore shares the rate windows and ERR_429 locks between every
// process that calls Nhanh with one app and business (several instances on
// one PostgreSQL database). The client keeps its own in-process governor as
// well; the store is the authority across processes. Implementations must
// make Reserve atomic against concurrent callers in other processes. Times
// are on the caller's clock, so instances sharing a store should keep their
// clocks within Config.WindowMargin of each other.
type BudgetStore interface {
	// Reserve takes one slot in key's window at now when fewer than limit
	// slots are live and key is not locked. The slot stays live until
	// expires (an upper bound on when the request leaves Nhanh's window,
	// so a process that dies mid-request still counts) or until Release
	// moves it.
	Reserve(ctx context.Context, key BudgetKey, now time.Time, limit int, expires time.Time) (BudgetGrant, error)
	// Release sets a granted slot's expiry, once its reply is in, to when
	// the request has surely left the window.
	Release(ctx context.Context, key BudgetKey, slot int64, expires time.Time) error
	// Lock stops every process's requests to key until until; a lock is
	// never shortened.
	Lock(ctx context.Context, key BudgetKey, until time.Time) error
}
