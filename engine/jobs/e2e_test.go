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
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
)

// TestEveryJobTypeAgainstTheSandbox runs all thirteen job types, in the order
// an operator would, against a generated world with known answers, and checks
// the final state of the Shopify fake exactly: the right value everywhere a
// one-to-one match exists, nothing anywhere else, depot sums per location,
// every Nhanh customer type synced, fractional spend rounded.
func TestEveryJobTypeAgainstTheSandbox(t *testing.T) {
	t.Parallel()
	ds, truth := dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: 21, Customers: 600, Products: 200})
	// AUTO_MATCH_PRODUCTS leaves variants of draft and archived products out.
	truth = truth.ActiveVariantsOnly(ds)
	pristine := dataset.Generate(dataset.GenerateConfig{Seed: 21, Customers: 600, Products: 200})
	b := jobstest.New(t, jobstest.Options{Sandbox: sandbox.Options{Dataset: ds}})
	ctx := context.Background()

	for _, typ := range []string{jobs.PullNhanhCustomers, jobs.PullShopifyCustomers, jobs.PullNhanhProducts,
		jobs.PullShopifyProducts, jobs.IncrementalPullCustomers, jobs.AutoMatchCustomers, jobs.AutoMatchProducts} {
		j := b.Run(t, typ, nil)
		require.Equal(t, engine.StatusCompleted, j.Status, "%s: %s", typ, j.Error)
	}

	// Two depots feed the first location, one the second; the rest feed none.
	depots, locs := ds.NhanhDepots, ds.ShopifyLocations
	require.GreaterOrEqual(t, len(depots), 3)
	require.GreaterOrEqual(t, len(locs), 2)
	feeds := map[extid.NhanhDepotID]extid.ShopifyLocationGID{depots[0].ID: locs[0].ID, depots[1].ID: locs[0].ID, depots[2].ID: locs[1].ID}
	for depot, loc := range feeds {
		require.NoError(t, b.Store.SetLocationMapping(ctx, b.Store.DB(), store.LocationMapping{DepotID: depot, LocationID: loc}, time.Now()))
	}

	for _, typ := range []string{jobs.CustomerSync, jobs.ProductSync} {
		j := b.Run(t, typ, nil)
		require.Equal(t, engine.StatusCompleted, j.Status, "%s: %s", typ, j.Error)
		require.Zero(t, j.Failed, "%s failed items", typ)
	}

	fake := b.Sandbox.Shopify()
	typesSynced := map[dataset.NhanhCustomerType]int{}
	nhanhByID := map[extid.NhanhCustomerID]dataset.NhanhCustomer{}
	for _, c := range ds.NhanhCustomers {
		nhanhByID[c.ID] = c
	}
	matchedShopify := map[extid.ShopifyCustomerGID]extid.NhanhCustomerID{}
	for nid, m := range truth.CustomerMatches {
		matchedShopify[m.Shopify] = nid
	}
	fractional := 0
	for _, c := range ds.ShopifyCustomers {
		mf, ok := fake.Metafield(c.ID, "custom.total_spent")
		nid, matched := matchedShopify[c.ID]
		if !matched {
			require.False(t, ok, "nothing is written for %s, which has no one-to-one match", c.ID)
			continue
		}
		require.True(t, ok, "no total_spent for %s", c.ID)
		require.Equal(t, "number_integer", mf.Type)
		require.Equal(t, truth.ExpectedTotalSpent[nid], mustInt(t, mf.Value), "total_spent of %s", c.ID)
		typesSynced[nhanhByID[nid].Type]++
		if a := nhanhByID[nid].TotalAmount; a != float64(int64(a)) {
			fractional++
		}
	}
	require.Positive(t, typesSynced[dataset.NhanhWholesale], "wholesale customers are synced")
	require.Positive(t, typesSynced[dataset.NhanhAgent], "agent customers are synced")
	require.Positive(t, fractional, "fractional spend is rounded")

	nhanhProducts := map[extid.NhanhProductID]dataset.NhanhProduct{}
	for _, p := range ds.NhanhProducts {
		nhanhProducts[p.ID] = p
	}
	matchedVariant := map[extid.ShopifyVariantGID]extid.NhanhProductID{}
	for pid, m := range truth.ProductMatches {
		matchedVariant[m.Variant] = pid
	}
	for i, v := range ds.ShopifyVariants {
		before := pristine.ShopifyVariants[i]
		pid, matched := matchedVariant[v.ID]
		for _, loc := range locs {
			got, _ := fake.Available(v.InventoryItemID, loc.ID)
			want := before.Available[loc.ID]
			if matched && (loc.ID == locs[0].ID || loc.ID == locs[1].ID) {
				want = 0
				for depot, qty := range nhanhProducts[pid].Available {
					if feeds[depot] == loc.ID {
						want += qty
					}
				}
			}
			require.Equal(t, want, got, "variant %s at %s (matched: %v)", v.ID, loc.ID, matched)
		}
	}

	// Nothing changed since: the auto-syncs skip everything; nothing failed, so
	// the retry jobs have nothing to do.
	for _, typ := range []string{jobs.AutoSyncCustomers, jobs.AutoSyncProducts} {
		j := b.Run(t, typ, nil)
		require.Equal(t, engine.StatusCompleted, j.Status, "%s: %s", typ, j.Error)
		require.Zero(t, j.Successful, "%s pushed unchanged values", typ)
		require.Equal(t, j.Total, j.Skipped, typ)
	}
	for _, typ := range []string{jobs.RetryFailedCustomers, jobs.RetryFailedProducts} {
		j := b.Run(t, typ, nil)
		require.Equal(t, engine.StatusCompleted, j.Status, "%s: %s", typ, j.Error)
		require.Zero(t, j.Total, typ)
	}
	require.Zero(t, fake.Record().Throttles)
	require.Empty(t, b.Sandbox.Nhanh().Record().Violations)
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err, "metafield value %q", s)
	return n
}
