package store_test

import (
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

// TestJobRunLifecycle walks one job through the writes a worker makes:
// attempts, progress, a checkpoint, an interruption that requeues it, and the
// final writes in one transaction.
func TestJobRunLifecycle(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		tick := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
		insertJob(t, s, 1, "PULL", "PULL {}", tick(0))
		insertJob(t, s, 2, "SYNC", "SYNC {}", tick(1))

		active, err := s.ActiveJobByKey(ctx, s.Reader(), "PULL {}")
		require.NoError(t, err)
		require.Equal(t, int64(1), active.ID)
		_, err = s.ActiveJobByKey(ctx, s.Reader(), "MATCH {}")
		require.ErrorIs(t, err, store.ErrNotFound)

		attempt, ok, err := s.StartJobAttempt(ctx, s.DB(), 1, tick(2))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, 1, attempt)
		progress := store.Counters{Total: 10, Processed: 4, Successful: 3, Failed: 1}
		require.NoError(t, s.SaveJobProgress(ctx, s.DB(), 1, progress, json.RawMessage(`{"page":1}`), tick(3)))
		checkpointed := store.Counters{Total: 10, Processed: 6, Successful: 5, Failed: 1}
		require.NoError(t, s.SaveJobCheckpoint(ctx, s.DB(), 1, json.RawMessage(`{"cursor":"c6"}`), checkpointed,
			json.RawMessage(`{"page":2}`), tick(4)))
		j, err := s.Job(ctx, s.Reader(), 1)
		require.NoError(t, err)
		require.Equal(t, store.JobRunning, j.Status)
		require.Equal(t, checkpointed, j.Counters)
		require.JSONEq(t, `{"cursor":"c6"}`, string(j.Checkpoint))
		require.JSONEq(t, `{"page":2}`, string(j.Metadata))
		require.Equal(t, tick(2), j.StartedAt)

		// Shutdown: the attempt ends interrupted and the job waits again.
		inTx(t, s, func(tx *sql.Tx) error {
			if err := s.FinishJobAttempt(ctx, tx, 1, attempt, "interrupted", "", tick(5)); err != nil {
				return err
			}
			return s.RequeueInterruptedJob(ctx, tx, 1, tick(5))
		})
		j, err = s.Job(ctx, s.Reader(), 1)
		require.NoError(t, err)
		require.Equal(t, store.JobPending, j.Status)
		require.Equal(t, tick(5), j.UpdatedAt)

		attempt, ok, err = s.StartJobAttempt(ctx, s.DB(), 1, tick(6))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, 2, attempt, "the history numbers attempts itself")
		done := store.Counters{Total: 10, Processed: 10, Successful: 9, Failed: 1}
		inTx(t, s, func(tx *sql.Tx) error {
			if err := s.FinishJob(ctx, tx, 1, store.JobCompleted, done, json.RawMessage(`{}`), "", tick(7)); err != nil {
				return err
			}
			return s.FinishJobAttempt(ctx, tx, 1, attempt, "completed", "", tick(7))
		})
		attempts, err := s.JobAttempts(ctx, s.Reader(), 1)
		require.NoError(t, err)
		require.Equal(t, []store.JobAttempt{
			{Attempt: 1, StartedAt: tick(2), FinishedAt: tick(5), Outcome: "interrupted"},
			{Attempt: 2, StartedAt: tick(6), FinishedAt: tick(7), Outcome: "completed"},
		}, attempts)

		// A finished job is neither requeued nor started again.
		require.NoError(t, s.RequeueInterruptedJob(ctx, s.DB(), 1, tick(8)))
		_, ok, err = s.StartJobAttempt(ctx, s.DB(), 1, tick(8))
		require.NoError(t, err)
		require.False(t, ok)
		j, err = s.Job(ctx, s.Reader(), 1)
		require.NoError(t, err)
		require.Equal(t, store.JobCompleted, j.Status)
		require.Equal(t, done, j.Counters)
		require.Equal(t, tick(7), j.CompletedAt)
		require.Equal(t, tick(7), j.UpdatedAt)
		_, err = s.ActiveJobByKey(ctx, s.Reader(), "PULL {}")
		require.ErrorIs(t, err, store.ErrNotFound, "a finished job frees its key")
		require.NoError(t, s.RequeueInterruptedJob(ctx, s.DB(), 2, tick(9)))
		j, err = s.Job(ctx, s.Reader(), 2)
		require.NoError(t, err)
		require.Equal(t, tick(1), j.UpdatedAt, "a pending job is left alone")

		insertJob(t, s, 3, "PULL", "PULL {}", tick(10))
		latest, err := s.LatestJobPerType(ctx, s.Reader())
		require.NoError(t, err)
		require.Len(t, latest, 2)
		require.Equal(t, int64(3), latest["PULL"].ID)
		require.Equal(t, int64(2), latest["SYNC"].ID)

		updated, err := s.JobsUpdatedSince(ctx, s.Reader(), store.Millis(tick(1)), 0, 10)
		require.NoError(t, err)
		require.Equal(t, []int64{2, 1, 3}, jobIDs(updated), "oldest change first")
		updated, err = s.JobsUpdatedSince(ctx, s.Reader(), store.Millis(tick(2)), 0, 1)
		require.NoError(t, err)
		require.Equal(t, []int64{1}, jobIDs(updated))
		insertJob(t, s, 4, "PULL", "PULL {b}", tick(10))
		updated, err = s.JobsUpdatedSince(ctx, s.Reader(), store.Millis(tick(10)), 3, 10)
		require.NoError(t, err)
		require.Equal(t, []int64{4}, jobIDs(updated), "of the rows changed at since, only ids above afterID")
	})
}

func TestFailedItemKeysInOrder(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		insertJob(t, s, 1, "SYNC", "SYNC {}", at(0))
		insertJob(t, s, 2, "SYNC", "SYNC {a}", at(0))
		for _, key := range []string{"mapping:7", "mapping:3", "mapping:7", "mapping:12"} {
			require.NoError(t, s.UpsertFailedItem(ctx, s.DB(), store.FailedItem{JobID: 1, ItemKey: key, Message: "m",
				ErrorClass: "validation", CreatedAt: at(1)}))
		}
		keys, err := s.FailedItemKeys(ctx, s.Reader(), 1)
		require.NoError(t, err)
		require.Equal(t, []string{"mapping:7", "mapping:3", "mapping:12"}, keys, "first failure order, once each")
		keys, err = s.FailedItemKeys(ctx, s.Reader(), 2)
		require.NoError(t, err)
		require.Empty(t, keys)
	})
}

func jobIDs(jobs []store.JobRecord) []int64 {
	out := make([]int64, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}
