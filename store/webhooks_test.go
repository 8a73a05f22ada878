package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/store"
	"syncops/store/storetest"
)

func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		insert := func(event, digest string, sec int) (int64, bool) {
			id, dup, err := s.InsertWebhookDelivery(ctx, s.DB(), store.WebhookDelivery{Source: "nhanh", Event: event,
				Digest: digest, Body: []byte(`{"event":"` + event + `"}`), ReceivedAt: at(sec)}, at(sec-60))
			require.NoError(t, err)
			return id, dup
		}
		a, dup := insert("inventoryChange", "d1", 1)
		require.False(t, dup)
		b, dup := insert("orderAdd", "d2", 2)
		require.False(t, dup)
		again, dup := insert("inventoryChange", "d1", 3)
		require.True(t, dup, "the same body again is a duplicate")
		require.Equal(t, a, again)
		_, _, err := s.InsertWebhookDelivery(ctx, s.DB(), store.WebhookDelivery{Source: "nhanh", Event: "x"}, at(0))
		require.Error(t, err, "a delivery needs a digest")

		pending, err := s.PendingWebhookDeliveries(ctx, s.Reader(), 0, 10)
		require.NoError(t, err)
		require.Len(t, pending, 2)
		require.Equal(t, []int64{a, b}, []int64{pending[0].ID, pending[1].ID}, "oldest first")
		require.Equal(t, 1, pending[0].Duplicates)
		require.Equal(t, at(1), pending[0].ReceivedAt)
		require.JSONEq(t, `{"event":"inventoryChange"}`, string(pending[0].Body))
		require.True(t, pending[0].Pending())
		n, err := s.CountPendingWebhookDeliveries(ctx, s.Reader())
		require.NoError(t, err)
		require.EqualValues(t, 2, n)

		require.NoError(t, s.FinishWebhookDeliveries(ctx, s.DB(), []int64{a}, "processed", "PRODUCT_SYNC job 7", 7, at(5)))
		// A second finish does not overwrite the first outcome.
		require.NoError(t, s.FinishWebhookDeliveries(ctx, s.DB(), []int64{a}, "failed", "late", 0, at(6)))
		require.NoError(t, s.FinishWebhookDeliveries(ctx, s.DB(), nil, "failed", "nothing", 0, at(6)))
		pending, err = s.PendingWebhookDeliveries(ctx, s.Reader(), 0, 10)
		require.NoError(t, err)
		require.Len(t, pending, 1)
		require.Equal(t, b, pending[0].ID)
		pending, err = s.PendingWebhookDeliveries(ctx, s.Reader(), b, 10)
		require.NoError(t, err)
		require.Empty(t, pending, "after the last id")

		list, err := s.WebhookDeliveries(ctx, s.Reader(), store.WebhookFilter{})
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, b, list[0].ID, "newest first")
		require.Equal(t, "processed", list[1].Outcome)
		require.Equal(t, "PRODUCT_SYNC job 7", list[1].Detail)
		require.EqualValues(t, 7, list[1].JobID)
		require.Equal(t, at(5), list[1].ProcessedAt)
		list, err = s.WebhookDeliveries(ctx, s.Reader(), store.WebhookFilter{Event: "orderAdd"})
		require.NoError(t, err)
		require.Len(t, list, 1)
		list, err = s.WebhookDeliveries(ctx, s.Reader(), store.WebhookFilter{BeforeID: b, Limit: 1})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, a, list[0].ID)

		// The same body long after the stored one is a new delivery: it
		// replaces the old row and is pending again.
		renewed, dup := insert("inventoryChange", "d1", 500)
		require.False(t, dup, "past the dedup window")
		require.NotEqual(t, a, renewed)
		list, err = s.WebhookDeliveries(ctx, s.Reader(), store.WebhookFilter{Event: "inventoryChange"})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.True(t, list[0].Pending())
		require.Zero(t, list[0].Duplicates)
		require.NoError(t, s.FinishWebhookDeliveries(ctx, s.DB(), []int64{renewed}, "processed", "", 0, at(501)))

		// Retention removes processed deliveries only.
		res, err := s.PruneHistory(ctx, store.PruneOptions{Before: at(1000)})
		require.NoError(t, err)
		require.EqualValues(t, 1, res.WebhookDeliveries)
		list, err = s.WebhookDeliveries(ctx, s.Reader(), store.WebhookFilter{})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, b, list[0].ID)
	})
}

