package store_test

import (
	"context"
	"encoding/json"
	"strconv"
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

// TestAcquireLaneIsACompareAndSet: a lane is held by one job at a time; it
// passes on only once its holder has ended, whatever the job ids' order.
func TestAcquireLaneIsACompareAndSet(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		for _, id := range []int64{10, 11} {
			insertJob(t, s, id, "W", "W "+itoa(id), t0)
		}
		tests := []struct {
			name   string
			job    int64
			finish int64 // a job to end first; 0: none
			want   int64
		}{
			{"a free lane goes to the first caller, a later id", 11, 0, 11},
			{"the holder keeps it", 11, 0, 11},
			{"a lower id does not take it from an active holder", 10, 0, 11},
			{"an ended holder hands it on", 10, 11, 10},
			{"the new holder keeps it", 10, 0, 10},
		}
		for _, tc := range tests {
			if tc.finish != 0 {
				require.NoError(t, s.FinishJob(ctx, s.DB(), tc.finish, store.JobCompleted, store.Counters{}, json.RawMessage(`{}`), "", t0))
			}
			got, err := s.AcquireLane(ctx, s.DB(), "inventory", tc.job, t0)
			require.NoError(t, err, tc.name)
			require.Equal(t, tc.want, got, tc.name)
		}
		got, err := s.AcquireLane(ctx, s.DB(), "other", 11, t0)
		require.NoError(t, err)
		require.Equal(t, int64(11), got, "lanes are independent")
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
