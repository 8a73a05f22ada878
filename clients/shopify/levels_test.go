package shopify_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/shopifyfake"
	"syncops/clients/shopify"
)

// livingShop is a client and a fake over testDataset changed by mutate:
// the shapes a trading shop has (untracked items, items not stocked at a
// location, metafields already written).
func livingShop(t *testing.T, mutate func(*dataset.Dataset)) (*shopify.Client, *shopifyfake.Server, *dataset.Dataset) {
	t.Helper()
	ds := testDataset(4, 6)
	mutate(ds)
	clock := clockwork.NewFakeClockAt(baseTime.Add(24 * time.Hour))
	fake := shopifyfake.New(ds, shopifyfake.Options{AccessToken: testToken, Clock: clock})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client, err := shopify.New(shopify.Config{
		Shop: "syncops-test.myshopify.com", BaseURL: srv.URL, AccessToken: testToken,
		HTTPClient: srv.Client(), Clock: clock, RequestTimeout: 5 * time.Second,
	})
	require.NoError(t, err)
	return client, fake, ds
}

func loc(n int64) extid.ShopifyLocationGID {
	return extid.ShopifyLocationGID(extid.FormatGID(extid.ResourceLocation, n))
}

func item(n int64) extid.ShopifyInventoryItemGID {
	return extid.ShopifyInventoryItemGID(extid.FormatGID(extid.ResourceInventoryItem, n))
}

func withTradingShapes(ds *dataset.Dataset) {
	ds.ShopifyVariants[0].Untracked = true
	ds.ShopifyVariants[1].NotStockedAt = []extid.ShopifyLocationGID{loc(3)}
	ds.ShopifyVariants[2].Available[loc(3)] = 9
	ds.ShopifyCustomers[0].Metafields = map[string]dataset.Metafield{"custom.total_spent": {Type: "number_integer", Value: "125000"}}
}

func TestVariantPullsReadTrackingAndLevels(t *testing.T) {
	t.Parallel()
	client, _, _ := livingShop(t, withTradingShapes)
	ctx := t.Context()
	locations := []extid.ShopifyLocationGID{loc(1), loc(3)}
	want := map[extid.ShopifyInventoryItemGID]struct {
		tracked bool
		levels  map[extid.ShopifyLocationGID]int64
	}{
		item(1): {false, map[extid.ShopifyLocationGID]int64{loc(1): 1, loc(3): 0}},
		item(2): {true, map[extid.ShopifyLocationGID]int64{loc(1): 2}},
		item(3): {true, map[extid.ShopifyLocationGID]int64{loc(1): 3, loc(3): 9}},
	}
	check := func(name string, vs []shopify.Variant) {
		require.Len(t, vs, 6, name)
		for _, v := range vs {
			require.True(t, v.LevelsRead, name)
			if w, ok := want[v.InventoryItemID]; ok {
				require.Equal(t, w.tracked, v.Tracked, "%s %s", name, v.InventoryItemID)
				require.Equal(t, w.levels, v.Levels, "%s %s", name, v.InventoryItemID)
			}
		}
	}
	page, err := client.ListVariantsAt(ctx, "", "", locations)
	require.NoError(t, err)
	check("paged", page.Variants)

	var bulk []shopify.Variant
	require.NoError(t, client.BulkVariantsAt(ctx, "", locations, func(v shopify.Variant) error { bulk = append(bulk, v); return nil }))
	check("bulk", bulk)

	plain, err := client.ListVariants(ctx, "", "")
	require.NoError(t, err)
	require.False(t, plain.Variants[0].LevelsRead)
	require.False(t, plain.Variants[0].Tracked, "tracked is read without levels too")

	_, err = client.ListVariantsAt(ctx, "", "", []extid.ShopifyLocationGID{"gid://shopify/Customer/1"})
	require.Equal(t, apierr.ClassValidation, apierr.ClassOf(err))
}

