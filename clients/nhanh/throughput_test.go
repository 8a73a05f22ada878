package nhanh_test

import (
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/nhanh"
	"syncops/clients/sandbox/nhanhfake"
)

// TestThroughputAtScaledLimit runs the client against the fake at 20x speed
// (150 requests per 1.5 s) on the real clock and a real loopback socket, with
// several callers at once. The fake must see no violation, and the client
// must use more than 90% of the budget.
func TestThroughputAtScaledLimit(t *testing.T) {
	t.Parallel()
	const (
		scale    = 20
		requests = 4*nhanhfake.Limit + 1 // four windows' worth, ending one into a fifth
		workers  = 8
	)
	b := setup(t, options{ds: productWorld(), fake: nhanhfake.Options{Scale: scale}, cfg: func(c *nhanh.Config) {
		c.Window = nhanhfake.BaseWindow / scale
	}})

	var left atomic.Int64
	left.Store(requests)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if _, err := b.client.Depots(t.Context()); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	rec := b.fake.Record()
	require.Empty(t, rec.Violations)
	require.Zero(t, rec.CallsWhileLocked)
	depot := rec.Endpoints[nhanh.EndpointBusinessDepot]
	require.Equal(t, requests, depot.Requests)
	require.LessOrEqual(t, depot.MaxInWindow, nhanhfake.Limit)

	// At exactly the limit, request k*150+1 can arrive no sooner than k
	// windows after the first, so N requests need at least
	// ceil(N/150 - 1) windows; the achieved fraction compares that ideal
	// span with the observed one.
	windows := math.Ceil(float64(requests)/float64(nhanhfake.Limit) - 1)
	ideal := time.Duration(windows * float64(rec.Window))
	span := depot.LastAt.Sub(depot.FirstAt)
	fraction := float64(ideal) / float64(span)
	t.Logf("%d requests in %v (ideal %v): %.3f of the limit; max %d in one window; governor wait %v",
		requests, span, ideal, fraction, depot.MaxInWindow, b.client.Stats().WaitTime)
	require.Greater(t, fraction, 0.9)
	require.LessOrEqual(t, fraction, 1.0)
}
