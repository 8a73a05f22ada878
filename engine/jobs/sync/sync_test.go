package sync_test

import (
	"context"
	"database/sql"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
	"syncops/store/storetest"
)

func TestCustomerSyncWritesRoundedSpendOfEveryMappedCustomer(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{dialect: dialect})
			ctx := context.Background()
			pairs := w.matchedCustomers()
			mappingOf := w.mapCustomers(t, pairs)

			j := w.Run(t, jobs.CustomerSync, nil)
			requireCompleted(t, j)
			require.EqualValues(t, len(pairs), j.Total)
			require.Equal(t, j.Total, j.Successful)

			// The world has the hard cases: every Nhanh type, fractional spend.
			types := map[dataset.NhanhCustomerType]bool{}
			fractional := 0
			for nid, gid := range pairs {
				c := w.nhanhCustomer(nid)
				types[c.Type] = true
				if c.TotalAmount != math.Trunc(c.TotalAmount) {
					fractional++
				}
				want := w.truth.ExpectedTotalSpent[nid]
				mf, ok := w.Sandbox.Shopify().Metafield(gid, "custom.total_spent")
				require.True(t, ok, "customer %s has the metafield", gid)
				require.Equal(t, dataset.Metafield{Type: "number_integer", Value: strconv.FormatInt(want, 10)}, mf,
					"Nhanh %d spent %v", nid, c.TotalAmount)

				m, err := w.Store.CustomerMapping(ctx, w.Store.Reader(), mappingOf[nid])
				require.NoError(t, err)
				require.Equal(t, store.MappingSynced, m.Status)
				require.NotNil(t, m.LastSyncedValue)
				require.Equal(t, want, *m.LastSyncedValue)
				log, err := w.Store.SyncLog(ctx, w.Store.Reader(), store.MappingKindCustomer, m.ID, 1)
				require.NoError(t, err)
				require.Len(t, log, 1)
				require.Equal(t, strconv.FormatInt(want, 10), log[0].NewValue)
				require.EqualValues(t, j.ID, log[0].JobID)
			}
			require.Len(t, types, 3, "retail, wholesale and agent customers are all synced")
			require.Positive(t, fractional, "some spends have a fraction")

			// Nothing was written for a customer that is not mapped.
			writes := w.Sandbox.Shopify().Record().MetafieldWrites
			require.Len(t, writes, len(pairs))
			mapped := map[string]bool{}
			for _, gid := range pairs {
				mapped[string(gid)] = true
			}
			for _, wr := range writes {
				require.True(t, mapped[wr.OwnerID], "write to unmapped customer %s", wr.OwnerID)
			}
		})
	}
}

