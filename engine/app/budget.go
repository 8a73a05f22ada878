package app

import (
	"context"
	"time"

	"syncops/clients/nhanh"
	"syncops/store"
)

// nhanhBudgetAPI is the api column of Nhanh's shared windows.
const nhanhBudgetAPI = "nhanh"

// NhanhBudget shares Nhanh's rate windows and ERR_429 locks between every
// instance on one database: it is the nhanh.BudgetStore of Build on
// PostgreSQL. (SQLite has one process calling the APIs, whose own governor
// is the whole budget; see TakeProcessLease.)
type NhanhBudget struct {
	Store *store.Store
}

var _ nhanh.BudgetStore = NhanhBudget{}

func nhanhBudgetKey(k nhanh.BudgetKey) store.BudgetKey {
	return store.BudgetKey{API: nhanhBudgetAPI, Scope: k.AppID + "/" + k.BusinessID, Endpoint: k.Endpoint}
}

// Reserve takes a slot in the shared window (see store.ReserveBudgetSlot).
func (b NhanhBudget) Reserve(ctx context.Context, key nhanh.BudgetKey, now time.Time, limit int, expires time.Time) (nhanh.BudgetGrant, error) {
	g, err := b.Store.ReserveBudgetSlot(ctx, nhanhBudgetKey(key), now, limit, expires)
	if err != nil {
		return nhanh.BudgetGrant{}, err
	}
	return nhanh.BudgetGrant{Slot: g.Slot, RetryAt: g.RetryAt, LockedUntil: g.LockedUntil}, nil
}

// Release moves a slot's expiry once its reply is in.
func (b NhanhBudget) Release(ctx context.Context, key nhanh.BudgetKey, slot int64, expires time.Time) error {
	return b.Store.ReleaseBudgetSlot(ctx, b.Store.DB(), nhanhBudgetKey(key), slot, expires)
}

// Lock stops every instance's requests to the endpoint until until.
func (b NhanhBudget) Lock(ctx context.Context, key nhanh.BudgetKey, until time.Time) error {
	return b.Store.LockBudget(ctx, b.Store.DB(), nhanhBudgetKey(key), until)
}
