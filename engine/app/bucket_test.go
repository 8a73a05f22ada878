package app

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/shopifyfake"
	"syncops/clients/shopify"
	"syncops/store"
	"syncops/store/storetest"
)

// Sizes of the Shopify drill: three instances of two writers each, every
// call 25 metafields of 25 distinct customers (35 points), against a bucket
// that starts nearly empty, so the restore rate bounds them all.
const (
	bucketDrillInstances = 3
	bucketDrillWorkers   = 2
	bucketDrillCalls     = 8 // per writer
)

// runBucketDrill runs the drill with the instances sharing bucket (nil:
// each on its own estimate) and returns what the shop recorded.
func runBucketDrill(t *testing.T, bucket shopify.BucketStore) shopifyfake.Record {
	t.Helper()
	clock := clockwork.NewFakeClock()
	ds := &dataset.Dataset{}
	for i := 1; i <= 25; i++ {
		ds.ShopifyCustomers = append(ds.ShopifyCustomers, dataset.ShopifyCustomer{
			ID: extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, int64(i)))})
	}
	fake := shopifyfake.New(ds, shopifyfake.Options{Clock: clock, AccessToken: "shpat_drill", InitialFill: 0.06})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var active atomic.Int64
	active.Store(bucketDrillInstances * bucketDrillWorkers)
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		drive(ctx, clock, &active, 10*time.Millisecond)
	}()
	var wg sync.WaitGroup
	errs := make(chan error, bucketDrillInstances*bucketDrillWorkers*bucketDrillCalls)
	for range bucketDrillInstances {
		c, err := shopify.New(shopify.Config{Shop: "drill.myshopify.com", BaseURL: srv.URL, AccessToken: "shpat_drill",
			HTTPClient: srv.Client(), Clock: clock, Bucket: bucket,
			RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond})
		require.NoError(t, err)
		for w := range bucketDrillWorkers {
			wg.Go(func() {
				defer active.Add(-1)
				for call := range bucketDrillCalls {
					inputs := make([]shopify.MetafieldInput, 0, 25)
					for _, cust := range ds.ShopifyCustomers {
						inputs = append(inputs, shopify.MetafieldInput{OwnerID: string(cust.ID), Namespace: "custom",
							Key: fmt.Sprintf("w%d_c%d", w, call), Type: "number_integer", Value: "1"})
					}
					results, err := c.SetMetafields(ctx, inputs)
					if err != nil {
						errs <- err
					}
					for _, r := range results {
						if r.Err != nil {
							errs <- r.Err
						}
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
	return fake.Record()
}

// TestSharedShopifyBucketDrill: three instances write at once against one
// shop. Sharing the bucket through the database, the shop records no
// THROTTLED answer and every write lands; each on its own estimate, the
// same drill stampedes (the control that shows the drill can fail).
func TestSharedShopifyBucketDrill(t *testing.T) {
	t.Parallel()
	writes := bucketDrillInstances * bucketDrillWorkers * bucketDrillCalls * 25
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		rec := runBucketDrill(t, ShopifyBucket{Store: s})
		require.Zero(t, rec.Throttles, "no instance was throttled")
		require.Len(t, rec.MetafieldWrites, writes)
		fraction := rec.SustainedPointsPerSecond() / rec.RestoreRate
		t.Logf("shared: %d requests, %.2f of the restore rate", rec.Requests, fraction)
		require.Greater(t, fraction, 0.8, "sharing still uses the bucket")
	})
	t.Run("without sharing", func(t *testing.T) {
		t.Parallel()
		rec := runBucketDrill(t, nil)
		t.Logf("alone: %d requests, %d throttled", rec.Requests, rec.Throttles)
		require.Positive(t, rec.Throttles, "instances pacing alone stampede")
		require.Len(t, rec.MetafieldWrites, writes)
	})
}
