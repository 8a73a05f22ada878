package app

import (
	"context"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/nhanh"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/fault"
	"syncops/clients/sandbox/nhanhfake"
	"syncops/store"
	"syncops/store/storetest"
)

// drillWorld is one Nhanh fake and one database shared by several clients,
// each standing for an instance: its own governor, its own HTTP client,
// the budget shared only through the database.
type drillWorld struct {
	clock   *clockwork.FakeClock
	fake    *nhanhfake.Server
	clients []*nhanh.Client
}

func newDrill(t *testing.T, s *store.Store, instances int) *drillWorld {
	t.Helper()
	w := &drillWorld{clock: clockwork.NewFakeClock()}
	ds := &dataset.Dataset{NhanhDepots: []dataset.NhanhDepot{{ID: 10, Name: "Kho Hà Nội"}}}
	w.fake = nhanhfake.New(ds, nhanhfake.Options{Clock: w.clock, AppID: "app1", BusinessID: "biz1", AccessToken: "tok-drill"})
	srv := httptest.NewServer(w.fake)
	t.Cleanup(srv.Close)
	t.Cleanup(w.fake.Close)
	for range instances {
		c, err := nhanh.New(nhanh.Config{BaseURL: srv.URL, AppID: "app1", BusinessID: "biz1", AccessToken: "tok-drill",
			HTTPClient: srv.Client(), Clock: w.clock, Budget: NhanhBudget{Store: s},
			BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond})
		require.NoError(t, err)
		w.clients = append(w.clients, c)
	}
	return w
}

// drive advances the shared fake clock by step each time every active
// caller waits on it, so fake time passes only while nobody can send.
func drive(ctx context.Context, clock *clockwork.FakeClock, active *atomic.Int64, step time.Duration) {
	for ctx.Err() == nil {
		n := active.Load()
		if n == 0 {
			return
		}
		waitCtx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err := clock.BlockUntilContext(waitCtx, int(n))
		cancel()
		if err != nil || active.Load() != n {
			continue
		}
		clock.Advance(step)
	}
}

// TestSharedNhanhBudgetDrill has three instances call one endpoint at once,
// together well over one window's limit, with the budget shared through
// one database: the fake must record no violation and no lock, and the
// window must still be used (more than one window's worth went through).
func TestSharedNhanhBudgetDrill(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		const instances, workers, perInstance = 3, 3, 110 // 330 calls: three windows
		w := newDrill(t, s, instances)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		var active atomic.Int64
		active.Store(instances * workers)
		driven := make(chan struct{})
		go func() {
			defer close(driven)
			drive(ctx, w.clock, &active, 100*time.Millisecond)
		}()
		var wg sync.WaitGroup
		errs := make(chan error, instances*workers)
		for _, c := range w.clients {
			var left atomic.Int64
			left.Store(perInstance)
			for range workers {
				wg.Go(func() {
					defer active.Add(-1)
					for left.Add(-1) >= 0 {
						if _, err := c.Depots(ctx); err != nil {
							errs <- err
							return
						}
					}
				})
			}
		}
		wg.Wait()
		<-driven
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		rec := w.fake.Record()
		require.Empty(t, rec.Violations)
		require.Zero(t, rec.CallsWhileLocked)
		depot := rec.Endpoints[nhanh.EndpointBusinessDepot]
		require.Zero(t, depot.Locks)
		require.Equal(t, instances*perInstance, depot.Requests)
		require.LessOrEqual(t, depot.MaxInWindow, nhanhfake.Limit)
		span := depot.LastAt.Sub(depot.FirstAt)
		// 330 requests at 150 per window need at least two windows; a
		// shared budget that over-reserved would take far longer.
		fraction := float64(2*nhanhfake.BaseWindow) / float64(span)
		t.Logf("%d requests from %d instances in %v of fake time (%.3f of the limit); max %d in one window",
			depot.Requests, instances, span, fraction, depot.MaxInWindow)
		require.Greater(t, fraction, 0.9)
		require.LessOrEqual(t, fraction, 1.0)
	})
}

// TestSharedNhanhLock: a lock answer seen by one instance stops the others
// until unlockedAt, without any of them calling the locked endpoint.
func TestSharedNhanhLock(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		w := newDrill(t, s, 3)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()

		// The fake locks the endpoint on instance 0's next call.
		w.fake.InjectNext(fault.Throttle)
		lockSeen := make(chan error, 1)
		go func() {
			_, err := w.clients[0].Depots(ctx)
			lockSeen <- err
		}()
		// Instance 0 waits out the lock on the clock after sharing it.
		require.NoError(t, w.clock.BlockUntilContext(ctx, 1))
		st, err := s.BudgetAt(ctx, s.Reader(), store.BudgetKey{API: nhanhBudgetAPI, Scope: "app1/biz1", Endpoint: nhanh.EndpointBusinessDepot}, w.clock.Now())
		require.NoError(t, err)
		require.False(t, st.LockedUntil.IsZero(), "the lock is in the shared table")
		unlockedAt := st.LockedUntil
		require.True(t, unlockedAt.After(w.clock.Now()))

		// The other instances' calls wait too, sending nothing.
		done := make(chan error, 2)
		for _, c := range w.clients[1:] {
			go func() {
				_, err := c.Depots(ctx)
				done <- err
			}()
		}
		require.NoError(t, w.clock.BlockUntilContext(ctx, 3))
		require.Equal(t, 1, w.fake.Record().Requests(nhanh.EndpointBusinessDepot), "only the locked call reached Nhanh")
		select {
		case err := <-done:
			t.Fatalf("an instance went through during the lock: %v", err)
		default:
		}

		// Just before unlockedAt nobody has called; at it, all go through.
		w.clock.Advance(unlockedAt.Sub(w.clock.Now()) - time.Millisecond)
		require.NoError(t, w.clock.BlockUntilContext(ctx, 3))
		require.Equal(t, 1, w.fake.Record().Requests(nhanh.EndpointBusinessDepot))
		w.clock.Advance(time.Millisecond)
		require.NoError(t, <-lockSeen)
		require.NoError(t, <-done)
		require.NoError(t, <-done)
		rec := w.fake.Record()
		require.Empty(t, rec.Violations)
		require.Zero(t, rec.CallsWhileLocked)
		require.Equal(t, 4, rec.Requests(nhanh.EndpointBusinessDepot))
	})
}
