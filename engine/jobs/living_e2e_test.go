package jobs_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
	"syncops/store/storetest"
)

// TestLivingShopEndToEnd is issue 11's "done when": the full pipeline on
// the sandbox; then the shop keeps selling (orders, partial returns and
// deletions move spend and stock without any updatedAt moving), Shopify
// drifts behind our back (restocks, hand edits of the metafield) and stock
// moves again between the syncs; then AUTO_SYNC_CUSTOMERS (reconcile),
// AUTO_SYNC_PRODUCTS and an operator's PRODUCT_SYNC, in that order. At the
// end every Shopify value equals Nhanh's current value exactly, for every
// mapped customer and every mapped variant at every mapped location.
func TestLivingShopEndToEnd(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			livingShop(t, d)
		})
	}
}

func livingShop(t *testing.T, d store.Dialect) {
	ctx := context.Background()
	// Every generated date lies before the sandbox's now (the real clock),
	// where the shop sells.
	ds := dataset.Generate(dataset.GenerateConfig{Seed: 11, Customers: 400, Products: 150,
		BaseTime: time.Now().Add(-30 * 24 * time.Hour)})
	b := jobstest.New(t, jobstest.Options{Dialect: d, Sandbox: sandbox.Options{Dataset: ds}})
	run := func(typ string, params engine.Params) engine.Job {
		t.Helper()
		j := b.Run(t, typ, params)
		require.Equal(t, engine.StatusCompleted, j.Status, "%s: %s", typ, j.Error)
		return j
	}

	// The full pipeline.
	for _, typ := range []string{jobs.PullNhanhCustomers, jobs.PullShopifyCustomers, jobs.PullNhanhProducts,
		jobs.PullShopifyProducts, jobs.AutoMatchCustomers, jobs.AutoMatchProducts} {
		run(typ, nil)
	}
	depots, locs := ds.NhanhDepots, ds.ShopifyLocations
	require.GreaterOrEqual(t, len(depots), 3)
	require.GreaterOrEqual(t, len(locs), 2)
	feeds := map[extid.ShopifyLocationGID][]extid.NhanhDepotID{
		locs[0].ID: {depots[0].ID, depots[1].ID}, locs[1].ID: {depots[2].ID}}
	for loc, ds := range feeds {
		for _, depot := range ds {
			require.NoError(t, b.Store.SetLocationMapping(ctx, b.Store.DB(), store.LocationMapping{DepotID: depot, LocationID: loc}, time.Now()))
		}
	}
	run(jobs.CustomerSync, nil)
	run(jobs.ProductSync, nil)

	customers, err := b.Store.CustomerMappings(ctx, b.Store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	products, err := b.Store.ProductMappings(ctx, b.Store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	require.NotEmpty(t, customers)
	require.NotEmpty(t, products)
	nhanh, fake := b.Sandbox.Nhanh(), b.Sandbox.Shopify()

	// The shop keeps selling: nobody's updatedAt moves.
	before := nhanh.Snapshot()
	rep := nhanh.Sell(nhanhfake.SellOptions{Seed: 5, Orders: 80, Returns: 10, Deletes: 5})
	require.NotEmpty(t, rep.Customers)
	require.NotEmpty(t, rep.Products)
	after := nhanh.Snapshot()
	requireSameUpdatedAt(t, before, after)

	// Shopify drifts: restocks from cancelled Shopify orders, hand edits
	// of the metafield.
	itemOf := map[extid.ShopifyVariantGID]extid.ShopifyInventoryItemGID{}
	for _, v := range ds.ShopifyVariants {
		itemOf[v.ID] = v.InventoryItemID
	}
	restocked, edited := 0, 0
	for i, m := range products {
		if m.ShopifyID != "" && i%7 == 0 && fake.Restock(itemOf[m.ShopifyID], locs[0].ID, 3) {
			restocked++
		}
	}
	for i, m := range customers {
		if m.ShopifyID != "" && i%9 == 0 &&
			fake.EditMetafield(m.ShopifyID, "custom.total_spent", dataset.Metafield{Type: "number_integer", Value: "123"}) {
			edited++
		}
	}
	require.Positive(t, restocked)
	require.Positive(t, edited)

	run(jobs.AutoSyncCustomers, engine.Params{"reconcile": "true"})
	run(jobs.AutoSyncProducts, nil)
	// Stock moves again (a transfer between depots, a receipt) before the
	// operator's PRODUCT_SYNC, which must write the live values, not the
	// last pull's.
	moved := 0
	for _, p := range nhanh.Snapshot().NhanhProducts {
		if moved < 10 && p.Available[depots[0].ID] > 1 {
			nhanh.SetStock(p.ID, depots[0].ID, p.Available[depots[0].ID]-1)
			nhanh.SetStock(p.ID, depots[2].ID, p.Available[depots[2].ID]+4)
			moved++
		}
	}
	require.Positive(t, moved)
	run(jobs.ProductSync, nil)

	now := nhanh.Snapshot()
	spend := dataset.ExpectedTotalSpent(now.NhanhCustomers)
	checked := 0
	for _, m := range customers {
		want, known := spend[m.NhanhID]
		if m.ShopifyID == "" || !known {
			continue // unmapped, or Nhanh's total is null: never written
		}
		mf, ok := fake.Metafield(m.ShopifyID, "custom.total_spent")
		require.True(t, ok, "customer %d has its metafield", m.NhanhID)
		require.Equal(t, strconv.FormatInt(want, 10), mf.Value, "customer %d: Shopify's spend is Nhanh's", m.NhanhID)
		checked++
	}
	require.Positive(t, checked)
	pairs := map[extid.NhanhProductID]extid.ShopifyVariantGID{}
	for _, m := range products {
		if m.ShopifyID != "" {
			pairs[m.NhanhID] = m.ShopifyID
		}
	}
	checked, diffs := b.Sandbox.StockMismatches(sandbox.StockCheck{Pairs: pairs, Feeds: feeds})
	require.Empty(t, diffs, "Shopify's stock is Nhanh's live stock")
	require.Positive(t, checked)
}

// requireSameUpdatedAt checks that selling moved no customer's or
// product's updatedAt.
func requireSameUpdatedAt(t *testing.T, before, after *dataset.Dataset) {
	t.Helper()
	was := map[int64]int64{}
	for _, c := range before.NhanhCustomers {
		was[int64(c.ID)] = c.UpdatedAt
	}
	for _, c := range after.NhanhCustomers {
		require.Equal(t, was[int64(c.ID)], c.UpdatedAt, "customer %d", c.ID)
	}
	was = map[int64]int64{}
	for _, p := range before.NhanhProducts {
		was[int64(p.ID)] = p.UpdatedAt
	}
	for _, p := range after.NhanhProducts {
		require.Equal(t, was[int64(p.ID)], p.UpdatedAt, "product %d", p.ID)
	}
}
