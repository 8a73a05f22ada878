package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/engine"
	"syncops/store"
	"syncops/store/storetest"
)

// testBundle is the world of one engine test.
type testBundle struct {
	engine *engine.Engine
	store  *store.Store
	dsn    string
	gate   chan struct{} // closed to let gated bodies finish
	ran    atomic.Int64  // bodies that started
}

// testKinds are job kinds that exercise the runtime, not the sync logic.
func testKinds(b *testBundle) []engine.Kind {
	return []engine.Kind{
		{
			Type: "GATED", Label: "Gated",
			Params: []engine.ParamSpec{{Name: "n", Kind: engine.ParamInt, Default: "10", Min: 1}},
			Run: func(ctx context.Context, r *engine.Run) error {
				b.ran.Add(1)
				var p struct{ N int64 }
				if err := r.Params(&p); err != nil {
					return err
				}
				r.SetTotal(p.N)
				r.Succeeded(p.N / 2)
				select {
				case <-b.gate:
				case <-ctx.Done():
					return ctx.Err()
				}
				r.Succeeded(p.N - p.N/2)
				return nil
			},
		},
		{
			Type: "FAILING_ITEMS", Label: "Failing items", RetryItems: true,
			Params: []engine.ParamSpec{{Name: "n", Kind: engine.ParamInt, Default: "20", Min: 1}},
			Run: func(ctx context.Context, r *engine.Run) error {
				var p struct{ N int64 }
				if err := r.Params(&p); err != nil {
					return err
				}
				if r.RetryOf() != 0 {
					keys, err := r.RetryKeys(ctx)
					if err != nil {
						return err
					}
					r.SetTotal(int64(len(keys)))
					r.Succeeded(int64(len(keys)))
					r.SetMeta("retried", keys)
					return nil
				}
				r.SetTotal(p.N)
				for i := int64(1); i <= p.N; i++ {
					if i%5 == 0 {
						if err := r.Fail(ctx, engine.Failure{Key: fmt.Sprintf("item-%d", i),
							Message: fmt.Sprintf("item %d refused: price missing", i), Class: apierr.ClassValidation,
							Request: "metafieldsSet owner=item-" + fmt.Sprint(i)}); err != nil {
							return err
						}
						continue
					}
					r.Succeeded(1)
				}
				return nil
			},
		},
		{
			Type: "BROKEN", Label: "Broken",
			Run: func(ctx context.Context, r *engine.Run) error {
				r.SetTotal(3)
				r.Succeeded(1)
				return &apierr.Error{API: "shopify", Op: "customers", Class: apierr.ClassAuth, HTTPStatus: 401, Message: "invalid token"}
			},
		},
	}
}

