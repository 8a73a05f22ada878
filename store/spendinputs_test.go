package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/store"
	"syncops/store/storetest"
)

// spendPairs is how many mapped customer pairs spendInputsSetup stores.
const spendPairs = 4

// spendInputsSetup stores spendPairs Nhanh customers (ids 1..) spending
// 1,000 VND, Shopify customers (gids 1..) holding no metafield, and a
// mapping per pair written with 1,000 and settled, plus an UNMAPPED
// mapping of Nhanh customer 9. It returns the mapping ids by Nhanh id.
func spendInputsSetup(t *testing.T, s *store.Store) map[extid.NhanhCustomerID]int64 {
	t.Helper()
	ctx := t.Context()
	var nhanh []store.NhanhCustomer
	var shopify []store.ShopifyCustomer
	var ms []store.CustomerMapping
	for n := int64(1); n <= spendPairs; n++ {
		gid := extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, n))
		nhanh = append(nhanh, store.NhanhCustomer{ID: extid.NhanhCustomerID(n), Name: "Khách", TotalAmount: 1000})
		shopify = append(shopify, store.ShopifyCustomer{ID: gid, FirstName: "Khách"})
		ms = append(ms, store.CustomerMapping{NhanhID: extid.NhanhCustomerID(n), ShopifyID: gid, MatchMethod: store.MatchPhone})
	}
	nhanh = append(nhanh, store.NhanhCustomer{ID: 9, Name: "Lẻ", TotalAmount: 1000})
	ms = append(ms, store.CustomerMapping{NhanhID: 9, MatchMethod: store.MatchManual})
	ids := map[extid.NhanhCustomerID]int64{}
	inTx(t, s, func(tx *sql.Tx) error {
		if _, err := s.UpsertNhanhCustomers(ctx, tx, nhanh, at(1)); err != nil {
			return err
		}
		if _, err := s.UpsertShopifyCustomers(ctx, tx, shopify, at(1)); err != nil {
			return err
		}
		if err := s.CreateCustomerMappings(ctx, tx, ms, at(1)); err != nil {
			return err
		}
		stored, err := s.CustomerMappings(ctx, tx, store.MappingFilter{})
		if err != nil {
			return err
		}
		for _, m := range stored {
			ids[m.NhanhID] = m.ID
			if m.ShopifyID == "" {
				continue
			}
			if err := s.RecordCustomerSync(ctx, tx, m.ID, 1000, m.InputVersion, at(2), 1); err != nil {
				return err
			}
			if err := s.SetShopifyTotalSpent(ctx, tx, m.ShopifyID, "1000"); err != nil {
				return err
			}
		}
		return nil
	})
	return ids
}

// unsettledOf lists the Nhanh ids of the unsettled customer mappings, and
// checks the count agrees.
func unsettledOf(t *testing.T, s *store.Store) []extid.NhanhCustomerID {
	t.Helper()
	ms, err := s.CustomerMappings(t.Context(), s.Reader(), store.MappingFilter{Unsettled: true})
	require.NoError(t, err)
	var out []extid.NhanhCustomerID
	for _, m := range ms {
		out = append(out, m.NhanhID)
	}
	n, err := s.CountUnsettledCustomerMappings(t.Context(), s.Reader(), 1<<40)
	require.NoError(t, err)
	require.EqualValues(t, len(out), n, "count and listing agree")
	return out
}

