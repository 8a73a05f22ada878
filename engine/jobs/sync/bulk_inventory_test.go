package sync_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/engine/jobs"
	jobsync "syncops/engine/jobs/sync"
	"syncops/store"
	"syncops/store/storetest"
)

// bulkProducts sizes the worlds of the bulk product tests: their mappings
// have more quantities to write (two locations each) than one paced call
// carries, so a bulk batch takes an operation.
const bulkProducts = 300

// liveLocationSum is what a product sync writes at a location fed by
// depots: the product's current Nhanh stock of those depots, negatives
// counted as 0.
func liveLocationSum(t testing.TB, w *syncWorld, id extid.NhanhProductID, depots []extid.NhanhDepotID) int64 {
	t.Helper()
	for _, p := range w.Sandbox.Nhanh().Snapshot().NhanhProducts {
		if p.ID == id {
			var sum int64
			for _, d := range depots {
				sum += max(p.Available[d], 0)
			}
			return sum
		}
	}
	t.Fatalf("no Nhanh product %d", id)
	return 0
}

// writeModeOf is the job's writeMode metadata ("bulk" or "").
func writeModeOf(t testing.TB, metadata json.RawMessage) string {
	t.Helper()
	var meta struct {
		WriteMode string `json:"writeMode"`
	}
	require.NoError(t, json.Unmarshal(metadata, &meta))
	return meta.WriteMode
}

// TestProductSyncWritesStockInBulkAboveTheThreshold: a product sync, an
// auto-sync or a retry whose scope reaches the product bulk threshold
// writes every quantity through one bulk mutation of inventorySetQuantities
// (no paced call), each line with its idempotency key, and Shopify's
// available stock at each location is the sum of the Nhanh depots mapped to
// it; below the threshold the paced path stays.
func TestProductSyncWritesStockInBulkAboveTheThreshold(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		kind      string
		threshold string // "" leaves the default (10,000)
		bulk      bool
	}{
		{"product sync below the default threshold: paced", jobs.ProductSync, "", false},
		{"product sync at a threshold of 1: bulk", jobs.ProductSync, "1", true},
		{"auto-sync at a threshold of 1: bulk", jobs.AutoSyncProducts, "1", true},
		{"product sync under a threshold above its scope: paced", jobs.ProductSync, "100000", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{products: bulkProducts})
			ctx := context.Background()
			if tc.threshold != "" {
				require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jobsync.SettingProductBulkWriteThreshold, tc.threshold, time.Now()))
			}
			locA, locB, depotsA, depotsB := w.depotSplit(t)
			pairs := w.matchedProducts()
			mappingOf := w.mapProducts(t, pairs)

			j := w.Run(t, tc.kind, nil)
			requireCompleted(t, j)
			require.EqualValues(t, len(pairs), j.Total)
			require.Equal(t, j.Total, j.Successful)
			for nid, vid := range pairs {
				item := w.variant(vid).InventoryItemID
				wantA, wantB := liveLocationSum(t, w, nid, depotsA), liveLocationSum(t, w, nid, depotsB)
				requireAvailable(t, w, item, locA, wantA)
				requireAvailable(t, w, item, locB, wantB)
				m, err := w.Store.ProductMapping(ctx, w.Store.Reader(), mappingOf[nid])
				require.NoError(t, err)
				require.Equal(t, store.MappingSynced, m.Status)
				require.Equal(t, map[extid.ShopifyLocationGID]int64{locA: wantA, locB: wantB}, m.LastSyncedValue)
			}
			rec := w.Sandbox.Shopify().Record()
			require.Len(t, rec.InventoryWrites, 2*len(pairs), "every location of every mapping written once")
			if tc.bulk {
				require.Equal(t, 1, rec.BulkMutations, "one batch, one operation")
				require.Equal(t, 1, rec.StagedUploads)
				require.Zero(t, rec.Operations["inventorySetQuantities"], "no paced call")
				for _, wr := range rec.InventoryWrites {
					require.NotEmpty(t, wr.IdempotencyKey, "each line carries its key")
				}
				require.Equal(t, "bulk", writeModeOf(t, j.Metadata))
				if tc.kind != jobs.AutoSyncProducts {
					return
				}
				// A later auto-sync over the same scope finds two changes:
				// they fit one paced call, which an operation would not beat.
				var changed []extid.NhanhProductID
				for nid := range pairs {
					if len(changed) == 2 {
						break
					}
					require.True(t, w.Sandbox.Nhanh().SetStock(nid, depotsA[0], liveLocationSum(t, w, nid, depotsA[:1])+5))
					changed = append(changed, nid)
				}
				again := w.Run(t, jobs.AutoSyncProducts, nil)
				requireCompleted(t, again)
				require.EqualValues(t, 2, again.Successful)
				after := w.Sandbox.Shopify().Record()
				require.Equal(t, 1, after.BulkMutations, "no operation for two quantities")
				require.Equal(t, 1, after.Operations["inventorySetQuantities"], "one paced call")
				for _, nid := range changed {
					requireAvailable(t, w, w.variant(pairs[nid]).InventoryItemID, locA, liveLocationSum(t, w, nid, depotsA))
				}
				return
			}
			require.Zero(t, rec.BulkMutations)
			require.Positive(t, rec.Operations["inventorySetQuantities"])
			require.Empty(t, writeModeOf(t, j.Metadata))
		})
	}
}