func setup(t *testing.T, d store.Dialect) *testBundle {
	t.Helper()
	b := &testBundle{gate: make(chan struct{}), dsn: storetest.DSN(t, d)}
	s, err := store.Open(context.Background(), b.dsn, "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(context.Background(), nil))
	b.store = s
	e, err := engine.New(engine.Config{Store: s, Kinds: testKinds(b), FlushInterval: 20 * time.Millisecond,
		FollowInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, e.StartWorkers(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, e.Stop(ctx))
	})
	b.engine = e
	return b
}

// waitFor follows engine events until cond holds for the job, and returns it.
func waitFor(t *testing.T, e *engine.Engine, id engine.JobID, cond func(engine.Job) bool) engine.Job {
	t.Helper()
	events, stop := e.Subscribe()
	defer stop()
	j, err := e.Get(context.Background(), id)
	require.NoError(t, err)
	timeout := time.After(60 * time.Second)
	for !cond(j) {
		select {
		case ev, ok := <-events:
			require.True(t, ok, "event stream closed")
			if ev.Job.ID == id {
				j = ev.Job
			}
		case <-timeout:
			t.Fatalf("job %d never reached the wanted state; last: %+v", id, j)
		}
	}
	return j
}

func status(s engine.Status) func(engine.Job) bool {
	return func(j engine.Job) bool { return j.Status == s }
}

func forBackends(t *testing.T, fn func(t *testing.T, d store.Dialect)) {
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

func TestStartReturnsBeforeTheBodyRuns(t *testing.T) {
	t.Parallel()
	forBackends(t, func(t *testing.T, d store.Dialect) {
		b := setup(t, d)
		ctx := context.Background()
		id, err := b.engine.Start(ctx, "gated", engine.Params{"n": "10"}, engine.StartOptions{})
		require.NoError(t, err)
		j, err := b.engine.Get(ctx, id)
		require.NoError(t, err)
		// The gate is still closed, so the body cannot have finished.
		require.Contains(t, []engine.Status{engine.StatusPending, engine.StatusRunning}, j.Status)
		require.Less(t, j.Processed, int64(10))

		// Progress is visible from a second connection while the body waits.
		other, err := store.Open(ctx, b.dsn, "")
		require.NoError(t, err)
		defer other.Close()
		require.Eventually(t, func() bool {
			rec, err := other.Job(ctx, other.Reader(), int64(id))
			return err == nil && rec.Status == store.JobRunning && rec.Counters.Successful == 5 && rec.Counters.Total == 10
		}, 30*time.Second, 10*time.Millisecond)

		close(b.gate)
		j = waitFor(t, b.engine, id, status(engine.StatusCompleted))
		require.Equal(t, engine.Counters{Total: 10, Processed: 10, Successful: 10}, j.Counters())
		require.NotNil(t, j.StartedAt)
		require.NotNil(t, j.CompletedAt)
	})
}

func TestSingleFlightAndForce(t *testing.T) {
	t.Parallel()
	forBackends(t, func(t *testing.T, d store.Dialect) {
		b := setup(t, d)
		ctx := context.Background()
		first, err := b.engine.Start(ctx, "GATED", engine.Params{"n": "4"}, engine.StartOptions{})
		require.NoError(t, err)

		_, err = b.engine.Start(ctx, "gated", engine.Params{"n": "4"}, engine.StartOptions{})
		var conflict *engine.ConflictError
		require.ErrorAs(t, err, &conflict)
		require.Equal(t, first, conflict.Existing)
		require.Contains(t, err.Error(), fmt.Sprintf("job %d", first))

		// Other parameters are another stream and may run alongside.
		other, err := b.engine.Start(ctx, "gated", engine.Params{"n": "6"}, engine.StartOptions{})
		require.NoError(t, err)
		require.NotEqual(t, first, other)

		waitFor(t, b.engine, first, status(engine.StatusRunning))
		second, err := b.engine.Start(ctx, "gated", engine.Params{"n": "4"}, engine.StartOptions{Force: true,
			Actor: engine.Actor{Name: "tester", Kind: engine.ActorCLI}})
		require.NoError(t, err)
		waitAttemptOutcome(t, b.engine, first, "cancelled")
		old, err := b.engine.Get(ctx, first)
		require.NoError(t, err)
		require.Equal(t, engine.StatusCancelled, old.Status)
		require.Contains(t, old.Error, "forced restart")
		require.Equal(t, int64(2), old.Successful, "counters of the replaced job are kept")

		close(b.gate)
		waitFor(t, b.engine, second, status(engine.StatusCompleted))
		waitFor(t, b.engine, other, status(engine.StatusCompleted))
	})
}

func TestCancelRunningJob(t *testing.T) {
	t.Parallel()
	forBackends(t, func(t *testing.T, d store.Dialect) {
		b := setup(t, d)
		ctx := context.Background()
		id, err := b.engine.Start(ctx, "gated", engine.Params{"n": "8"}, engine.StartOptions{})
		require.NoError(t, err)
		waitFor(t, b.engine, id, func(j engine.Job) bool { return j.Status == engine.StatusRunning && j.Successful == 4 })

		require.NoError(t, b.engine.Cancel(ctx, id, engine.Actor{}))
		// The body never saw its gate: it was cancelled through its context,
		// and the worker wrote the final counters when it stopped.
		waitAttemptOutcome(t, b.engine, id, "cancelled")
		j, err := b.engine.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, engine.StatusCancelled, j.Status)
		require.Equal(t, int64(4), j.Successful)
		require.Equal(t, int64(8), j.Total)

		err = b.engine.Cancel(ctx, id, engine.Actor{})
		require.ErrorIs(t, err, engine.ErrNotActive)
	})
}

func TestCancelPendingJobNeverRuns(t *testing.T) {
	t.Parallel()
	b := &testBundle{gate: make(chan struct{})}
	s := storetest.Open(t, store.SQLite)
	e, err := engine.New(engine.Config{Store: s, Kinds: testKinds(b), NoWorkers: true})
	require.NoError(t, err)
	ctx := context.Background()
	id, err := e.Start(ctx, "gated", nil, engine.StartOptions{})
	require.NoError(t, err)
	require.NoError(t, e.Cancel(ctx, id, engine.Actor{Name: "ops", Kind: engine.ActorCLI}))
	j, err := e.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, engine.StatusCancelled, j.Status)
	require.Zero(t, b.ran.Load())
}

func TestFailedItemsListedSearchedAndRetried(t *testing.T) {
	t.Parallel()
	forBackends(t, func(t *testing.T, d store.Dialect) {
		b := setup(t, d)
		ctx := context.Background()
		id, err := b.engine.Start(ctx, "failing_items", engine.Params{"n": "20"}, engine.StartOptions{})
		require.NoError(t, err)
		j := waitFor(t, b.engine, id, status(engine.StatusCompleted))
		require.Equal(t, engine.Counters{Total: 20, Processed: 20, Successful: 16, Failed: 4}, j.Counters())

		items, n, err := b.engine.Failures(ctx, engine.FailureFilter{JobID: int64(id), Limit: 3})
		require.NoError(t, err)
		require.Equal(t, int64(4), n)
		require.Len(t, items, 3)
		require.Equal(t, "item-5", items[0].ItemKey)
		require.Equal(t, "validation", items[0].ErrorClass)
		require.Contains(t, items[0].Request, "metafieldsSet")
		next, _, err := b.engine.Failures(ctx, engine.FailureFilter{JobID: int64(id), AfterID: items[2].ID, Limit: 3})
		require.NoError(t, err)
		require.Len(t, next, 1)
		require.Equal(t, "item-20", next[0].ItemKey)

		found, n, err := b.engine.Failures(ctx, engine.FailureFilter{JobID: int64(id), Search: "ITEM 15 refused"})
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		require.Equal(t, "item-15", found[0].ItemKey)

		retry, err := b.engine.Retry(ctx, id, engine.Actor{Name: "ops", Kind: engine.ActorCLI})
		require.NoError(t, err)
		rj := waitFor(t, b.engine, retry, status(engine.StatusCompleted))
		require.Equal(t, id, rj.RetryOf)
		require.Equal(t, engine.Counters{Total: 4, Processed: 4, Successful: 4}, rj.Counters())
		require.JSONEq(t, `["item-5","item-10","item-15","item-20"]`, string(mustField(t, rj.Metadata, "retried")))

		_, err = b.engine.Retry(ctx, retry, engine.Actor{})
		require.ErrorIs(t, err, engine.ErrNothingToRetry)
	})
}

