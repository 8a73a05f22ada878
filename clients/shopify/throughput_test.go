package shopify_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox/shopifyfake"
	"syncops/clients/shopify"
)

// TestThroughputRunsAtTheRestoreRate writes thousands of metafields from
// several goroutines against a bucket restoring 1000 points/s (Scale 10)
// that starts nearly empty, on the real clock. The governor must keep the
// shop from ever refusing a request and still draw on at least 90% of the
// restore rate.
func TestThroughputRunsAtTheRestoreRate(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs for about two seconds of real time")
	}
	const (
		customers = 1000
		perOwner  = 6 // metafields per customer: 6000 in all, 240 calls of 25
		workers   = 8
	)
	b := setup(t, setupOptions{customers: customers, realClock: true, fake: shopifyfake.Options{Scale: 10, InitialFill: 0.01}})
	var inputs []shopify.MetafieldInput
	for _, c := range b.ds.ShopifyCustomers {
		for k := range perOwner {
			inputs = append(inputs, shopify.MetafieldInput{
				OwnerID: string(c.ID), Namespace: "custom", Key: fmt.Sprintf("field_%d", k), Type: "number_integer", Value: fmt.Sprint(k),
			})
		}
	}
	chunks := make(chan []shopify.MetafieldInput)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for range workers {
		wg.Go(func() {
			for chunk := range chunks {
				results, err := b.client.SetMetafields(b.ctx, chunk)
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
	for start := 0; start < len(inputs); start += 100 {
		chunks <- inputs[start:min(start+100, len(inputs))]
	}
	close(chunks)
	wg.Wait()

	require.Empty(t, failures)
	rec := b.fake.Record()
	require.Len(t, rec.MetafieldWrites, len(inputs))
	require.Zero(t, rec.Throttles, "the shop never refused a request")
	require.Zero(t, b.client.Stats().Throttles)
	achieved := rec.SustainedPointsPerSecond()
	fraction := achieved / rec.RestoreRate
	t.Logf("achieved %.0f points/s of %.0f restored (%.3f), %d requests in %v",
		achieved, rec.RestoreRate, fraction, rec.Requests, rec.LastRequest.Sub(rec.FirstRequest))
	require.Greater(t, fraction, 0.9)
}
