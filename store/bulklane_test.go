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