// TestBulkProductSyncMapsLineErrorsToFailedItems: lines Shopify refuses
// inside the bulk operation (a quantity above its maximum) fail their
// mappings with Shopify's message and the location, and nothing else; the
// other location of those mappings is written all the same, as on the
// paced path. A retry of the failed mappings, once Nhanh is fixed, writes
// them.
func TestBulkProductSyncMapsLineErrorsToFailedItems(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{products: bulkProducts})
	ctx := context.Background()
	require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jobsync.SettingProductBulkWriteThreshold, "1", time.Now()))
	locA, locB, depotsA, depotsB := w.depotSplit(t)
	pairs := w.matchedProducts()
	mappingOf := w.mapProducts(t, pairs)
	var bad []extid.NhanhProductID
	for nid := range pairs {
		if len(bad) == 2 {
			break
		}
		require.True(t, w.Sandbox.Nhanh().SetStock(nid, depotsA[0], 2_000_000_000))
		bad = append(bad, nid)
	}

	j := w.Run(t, jobs.ProductSync, nil)
	requireCompleted(t, j)
	require.EqualValues(t, len(pairs), j.Total)
	require.EqualValues(t, len(bad), j.Failed)
	require.EqualValues(t, len(pairs)-len(bad), j.Successful)
	require.Equal(t, 1, w.Sandbox.Shopify().Record().BulkMutations)
	fails := w.Failures(t, j.ID)
	require.Len(t, fails, len(bad))
	for _, nid := range bad {
		f, ok := fails[strconv.FormatInt(mappingOf[nid], 10)]
		require.True(t, ok, "mapping of Nhanh product %d failed", nid)
		require.Contains(t, f.Message, "INVALID_QUANTITY_TOO_HIGH")
		require.Contains(t, f.Message, string(locA))
		require.NotContains(t, f.Message, string(locB), "only the refused line is named")
		require.Contains(t, f.Request, "inventorySetQuantities")
		require.Equal(t, "validation", f.ErrorClass)
		v := w.variant(pairs[nid])
		requireAvailable(t, w, v.InventoryItemID, locA, v.Available[locA])
		requireAvailable(t, w, v.InventoryItemID, locB, liveLocationSum(t, w, nid, depotsB))
		m, err := w.Store.ProductMapping(ctx, w.Store.Reader(), mappingOf[nid])
		require.NoError(t, err)
		require.Equal(t, store.MappingFailed, m.Status)
	}

	for _, nid := range bad {
		require.True(t, w.Sandbox.Nhanh().SetStock(nid, depotsA[0], 7))
	}
	retry := w.Run(t, jobs.RetryFailedProducts, nil)
	requireCompleted(t, retry)
	require.EqualValues(t, len(bad), retry.Total)
	require.Equal(t, retry.Total, retry.Successful)
	for _, nid := range bad {
		requireAvailable(t, w, w.variant(pairs[nid]).InventoryItemID, locA, liveLocationSum(t, w, nid, depotsA))
	}
}

