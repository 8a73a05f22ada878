package engine_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/store"
)

// laneWorld is two engines (two processes) on one database whose kinds
// share a write lane.
type laneWorld struct {
	engines  [2]*engine.Engine
	gate     chan struct{}
	mu       sync.Mutex
	inflight int // writers running now
	most     int // the most writers ever running at once
	previews int // previews that ran while a writer held the lane
}

func (w *laneWorld) kinds() []engine.Kind {
	body := func(ctx context.Context, r *engine.Run) error {
		if r.DryRun() {
			w.mu.Lock()
			if w.inflight > 0 {
				w.previews++
			}
			w.mu.Unlock()
			return nil
		}
		w.mu.Lock()
		w.inflight++
		w.most = max(w.most, w.inflight)
		w.mu.Unlock()
		defer func() {
			w.mu.Lock()
			w.inflight--
			w.mu.Unlock()
		}()
		select {
		case <-w.gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	params := []engine.ParamSpec{engine.LaneParamSpec, {Name: engine.DryRunParam, Kind: engine.ParamBool},
		{Name: "ids", Kind: engine.ParamIDs}}
	return []engine.Kind{
		{Type: "WRITE_STOCK", Label: "Write stock", Lane: "inventory", Params: params, Run: body},
		{Type: "AUTO_WRITE_STOCK", Label: "Auto write stock", Lane: "inventory", Params: params, Run: body},
	}
}

func newLaneWorld(t *testing.T, d store.Dialect) *laneWorld {
	t.Helper()
	w := &laneWorld{gate: make(chan struct{})}
	dsn := setupDSN(t, d)
	for i := range w.engines {
		s, err := store.Open(context.Background(), dsn, "")
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		require.NoError(t, s.Migrate(context.Background(), nil))
		e, err := engine.New(engine.Config{Store: s, Kinds: w.kinds(), FlushInterval: 20 * time.Millisecond,
			FollowInterval: 20 * time.Millisecond})
		require.NoError(t, err)
		require.NoError(t, e.StartWorkers(context.Background()))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, e.Stop(ctx))
		})
		w.engines[i] = e
	}
	return w
}

// TestLaneOneWriterAcrossProcesses: kinds of one write lane never run at
// once, whichever process starts them; a second writer waits behind the
// first (the default) or is refused with its id (whenBusy=refuse); a
// preview takes no lane.
func TestLaneOneWriterAcrossProcesses(t *testing.T) {
	t.Parallel()
	forBackends(t, func(t *testing.T, d store.Dialect) {
		w := newLaneWorld(t, d)
		ctx := context.Background()
		e1, e2 := w.engines[0], w.engines[1]
		first, err := e1.Start(ctx, "WRITE_STOCK", engine.Params{"ids": "1,2"}, engine.StartOptions{})
		require.NoError(t, err)
		waitFor(t, e1, first, status(engine.StatusRunning))

		// Refused at once, naming the holder.
		_, err = e2.Start(ctx, "AUTO_WRITE_STOCK", engine.Params{engine.LaneParam: "refuse"}, engine.StartOptions{})
		var conflict *engine.ConflictError
		require.ErrorAs(t, err, &conflict)
		require.Equal(t, first, conflict.Existing)
		require.Equal(t, "inventory", conflict.Lane)
		require.Contains(t, err.Error(), "held by job")

		// Queued: it waits, saying for whom, and never runs beside the first.
		second, err := e2.Start(ctx, "AUTO_WRITE_STOCK", nil, engine.StartOptions{})
		require.NoError(t, err)
		third, err := e2.Start(ctx, "WRITE_STOCK", engine.Params{"ids": "3"}, engine.StartOptions{})
		require.NoError(t, err)
		j := waitFor(t, e2, second, func(j engine.Job) bool { return len(j.Metadata) > 0 && string(j.Metadata) != "{}" })
		require.Equal(t, engine.StatusPending, j.Status)
		require.JSONEq(t, `{"job":`+itoa(first)+`,"type":"WRITE_STOCK","lane":"inventory"}`, string(mustField(t, j.Metadata, "waitingFor")))

		// A preview of the same kind runs while the lane is held.
		preview, err := e2.Start(ctx, "WRITE_STOCK", engine.Params{"ids": "1,2", engine.DryRunParam: "true"}, engine.StartOptions{})
		require.NoError(t, err)
		waitFor(t, e2, preview, status(engine.StatusCompleted))

		close(w.gate)
		for _, id := range []engine.JobID{first, second, third} {
			j := waitFor(t, e1, id, status(engine.StatusCompleted))
			require.NotContains(t, string(j.Metadata), "waitingFor", "a job that ran no longer says it waits")
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		require.Equal(t, 1, w.most, "two writers of the lane ran at once")
		require.Equal(t, 1, w.previews, "the preview ran while the lane was held")
	})
}

func itoa(id engine.JobID) string { return strconv.FormatInt(int64(id), 10) }
