package engine

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestReconcileFailsJobsRiverWillNeverRun(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.SQLite)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	e, err := New(Config{Store: s, NoWorkers: true, Clock: clock, Kinds: []Kind{{Type: "NOOP",
		Params: []ParamSpec{{Name: "n", Kind: ParamInt}},
		Run:    func(context.Context, *Run) error { return nil }}}})
	require.NoError(t, err)
	ctx := context.Background()
	lost, err := e.Start(ctx, "NOOP", Params{"n": "1"}, StartOptions{})
	require.NoError(t, err)
	kept, err := e.Start(ctx, "NOOP", Params{"n": "2"}, StartOptions{})
	require.NoError(t, err)
	_, err = e.river.JobDelete(ctx, int64(lost))
	require.NoError(t, err)

	require.NoError(t, e.reconcile(ctx))
	j, err := e.Get(ctx, lost)
	require.NoError(t, err)
	require.Equal(t, StatusFailed, j.Status)
	require.Equal(t, "job lost: its queue entry is gone", j.Error)
	j, err = e.Get(ctx, kept)
	require.NoError(t, err)
	require.Equal(t, StatusPending, j.Status, "a job River still holds is left alone")
}

func TestRetentionRemovesOldFinishedJobs(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.SQLite)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	e, err := New(Config{Store: s, NoWorkers: true, Clock: clock, Retention: 24 * time.Hour,
		Kinds: []Kind{{Type: "NOOP", Run: func(context.Context, *Run) error { return nil }}}})
	require.NoError(t, err)
	ctx := context.Background()
	old, err := e.Start(ctx, "NOOP", nil, StartOptions{})
	require.NoError(t, err)
	require.NoError(t, e.Cancel(ctx, old, Actor{}))
	clock.Advance(25 * time.Hour)
	recent, err := e.Start(ctx, "NOOP", nil, StartOptions{})
	require.NoError(t, err)
	require.NoError(t, e.Cancel(ctx, recent, Actor{}))

	w := &maintenanceWorker{engine: e}
	require.NoError(t, w.Work(ctx, nil))
	_, err = e.Get(ctx, old)
	require.ErrorIs(t, err, ErrNotFound)
	_, err = e.Get(ctx, recent)
	require.NoError(t, err)
}