// TestBulkProductWriteOutlivesItsAttempts: Shopify runs the bulk mutation
// longer than two attempts' time. The first attempt starts it; the next
// ones plan the same batch (reading Nhanh and Shopify again), find its
// operation in the lane and poll it: one operation, one staged upload, one
// download of its results, every quantity written once and right, every
// mapping counted once.
func TestBulkProductWriteOutlivesItsAttempts(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{dialect: dialect, products: bulkProducts, attemptTimeout: 2 * time.Second, shopifyBulkDelay: 5 * time.Second})
			ctx := context.Background()
			require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jobsync.SettingProductBulkWriteThreshold, "1", time.Now()))
			locA, locB, depotsA, depotsB := w.depotSplit(t)
			pairs := w.matchedProducts()
			w.mapProducts(t, pairs)

			j := w.Run(t, jobs.ProductSync, nil)
			requireCompleted(t, j)
			require.EqualValues(t, len(pairs), j.Total)
			require.Equal(t, j.Total, j.Successful, "each mapping counted once")
			attempts, err := w.Engine.Attempts(ctx, j.ID)
			require.NoError(t, err)
			require.Greater(t, len(attempts), 1, "the operation outlasted the first attempt")
			rec := w.Sandbox.Shopify().Record()
			require.Equal(t, 1, rec.BulkMutations, "one operation, polled across attempts")
			require.Zero(t, rec.BulkCancelled)
			require.Equal(t, 1, rec.StagedUploads)
			require.Equal(t, 1, rec.BulkDownloads, "its results read once")
			require.Len(t, rec.InventoryWrites, 2*len(pairs), "each quantity written once")
			for nid, vid := range pairs {
				item := w.variant(vid).InventoryItemID
				requireAvailable(t, w, item, locA, liveLocationSum(t, w, nid, depotsA))
				requireAvailable(t, w, item, locB, liveLocationSum(t, w, nid, depotsB))
			}
		})
	}
}

// TestBulkProductSyncWritesItsBatchesInTurn: a scope of more than one bulk
// batch writes each batch with its own operation. The next batch is
// planned while the previous one's operation runs; it waits for its turn
// instead of taking the shop's lane and cancelling that operation.
func TestBulkProductSyncWritesItsBatchesInTurn(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{products: 1400, shopifyBulkDelay: 300 * time.Millisecond})
	ctx := context.Background()
	require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jobsync.SettingProductBulkWriteThreshold, "1", time.Now()))
	pairs := w.matchedProducts()
	require.Greater(t, len(pairs), 1000, "more than one bulk batch")
	w.mapProducts(t, pairs)

	j := w.Run(t, jobs.ProductSync, nil)
	requireCompleted(t, j)
	require.Equal(t, j.Total, j.Successful)
	rec := w.Sandbox.Shopify().Record()
	require.Equal(t, 2, rec.BulkMutations, "one operation a batch")
	require.Zero(t, rec.BulkCancelled, "no batch cancelled another's operation")
	require.Len(t, rec.InventoryWrites, len(pairs))
	for nid, vid := range pairs {
		requireAvailable(t, w, w.variant(vid).InventoryItemID, w.truth.PrimaryLocation, livePositiveSum(w, nid))
	}
}

// TestBulkProductSyncDoesNotOverwriteALevelThatMovedMeanwhile: Shopify's
// level of one item moves (a sale) after the batch read it and before the
// bulk operation gets to its line. The line's compare-and-set refuses it:
// the mapping fails saying so and Shopify keeps its level; every other
// quantity is written. A retry reads both sides again and writes it.
func TestBulkProductSyncDoesNotOverwriteALevelThatMovedMeanwhile(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{products: bulkProducts, shopifyBulkDelay: 2 * time.Second})
	ctx := context.Background()
	require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jobsync.SettingProductBulkWriteThreshold, "1", time.Now()))
	locA, locB, depotsA, depotsB := w.depotSplit(t)
	pairs := w.matchedProducts()
	mappingOf := w.mapProducts(t, pairs)
	var moved extid.NhanhProductID
	for nid := range pairs {
		moved = nid
		break
	}
	item := w.variant(pairs[moved]).InventoryItemID

	id := w.Start(t, jobs.ProductSync, nil)
	// The operation is started (the levels were read): the sale lands
	// while Shopify has not yet run it.
	require.Eventually(t, func() bool { return w.Sandbox.Shopify().Record().BulkMutations == 1 },
		10*time.Second, 5*time.Millisecond)
	before, _ := w.Sandbox.Shopify().Available(item, locA)
	require.True(t, w.Sandbox.Shopify().Restock(item, locA, -1))
	j := w.Wait(t, id)
	requireCompleted(t, j)
	require.EqualValues(t, 1, j.Failed)
	require.EqualValues(t, len(pairs)-1, j.Successful)
	f := w.Failures(t, j.ID)[strconv.FormatInt(mappingOf[moved], 10)]
	require.Contains(t, f.Message, "CHANGE_FROM_QUANTITY_STALE")
	require.Contains(t, f.Message, "not overwritten")
	requireAvailable(t, w, item, locA, before-1)
	requireAvailable(t, w, item, locB, liveLocationSum(t, w, moved, depotsB))

	retry := w.Run(t, jobs.RetryFailedProducts, nil)
	requireCompleted(t, retry)
	require.EqualValues(t, 1, retry.Successful)
	requireAvailable(t, w, item, locA, liveLocationSum(t, w, moved, depotsA))
}
