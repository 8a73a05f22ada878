package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/store"
	"syncops/store/storetest"
)

func TestMatchingProjections(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		// Nhanh customers 1..4: 4 deleted, 2 mapped by hand, 3 mapped by job
		// 9; Shopify customers 1..3: 3 deleted, 1 mapped to Nhanh customer 2,
		// 2 to Nhanh customer 3.
		upsertNhanh(t, s, nhanhCustomers(1, 4), at(1))
		upsertNhanh(t, s, nhanhCustomers(1, 3), at(5))
		shopify := []store.ShopifyCustomer{shopifyCustomer(1), shopifyCustomer(2), shopifyCustomer(3)}
		shopify[1].Note = ""
		inTx(t, s, func(tx *sql.Tx) error {
			if _, err := s.MarkNhanhCustomersDeleted(ctx, tx, at(5), at(5)); err != nil {
				return err
			}
			if _, err := s.UpsertShopifyCustomers(ctx, tx, shopify, at(1)); err != nil {
				return err
			}
			if _, err := s.UpsertShopifyCustomers(ctx, tx, shopify[:2], at(5)); err != nil {
				return err
			}
			if _, err := s.MarkShopifyCustomersDeleted(ctx, tx, at(5), at(5)); err != nil {
				return err
			}
			if err := s.CreateCustomerMappings(ctx, tx, []store.CustomerMapping{{NhanhID: 2, ShopifyID: shopify[0].ID}}, at(5)); err != nil {
				return err
			}
			return s.InsertMatchedCustomerMappings(ctx, tx, []store.CustomerMapping{
				{NhanhID: 3, ShopifyID: shopify[1].ID, MatchMethod: store.MatchPhone, CreatedByJob: 9}}, at(5))
		})

		for _, tt := range []struct {
			ownJob   int64
			keys     []store.NhanhCustomerKeys
			s2Mapped store.ShopifyCustomerContact
		}{
			{ownJob: 0, keys: []store.NhanhCustomerKeys{{ID: 1, Mobile: "0900000001", Email: "c1@example.vn"}},
				s2Mapped: store.ShopifyCustomerContact{MappedTo: 3}},
			{ownJob: 8, keys: []store.NhanhCustomerKeys{{ID: 1, Mobile: "0900000001", Email: "c1@example.vn"}},
				s2Mapped: store.ShopifyCustomerContact{MappedTo: 3}},
			{ownJob: 9, keys: []store.NhanhCustomerKeys{
				{ID: 1, Mobile: "0900000001", Email: "c1@example.vn"},
				{ID: 3, Mobile: "0900000003", Email: "c3@example.vn", Own: true},
			}, s2Mapped: store.ShopifyCustomerContact{MappedTo: 3, Own: true}},
		} {
			var keys []store.NhanhCustomerKeys
			require.NoError(t, s.EachUnmappedNhanhCustomer(ctx, s.Reader(), tt.ownJob, func(k store.NhanhCustomerKeys) {
				keys = append(keys, k)
			}))
			require.Equal(t, tt.keys, keys, "live and unmapped or mapped by job %d, in id order", tt.ownJob)

			contacts := map[extid.ShopifyCustomerGID]store.ShopifyCustomerContact{}
			require.NoError(t, s.EachShopifyCustomerContact(ctx, s.Reader(), tt.ownJob, func(c store.ShopifyCustomerContact) {
				contacts[c.ID] = c
			}))
			require.Equal(t, map[extid.ShopifyCustomerGID]store.ShopifyCustomerContact{
				shopify[0].ID: {ID: shopify[0].ID, Phone: "+84910000001", AddressPhone: "0910000001",
					Note: "gọi trước khi giao", Email: "s1@example.com", MappedTo: 2},
				shopify[1].ID: {ID: shopify[1].ID, Phone: "+84910000002", AddressPhone: "0910000002",
					Email: "s2@example.com", MappedTo: tt.s2Mapped.MappedTo, Own: tt.s2Mapped.Own},
			}, contacts, "live only, with the Nhanh customer each is mapped to (job %d)", tt.ownJob)
		}
	})
}

// TestStreamingReadLeavesTheWriterFree proves a whole-mirror walk on the read
// handle does not hold SQLite's single writer: a write commits while the walk
// is stopped half-way.
func TestStreamingReadLeavesTheWriterFree(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		upsertNhanh(t, s, nhanhCustomers(1, 3), at(1))
		walks := []struct {
			name string
			walk func(during func()) error
		}{
			{"EachUnmappedNhanhCustomer", func(during func()) error {
				return s.EachUnmappedNhanhCustomer(ctx, s.Reader(), 0, func(store.NhanhCustomerKeys) { during() })
			}},
			{"EachShopifyCustomerContact", func(during func()) error {
				inTx(t, s, func(tx *sql.Tx) error {
					_, err := s.UpsertShopifyCustomers(ctx, tx, []store.ShopifyCustomer{shopifyCustomer(1)}, at(1))
					return err
				})
				return s.EachShopifyCustomerContact(ctx, s.Reader(), 0, func(store.ShopifyCustomerContact) { during() })
			}},
			{"EachNhanhCustomer", func(during func()) error {
				return s.EachNhanhCustomer(ctx, s.Reader(), func(store.NhanhCustomer) error { during(); return nil })
			}},
		}
		for i, w := range walks {
			wrote := false
			require.NoError(t, w.walk(func() {
				if wrote {
					return
				}
				wrote = true
				// Bounded: a walk that held the writer would block this write
				// until the deadline instead of hanging the test.
				writeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				require.NoError(t, s.SetSetting(writeCtx, s.DB(), "walk", w.name, at(i)), w.name)
			}), w.name)
			require.True(t, wrote, w.name)
			v, ok, err := s.Setting(ctx, s.Reader(), "walk")
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, w.name, v)
		}
	})
}
