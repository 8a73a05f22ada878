package store_test

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/store"
	"syncops/store/storetest"
)

func nhanhProduct(id int) store.NhanhProduct {
	return store.NhanhProduct{
		ID: extid.NhanhProductID(id), Code: fmt.Sprintf("SKU-%04d", id), Barcode: fmt.Sprintf("893%010d", id),
		Name: fmt.Sprintf("Áo thun %d", id), Price: 149000, Status: 1, Available: 12,
		Depots: map[extid.NhanhDepotID]int64{2: 5, 10: 7}, RemoteUpdatedAt: 1_700_001_000,
	}
}

func shopifyVariant(n int) store.ShopifyVariant {
	return store.ShopifyVariant{
		ID:           extid.ShopifyVariantGID(extid.FormatGID(extid.ResourceVariant, int64(5000+n))),
		ProductID:    extid.ShopifyProductGID(extid.FormatGID(extid.ResourceProduct, int64(700+n))),
		ProductTitle: "Áo thun", Title: "Default Title", SKU: fmt.Sprintf("sku-%04d", n),
		Barcode: "", ProductStatus: "ACTIVE",
		InventoryItemID: extid.ShopifyInventoryItemGID(extid.FormatGID(extid.ResourceInventoryItem, int64(9000+n))),
		RemoteUpdatedAt: 1_700_002_000,
	}
}

func TestUpsertNhanhProductsComparesDepots(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(p *store.NhanhProduct)
		want   store.UpsertCounts
	}{
		{"same depots rebuilt", func(p *store.NhanhProduct) { p.Depots = map[extid.NhanhDepotID]int64{10: 7, 2: 5} }, store.UpsertCounts{Unchanged: 1}},
		{"depot quantity", func(p *store.NhanhProduct) { p.Depots[2] = 6 }, store.UpsertCounts{Updated: 1}},
		{"depot added", func(p *store.NhanhProduct) { p.Depots[3] = 0 }, store.UpsertCounts{Updated: 1}},
		{"depots emptied", func(p *store.NhanhProduct) { p.Depots = nil }, store.UpsertCounts{Updated: 1}},
		{"code", func(p *store.NhanhProduct) { p.Code = "sku-0001 " }, store.UpsertCounts{Updated: 1}},
		{"price", func(p *store.NhanhProduct) { p.Price = 139000 }, store.UpsertCounts{Updated: 1}},
		{"status", func(p *store.NhanhProduct) { p.Status = 2 }, store.UpsertCounts{Updated: 1}},
		{"available", func(p *store.NhanhProduct) { p.Available = 0 }, store.UpsertCounts{Updated: 1}},
		{"became a parent", func(p *store.NhanhProduct) { p.ParentID = store.NhanhParentMark }, store.UpsertCounts{Updated: 1}},
		{"became a child", func(p *store.NhanhProduct) { p.ParentID = 77 }, store.UpsertCounts{Updated: 1}},
		{"became a combo", func(p *store.NhanhProduct) { p.Combo = true }, store.UpsertCounts{Updated: 1}},
	}
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := nhanhProduct(i + 1)
				var first, second store.UpsertCounts
				inTx(t, s, func(tx *sql.Tx) error {
					var err error
					first, err = s.UpsertNhanhProducts(ctx, tx, []store.NhanhProduct{p}, at(1))
					return err
				})
				require.Equal(t, store.UpsertCounts{Created: 1}, first)
				tt.change(&p)
				inTx(t, s, func(tx *sql.Tx) error {
					var err error
					second, err = s.UpsertNhanhProducts(ctx, tx, []store.NhanhProduct{p}, at(2))
					return err
				})
				require.Equal(t, tt.want, second)

				got, err := s.NhanhProduct(ctx, s.Reader(), p.ID)
				require.NoError(t, err)
				p.PulledAt = at(2)
				if len(p.Depots) == 0 {
					p.Depots = nil
				}
				require.Equal(t, p, got)
			})
		}
	})
}

