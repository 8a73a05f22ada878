package sync_test

import (
	"context"
	"database/sql"
	"maps"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
	"syncops/store/storetest"
)

func TestAutoSyncCustomersPushesOnlyWhatMovedPastTheThreshold(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{dialect: dialect})
			ctx := context.Background()
			pairs := w.matchedCustomers()
			w.mapCustomers(t, pairs)
			total := int64(len(pairs))

			first := w.Run(t, jobs.AutoSyncCustomers, nil)
			requireCompleted(t, first)
			require.Equal(t, total, first.Total)
			require.Equal(t, total, first.Successful, "every mapping was never written")

			second := w.Run(t, jobs.AutoSyncCustomers, nil)
			requireCompleted(t, second)
			require.Equal(t, total, second.Skipped, "nothing changed")
			require.Zero(t, second.Successful)
			require.Equal(t, total, metaOf(t, second).Unchanged, "every mapping is settled: none is read")

			// One customer's spend moves by more than the threshold, one by
			// less; both are newer in Nhanh than the watermark.
			ids := slices.Sorted(maps.Keys(pairs))
			moved, nudged := w.nhanhCustomer(ids[0]), w.nhanhCustomer(ids[1])
			moved.TotalAmount += 2*jobs.DefaultCustomerThreshold + 0.4
			nudged.TotalAmount += jobs.DefaultCustomerThreshold / 2
			moved.UpdatedAt, nudged.UpdatedAt = time.Now().Unix(), time.Now().Unix()
			w.Sandbox.Nhanh().SetCustomer(moved)
			w.Sandbox.Nhanh().SetCustomer(nudged)

			third := w.Run(t, jobs.AutoSyncCustomers, nil)
			requireCompleted(t, third)
			require.EqualValues(t, 1, third.Successful)
			require.Equal(t, total-1, third.Skipped)
			require.Equal(t, total-2, metaOf(t, third).Unchanged, "the two customers re-read with a new spend are visited")
			mf, _ := w.Sandbox.Shopify().Metafield(pairs[moved.ID], "custom.total_spent")
			require.Equal(t, strconv.FormatInt(int64(math.Round(moved.TotalAmount)), 10), mf.Value)
			mf, _ = w.Sandbox.Shopify().Metafield(pairs[nudged.ID], "custom.total_spent")
			require.Equal(t, strconv.FormatInt(w.truth.ExpectedTotalSpent[nudged.ID], 10), mf.Value, "a small change is not written")
			// Both refreshed values are in the mirror.
			got, err := w.Store.NhanhCustomer(ctx, w.Store.Reader(), nudged.ID)
			require.NoError(t, err)
			require.Equal(t, nudged.TotalAmount, got.TotalAmount)

			mark, ok, err := w.Store.Watermark(ctx, w.Store.DB(), "autosync:nhanh_customers")
			require.NoError(t, err)
			require.True(t, ok)
			require.InDelta(t, time.Now().Unix(), mark, 120)

			// The nudged customer stays unsettled (its move may add up past
			// the threshold) until its spend is back at the value written.
			fourth := w.Run(t, jobs.AutoSyncCustomers, nil)
			requireCompleted(t, fourth)
			require.Equal(t, total-1, metaOf(t, fourth).Unchanged)
			require.Equal(t, total, fourth.Skipped)
			nudged.TotalAmount -= jobs.DefaultCustomerThreshold / 2
			nudged.UpdatedAt = time.Now().Unix() + 1
			w.Sandbox.Nhanh().SetCustomer(nudged)
			back := w.Run(t, jobs.AutoSyncCustomers, nil)
			requireCompleted(t, back)
			require.Equal(t, total-1, metaOf(t, back).Unchanged)
			require.Zero(t, back.Successful, "the value written is Nhanh's again: nothing to write")
			last := w.Run(t, jobs.AutoSyncCustomers, nil)
			requireCompleted(t, last)
			require.Equal(t, total, metaOf(t, last).Unchanged, "finding its value written settled it")
		})
	}
}

func TestAutoSyncCustomersPicksUpPendingAndFailedMappingsAndHonoursTheLimit(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{})
	ctx := context.Background()
	pairs := w.matchedCustomers()
	mappingOf := w.mapCustomers(t, pairs)
	ids := slices.Sorted(maps.Keys(pairs))

	// A FAILED mapping whose last written value equals today's still needs
	// a write: its status says Shopify may not have it.
	failedID := mappingOf[ids[2]]
	require.NoError(t, w.Store.InTx(ctx, func(tx *sql.Tx) error {
		if err := w.Store.RecordCustomerSync(ctx, tx, failedID, w.truth.ExpectedTotalSpent[ids[2]], 0, time.Now(), 0); err != nil {
			return err
		}
		return w.Store.RecordCustomerSyncFailure(ctx, tx, failedID, "earlier failure", time.Now(), 0)
	}))

	limited := w.Run(t, jobs.AutoSyncCustomers, engine.Params{"limit": "10"})
	requireCompleted(t, limited)
	require.EqualValues(t, 10, limited.Successful)
	require.Equal(t, limited.Total-10, limited.Skipped, "the rest waits for the next run")

	rest := w.Run(t, jobs.AutoSyncCustomers, nil)
	requireCompleted(t, rest)
	require.Equal(t, rest.Total-10, rest.Successful)
	m, err := w.Store.CustomerMapping(ctx, w.Store.Reader(), failedID)
	require.NoError(t, err)
	require.Equal(t, store.MappingSynced, m.Status)
}