func TestBodyErrorFailsTheJob(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	id, err := b.engine.Start(context.Background(), "broken", nil, engine.StartOptions{})
	require.NoError(t, err)
	j := waitFor(t, b.engine, id, status(engine.StatusFailed))
	require.Contains(t, j.Error, "invalid token")
	require.Equal(t, int64(1), j.Successful, "counters up to the failure are kept")
}

func TestStartRefusesBadInput(t *testing.T) {
	t.Parallel()
	b := &testBundle{gate: make(chan struct{})}
	s := storetest.Open(t, store.SQLite)
	e, err := engine.New(engine.Config{Store: s, Kinds: testKinds(b), NoWorkers: true})
	require.NoError(t, err)
	tests := []struct {
		name    string
		typ     string
		params  engine.Params
		wantErr string
	}{
		{"unknown type", "PULL_EVERYTHING", nil, `unknown job type "PULL_EVERYTHING"; valid types: BROKEN, FAILING_ITEMS, GATED`},
		{"unknown param", "gated", engine.Params{"m": "1"}, `GATED: parameter "m" is unknown (valid: n)`},
		{"bad int", "gated", engine.Params{"n": "ten"}, `GATED: parameter "n" must be a whole number, got "ten"`},
		{"below min", "gated", engine.Params{"n": "0"}, `GATED: parameter "n" must be at least 1, got 0`},
		{"no params", "broken", engine.Params{"x": "1"}, `BROKEN: parameter "x" is unknown (it takes no parameters)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Start(context.Background(), tt.typ, tt.params, engine.StartOptions{})
			require.EqualError(t, err, tt.wantErr)
		})
	}
	var unknown *engine.UnknownTypeError
	_, err = e.Start(context.Background(), "nope", nil, engine.StartOptions{})
	require.True(t, errors.As(err, &unknown))
	jobs, err := e.List(context.Background(), engine.ListFilter{})
	require.NoError(t, err)
	require.Empty(t, jobs, "refused starts leave nothing behind")
}

func TestScheduledTickStartsOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	forBackends(t, func(t *testing.T, d store.Dialect) {
		dsn := setupDSN(t, d)
		ctx := context.Background()
		tick := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		var engines []*engine.Engine
		for range 2 {
			s, err := store.Open(ctx, dsn, "")
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			require.NoError(t, s.Migrate(ctx, nil))
			e, err := engine.New(engine.Config{Store: s, Kinds: testKinds(&testBundle{gate: make(chan struct{})}), NoWorkers: true})
			require.NoError(t, err)
			engines = append(engines, e)
		}
		opts := engine.StartOptions{ScheduledTick: tick, Actor: engine.Actor{Name: "scheduler", Kind: engine.ActorScheduler}}
		first, err := engines[0].Start(ctx, "broken", nil, opts)
		require.NoError(t, err)
		// Even once the first run is over, the same tick does not start again.
		require.NoError(t, engines[0].Cancel(ctx, first, engine.Actor{}))
		_, err = engines[1].Start(ctx, "broken", nil, opts)
		require.ErrorIs(t, err, engine.ErrTickClaimed)
		// The next tick does.
		opts.ScheduledTick = tick.Add(time.Hour)
		_, err = engines[1].Start(ctx, "broken", nil, opts)
		require.NoError(t, err)
	})
}

// A cancel whose River signal never arrives (a lost notification) still
// reaches the body: the worker reads the job row at each progress flush.
func TestCancelReachesTheBodyWithoutRiversSignal(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()
	id, err := b.engine.Start(ctx, "gated", engine.Params{"n": "4"}, engine.StartOptions{})
	require.NoError(t, err)
	waitFor(t, b.engine, id, func(j engine.Job) bool { return j.Status == engine.StatusRunning && j.Successful == 2 })

	ok, err := b.store.CancelJobRecord(ctx, b.store.DB(), int64(id), "cancelled in the database only", time.Now())
	require.NoError(t, err)
	require.True(t, ok)
	waitAttemptOutcome(t, b.engine, id, "cancelled")
	j, err := b.engine.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, engine.StatusCancelled, j.Status)
	require.Equal(t, int64(2), j.Successful)
}