// TestNhanhParentProductIDs: a parent is marked by its own parentId or
// named by a live child's; a deleted child names no parent, and combos and
// standalone products (parentId 0 or -1) are not parents.
func TestNhanhParentProductIDs(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		product := func(id int, parent int64, combo bool) store.NhanhProduct {
			p := nhanhProduct(id)
			p.ParentID, p.Combo = parent, combo
			return p
		}
		inTx(t, s, func(tx *sql.Tx) error {
			_, err := s.UpsertNhanhProducts(ctx, tx, []store.NhanhProduct{
				product(1, store.NhanhParentMark, false), // a parent by its mark
				product(2, 1, false),                     // its child
				product(3, 0, false),                     // a parent only through its child (unmarked)
				product(4, 3, false),
				product(5, -1, true), // a combo
				product(6, 0, false),
				product(7, 6, false), // a child that is deleted below
			}, at(1))
			return err
		})
		inTx(t, s, func(tx *sql.Tx) error {
			_, err := s.UpsertNhanhProducts(ctx, tx, []store.NhanhProduct{
				product(1, store.NhanhParentMark, false), product(2, 1, false), product(3, 0, false),
				product(4, 3, false), product(5, -1, true), product(6, 0, false),
			}, at(5))
			if err != nil {
				return err
			}
			_, err = s.MarkNhanhProductsDeleted(ctx, tx, at(5), at(5))
			return err
		})
		got, err := s.NhanhParentProductIDs(ctx, s.Reader())
		require.NoError(t, err)
		require.Equal(t, map[extid.NhanhProductID]bool{1: true, 3: true}, got)

		combo, err := s.NhanhProduct(ctx, s.Reader(), 5)
		require.NoError(t, err)
		require.True(t, combo.Combo)
		require.Equal(t, int64(-1), combo.ParentID)
	})
}

func TestUpdateNhanhStock(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		products := []store.NhanhProduct{nhanhProduct(1), nhanhProduct(2), nhanhProduct(3)}
		inTx(t, s, func(tx *sql.Tx) error {
			_, err := s.UpsertNhanhProducts(ctx, tx, products, at(1))
			return err
		})
		stock := map[extid.NhanhProductID]store.Stock{
			1:  {Available: 12, Depots: map[extid.NhanhDepotID]int64{2: 5, 10: 7}}, // as stored
			2:  {Available: 3, Depots: map[extid.NhanhDepotID]int64{2: 3}},
			3:  {Available: 0},
			99: {Available: 4},
		}
		var counts store.StockCounts
		inTx(t, s, func(tx *sql.Tx) error {
			var err error
			counts, err = s.UpdateNhanhStock(ctx, tx, stock)
			return err
		})
		require.Equal(t, store.StockCounts{Updated: 2, Unchanged: 1, Unknown: 1}, counts)

		for _, p := range products {
			got, err := s.NhanhProduct(ctx, s.Reader(), p.ID)
			require.NoError(t, err)
			want := p
			want.Available, want.Depots, want.PulledAt = stock[p.ID].Available, stock[p.ID].Depots, at(1)
			require.Equal(t, want, got, "only stock changes; the pulled time stays")
		}
		_, err := s.NhanhProduct(ctx, s.Reader(), 99)
		require.ErrorIs(t, err, store.ErrNotFound, "stock never creates products")
	})
}

func TestUpdateNhanhStockManyProducts(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		const total = 700 // more than one UPDATE statement and one IN list
		products := make([]store.NhanhProduct, total)
		stock := make(map[extid.NhanhProductID]store.Stock, total)
		for i := range products {
			products[i] = nhanhProduct(i + 1)
			stock[products[i].ID] = store.Stock{Available: int64(i), Depots: map[extid.NhanhDepotID]int64{1: int64(i)}}
		}
		var counts store.StockCounts
		inTx(t, s, func(tx *sql.Tx) error {
			if _, err := s.UpsertNhanhProducts(ctx, tx, products, at(1)); err != nil {
				return err
			}
			var err error
			counts, err = s.UpdateNhanhStock(ctx, tx, stock)
			return err
		})
		require.Equal(t, store.StockCounts{Updated: total}, counts)
		var sum int64
		require.NoError(t, s.EachNhanhProduct(ctx, s.Reader(), func(p store.NhanhProduct) error {
			require.Equal(t, stock[p.ID].Available, p.Available)
			require.Equal(t, stock[p.ID].Depots, p.Depots)
			sum += p.Available
			return nil
		}))
		require.EqualValues(t, total*(total-1)/2, sum)
	})
}

