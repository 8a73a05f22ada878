package store_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestBulkLane(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		t0 := time.UnixMilli(1_800_000_000_000).UTC()

		// A shop nobody used has a free lane.
		var got store.BulkLane
		require.NoError(t, s.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			got, err = s.LockBulkLane(ctx, tx, "a.myshopify.com")
			return err
		}))
		require.Equal(t, store.BulkLane{Shop: "a.myshopify.com"}, got)

		// Job 7 takes it with its operation; another shop stays free.
		require.NoError(t, s.SetBulkLane(ctx, s.DB(), store.BulkLane{Shop: "a.myshopify.com", JobID: 7,
			OperationID: "gid://shopify/BulkOperation/1", UpdatedAt: t0}))
		require.NoError(t, s.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			got, err = s.LockBulkLane(ctx, tx, "a.myshopify.com")
			return err
		}))
		require.Equal(t, store.BulkLane{Shop: "a.myshopify.com", JobID: 7, OperationID: "gid://shopify/BulkOperation/1", UpdatedAt: t0}, got)
		other, err := s.LockBulkLane(ctx, s.DB(), "b.myshopify.com")
		require.NoError(t, err)
		require.Zero(t, other.JobID)

		// Only the holder releases it.
		require.NoError(t, s.ReleaseBulkLane(ctx, s.DB(), "a.myshopify.com", 8, t0.Add(time.Second)))
		got, err = s.LockBulkLane(ctx, s.DB(), "a.myshopify.com")
		require.NoError(t, err)
		require.Equal(t, int64(7), got.JobID)
		require.NoError(t, s.ReleaseBulkLane(ctx, s.DB(), "a.myshopify.com", 7, t0.Add(2*time.Second)))
		got, err = s.LockBulkLane(ctx, s.DB(), "a.myshopify.com")
		require.NoError(t, err)
		require.Equal(t, store.BulkLane{Shop: "a.myshopify.com", UpdatedAt: t0.Add(2 * time.Second)}, got)
	})
}

// TestSharedBucketCountsPendingRequests: a take records its request as
// pending; an observation is stored less every request still pending (a
// reply may not include them yet); a settled or expired one no longer
// counts.
func TestSharedBucketCountsPendingRequests(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		t0 := time.UnixMilli(1_800_000_000_000).UTC()
		expires := t0.Add(time.Minute)

		// Unknown bucket: the request may go, recorded pending.
		first, err := s.TakeSharedBucket(ctx, "shopify", "shop", 35, t0, expires)
		require.NoError(t, err)
		require.False(t, first.Known)
		require.NotZero(t, first.Pending)
		second, err := s.TakeSharedBucket(ctx, "shopify", "shop", 35, t0, expires)
		require.NoError(t, err)
		require.NotZero(t, second.Pending)

		// The first reply says 85 left; the second request may not be in
		// it: 50 are stored.
		require.NoError(t, s.SettleSharedBucket(ctx, "shopify", "shop", first.Pending,
			&store.Bucket{Maximum: 2000, Available: 85, RestoreRate: 100}, t0))
		got, err := s.TakeSharedBucket(ctx, "shopify", "shop", 51, t0, expires)
		require.NoError(t, err)
		require.True(t, got.Known)
		require.False(t, got.Taken)
		require.InDelta(t, 50, got.Bucket.Available, 1e-9)

		// Settled without a reading, it no longer counts; the level stays.
		require.NoError(t, s.SettleSharedBucket(ctx, "shopify", "shop", second.Pending, nil, t0))
		got, err = s.TakeSharedBucket(ctx, "shopify", "shop", 50, t0, expires)
		require.NoError(t, err)
		require.True(t, got.Taken)
		require.NotZero(t, got.Pending)

		// A pending request of a process that died expires: an observation
		// after that is stored as it is.
		require.NoError(t, s.SettleSharedBucket(ctx, "shopify", "shop", 0,
			&store.Bucket{Maximum: 2000, Available: 70, RestoreRate: 100}, expires.Add(-time.Second)))
		got, err = s.TakeSharedBucket(ctx, "shopify", "shop", 21, expires.Add(-time.Second), expires.Add(time.Minute))
		require.NoError(t, err)
		require.False(t, got.Taken, "70 less the live 50 pending: 20")
		require.InDelta(t, 20, got.Bucket.Available, 1e-9)
		require.NoError(t, s.SettleSharedBucket(ctx, "shopify", "shop", 0,
			&store.Bucket{Maximum: 2000, Available: 70, RestoreRate: 100}, expires))
		got, err = s.TakeSharedBucket(ctx, "shopify", "shop", 70, expires, expires.Add(time.Minute))
		require.NoError(t, err)
		require.True(t, got.Taken, "the expired request no longer counts: %+v", got)
	})
}