// TestEveryMirrorWriterUnsettlesTheMappingsItMoves checks the triggers of
// migration 0020 against each writer of the two mirrors: a change of what a
// customer's write is planned from unsettles its mapping (an auto-sync
// visits it); a write that changes nothing it is planned from, or the
// sync's own write, does not.
func TestEveryMirrorWriterUnsettlesTheMappingsItMoves(t *testing.T) {
	t.Parallel()
	nhanhRow := func(total float64) store.NhanhCustomer {
		return store.NhanhCustomer{ID: 1, Name: "Khách", TotalAmount: total}
	}
	gid1 := extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, 1))
	shopifyRow := func(spent *string) store.ShopifyCustomer {
		return store.ShopifyCustomer{ID: gid1, FirstName: "Khách", TotalSpent: spent}
	}
	text := func(v string) *string { return &v }
	// repull pulls every other customer at at(5), so that marking the rows
	// not pulled since at(5) as deleted marks customer 1 alone.
	repull := func(ctx context.Context, s *store.Store, tx *sql.Tx) error {
		var nhanh []store.NhanhCustomer
		var shopify []store.ShopifyCustomer
		for n := int64(2); n <= spendPairs; n++ {
			nhanh = append(nhanh, store.NhanhCustomer{ID: extid.NhanhCustomerID(n), Name: "Khách", TotalAmount: 1000})
			shopify = append(shopify, store.ShopifyCustomer{ID: extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, n)),
				FirstName: "Khách", TotalSpent: text("1000")})
		}
		nhanh = append(nhanh, store.NhanhCustomer{ID: 9, Name: "Lẻ", TotalAmount: 1000})
		if _, err := s.UpsertNhanhCustomers(ctx, tx, nhanh, at(5)); err != nil {
			return err
		}
		_, err := s.UpsertShopifyCustomers(ctx, tx, shopify, at(5))
		return err
	}
	tests := []struct {
		name string
		act  func(ctx context.Context, s *store.Store, tx *sql.Tx, mapping int64) error
		want []extid.NhanhCustomerID // unsettled afterwards
	}{
		{"nothing happens", func(context.Context, *store.Store, *sql.Tx, int64) error { return nil }, nil},
		{"a pull reads a new Nhanh spend", func(ctx context.Context, s *store.Store, tx *sql.Tx, _ int64) error {
			_, err := s.UpsertNhanhCustomers(ctx, tx, []store.NhanhCustomer{nhanhRow(1500)}, at(5))
			return err
		}, []extid.NhanhCustomerID{1}},
		{"a pull reads another field of the Nhanh customer", func(ctx context.Context, s *store.Store, tx *sql.Tx, _ int64) error {
			row := nhanhRow(1000)
			row.Name, row.Email = "Khách quen", "k@example.vn"
			_, err := s.UpsertNhanhCustomers(ctx, tx, []store.NhanhCustomer{row}, at(5))
			return err
		}, nil},
		{"Nhanh's spend becomes unknown", func(ctx context.Context, s *store.Store, tx *sql.Tx, _ int64) error {
			row := nhanhRow(0)
			row.TotalAmountNull = true
			_, err := s.UpsertNhanhCustomers(ctx, tx, []store.NhanhCustomer{row}, at(5))
			return err
		}, []extid.NhanhCustomerID{1}},
		{"the Nhanh customer is marked deleted", func(ctx context.Context, s *store.Store, tx *sql.Tx, _ int64) error {
			if err := repull(ctx, s, tx); err != nil {
				return err
			}
			_, err := s.MarkNhanhCustomersDeleted(ctx, tx, at(5), at(6))
			return err
		}, []extid.NhanhCustomerID{1}},
		{"the Shopify customer is marked deleted", func(ctx context.Context, s *store.Store, tx *sql.Tx, _ int64) error {
			if err := repull(ctx, s, tx); err != nil {
				return err
			}
			_, err := s.MarkShopifyCustomersDeleted(ctx, tx, at(5), at(6))
			return err
		}, []extid.NhanhCustomerID{1}},
		{"a pull reads a hand edit on Shopify", func(ctx context.Context, s *store.Store, tx *sql.Tx, _ int64) error {
			_, err := s.UpsertShopifyCustomers(ctx, tx, []store.ShopifyCustomer{shopifyRow(text("999"))}, at(5))
			return err
		}, []extid.NhanhCustomerID{1}},
		{"Shopify drifts, then a pull reads the value last written again", func(ctx context.Context, s *store.Store, tx *sql.Tx, _ int64) error {
			if err := s.SetShopifyTotalSpent(ctx, tx, gid1, "7"); err != nil { // drifted, then back
				return err
			}
			_, err := s.UpsertShopifyCustomers(ctx, tx, []store.ShopifyCustomer{shopifyRow(text("1000"))}, at(5))
			return err
		}, []extid.NhanhCustomerID{1}},
		{"the metafield is gone from Shopify", func(ctx context.Context, s *store.Store, tx *sql.Tx, _ int64) error {
			_, err := s.UpsertShopifyCustomers(ctx, tx, []store.ShopifyCustomer{shopifyRow(nil)}, at(5))
			return err
		}, []extid.NhanhCustomerID{1}},
		{"a sync writes a new value", func(ctx context.Context, s *store.Store, tx *sql.Tx, mapping int64) error {
			if _, err := s.UpsertNhanhCustomers(ctx, tx, []store.NhanhCustomer{nhanhRow(2000)}, at(5)); err != nil {
				return err
			}
			m, err := s.CustomerMapping(ctx, tx, mapping)
			if err != nil {
				return err
			}
			if err := s.RecordCustomerSync(ctx, tx, mapping, 2000, m.InputVersion, at(6), 2); err != nil {
				return err
			}
			return s.SetShopifyTotalSpent(ctx, tx, gid1, "2000")
		}, nil},
		{"Nhanh's spend moves while the sync writes", func(ctx context.Context, s *store.Store, tx *sql.Tx, mapping int64) error {
			planned, err := s.CustomerMapping(ctx, tx, mapping)
			if err != nil {
				return err
			}
			if _, err := s.UpsertNhanhCustomers(ctx, tx, []store.NhanhCustomer{nhanhRow(2500)}, at(5)); err != nil {
				return err
			}
			if err := s.RecordCustomerSync(ctx, tx, mapping, 1000, planned.InputVersion, at(6), 2); err != nil {
				return err
			}
			return s.SetShopifyTotalSpent(ctx, tx, gid1, "1000")
		}, []extid.NhanhCustomerID{1}},
		{"a sync finds the value written", func(ctx context.Context, s *store.Store, tx *sql.Tx, mapping int64) error {
			for _, v := range []float64{1700, 1000} { // moved, and back
				if _, err := s.UpsertNhanhCustomers(ctx, tx, []store.NhanhCustomer{nhanhRow(v)}, at(5)); err != nil {
					return err
				}
			}
			m, err := s.CustomerMapping(ctx, tx, mapping)
			if err != nil {
				return err
			}
			return s.SettleCustomerMappings(ctx, tx, map[int64]store.InputVersion{mapping: m.InputVersion})
		}, nil},
		{"a write fails", func(ctx context.Context, s *store.Store, tx *sql.Tx, mapping int64) error {
			return s.RecordCustomerSyncFailure(ctx, tx, mapping, "refused", at(6), 2)
		}, []extid.NhanhCustomerID{1}},
		{"a failed mapping is not settled by finding its value", func(ctx context.Context, s *store.Store, tx *sql.Tx, mapping int64) error {
			if err := s.RecordCustomerSyncFailure(ctx, tx, mapping, "refused", at(6), 2); err != nil {
				return err
			}
			m, err := s.CustomerMapping(ctx, tx, mapping)
			if err != nil {
				return err
			}
			return s.SettleCustomerMappings(ctx, tx, map[int64]store.InputVersion{mapping: m.InputVersion})
		}, []extid.NhanhCustomerID{1}},
		{"the mapping is remapped", func(ctx context.Context, s *store.Store, tx *sql.Tx, mapping int64) error {
			gid := extid.FormatGID(extid.ResourceCustomer, 77)
			if _, err := s.UpsertShopifyCustomers(ctx, tx, []store.ShopifyCustomer{{ID: extid.ShopifyCustomerGID(gid)}}, at(5)); err != nil {
				return err
			}
			return s.Remap(ctx, tx, store.MappingKindCustomer, mapping, gid, at(6))
		}, []extid.NhanhCustomerID{1}},
		{"an unmapped customer's spend moves", func(ctx context.Context, s *store.Store, tx *sql.Tx, _ int64) error {
			_, err := s.UpsertNhanhCustomers(ctx, tx, []store.NhanhCustomer{{ID: 9, Name: "Lẻ", TotalAmount: 5}}, at(5))
			return err
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.ForEach(t, func(t *testing.T, s *store.Store) {
				ids := spendInputsSetup(t, s)
				require.Empty(t, unsettledOf(t, s), "every written mapping starts settled")
				inTx(t, s, func(tx *sql.Tx) error { return tt.act(t.Context(), s, tx, ids[1]) })
				got := unsettledOf(t, s)
				slices.Sort(got)
				require.Equal(t, tt.want, got)
			})
		})
	}
}

// TestUnsettledTakesNoStatusesAndNoProducts checks the filter's limits.
func TestUnsettledTakesNoStatusesAndNoProducts(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		_, err := s.CustomerMappings(t.Context(), s.Reader(), store.MappingFilter{Unsettled: true,
			Statuses: []store.MappingStatus{store.MappingSynced}})
		require.ErrorContains(t, err, "takes no statuses")
		_, err = s.ProductMappings(t.Context(), s.Reader(), store.MappingFilter{Unsettled: true})
		require.ErrorContains(t, err, "customer mappings")
	})
}
