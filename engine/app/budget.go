package app

import (
	"context"
	"time"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
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

// shopifyBucketAPI is the api column of Shopify's shared cost bucket.
const shopifyBucketAPI = "shopify"

// ShopifyBucket shares Shopify's cost bucket between every instance on one
// database: it is the shopify.BucketStore of Build on PostgreSQL, one row
// per shop (store.TakeBucketPoints, store.ObserveBucket).
type ShopifyBucket struct {
	Store *store.Store
}

var _ shopify.BucketStore = ShopifyBucket{}

// Take takes cost points from the shop's shared bucket when it holds them
// and records the request pending (store.TakeSharedBucket).
func (b ShopifyBucket) Take(ctx context.Context, shop string, cost float64, now, expires time.Time) (shopify.BucketGrant, error) {
	got, err := b.Store.TakeSharedBucket(ctx, shopifyBucketAPI, shop, cost, now, expires)
	if err != nil {
		return shopify.BucketGrant{}, err
	}
	return shopify.BucketGrant{Taken: got.Taken, Known: got.Known, Token: got.Pending,
		Bucket: shopify.SharedBucket{Maximum: got.Bucket.Maximum, Available: got.Bucket.Available, RestoreRate: got.Bucket.RestoreRate}}, nil
}

// Settle ends a pending request and records what its reply said about the
// bucket, less every instance's requests still pending.
func (b ShopifyBucket) Settle(ctx context.Context, shop string, token int64, observed *shopify.SharedBucket, now time.Time) error {
	var o *store.Bucket
	if observed != nil {
		o = &store.Bucket{Maximum: observed.Maximum, Available: observed.Available, RestoreRate: observed.RestoreRate}
	}
	return b.Store.SettleSharedBucket(ctx, shopifyBucketAPI, shop, token, o, now)
}