func TestMappedOf(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		require.NoError(t, s.CreateProductMappings(ctx, s.DB(), []store.ProductMapping{
			{NhanhID: 1, ShopifyID: "gid://shopify/ProductVariant/11"},
			{NhanhID: 2},
			{NhanhID: 3, ShopifyID: "gid://shopify/ProductVariant/13"},
		}, at(1)))
		got, err := s.MappedProductsOf(ctx, s.Reader(), []extid.NhanhProductID{1, 2, 4})
		require.NoError(t, err)
		require.Len(t, got, 1, "unmapped and unknown products have no mapping to sync")
		require.Contains(t, got, extid.NhanhProductID(1))
		none, err := s.MappedProductsOf(ctx, s.Reader(), nil)
		require.NoError(t, err)
		require.Empty(t, none)

		require.NoError(t, s.CreateCustomerMappings(ctx, s.DB(), []store.CustomerMapping{
			{NhanhID: 5, ShopifyID: "gid://shopify/Customer/15"},
			{NhanhID: 6},
		}, at(1)))
		cs, err := s.MappedCustomersOf(ctx, s.Reader(), []extid.NhanhCustomerID{5, 6, 7})
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.Contains(t, cs, extid.NhanhCustomerID(5))
	})
}

func TestMarkNhanhProductsDeletedByID(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		_, err := s.UpsertNhanhProducts(ctx, s.DB(), []store.NhanhProduct{{ID: 1, Name: "a"}, {ID: 2, Name: "b"}}, at(1))
		require.NoError(t, err)
		n, err := s.MarkNhanhProductsDeletedByID(ctx, s.DB(), []extid.NhanhProductID{1, 9}, at(2))
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		n, err = s.MarkNhanhProductsDeletedByID(ctx, s.DB(), []extid.NhanhProductID{1}, at(3))
		require.NoError(t, err)
		require.Zero(t, n, "already deleted")
		p, err := s.NhanhProduct(ctx, s.Reader(), 1)
		require.NoError(t, err)
		require.Equal(t, at(2), p.DeletedAt)
		p, err = s.NhanhProduct(ctx, s.Reader(), 2)
		require.NoError(t, err)
		require.True(t, p.DeletedAt.IsZero())
	})
}

func TestClaimWebhookDeliveries(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		var ids []int64
		for i := range 5 {
			id, _, err := s.InsertWebhookDelivery(ctx, s.DB(), store.WebhookDelivery{Source: "nhanh", Event: "orderAdd",
				Digest: string(rune('a' + i)), Body: []byte(`{}`), ReceivedAt: at(i)}, at(0))
			require.NoError(t, err)
			ids = append(ids, id)
		}
		idsOf := func(ds []store.WebhookDelivery) []int64 {
			var out []int64
			for _, d := range ds {
				out = append(out, d.ID)
			}
			return out
		}
		first, err := s.ClaimWebhookDeliveries(ctx, s.DB(), at(10), at(70), 3)
		require.NoError(t, err)
		require.Equal(t, ids[:3], idsOf(first), "oldest first")
		second, err := s.ClaimWebhookDeliveries(ctx, s.DB(), at(11), at(71), 10)
		require.NoError(t, err)
		require.Equal(t, ids[3:], idsOf(second), "another drain gets only what is not claimed")
		none, err := s.ClaimWebhookDeliveries(ctx, s.DB(), at(12), at(72), 10)
		require.NoError(t, err)
		require.Empty(t, none)

		require.NoError(t, s.FinishWebhookDeliveries(ctx, s.DB(), ids[:2], "processed", "", 0, at(13)))
		require.NoError(t, s.ReleaseWebhookDeliveries(ctx, s.DB(), ids[2:3]))
		again, err := s.ClaimWebhookDeliveries(ctx, s.DB(), at(14), at(74), 10)
		require.NoError(t, err)
		require.Equal(t, ids[2:3], idsOf(again), "a released delivery can be claimed again")
		expired, err := s.ClaimWebhookDeliveries(ctx, s.DB(), at(72), at(130), 10)
		require.NoError(t, err)
		require.Equal(t, ids[3:], idsOf(expired), "a claim that ran out frees its deliveries")
	})
}
