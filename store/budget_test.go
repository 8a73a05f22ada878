package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestBudgetSlots(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		key := store.BudgetKey{API: "nhanh", Scope: "app/biz", Endpoint: "customer/list"}
		other := store.BudgetKey{API: "nhanh", Scope: "app/biz", Endpoint: "product/list"}
		t0 := time.UnixMilli(1_800_000_000_000).UTC()

		// Three slots fit; the fourth is refused until the oldest expires.
		var slots []int64
		for i := range 3 {
			g, err := s.ReserveBudgetSlot(ctx, key, t0.Add(time.Duration(i)*time.Second), 3, t0.Add(time.Duration(10+i)*time.Second))
			require.NoError(t, err)
			require.NotZero(t, g.Slot)
			slots = append(slots, g.Slot)
		}
		g, err := s.ReserveBudgetSlot(ctx, key, t0.Add(5*time.Second), 3, t0.Add(20*time.Second))
		require.NoError(t, err)
		require.Zero(t, g.Slot)
		require.Equal(t, t0.Add(10*time.Second), g.RetryAt)
		require.True(t, g.LockedUntil.IsZero())

		// Another endpoint has its own window.
		g, err = s.ReserveBudgetSlot(ctx, other, t0.Add(5*time.Second), 3, t0.Add(20*time.Second))
		require.NoError(t, err)
		require.NotZero(t, g.Slot)

		// Releasing moves the expiry earlier: the window frees sooner.
		require.NoError(t, s.ReleaseBudgetSlot(ctx, s.DB(), key, slots[1], t0.Add(6*time.Second)))
		st, err := s.BudgetAt(ctx, s.Reader(), key, t0.Add(6500*time.Millisecond))
		require.NoError(t, err)
		require.Equal(t, 2, st.Live)
		g, err = s.ReserveBudgetSlot(ctx, key, t0.Add(6500*time.Millisecond), 3, t0.Add(30*time.Second))
		require.NoError(t, err)
		require.NotZero(t, g.Slot)

		// A lock refuses everyone until it ends and is never shortened.
		require.NoError(t, s.LockBudget(ctx, s.DB(), key, t0.Add(40*time.Second)))
		require.NoError(t, s.LockBudget(ctx, s.DB(), key, t0.Add(35*time.Second)))
		g, err = s.ReserveBudgetSlot(ctx, key, t0.Add(39*time.Second), 3, t0.Add(70*time.Second))
		require.NoError(t, err)
		require.Zero(t, g.Slot)
		require.Equal(t, t0.Add(40*time.Second), g.LockedUntil)
		st, err = s.BudgetAt(ctx, s.Reader(), key, t0.Add(39*time.Second))
		require.NoError(t, err)
		require.Equal(t, t0.Add(40*time.Second), st.LockedUntil)
		g, err = s.ReserveBudgetSlot(ctx, key, t0.Add(40*time.Second), 3, t0.Add(70*time.Second))
		require.NoError(t, err)
		require.NotZero(t, g.Slot, "the lock is over at unlockedAt")

		// A lock on a key never reserved still holds.
		fresh := store.BudgetKey{API: "nhanh", Scope: "app/biz", Endpoint: "order/list"}
		require.NoError(t, s.LockBudget(ctx, s.DB(), fresh, t0.Add(time.Second)))
		g, err = s.ReserveBudgetSlot(ctx, fresh, t0, 3, t0.Add(time.Minute))
		require.NoError(t, err)
		require.Zero(t, g.Slot)
	})
}

// TestBudgetSlotsConcurrent has many callers race for a window of 10: on
// PostgreSQL each goes through its own connection, so only the key row's
// lock keeps the count exact.
func TestBudgetSlotsConcurrent(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		key := store.BudgetKey{API: "nhanh", Scope: "a/b", Endpoint: "customer/list"}
		t0 := time.UnixMilli(1_800_000_000_000).UTC()
		var mu sync.Mutex
		granted := 0
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				g, err := s.ReserveBudgetSlot(ctx, key, t0, 10, t0.Add(time.Minute))
				require.NoError(t, err)
				if g.Slot != 0 {
					mu.Lock()
					granted++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Equal(t, 10, granted)
	})
}

func TestBucketPoints(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		t0 := time.UnixMilli(1_800_000_000_000).UTC()
		taken, _, ok, err := s.TakeBucketPoints(ctx, s.DB(), "shopify", "shop", 10, t0)
		require.NoError(t, err)
		require.False(t, taken)
		require.False(t, ok, "nothing observed yet")

		require.NoError(t, s.ObserveBucket(ctx, s.DB(), "shopify", "shop", store.Bucket{Maximum: 2000, Available: 500, RestoreRate: 100}, t0))
		taken, b, ok, err := s.TakeBucketPoints(ctx, s.DB(), "shopify", "shop", 400, t0)
		require.NoError(t, err)
		require.True(t, taken)
		require.True(t, ok)
		require.InDelta(t, 100, b.Available, 1e-9)

		// 998 points: 100 there, refilling 100/s, so short now and enough 9 s later.
		taken, b, ok, err = s.TakeBucketPoints(ctx, s.DB(), "shopify", "shop", 998, t0.Add(time.Second))
		require.NoError(t, err)
		require.False(t, taken)
		require.True(t, ok)
		require.InDelta(t, 200, b.Available, 1e-9)
		require.InDelta(t, 100, b.RestoreRate, 1e-9)
		taken, b, _, err = s.TakeBucketPoints(ctx, s.DB(), "shopify", "shop", 998, t0.Add(9*time.Second))
		require.NoError(t, err)
		require.True(t, taken)
		require.InDelta(t, 2, b.Available, 1e-9)

		// An observation higher than the stored level (which holds another
		// instance's reservation) does not raise it; a lower one lowers it.
		require.NoError(t, s.ObserveBucket(ctx, s.DB(), "shopify", "shop", store.Bucket{Maximum: 2000, Available: 1900, RestoreRate: 100}, t0.Add(9*time.Second)))
		taken, b, _, err = s.TakeBucketPoints(ctx, s.DB(), "shopify", "shop", 0, t0.Add(9*time.Second))
		require.NoError(t, err)
		require.True(t, taken)
		require.InDelta(t, 2, b.Available, 1e-9)
		require.NoError(t, s.ObserveBucket(ctx, s.DB(), "shopify", "shop", store.Bucket{Maximum: 2000, Available: -50, RestoreRate: 100}, t0.Add(10*time.Second)))
		_, b, _, err = s.TakeBucketPoints(ctx, s.DB(), "shopify", "shop", 5000, t0.Add(10*time.Second))
		require.NoError(t, err)
		require.InDelta(t, -50, b.Available, 1e-9)
		// Refill stops at the maximum.
		_, b, _, err = s.TakeBucketPoints(ctx, s.DB(), "shopify", "shop", 5000, t0.Add(time.Hour))
		require.NoError(t, err)
		require.InDelta(t, 2000, b.Available, 1e-9)
	})
}
