package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestLaneHeadIsTheOldestActiveJobOfTheLane(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		_, err := s.LaneHead(ctx, s.DB(), "inventory")
		require.ErrorIs(t, err, store.ErrNotFound, "a lane nobody is in is free")

		insertJob(t, s, 1, "PREVIEW", "PREVIEW {}", t0) // no lane
		insertJob(t, s, 2, "A", "A {}", t0)
		insertJob(t, s, 3, "B", "B {}", t0)
		insertJob(t, s, 4, "C", "C {}", t0)
		for _, id := range []int64{2, 3} {
			require.NoError(t, s.SetJobLane(ctx, s.DB(), id, "inventory"))
		}
		require.NoError(t, s.SetJobLane(ctx, s.DB(), 4, "other"))

		lane, err := s.JobLane(ctx, s.DB(), 1)
		require.NoError(t, err)
		require.Empty(t, lane)
		lane, err = s.JobLane(ctx, s.DB(), 3)
		require.NoError(t, err)
		require.Equal(t, "inventory", lane)

		head, err := s.LaneHead(ctx, s.DB(), "inventory")
		require.NoError(t, err)
		require.Equal(t, int64(2), head.ID)
		require.Equal(t, "A", head.Type)

		// Ending the head hands the lane to the next job; other lanes are
		// untouched.
		require.NoError(t, s.FinishJob(ctx, s.DB(), 2, store.JobFailed, store.Counters{}, json.RawMessage(`{}`), "x", t0))
		head, err = s.LaneHead(ctx, s.DB(), "inventory")
		require.NoError(t, err)
		require.Equal(t, int64(3), head.ID)
		head, err = s.LaneHead(ctx, s.DB(), "other")
		require.NoError(t, err)
		require.Equal(t, int64(4), head.ID)

		ok, err := s.CancelJobRecord(ctx, s.DB(), 3, "cancelled", t0)
		require.NoError(t, err)
		require.True(t, ok)
		_, err = s.LaneHead(ctx, s.DB(), "inventory")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
