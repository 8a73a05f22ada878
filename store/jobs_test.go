package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func insertJob(t *testing.T, s *store.Store, id int64, typ, key string, at time.Time) {
	t.Helper()
	require.NoError(t, s.InsertJob(context.Background(), s.DB(), store.JobRecord{ID: id, Type: typ,
		Params: json.RawMessage(`{}`), UniqueKey: key, CreatedAt: at}))
}

func TestJobsSingleFlightListAndRetention(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		insertJob(t, s, 1, "PULL", "PULL {}", t0)
		err := s.InsertJob(ctx, s.DB(), store.JobRecord{ID: 2, Type: "PULL", Params: json.RawMessage(`{}`),
			UniqueKey: "PULL {}", CreatedAt: t0})
		require.ErrorIs(t, err, store.ErrConflict, "one active job per key")

		// Finished jobs free the key.
		require.NoError(t, s.FinishJob(ctx, s.DB(), 1, store.JobCompleted, store.Counters{Total: 3, Processed: 3, Successful: 3},
			json.RawMessage(`{"a":1}`), "", t0.Add(time.Minute)))
		insertJob(t, s, 2, "PULL", "PULL {}", t0.Add(2*time.Minute))
		require.NoError(t, s.InsertJob(ctx, s.DB(), store.JobRecord{ID: 3, Type: "SYNC", Params: json.RawMessage(`{}`),
			UniqueKey: "SYNC {}", RequestedBy: "ssh:Alice", CreatedAt: t0.Add(3 * time.Minute)}))
		ok, err := s.CancelJobRecord(ctx, s.DB(), 3, "cancelled by ops", t0.Add(4*time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
		// A cancelled job stays cancelled whatever its worker reports last.
		require.NoError(t, s.FinishJob(ctx, s.DB(), 3, store.JobCompleted, store.Counters{Total: 1, Processed: 1, Successful: 1},
			json.RawMessage(`{}`), "", t0.Add(5*time.Minute)))
		j3, err := s.Job(ctx, s.Reader(), 3)
		require.NoError(t, err)
		require.Equal(t, store.JobCancelled, j3.Status)
		require.Equal(t, "cancelled by ops", j3.Error)
		require.Equal(t, int64(1), j3.Counters.Successful)

		tests := []struct {
			name string
			f    store.JobFilter
			want []int64
		}{
			{"all newest first", store.JobFilter{}, []int64{3, 2, 1}},
			{"by type", store.JobFilter{Types: []string{"PULL"}}, []int64{2, 1}},
			{"by status", store.JobFilter{Statuses: []store.JobStatus{store.JobPending}}, []int64{2}},
			{"search error text", store.JobFilter{Search: "BY OPS"}, []int64{3}},
			{"search requester", store.JobFilter{Search: "ssh:alice"}, []int64{3}},
			{"search another requester", store.JobFilter{Search: "bob"}, nil},
			{"page after 3", store.JobFilter{BeforeID: 3, Limit: 1}, []int64{2}},
			{"oldest first", store.JobFilter{Oldest: true, AfterID: 1}, []int64{2, 3}},
			{"one job by id", store.JobFilter{ID: 2}, []int64{2}},
			{"one job by id, other status", store.JobFilter{ID: 2, Statuses: []store.JobStatus{store.JobCompleted}}, nil},
		}
		for _, tt := range tests {
			jobs, err := s.ListJobs(ctx, s.Reader(), tt.f)
			require.NoError(t, err, tt.name)
			var ids []int64
			for _, j := range jobs {
				ids = append(ids, j.ID)
			}
			require.Equal(t, tt.want, ids, tt.name)
		}
		counts, err := s.CountJobsByStatus(ctx, s.Reader(), store.JobFilter{})
		require.NoError(t, err)
		require.Equal(t, map[store.JobStatus]int64{store.JobCompleted: 1, store.JobPending: 1, store.JobCancelled: 1}, counts)
		// The state tabs of a list filtered to one job count that job only;
		// the paging bounds of the page being shown never narrow them.
		counts, err = s.CountJobsByStatus(ctx, s.Reader(), store.JobFilter{ID: 2, Statuses: []store.JobStatus{store.JobCompleted}})
		require.NoError(t, err)
		require.Equal(t, map[store.JobStatus]int64{store.JobPending: 1}, counts)
		counts, err = s.CountJobsByStatus(ctx, s.Reader(), store.JobFilter{BeforeID: 2})
		require.NoError(t, err)
		require.Len(t, counts, 3, "paging bounds are not part of what the tabs count")

		// Retention removes finished jobs (and their items) older than the cut.
		require.NoError(t, s.UpsertFailedItem(ctx, s.DB(), store.FailedItem{JobID: 1, ItemKey: "k", Message: "m",
			ErrorClass: "validation", CreatedAt: t0}))
		res, err := s.PruneHistory(ctx, store.PruneOptions{Before: t0.Add(2 * time.Minute)})
		require.NoError(t, err)
		require.Equal(t, int64(1), res.Jobs)
		_, err = s.Job(ctx, s.Reader(), 1)
		require.ErrorIs(t, err, store.ErrNotFound)
		left, err := s.CountFailedItems(ctx, s.Reader(), store.FailedItemFilter{JobID: 1})
		require.NoError(t, err)
		require.Zero(t, left)
		_, err = s.Job(ctx, s.Reader(), 2)
		require.NoError(t, err, "active jobs are never removed")
	})
}

func TestFailedItemsDeduplicateByKey(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		insertJob(t, s, 7, "SYNC", "SYNC {}", t0)
		for i := range 3 {
			require.NoError(t, s.UpsertFailedItem(ctx, s.DB(), store.FailedItem{JobID: 7, ItemKey: "42",
				Message: fmt.Sprintf("try %d", i), ErrorClass: "transient", CreatedAt: t0}))
		}
		items, err := s.FailedItems(ctx, s.Reader(), store.FailedItemFilter{JobID: 7})
		require.NoError(t, err)
		require.Len(t, items, 1)
		require.Equal(t, 3, items[0].Attempts)
		require.Equal(t, "try 2", items[0].Message)

		// LIKE's wildcards in a search are taken literally.
		require.NoError(t, s.UpsertFailedItem(ctx, s.DB(), store.FailedItem{JobID: 7, ItemKey: "43",
			Message: "customer not found", ErrorClass: "not_found", CreatedAt: t0}))
		require.NoError(t, s.UpsertFailedItem(ctx, s.DB(), store.FailedItem{JobID: 7, ItemKey: "44",
			Message: "100% sure", ErrorClass: "validation", CreatedAt: t0}))
		for search, want := range map[string]int64{"not_found": 1, "not found": 1, "100%": 1, "%": 1, "_": 1} {
			n, err := s.CountFailedItems(ctx, s.Reader(), store.FailedItemFilter{JobID: 7, Search: search})
			require.NoError(t, err)
			require.Equal(t, want, n, "search %q", search)
		}
	})
}

func TestClaimScheduledTickOnce(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tick := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
		require.NoError(t, s.ClaimScheduledTick(ctx, s.DB(), "AUTO_SYNC_CUSTOMERS", tick, 1))
		require.ErrorIs(t, s.ClaimScheduledTick(ctx, s.DB(), "AUTO_SYNC_CUSTOMERS", tick, 2), store.ErrConflict)
		require.NoError(t, s.ClaimScheduledTick(ctx, s.DB(), "AUTO_SYNC_PRODUCTS", tick, 3))
	})
}
