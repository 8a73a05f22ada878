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

// retentionWorld is a database with history on both sides of a cut.
type retentionWorld struct {
	s   *store.Store
	cut time.Time
}

// Jobs: 1 PULL finished before the cut with 7 failed items and 2 attempts;
// 2 PULL finished before the cut; 3 PULL still running since before it;
// 4 SYNC finished before it but the newest SYNC (2 failed items); 5 PULL
// finished after it; 6 MATCH cancelled before it; 7 MATCH finished after it.
// Sync log: 5 entries before the cut, 2 after. Ticks: 4 before, 1 after.
func setupRetention(t *testing.T, s *store.Store) retentionWorld {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cut := t0.Add(time.Hour)
	before, after := t0.Add(time.Minute), cut.Add(time.Minute)
	finish := func(id int64, st store.JobStatus, at time.Time) {
		require.NoError(t, s.FinishJob(ctx, s.DB(), id, st, store.Counters{}, json.RawMessage(`{}`), "", at))
	}
	failItems := func(id int64, n int) {
		for i := range n {
			require.NoError(t, s.UpsertFailedItem(ctx, s.DB(), store.FailedItem{JobID: id,
				ItemKey: fmt.Sprintf("k%d", i), Message: "m", ErrorClass: "validation", CreatedAt: t0}))
		}
	}
	insertJob(t, s, 1, "PULL", "PULL 1", t0)
	for range 2 {
		_, ok, err := s.StartJobAttempt(ctx, s.DB(), 1, t0)
		require.NoError(t, err)
		require.True(t, ok)
	}
	failItems(1, 7)
	finish(1, store.JobCompleted, before)
	insertJob(t, s, 2, "PULL", "PULL 2", t0)
	finish(2, store.JobFailed, before)
	insertJob(t, s, 3, "PULL", "PULL 3", t0)
	_, _, err := s.StartJobAttempt(ctx, s.DB(), 3, t0)
	require.NoError(t, err)
	insertJob(t, s, 4, "SYNC", "SYNC 4", t0)
	failItems(4, 2)
	finish(4, store.JobCompleted, before)
	insertJob(t, s, 5, "PULL", "PULL 5", t0)
	finish(5, store.JobCompleted, after)
	insertJob(t, s, 6, "MATCH", "MATCH 6", t0)
	_, err = s.CancelJobRecord(ctx, s.DB(), 6, "by ops", before)
	require.NoError(t, err)
	insertJob(t, s, 7, "MATCH", "MATCH 7", t0)
	finish(7, store.JobCompleted, after)

	for i, at := range []time.Time{before, before, before, before, before, after, after} {
		require.NoError(t, s.AddSyncLog(ctx, s.DB(), store.SyncLogEntry{MappingKind: store.MappingKindCustomer,
			MappingID: 1, NewValue: fmt.Sprint(i), Status: store.MappingSynced, CreatedAt: at}))
	}
	for i, at := range []time.Time{t0, before, before.Add(time.Minute), before.Add(2 * time.Minute), after} {
		require.NoError(t, s.ClaimScheduledTick(ctx, s.DB(), "PULL", at, int64(100+i)))
	}
	return retentionWorld{s: s, cut: cut}
}

func TestPruneHistoryInBatches(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := setupRetention(t, s)
		const size = 3
		var batches int
		var longest time.Duration
		res, err := s.PruneHistory(ctx, store.PruneOptions{Before: w.cut, BatchSize: size,
			OnBatch: func(table string, deleted int64, held time.Duration) {
				batches++
				longest = max(longest, held)
				require.LessOrEqual(t, deleted, int64(size), table)
			}})
		require.NoError(t, err)
		require.Equal(t, store.PruneResult{Jobs: 2 + 1, Attempts: 2, FailedItems: 7, SyncLog: 5, ScheduledTicks: 4,
			Batches: batches, LongestHold: longest}, res)
		require.Positive(t, res.LongestHold)

		for id, kept := range map[int64]bool{1: false, 2: false, 3: true, 4: true, 5: true, 6: false, 7: true} {
			_, err := s.Job(ctx, s.Reader(), id)
			if kept {
				require.NoError(t, err, "job %d", id)
			} else {
				require.ErrorIs(t, err, store.ErrNotFound, "job %d", id)
			}
		}
		n, err := s.CountFailedItems(ctx, s.Reader(), store.FailedItemFilter{JobID: 4})
		require.NoError(t, err)
		require.Equal(t, int64(2), n, "the newest job of a type keeps its failed items")
		attempts, err := s.JobAttempts(ctx, s.Reader(), 3)
		require.NoError(t, err)
		require.Len(t, attempts, 1, "an active job keeps its attempts")
		log, err := s.SyncLog(ctx, s.Reader(), store.MappingKindCustomer, 1, 0)
		require.NoError(t, err)
		require.Len(t, log, 2)
		// A pruned tick can be claimed again; a kept one cannot.
		require.NoError(t, s.ClaimScheduledTick(ctx, s.DB(), "PULL", w.cut.Add(-time.Hour), 200))
		require.ErrorIs(t, s.ClaimScheduledTick(ctx, s.DB(), "PULL", w.cut.Add(time.Minute), 201), store.ErrConflict)

		again, err := s.PruneHistory(ctx, store.PruneOptions{Before: w.cut, BatchSize: size})
		require.NoError(t, err)
		require.Equal(t, int64(1), again.ScheduledTicks, "only the tick claimed since")
		require.Zero(t, again.Jobs+again.FailedItems+again.Attempts+again.SyncLog)
	})
}

// A batch that runs past its timeout is rolled back and the pass stops with
// the error, keeping what earlier batches committed.
func TestPruneHistoryBatchTimeout(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := setupRetention(t, s)
		res, err := s.PruneHistory(ctx, store.PruneOptions{Before: w.cut, BatchTimeout: time.Nanosecond})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Zero(t, res.Batches)
		n, err := s.CountFailedItems(ctx, s.Reader(), store.FailedItemFilter{JobID: 1})
		require.NoError(t, err)
		require.Equal(t, int64(7), n)
	})
}

func TestPruneHistoryNeedsACut(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.SQLite)
	_, err := s.PruneHistory(context.Background(), store.PruneOptions{})
	require.ErrorContains(t, err, "no cut")
}
