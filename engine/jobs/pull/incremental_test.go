package pull_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
	"syncops/store/storetest"
)

// incrementalWorld is a world whose data all changed more than a day ago,
// except one customer on each side changed two minutes ago: inside the
// overlap of a watermark set now.
func incrementalWorld(t *testing.T, dialect store.Dialect) *pullWorld {
	t.Helper()
	cfg := pullWorldConfig
	cfg.Customers, cfg.Products = 450, 50
	cfg.BaseTime = time.Now().Add(-24 * time.Hour)
	ds := dataset.Generate(cfg)
	recent := time.Now().Add(-2 * time.Minute).Unix()
	ds.NhanhCustomers[7].UpdatedAt = recent
	ds.ShopifyCustomers[9].UpdatedAt = recent
	return newPullWorld(t, pullWorldOptions{dialect: dialect, ds: ds})
}

// watermark reads an incremental watermark.
func (w *pullWorld) watermark(t testing.TB, name string) (int64, bool) {
	t.Helper()
	v, ok, err := w.Store.Watermark(context.Background(), w.Store.DB(), name)
	require.NoError(t, err)
	return v, ok
}

// TestIncrementalPullTakesOnlyWhatChanged: the first run pulls everything
// and sets both watermarks to the newest updatedAt it saw (the sources'
// clocks); after one customer changes on
// each side, the next run pulls only those (and what the overlap covers)
// and moves the watermarks; a run whose Nhanh side fails, or that is
// cancelled, leaves that side's watermark where it was.
func TestIncrementalPullTakesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := incrementalWorld(t, dialect)
			nN, nS := int64(len(w.ds.NhanhCustomers)), int64(len(w.ds.ShopifyCustomers))

			// First run: no watermark, everything.
			before := time.Now().Unix()
			j, m := w.pullRun(t, jobs.IncrementalPullCustomers, nil)
			requireCounts(t, j, m, nN+nS, 0, 0)
			require.True(t, m.FirstRun)
			require.Empty(t, m.WatermarkFrom)
			require.True(t, m.Nhanh.FirstRun && m.Nhanh.Done && m.Shopify.FirstRun && m.Shopify.Done)
			require.Equal(t, [2]int64{nhanhCustomerPages(w.ds, nN), pagesOf(shopifyCustomerPage)(nS)}, [2]int64{m.Nhanh.Pages, m.Shopify.Pages})
			wmN, ok := w.watermark(t, "incremental:nhanh_customers")
			require.True(t, ok)
			wmS, _ := w.watermark(t, "incremental:shopify_customers")
			require.Equal(t, w.ds.NhanhCustomers[7].UpdatedAt, wmN, "the newest updatedAt Nhanh sent")
			require.Equal(t, w.ds.ShopifyCustomers[9].UpdatedAt, wmS, "the newest updatedAt Shopify sent")
			require.Less(t, wmN, before, "the sources' clocks, not the host's")
			require.Equal(t, time.Unix(wmN, 0).UTC().Format(time.RFC3339), m.WatermarkTo)
			requireMirror(t, w.Store, nhanhCustomerMirror, wantNhanhCustomers(w.ds.NhanhCustomers))
			requireMirror(t, w.Store, shopifyCustomerMirror, wantShopifyCustomers(w.ds.ShopifyCustomers))

			// One change on each side: Nhanh in place, Shopify by serving
			// the changed world (its fake has no setter).
			changedN := &w.ds.NhanhCustomers[100]
			changedN.TotalAmount += 500_000
			changedN.UpdatedAt = time.Now().Unix()
			w.Sandbox.Nhanh().SetCustomer(*changedN)
			changedS := &w.ds.ShopifyCustomers[200]
			changedS.Note = "VIP since " + time.Now().Format(time.DateOnly)
			changedS.UpdatedAt = time.Now().Unix()
			w.useShopify(t, startSandbox(t, w.ds))

			j, m = w.pullRun(t, jobs.IncrementalPullCustomers, nil)
			requireCounts(t, j, m, 0, 2, 2) // the changed ones, and the two in the overlap
			require.False(t, m.FirstRun)
			require.Equal(t, time.Unix(wmN, 0).UTC().Format(time.RFC3339), m.WatermarkFrom)
			// One page per customer type: every type is asked for.
			require.Equal(t, [4]int64{0, 1, 1, 3}, [4]int64{m.Nhanh.Created, m.Nhanh.Updated, m.Nhanh.Unchanged, m.Nhanh.Pages})
			require.Equal(t, [4]int64{0, 1, 1, 1}, [4]int64{m.Shopify.Created, m.Shopify.Updated, m.Shopify.Unchanged, m.Shopify.Pages})
			requireMirror(t, w.Store, nhanhCustomerMirror, wantNhanhCustomers(w.ds.NhanhCustomers))
			requireMirror(t, w.Store, shopifyCustomerMirror, wantShopifyCustomers(w.ds.ShopifyCustomers))
			wmN2, _ := w.watermark(t, "incremental:nhanh_customers")
			require.Equal(t, changedN.UpdatedAt, wmN2)
			require.Equal(t, time.Unix(wmN2, 0).UTC().Format(time.RFC3339), m.WatermarkTo)

			// A run whose Nhanh side cannot authenticate: it fails, Nhanh's
			// watermark stays, Shopify's side completes and moves its own.
			w.useNhanhToken(t, "not-the-token")
			j = w.Wait(t, w.Start(t, jobs.IncrementalPullCustomers, nil))
			require.Equal(t, engine.StatusFailed, j.Status)
			require.Contains(t, j.Error, "nhanh customers changed since")
			require.Contains(t, j.Error, "auth")
			m = decodePullMeta(t, j)
			require.True(t, m.StoppedEarly)
			require.NotEmpty(t, m.Nhanh.Failed)
			require.False(t, m.Nhanh.Done)
			require.True(t, m.Shopify.Done)
			wm, _ := w.watermark(t, "incremental:nhanh_customers")
			require.Equal(t, wmN2, wm, "a failed side keeps its watermark")
			wmS3, _ := w.watermark(t, "incremental:shopify_customers")
			require.GreaterOrEqual(t, wmS3, wmN2)
			w.useNhanhToken(t, "")

			// A cancelled run keeps the watermark too.
			w.nhanhGate.closeAfter(0, nil)
			j = w.cancelHeld(t, w.nhanhGate, w.Start(t, jobs.IncrementalPullCustomers, engine.Params{"source": "nhanh"}), 0)
			require.Equal(t, engine.StatusCancelled, j.Status)
			m = decodePullMeta(t, j)
			require.True(t, m.StoppedEarly)
			require.Nil(t, m.Shopify, "source=nhanh pulls only Nhanh")
			wm, _ = w.watermark(t, "incremental:nhanh_customers")
			require.Equal(t, wmN2, wm)
			w.nhanhGate.open()

			j, m = w.pullRun(t, jobs.IncrementalPullCustomers, engine.Params{"source": "nhanh"})
			require.Equal(t, time.Unix(wmN2, 0).UTC().Format(time.RFC3339), m.WatermarkFrom)
			requireCounts(t, j, m, 0, 0, 2) // what changed since the last complete run
			require.False(t, m.StoppedEarly)
		})
	}
}