func TestAutoSyncProductsPushesOnlyChangedStock(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{dialect: dialect})
			ctx := context.Background()
			locA, locB, depotsA, depotsB := w.depotSplit(t)
			pairs := w.matchedProducts()
			w.mapProducts(t, pairs)
			total := int64(len(pairs))

			first := w.Run(t, jobs.AutoSyncProducts, nil)
			requireCompleted(t, first)
			require.Equal(t, total, first.Successful, "every mapping was never written")
			second := w.Run(t, jobs.AutoSyncProducts, nil)
			requireCompleted(t, second)
			require.Equal(t, total, second.Skipped)

			// Stock moves at one depot of one product, and another product
			// sells out everywhere, so product/inventory leaves it out.
			ids := slices.Sorted(maps.Keys(pairs))
			var changed, soldOut extid.NhanhProductID
			for _, id := range ids {
				p := w.nhanhProduct(id)
				switch {
				case changed == 0 && p.Available[depotsA[0]] > 0:
					changed = id
				case soldOut == 0 && sumDepots(p.Available, depotsA)+sumDepots(p.Available, depotsB) > 0:
					soldOut = id
				}
			}
			require.NotZero(t, changed)
			require.NotZero(t, soldOut)
			p := w.nhanhProduct(changed)
			require.True(t, w.Sandbox.Nhanh().SetStock(changed, depotsA[0], p.Available[depotsA[0]]+7))
			for _, d := range w.ds.NhanhDepots {
				require.True(t, w.Sandbox.Nhanh().SetStock(soldOut, d.ID, 0))
			}

			third := w.Run(t, jobs.AutoSyncProducts, nil)
			requireCompleted(t, third)
			require.EqualValues(t, 2, third.Successful)
			require.Equal(t, total-2, third.Skipped)
			item := w.variant(pairs[changed]).InventoryItemID
			requireAvailable(t, w, item, locA, sumDepots(p.Available, depotsA)+7)
			requireAvailable(t, w, item, locB, sumDepots(p.Available, depotsB))
			item = w.variant(pairs[soldOut]).InventoryItemID
			requireAvailable(t, w, item, locA, 0)
			requireAvailable(t, w, item, locB, 0)
			got, err := w.Store.NhanhProduct(ctx, w.Store.Reader(), soldOut)
			require.NoError(t, err)
			require.Zero(t, got.Available, "the mirror has the refreshed stock")

			// A mapped product deleted in Nhanh is reported, never zeroed.
			var gone extid.NhanhProductID
			var goneVariant extid.ShopifyVariantGID
			for nid, vid := range w.truth.DeletedProducts {
				gone, goneVariant = nid, vid
				break
			}
			goneMapping := w.mapProducts(t, map[extid.NhanhProductID]extid.ShopifyVariantGID{gone: goneVariant})[gone]
			fourth := w.Run(t, jobs.AutoSyncProducts, nil)
			requireCompleted(t, fourth)
			require.EqualValues(t, 1, fourth.Failed)
			require.Contains(t, w.Failures(t, fourth.ID)[strconv.FormatInt(goneMapping, 10)].Message, "deleted in Nhanh")
			v := w.variant(goneVariant)
			requireAvailable(t, w, v.InventoryItemID, locA, v.Available[locA])
		})
	}
}

func TestRetryFailedProductsWritesOnlyFailedMappings(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{})
	ctx := context.Background()
	pairs := w.matchedProducts()
	mappingOf := w.mapProducts(t, pairs)
	ids := slices.Sorted(maps.Keys(pairs))
	failed := []int64{mappingOf[ids[0]], mappingOf[ids[3]]}
	require.NoError(t, w.Store.InTx(ctx, func(tx *sql.Tx) error {
		for _, id := range failed {
			if err := w.Store.RecordProductSyncFailure(ctx, tx, id, "earlier failure", time.Now(), 0); err != nil {
				return err
			}
		}
		return nil
	}))

	j := w.Run(t, jobs.RetryFailedProducts, nil)
	requireCompleted(t, j)
	require.EqualValues(t, 2, j.Total)
	require.EqualValues(t, 2, j.Successful)
	require.Len(t, w.Sandbox.Shopify().Record().InventoryWrites, 2)
	for _, id := range failed {
		m, err := w.Store.ProductMapping(ctx, w.Store.Reader(), id)
		require.NoError(t, err)
		require.Equal(t, store.MappingSynced, m.Status)
	}
	again := w.Run(t, jobs.RetryFailedProducts, nil)
	requireCompleted(t, again)
	require.Zero(t, again.Total, "nothing is failed any more")
}

func TestAutoSyncCustomersReadsTheThresholdSetting(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{})
	ctx := context.Background()
	pairs := w.matchedCustomers()
	w.mapCustomers(t, pairs)
	requireCompleted(t, w.Run(t, jobs.AutoSyncCustomers, nil))

	// With a threshold of 100 VND, a change of 500 is written.
	require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jobs.SettingCustomerThreshold, "100", time.Now()))
	ids := slices.Sorted(maps.Keys(pairs))
	c := w.nhanhCustomer(ids[0])
	c.TotalAmount += 500
	c.UpdatedAt = time.Now().Unix()
	w.Sandbox.Nhanh().SetCustomer(c)
	j := w.Run(t, jobs.AutoSyncCustomers, nil)
	requireCompleted(t, j)
	require.EqualValues(t, 1, j.Successful)

	// A setting that is not a number stops the job with a reason.
	require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jobs.SettingCustomerThreshold, "1.000đ", time.Now()))
	j = w.Run(t, jobs.AutoSyncCustomers, nil)
	require.Equal(t, engine.StatusFailed, j.Status)
	require.Contains(t, j.Error, jobs.SettingCustomerThreshold)
}
