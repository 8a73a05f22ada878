package sync_test

import (
	"context"
	"maps"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox/fault"
	"syncops/clients/sandbox/shopifyfake"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
)

// faultyWorld serves a world whose APIs fail now and then: 5% server
// errors, 2% malformed bodies and 1% stalls on both. The Shopify client
// makes a single attempt, so a fault becomes a failed item instead of being
// retried away inside the client; the Nhanh client retries a little.
func faultyWorld(t *testing.T) *syncWorld {
	return newSyncWorld(t, worldOptions{customers: 2000, products: 600,
		faults: fault.Spec{Seed: 1, Rates: map[fault.Kind]float64{fault.Server: 0.05, fault.Malformed: 0.02, fault.Timeout: 0.01}},
		clients: func(n *nhanh.Config, s *shopify.Config) {
			n.MaxAttempts, n.RequestTimeout = 3, 300*time.Millisecond
			s.MaxAttempts, s.RequestTimeout = 1, 300*time.Millisecond
		}})
}

// retryUntilClean retries j's failed items until a retry has none.
func (w *syncWorld) retryUntilClean(t *testing.T, j engine.Job, check func(engine.Job)) {
	t.Helper()
	for round := 0; j.Failed > 0; round++ {
		require.Less(t, round, 8, "retries keep failing")
		j = w.Retry(t, j.ID)
		requireCompleted(t, j)
		t.Logf("  retry %d: %d items, %d written, %d failed", round+1, j.Total, j.Successful, j.Failed)
		check(j)
	}
}

func TestSyncsUnderFaultsWriteOrReportEveryItemAndRetriesFinishThem(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits out injected stalls")
	}
	w := faultyWorld(t)
	ctx := context.Background()
	locA, locB, depotsA, depotsB := w.depotSplit(t)
	customers := w.matchedCustomers()
	customerMapping := w.mapCustomers(t, customers)
	products := w.matchedProducts()
	productMapping := w.mapProducts(t, products)

	wantSpend := maps.Clone(w.truth.ExpectedTotalSpent)
	stock := map[extid.NhanhProductID]map[extid.NhanhDepotID]int64{}
	for nid := range products {
		stock[nid] = maps.Clone(w.nhanhProduct(nid).Available)
	}
	// checkCustomers: every mapping the job covered is written correctly or
	// is a failed item with a reason.
	checkCustomers := func(j engine.Job) {
		fails := w.Failures(t, j.ID)
		require.EqualValues(t, len(fails), j.Failed)
		for nid, gid := range customers {
			if f, failed := fails[strconv.FormatInt(customerMapping[nid], 10)]; failed {
				require.NotEmpty(t, f.Message)
				require.NotEmpty(t, f.ErrorClass)
				require.Contains(t, f.Request, string(gid))
				continue
			}
			mf, _ := w.Sandbox.Shopify().Metafield(gid, "custom.total_spent")
			require.Equal(t, strconv.FormatInt(wantSpend[nid], 10), mf.Value, "Nhanh customer %d", nid)
		}
	}
	checkProducts := func(j engine.Job) {
		fails := w.Failures(t, j.ID)
		require.EqualValues(t, len(fails), j.Failed)
		for nid, vid := range products {
			if f, failed := fails[strconv.FormatInt(productMapping[nid], 10)]; failed {
				require.NotEmpty(t, f.Message)
				continue
			}
			item := w.variant(vid).InventoryItemID
			requireAvailable(t, w, item, locA, sumDepots(stock[nid], depotsA))
			requireAvailable(t, w, item, locB, sumDepots(stock[nid], depotsB))
		}
	}

	// One call of each write fails for certain (the inventory one after
	// Shopify applied it: the reply is lost), on top of the random faults.
	w.Sandbox.Shopify().Script(
		shopifyfake.ScriptedFault{Op: "metafieldsSet", Kind: fault.Server},
		shopifyfake.ScriptedFault{Op: "inventorySetQuantities", Kind: fault.Malformed, AfterApply: true})

	j := w.Run(t, jobs.CustomerSync, nil)
	requireCompleted(t, j)
	t.Logf("CustomerSync: %d items, %d written, %d skipped, %d failed", j.Total, j.Successful, j.Skipped, j.Failed)
	require.Positive(t, j.Failed)
	checkCustomers(j)
	w.retryUntilClean(t, j, checkCustomers)

	j = w.Run(t, jobs.ProductSync, nil)
	requireCompleted(t, j)
	t.Logf("ProductSync: %d items, %d written, %d skipped, %d failed", j.Total, j.Successful, j.Skipped, j.Failed)
	require.Positive(t, j.Failed)
	checkProducts(j)
	w.retryUntilClean(t, j, checkProducts)

	// Values move in Nhanh; the auto-syncs carry them over, faults or not.
	ids := slices.Sorted(maps.Keys(customers))
	for _, nid := range ids[:40] {
		c := w.nhanhCustomer(nid)
		c.TotalAmount += 25_000.5
		c.UpdatedAt = time.Now().Unix()
		w.Sandbox.Nhanh().SetCustomer(c)
		wantSpend[nid] = int64(math.Round(c.TotalAmount))
	}
	j = w.Run(t, jobs.AutoSyncCustomers, nil)
	requireCompleted(t, j)
	t.Logf("AutoSyncCustomers: %d items, %d written, %d skipped, %d failed", j.Total, j.Successful, j.Skipped, j.Failed)
	checkCustomers(j)
	w.retryUntilClean(t, j, checkCustomers)

	pids := slices.Sorted(maps.Keys(products))
	for _, nid := range pids[:30] {
		stock[nid][depotsA[0]] += 3
		require.True(t, w.Sandbox.Nhanh().SetStock(nid, depotsA[0], stock[nid][depotsA[0]]))
	}
	j = w.Run(t, jobs.AutoSyncProducts, nil)
	requireCompleted(t, j)
	t.Logf("AutoSyncProducts: %d items, %d written, %d skipped, %d failed", j.Total, j.Successful, j.Skipped, j.Failed)
	checkProducts(j)
	w.retryUntilClean(t, j, checkProducts)

	// In the end every mapping is SYNCED with the value Shopify holds.
	for _, id := range customerMapping {
		m, err := w.Store.CustomerMapping(ctx, w.Store.Reader(), id)
		require.NoError(t, err)
		require.Equal(t, store.MappingSynced, m.Status)
		require.Equal(t, wantSpend[m.NhanhID], *m.LastSyncedValue)
	}
	for _, id := range productMapping {
		m, err := w.Store.ProductMapping(ctx, w.Store.Reader(), id)
		require.NoError(t, err)
		require.Equal(t, store.MappingSynced, m.Status)
	}
	rec := w.Sandbox.Shopify().Record()
	t.Logf("faults injected: shopify %v in %d requests", rec.InjectedFaults, rec.Requests)
	require.Positive(t, rec.InjectedFaults[fault.Server])
	require.Zero(t, rec.Throttles, "the governor never overdrew the bucket")
}