func TestCustomerSyncFailsUnsyncableMappingsWithAReason(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{})
	ctx := context.Background()

	// A healthy pair, a Nhanh customer the mirror does not have, and a
	// Shopify customer that does not exist.
	var good, lost extid.NhanhCustomerID
	for nid := range w.truth.CustomerMatches {
		if good == 0 || nid < good {
			good = nid
		}
	}
	var unmatchedNhanh []extid.NhanhCustomerID
	for nid := range w.truth.UnmatchedNhanhCustomers {
		unmatchedNhanh = append(unmatchedNhanh, nid)
	}
	var spareShopify extid.ShopifyCustomerGID
	for gid := range w.truth.UnmatchedShopifyCustomers {
		spareShopify = gid
		break
	}
	lost = 999_000_001
	noShopify := unmatchedNhanh[0]
	phantom := extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, 1))
	mappingOf := w.mapCustomers(t, map[extid.NhanhCustomerID]extid.ShopifyCustomerGID{
		good: w.truth.CustomerMatches[good].Shopify, lost: spareShopify, noShopify: phantom,
	})
	ids := []int64{mappingOf[good], mappingOf[lost], mappingOf[noShopify], 424242}
	j := w.Run(t, jobs.CustomerSync, engine.Params{"ids": joinIDs(ids)})
	requireCompleted(t, j)
	require.EqualValues(t, 4, j.Total)
	require.EqualValues(t, 1, j.Successful)
	require.EqualValues(t, 3, j.Failed)

	fails := w.Failures(t, j.ID)
	require.Len(t, fails, 3)
	f := fails[strconv.FormatInt(mappingOf[lost], 10)]
	require.Contains(t, f.Message, "Nhanh customer 999000001 is not in the local mirror: pull Nhanh customers")
	f = fails[strconv.FormatInt(mappingOf[noShopify], 10)]
	require.Contains(t, f.Message, w.nhanhCustomer(noShopify).Name, "the message names the customer")
	require.Contains(t, f.Message, "Owner does not exist", "and says Shopify's reason")
	require.Equal(t, "validation", f.ErrorClass)
	want := w.truth.ExpectedTotalSpent[noShopify]
	require.Equal(t, "metafieldsSet owner="+string(phantom)+" custom.total_spent="+strconv.FormatInt(want, 10), f.Request)
	require.Contains(t, fails["424242"].Message, "does not exist")

	// Nothing was written in place of the missing values, and the
	// mappings say why they failed.
	_, written := w.Sandbox.Shopify().Metafield(spareShopify, "custom.total_spent")
	require.False(t, written)
	for _, nid := range []extid.NhanhCustomerID{lost, noShopify} {
		m, err := w.Store.CustomerMapping(ctx, w.Store.Reader(), mappingOf[nid])
		require.NoError(t, err)
		require.Equal(t, store.MappingFailed, m.Status)
		require.NotEmpty(t, m.SyncError)
		require.Nil(t, m.LastSyncedValue)
	}
	m := metaOf(t, j)
	require.Len(t, m.Results.Errors, 3)

	// Once the mirror has the customer, a retry writes exactly the failed
	// items: the lost customer succeeds, the phantom still fails.
	require.NoError(t, w.Store.InTx(ctx, func(tx *sql.Tx) error {
		row := jobstest.NhanhCustomerRow(w.nhanhCustomer(unmatchedNhanh[1]))
		row.ID, row.TotalAmount = lost, 1_234_567.5
		_, err := w.Store.UpsertNhanhCustomers(ctx, tx, []store.NhanhCustomer{row}, w.Deps.Clock.Now())
		return err
	}))
	rj := w.Retry(t, j.ID)
	requireCompleted(t, rj)
	require.Equal(t, j.ID, rj.RetryOf)
	require.EqualValues(t, 3, rj.Total)
	require.EqualValues(t, 1, rj.Successful)
	require.EqualValues(t, 2, rj.Failed)
	mf, ok := w.Sandbox.Shopify().Metafield(spareShopify, "custom.total_spent")
	require.True(t, ok)
	require.Equal(t, "1234568", mf.Value, "halves round away from zero")
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// depotSplit maps the first two Nhanh depots to one Shopify location and
// the third to another, and returns the two locations and the depots of
// each. The world's remaining locations get nothing.
func (w *syncWorld) depotSplit(t testing.TB) (a, b extid.ShopifyLocationGID, depotsA, depotsB []extid.NhanhDepotID) {
	t.Helper()
	ctx := context.Background()
	require.GreaterOrEqual(t, len(w.ds.NhanhDepots), 3)
	require.GreaterOrEqual(t, len(w.ds.ShopifyLocations), 3)
	a, b = w.ds.ShopifyLocations[0].ID, w.ds.ShopifyLocations[1].ID
	depotsA = []extid.NhanhDepotID{w.ds.NhanhDepots[0].ID, w.ds.NhanhDepots[1].ID}
	depotsB = []extid.NhanhDepotID{w.ds.NhanhDepots[2].ID}
	set := func(d extid.NhanhDepotID, loc extid.ShopifyLocationGID) {
		require.NoError(t, w.Store.SetLocationMapping(ctx, w.Store.DB(), store.LocationMapping{DepotID: d, DepotName: "depot",
			LocationID: loc, LocationName: "loc " + string(loc)}, w.Deps.Clock.Now()))
	}
	for _, d := range depotsA {
		set(d, a)
	}
	set(depotsB[0], b)
	return a, b, depotsA, depotsB
}

func sumDepots(stock map[extid.NhanhDepotID]int64, depots []extid.NhanhDepotID) int64 {
	var n int64
	for _, d := range depots {
		n += stock[d]
	}
	return n
}