// TestIncrementalPullExportsLargeChanges: Shopify's side of the incremental
// pull chooses like a full pull. A first run (everything changed, as far as
// it knows) counts at least the bulk threshold and exports in bulk, sets
// the watermark to the newest updatedAt in the export; the next run counts
// a handful of changes and pages; bulk=true exports just the changes (the
// export carries the changed-since search).
func TestIncrementalPullExportsLargeChanges(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := incrementalWorld(t, dialect)
			ctx := context.Background()
			require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jobs.SettingBulkThreshold, "100", time.Now()))
			nS := int64(len(w.ds.ShopifyCustomers))
			shopifyOnly := engine.Params{"source": "shopify"}

			j, m := w.pullRun(t, jobs.IncrementalPullCustomers, shopifyOnly)
			requireCounts(t, j, m, nS, 0, 0)
			require.Equal(t, "bulk", m.Shopify.Mode, "a first run counts every customer")
			require.Equal(t, nS, m.Shopify.Counted)
			require.Equal(t, [2]int64{1, nS}, [2]int64{int64(m.Shopify.Exports), m.Shopify.BulkLines})
			require.Equal(t, 1, w.Sandbox.Shopify().Record().BulkStarted)
			requireMirror(t, w.Store, shopifyCustomerMirror, wantShopifyCustomers(w.ds.ShopifyCustomers))
			wm, ok := w.watermark(t, "incremental:shopify_customers")
			require.True(t, ok)
			require.Equal(t, w.ds.ShopifyCustomers[9].UpdatedAt, wm, "the newest updatedAt in the export")
			require.Zero(t, w.lane(t).JobID, "the lane is free again")

			changed := &w.ds.ShopifyCustomers[200]
			changed.Note = "VIP since " + time.Now().Format(time.DateOnly)
			changed.UpdatedAt = time.Now().Unix()
			sb := w.serve(t, w.ds)

			j, m = w.pullRun(t, jobs.IncrementalPullCustomers, shopifyOnly)
			requireCounts(t, j, m, 0, 1, 1) // the changed one, and the one in the overlap
			require.Equal(t, "pages", m.Shopify.Mode, "two changes are below the threshold")
			require.Equal(t, int64(2), m.Shopify.Counted)
			require.Zero(t, sb.Shopify().Record().BulkStarted)
			wm2, _ := w.watermark(t, "incremental:shopify_customers")
			require.Equal(t, changed.UpdatedAt, wm2)

			j, m = w.pullRun(t, jobs.IncrementalPullCustomers, engine.Params{"source": "shopify", "bulk": "true"})
			requireCounts(t, j, m, 0, 0, 2) // only the changes since the watermark (and its overlap) are exported
			require.Equal(t, "bulk", m.Shopify.Mode)
			require.Equal(t, int64(2), m.Shopify.BulkLines)
			require.Equal(t, "IMPORTED", decodeBulkMeta(t, j).BulkStatus)
			require.Equal(t, 1, sb.Shopify().Record().BulkStarted)
			requireMirror(t, w.Store, shopifyCustomerMirror, wantShopifyCustomers(w.ds.ShopifyCustomers))
		})
	}
}