func TestProductSyncResendsALostReplyWithTheSameIdempotencyKey(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{})
	w.depotSplit(t)
	pairs := w.matchedProducts()
	w.mapProducts(t, pairs)
	// Shopify applies the first call, then the reply is lost; the client
	// sends the call again.
	w.Sandbox.Shopify().Script(shopifyfake.ScriptedFault{Op: "inventorySetQuantities", Kind: fault.Server, AfterApply: true})

	j := w.Run(t, jobs.ProductSync, nil)
	requireCompleted(t, j)
	t.Logf("ProductSync: %d items, %d written, %d skipped, %d failed", j.Total, j.Successful, j.Skipped, j.Failed)
	require.Equal(t, j.Total, j.Successful)
	rec := w.Sandbox.Shopify().Record()
	require.Equal(t, 1, rec.IdempotentReplays, "the resent call was answered from its key")
	require.Len(t, rec.InventoryWrites, 2*len(pairs), "and applied once")
}

// TestCustomerSyncResumesAfterTheProcessStops stops the engine while a
// customer sync waits for Shopify's bucket and starts a new one, which must
// finish the job with every customer written exactly once. The bucket's
// clock is a fake one: frozen, the job drains the bucket and then waits at
// a known point; once the new engine runs, it moves whenever the client
// waits, so nothing waits out real seconds of refill.
func TestCustomerSyncResumesAfterTheProcessStops(t *testing.T) {
	t.Parallel()
	// A small bucket: 1,000 metafields at once, then 50 a second (a call of
	// 25 customers costs 10 + 25 points: 1,400 points, 70 a second).
	clock := clockwork.NewFakeClockAt(time.Now())
	w := newSyncWorld(t, worldOptions{customers: 1500, scale: 0.7, apiClock: clock,
		clients: func(n *nhanh.Config, s *shopify.Config) { n.Clock, s.Clock = clock, clock }})
	ctx := context.Background()
	pairs := w.matchedCustomers()
	mappingOf := w.mapCustomers(t, pairs)

	id, err := w.Engine.Start(ctx, jobs.CustomerSync, nil, engine.StartOptions{})
	require.NoError(t, err)
	waitCtx, cancelWait := context.WithTimeout(ctx, time.Minute)
	defer cancelWait()
	require.NoError(t, clock.BlockUntilContext(waitCtx, 1), "the sync drains the bucket and waits for it to refill")
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, w.Engine.Stop(stopCtx))
	stopped, err := w.Engine.Get(ctx, id)
	require.NoError(t, err)
	require.Positive(t, stopped.Processed)
	require.Less(t, stopped.Processed, stopped.Total, "stopped mid-way")

	go func() {
		// From now on the bucket refills whenever the client waits for it.
		for clock.BlockUntilContext(waitCtx, 1) == nil {
			clock.Advance(100 * time.Millisecond)
		}
	}()
	w.StartEngine(t, nil)
	j := w.Wait(t, id)
	requireCompleted(t, j)
	require.Equal(t, j.Total, j.Successful)
	require.EqualValues(t, len(pairs), j.Total)
	for nid, gid := range pairs {
		mf, _ := w.Sandbox.Shopify().Metafield(gid, "custom.total_spent")
		require.Equal(t, strconv.FormatInt(w.truth.ExpectedTotalSpent[nid], 10), mf.Value)
		log, err := w.Store.SyncLog(ctx, w.Store.Reader(), store.MappingKindCustomer, mappingOf[nid], 0)
		require.NoError(t, err)
		require.Len(t, log, 1, "each mapping is recorded once across the two attempts")
	}
}