func TestProductSyncWritesTheSumOfMappedDepotsAtEachLocation(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{dialect: dialect})
			ctx := context.Background()
			locA, locB, depotsA, depotsB := w.depotSplit(t)
			untouched := w.ds.ShopifyLocations[2].ID
			pairs := w.matchedProducts()
			for nid, vid := range w.truth.DeletedProducts {
				pairs[nid] = vid
			}
			require.NotEmpty(t, w.truth.DeletedProducts)
			mappingOf := w.mapProducts(t, pairs)

			j := w.Run(t, jobs.ProductSync, nil)
			requireCompleted(t, j)
			require.EqualValues(t, len(pairs), j.Total, "counted per mapping, not per location")
			require.EqualValues(t, len(w.truth.ProductMatches), j.Successful)
			require.EqualValues(t, len(w.truth.DeletedProducts), j.Failed)
			require.Equal(t, "multi-location-sum", metaOf(t, j).SyncMode)

			for nid, match := range w.truth.ProductMatches {
				p, v := w.nhanhProduct(nid), w.variant(match.Variant)
				wantA, wantB := sumDepots(p.Available, depotsA), sumDepots(p.Available, depotsB)
				requireAvailable(t, w, v.InventoryItemID, locA, wantA)
				requireAvailable(t, w, v.InventoryItemID, locB, wantB)
				requireAvailable(t, w, v.InventoryItemID, untouched, v.Available[untouched])

				m, err := w.Store.ProductMapping(ctx, w.Store.Reader(), mappingOf[nid])
				require.NoError(t, err)
				require.Equal(t, store.MappingSynced, m.Status)
				require.Equal(t, map[extid.ShopifyLocationGID]int64{locA: wantA, locB: wantB}, m.LastSyncedValue)
				require.Equal(t, v.InventoryItemID, m.InventoryItemID, "the item id is cached on the mapping")
			}
			fails := w.Failures(t, j.ID)
			for nid, vid := range w.truth.DeletedProducts {
				f := fails[strconv.FormatInt(mappingOf[nid], 10)]
				require.Contains(t, f.Message, "deleted in Nhanh")
				v := w.variant(vid)
				for _, loc := range []extid.ShopifyLocationGID{locA, locB} {
					requireAvailable(t, w, v.InventoryItemID, loc, v.Available[loc])
				}
				m, err := w.Store.ProductMapping(ctx, w.Store.Reader(), mappingOf[nid])
				require.NoError(t, err)
				require.Equal(t, store.MappingFailed, m.Status)
			}
			require.Len(t, w.Sandbox.Shopify().Record().InventoryWrites, 2*len(w.truth.ProductMatches))
		})
	}
}

func TestProductSyncWithoutLocationMappingsWritesTheTotalAtThePrimaryLocation(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{})
	w.mapProducts(t, w.matchedProducts())
	primary := w.truth.PrimaryLocation
	require.NotEmpty(t, primary)

	j := w.Run(t, jobs.ProductSync, nil)
	requireCompleted(t, j)
	require.Equal(t, j.Total, j.Successful)
	require.Equal(t, "primary-location", metaOf(t, j).SyncMode)
	for nid, match := range w.truth.ProductMatches {
		v := w.variant(match.Variant)
		requireAvailable(t, w, v.InventoryItemID, primary, jobstest.SumStock(w.nhanhProduct(nid).Available))
		for _, loc := range w.ds.ShopifyLocations {
			if loc.ID != primary {
				requireAvailable(t, w, v.InventoryItemID, loc.ID, v.Available[loc.ID])
			}
		}
	}
}

func requireAvailable(t testing.TB, w *syncWorld, item extid.ShopifyInventoryItemGID, loc extid.ShopifyLocationGID, want int64) {
	t.Helper()
	got, ok := w.Sandbox.Shopify().Available(item, loc)
	require.True(t, ok, "item %s exists", item)
	require.Equal(t, want, got, "available of %s at %s", item, loc)
}

func TestProductSyncFailsAMappingWhenOneOfItsLocationsFails(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{})
	ctx := context.Background()
	locA, _, depotsA, _ := w.depotSplit(t)
	// The fourth depot feeds a location Shopify does not have (any more).
	gone := extid.ShopifyLocationGID(extid.FormatGID(extid.ResourceLocation, 999))
	require.NoError(t, w.Store.SetLocationMapping(ctx, w.Store.DB(), store.LocationMapping{DepotID: w.ds.NhanhDepots[3].ID,
		DepotName: "Kho cũ", LocationID: gone, LocationName: "Kho đã đóng"}, w.Deps.Clock.Now()))
	pairs := w.matchedProducts()
	mappingOf := w.mapProducts(t, pairs)

	j := w.Run(t, jobs.ProductSync, nil)
	requireCompleted(t, j)
	require.EqualValues(t, len(pairs), j.Total, "one item per mapping, whatever the locations")
	require.Equal(t, j.Total, j.Failed, "no mapping is a success with a location missing")
	fails := w.Failures(t, j.ID)
	for nid, vid := range pairs {
		f := fails[strconv.FormatInt(mappingOf[nid], 10)]
		require.Contains(t, f.Message, "Kho đã đóng")
		require.Contains(t, f.Message, "could not be found")
		m, err := w.Store.ProductMapping(ctx, w.Store.Reader(), mappingOf[nid])
		require.NoError(t, err)
		require.Equal(t, store.MappingFailed, m.Status)
		require.Nil(t, m.LastSyncedValue)
		// The locations that exist were written all the same.
		requireAvailable(t, w, w.variant(vid).InventoryItemID, locA, sumDepots(w.nhanhProduct(nid).Available, depotsA))
	}
}