func TestShopifyVariantsMirror(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		variants := []store.ShopifyVariant{shopifyVariant(1), shopifyVariant(2)}
		upsert := func(rows []store.ShopifyVariant, sec int) store.UpsertCounts {
			var counts store.UpsertCounts
			inTx(t, s, func(tx *sql.Tx) error {
				var err error
				counts, err = s.UpsertShopifyVariants(ctx, tx, rows, at(sec))
				return err
			})
			return counts
		}
		require.Equal(t, store.UpsertCounts{Created: 2}, upsert(variants, 1))
		variants[1].InventoryItemID = "gid://shopify/InventoryItem/1"
		require.Equal(t, store.UpsertCounts{Updated: 1}, upsert(variants[1:], 2))

		var marked int64
		inTx(t, s, func(tx *sql.Tx) error {
			var err error
			marked, err = s.MarkShopifyVariantsDeleted(ctx, tx, at(2), at(3))
			return err
		})
		require.EqualValues(t, 1, marked)

		live, err := s.ListShopifyVariants(ctx, s.Reader(), store.ListOpts[extid.ShopifyVariantGID]{})
		require.NoError(t, err)
		want := variants[1]
		want.PulledAt = at(2)
		require.Equal(t, []store.ShopifyVariant{want}, live)
		n, err := s.CountShopifyVariants(ctx, s.Reader())
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		deleted, err := s.ShopifyVariant(ctx, s.Reader(), variants[0].ID)
		require.NoError(t, err)
		require.Equal(t, at(3), deleted.DeletedAt)

		var walked []extid.ShopifyVariantGID
		require.NoError(t, s.EachShopifyVariant(ctx, s.Reader(), func(v store.ShopifyVariant) error {
			walked = append(walked, v.ID)
			return nil
		}))
		require.Equal(t, []extid.ShopifyVariantGID{variants[1].ID}, walked)

		inTx(t, s, func(tx *sql.Tx) error {
			var err error
			marked, err = s.MarkNhanhProductsDeleted(ctx, tx, at(100), at(100))
			return err
		})
		require.Zero(t, marked, "no Nhanh products stored")
		np, err := s.CountNhanhProducts(ctx, s.Reader())
		require.NoError(t, err)
		require.Zero(t, np)
		list, err := s.ListNhanhProducts(ctx, s.Reader(), store.ListOpts[extid.NhanhProductID]{})
		require.NoError(t, err)
		require.Empty(t, list)
	})
}

func TestSyncReadsOfProductMirrors(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		noDepots := nhanhProduct(2)
		noDepots.Depots = nil
		variants := []store.ShopifyVariant{shopifyVariant(1), shopifyVariant(2)}
		inTx(t, s, func(tx *sql.Tx) error {
			if _, err := s.UpsertNhanhProducts(ctx, tx, []store.NhanhProduct{nhanhProduct(1), noDepots, nhanhProduct(3)}, at(1)); err != nil {
				return err
			}
			if _, err := s.UpsertNhanhProducts(ctx, tx, []store.NhanhProduct{nhanhProduct(1), noDepots}, at(5)); err != nil {
				return err
			}
			if _, err := s.MarkNhanhProductsDeleted(ctx, tx, at(5), at(5)); err != nil {
				return err
			}
			if _, err := s.UpsertShopifyVariants(ctx, tx, variants, at(1)); err != nil {
				return err
			}
			if _, err := s.UpsertShopifyVariants(ctx, tx, variants[:1], at(5)); err != nil {
				return err
			}
			_, err := s.MarkShopifyVariantsDeleted(ctx, tx, at(5), at(5))
			return err
		})

		stocks, err := s.NhanhProductStocks(ctx, s.Reader(), []extid.NhanhProductID{1, 2, 3, 99})
		require.NoError(t, err)
		depots := map[extid.NhanhDepotID]int64{2: 5, 10: 7}
		require.Equal(t, map[extid.NhanhProductID]store.NhanhProductStock{
			1: {Name: "Áo thun 1", Available: 12, Depots: depots},
			2: {Name: "Áo thun 2", Available: 12, Depots: map[extid.NhanhDepotID]int64{}},
			3: {Name: "Áo thun 3", Available: 12, Depots: depots, Deleted: true},
		}, stocks)

		items, err := s.ShopifyVariantItems(ctx, s.Reader(), []extid.ShopifyVariantGID{variants[0].ID, variants[1].ID, "gid://shopify/ProductVariant/1"})
		require.NoError(t, err)
		require.Equal(t, map[extid.ShopifyVariantGID]store.ShopifyVariantItem{
			variants[0].ID: {InventoryItemID: variants[0].InventoryItemID},
			variants[1].ID: {InventoryItemID: variants[1].InventoryItemID, Deleted: true},
		}, items)
	})
}
