package nhanh_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/nhanh"
	"syncops/clients/sandbox/nhanhfake"
)

// throughputRequests is four windows' worth of requests, ending one into a
// fifth, sent by throughputWorkers callers at once.
const (
	throughputRequests = 4*nhanhfake.Limit + 1
	throughputWorkers  = 8
)

// runThroughput sends throughputRequests business/depot calls from
// throughputWorkers goroutines and returns how many are still running as
// they go (so a fake-clock driver knows when everyone waits).
func runThroughput(ctx context.Context, client *nhanh.Client, active *atomic.Int64) []error {
	var left atomic.Int64
	left.Store(throughputRequests)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	active.Store(throughputWorkers)
	for range throughputWorkers {
		wg.Go(func() {
			defer active.Add(-1)
			for left.Add(-1) >= 0 {
				if _, err := client.Depots(ctx); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// limitFraction compares the ideal span of throughputRequests at exactly
// the limit with the span the fake observed. At the limit, request k*150+1
// can arrive no sooner than k windows after the first, so N requests need
// at least ceil(N/150 - 1) windows.
func limitFraction(rec nhanhfake.Record) (fraction float64, ideal, span time.Duration) {
	depot := rec.Endpoints[nhanh.EndpointBusinessDepot]
	windows := math.Ceil(float64(throughputRequests)/float64(nhanhfake.Limit) - 1)
	ideal = time.Duration(windows * float64(rec.Window))
	span = depot.LastAt.Sub(depot.FirstAt)
	return float64(ideal) / float64(span), ideal, span
}

// driveWhenAllWait advances clock, until ctx ends, each time every still
// active caller waits on it: to the moment the governor's oldest slot frees
// (or by a millisecond when none is pending). Time then passes only while
// nobody can send, as on a real clock with instant round trips, so the
// measured use of the budget is the governor's own, not the machine's.
func driveWhenAllWait(ctx context.Context, clock *clockwork.FakeClock, client *nhanh.Client, active *atomic.Int64) {
	for ctx.Err() == nil {
		n := active.Load()
		if n == 0 {
			return
		}
		// The count may drop while we wait (a caller finishes): re-read it.
		waitCtx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err := clock.BlockUntilContext(waitCtx, int(n))
		cancel()
		if err != nil || active.Load() != n {
			continue
		}
		step := client.Stats().Endpoints[nhanh.EndpointBusinessDepot].WindowResetsIn
		clock.Advance(max(step, time.Millisecond))
	}
}

// TestThroughputAtTheLimit runs the client at Nhanh's published limit (150
// requests per 30 s) against the fake on a shared fake clock, with several
// callers at once. The fake must see no violation, and the client must use
// more than 90% of the budget. Nothing waits out a real window: the clock
// moves only when every caller waits on the governor. The same run on the
// real clock is BenchmarkThroughputAtScaledLimit.
func TestThroughputAtTheLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, options{ds: productWorld(), fakeClock: true})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var active atomic.Int64
	active.Store(throughputWorkers)
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		driveWhenAllWait(ctx, b.clock, b.client, &active)
	}()
	errs := runThroughput(ctx, b.client, &active)
	<-driven
	require.Empty(t, errs)

	rec := b.fake.Record()
	require.Empty(t, rec.Violations)
	require.Zero(t, rec.CallsWhileLocked)
	depot := rec.Endpoints[nhanh.EndpointBusinessDepot]
	require.Equal(t, throughputRequests, depot.Requests)
	require.LessOrEqual(t, depot.MaxInWindow, nhanhfake.Limit)
	require.Equal(t, nhanhfake.BaseWindow, rec.Window, "the published window, unscaled")

	fraction, ideal, span := limitFraction(rec)
	t.Logf("%d requests in %v of fake time (ideal %v): %.3f of the limit; max %d in one window",
		throughputRequests, span, ideal, fraction, depot.MaxInWindow)
	require.Greater(t, fraction, 0.9)
	require.LessOrEqual(t, fraction, 1.0)
}

// BenchmarkThroughputAtScaledLimit runs the client against the fake at 20x
// speed (150 requests per 1.5 s) on the real clock and a real loopback
// socket, where round trips take real time, and reports the fraction of the
// limit used ("limit-fraction", expected above 0.9). A limit violation
// fails it. Each iteration takes about six seconds:
//
//	go test ./clients/nhanh/ -run '^$' -bench ThroughputAtScaledLimit -benchtime 1x
func BenchmarkThroughputAtScaledLimit(b *testing.B) {
	const scale = 20
	var fraction float64
	for b.Loop() {
		b.StopTimer()
		world := setup(b, options{ds: productWorld(), fake: nhanhfake.Options{Scale: scale}, cfg: func(c *nhanh.Config) {
			c.Window = nhanhfake.BaseWindow / scale
		}})
		var active atomic.Int64
		b.StartTimer()
		errs := runThroughput(context.Background(), world.client, &active)
		b.StopTimer()
		require.Empty(b, errs)
		rec := world.fake.Record()
		require.Empty(b, rec.Violations)
		require.Zero(b, rec.CallsWhileLocked)
		fraction, _, _ = limitFraction(rec)
		b.StartTimer()
	}
	b.ReportMetric(fraction, "limit-fraction")
}