func TestCustomerPullsReadTotalSpent(t *testing.T) {
	t.Parallel()
	client, fake, ds := livingShop(t, withTradingShapes)
	ctx := t.Context()
	byID := func(cs []shopify.Customer) map[extid.ShopifyCustomerGID]shopify.Customer {
		out := map[extid.ShopifyCustomerGID]shopify.Customer{}
		for _, c := range cs {
			out[c.ID] = c
		}
		return out
	}
	first, second := ds.ShopifyCustomers[0].ID, ds.ShopifyCustomers[1].ID

	page, err := client.ListCustomers(ctx, "", "")
	require.NoError(t, err)
	got := byID(page.Customers)
	require.NotNil(t, got[first].TotalSpent)
	require.Equal(t, "125000", got[first].TotalSpent.Value)
	require.NotEmpty(t, got[first].TotalSpent.CompareDigest)
	require.Nil(t, got[second].TotalSpent, "no metafield is nil, not an empty value")

	// A hand edit in the admin is drift the next pull sees.
	require.True(t, fake.EditMetafield(second, "custom.total_spent", dataset.Metafield{Type: "number_integer", Value: "7"}))
	var bulk []shopify.Customer
	require.NoError(t, client.BulkCustomers(ctx, "", func(c shopify.Customer) error { bulk = append(bulk, c); return nil }))
	got = byID(bulk)
	require.Equal(t, "7", got[second].TotalSpent.Value)
	require.Equal(t, "125000", got[first].TotalSpent.Value)
	require.Empty(t, fake.Record().MetafieldWrites, "a hand edit is not an app write")
}

func TestInventoryLevelsActivateAndNotStocked(t *testing.T) {
	t.Parallel()
	client, fake, _ := livingShop(t, withTradingShapes)
	ctx := t.Context()
	locations := []extid.ShopifyLocationGID{loc(1), loc(3)}

	levels, err := client.InventoryLevels(ctx, []extid.ShopifyInventoryItemGID{item(2), item(1), item(999), item(2)}, locations)
	require.NoError(t, err)
	require.Equal(t, map[extid.ShopifyInventoryItemGID]shopify.ItemInventory{
		item(1): {Tracked: false, Levels: map[extid.ShopifyLocationGID]int64{loc(1): 1, loc(3): 0}},
		item(2): {Tracked: true, Levels: map[extid.ShopifyLocationGID]int64{loc(1): 2}},
	}, levels, "unknown items are absent; item 2 has no level at location 3")

	// Shopify refuses a quantity where the item is not stocked.
	res, err := client.SetInventory(ctx, []shopify.InventoryQuantity{
		{InventoryItemID: item(2), LocationID: loc(3), Quantity: 4},
		{InventoryItemID: item(3), LocationID: loc(1), Quantity: 8},
	}, shopify.InventoryOptions{KeyPrefix: "t"})
	require.NoError(t, err)
	require.Error(t, res[0].Err)
	require.Contains(t, res[0].Err.Error(), "ITEM_NOT_STOCKED_AT_LOCATION")
	require.NoError(t, res[1].Err, "the other quantity is sent again and applied")

	start, err := client.ActivateInventory(ctx, item(2), loc(3))
	require.NoError(t, err)
	require.Zero(t, start)
	again, err := client.ActivateInventory(ctx, item(2), loc(3))
	require.NoError(t, err, "activating twice is harmless")
	require.Zero(t, again)
	require.Equal(t, []shopifyfake.Activation{{InventoryItemID: item(2), LocationID: loc(3)}}, fake.Record().Activations)

	res, err = client.SetInventory(ctx, []shopify.InventoryQuantity{{InventoryItemID: item(2), LocationID: loc(3), Quantity: 4}},
		shopify.InventoryOptions{KeyPrefix: "t"})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)

	_, err = client.ActivateInventory(ctx, item(999), loc(3))
	require.Equal(t, apierr.ClassValidation, apierr.ClassOf(err))
	require.ErrorContains(t, err, "inventory item wasn't found")

	// A restock on Shopify's side is drift a reconcile read sees.
	require.True(t, fake.Restock(item(2), loc(1), 5))
	levels, err = client.InventoryLevels(ctx, []extid.ShopifyInventoryItemGID{item(2)}, locations)
	require.NoError(t, err)
	require.Equal(t, map[extid.ShopifyLocationGID]int64{loc(1): 7, loc(3): 4}, levels[item(2)].Levels)
}