// TestIncrementalExportOutlivesItsAttempts: an incremental pull whose
// export takes longer than two attempts starts one operation, polls it in
// the later attempts and imports it once.
func TestIncrementalExportOutlivesItsAttempts(t *testing.T) {
	t.Parallel()
	w := newPullWorld(t, pullWorldOptions{attemptTimeout: 3 * time.Second, shopifyBulkDelay: 7500 * time.Millisecond})
	id := w.Start(t, jobs.IncrementalPullCustomers, engine.Params{"source": "shopify", "bulk": "true"})
	attempts := w.attemptsUntilDone(t, id)
	require.GreaterOrEqual(t, attempts, 3, "the export outlived two attempts")
	j := w.Wait(t, id)
	require.Equal(t, engine.StatusCompleted, j.Status, j.Error)
	rec := w.Sandbox.Shopify().Record()
	require.Equal(t, 1, rec.BulkStarted, "one operation for the whole job")
	require.Zero(t, rec.BulkCancelled)
	n := int64(len(w.ds.ShopifyCustomers))
	m := decodePullMeta(t, j)
	requireCounts(t, j, m, n, 0, 0)
	require.Equal(t, [2]int64{1, n}, [2]int64{int64(m.Shopify.Exports), m.Shopify.BulkLines})
	requireMirror(t, w.Store, shopifyCustomerMirror, wantShopifyCustomers(w.ds.ShopifyCustomers))
	_, ok := w.watermark(t, "incremental:shopify_customers")
	require.True(t, ok)
}
