package shopify_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox/shopifyfake"
	"syncops/clients/shopify"
)

// Sizes of the throughput run: 6,000 metafields, 240 calls of 25, from
// several goroutines at once.
const (
	throughputCustomers = 1000
	throughputPerOwner  = 6
	throughputWorkers   = 8
)

// writeMetafieldsAtOnce writes throughputPerOwner metafields for every
// customer from throughputWorkers goroutines, one call (25 metafields) at a
// time each, and returns every failure. active counts the goroutines still
// writing.
func writeMetafieldsAtOnce(ctx context.Context, b bundle, active *atomic.Int64) []error {
	var inputs []shopify.MetafieldInput
	for _, c := range b.ds.ShopifyCustomers {
		for k := range throughputPerOwner {
			inputs = append(inputs, shopify.MetafieldInput{
				OwnerID: string(c.ID), Namespace: "custom", Key: fmt.Sprintf("field_%d", k), Type: "number_integer", Value: fmt.Sprint(k),
			})
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	active.Store(throughputWorkers)
	for range throughputWorkers {
		wg.Go(func() {
			defer active.Add(-1)
			for {
				start := int(next.Add(shopify.MaxMetafieldsPerCall)) - shopify.MaxMetafieldsPerCall
				if start >= len(inputs) {
					return
				}
				results, err := b.client.SetMetafields(ctx, inputs[start:min(start+shopify.MaxMetafieldsPerCall, len(inputs))])
				mu.Lock()
				if err != nil {
					failures = append(failures, err)
				}
				for _, r := range results {
					if r.Err != nil {
						failures = append(failures, r.Err)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failures
}

// requireThroughput checks that every write landed, the shop never refused a
// request, and the client drew on at least 90% of the restore rate.
func requireThroughput(t testing.TB, b bundle) float64 {
	t.Helper()
	rec := b.fake.Record()
	require.Len(t, rec.MetafieldWrites, throughputCustomers*throughputPerOwner)
	require.Zero(t, rec.Throttles, "the shop never refused a request")
	require.Zero(t, b.client.Stats().Throttles)
	fraction := rec.SustainedPointsPerSecond() / rec.RestoreRate
	t.Logf("achieved %.0f points/s of %.0f restored (%.3f), %d requests in %v",
		rec.SustainedPointsPerSecond(), rec.RestoreRate, fraction, rec.Requests, rec.LastRequest.Sub(rec.FirstRequest))
	require.Greater(t, fraction, 0.9)
	return fraction
}

// driveWhenAllWait moves clock forward by step each time every still active
// writer waits on it, until ctx ends or no writer is left. Time passes only
// while nobody can send, as with instant round trips, so the measured use of
// the restore rate is the governor's own, not the machine's.
func driveWhenAllWait(ctx context.Context, clock *clockwork.FakeClock, step time.Duration, active *atomic.Int64) {
	for ctx.Err() == nil {
		n := active.Load()
		if n == 0 {
			return
		}
		// The count may drop while we wait (a writer finishes): re-read it.
		waitCtx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err := clock.BlockUntilContext(waitCtx, int(n))
		cancel()
		if err == nil && active.Load() == n {
			clock.Advance(step)
		}
	}
}

// TestThroughputRunsAtTheRestoreRate writes thousands of metafields from
// several goroutines against a bucket with the Standard plan's restore rate
// (100 points/s) that starts nearly empty, on a fake clock shared with the
// shop that moves only when every writer waits. The governor must keep the
// shop from ever refusing a request and still draw on at least 90% of the
// restore rate. The same run on the real clock is
// BenchmarkThroughputAtScaledRestoreRate.
func TestThroughputRunsAtTheRestoreRate(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: throughputCustomers, fake: shopifyfake.Options{InitialFill: 0.01}})
	var active atomic.Int64
	active.Store(throughputWorkers)
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		// A millisecond restores a tenth of a point: far finer than a call.
		driveWhenAllWait(b.ctx, b.fc, time.Millisecond, &active)
	}()
	failures := writeMetafieldsAtOnce(b.ctx, b, &active)
	<-driven
	require.Empty(t, failures)
	requireThroughput(t, b)
}

// BenchmarkThroughputAtScaledRestoreRate is the throughput run on the real
// clock and a real loopback socket, against a bucket restoring 1000
// points/s (Scale 10), and reports the fraction of the restore rate used
// ("restore-fraction"). Each iteration takes about two seconds:
//
//	go test ./clients/shopify/ -run '^$' -bench ThroughputAtScaledRestoreRate -benchtime 1x
func BenchmarkThroughputAtScaledRestoreRate(b *testing.B) {
	var fraction float64
	for b.Loop() {
		b.StopTimer()
		world := setup(b, setupOptions{customers: throughputCustomers, realClock: true,
			fake: shopifyfake.Options{Scale: 10, InitialFill: 0.01}})
		var active atomic.Int64
		b.StartTimer()
		failures := writeMetafieldsAtOnce(world.ctx, world, &active)
		b.StopTimer()
		require.Empty(b, failures)
		fraction = requireThroughput(b, world)
		b.StartTimer()
	}
	b.ReportMetric(fraction, "restore-fraction")
}
