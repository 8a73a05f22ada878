package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/store"
	"syncops/store/storetest"
)

func TestLocationMappings(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		const hn, hcm = extid.ShopifyLocationGID("gid://shopify/Location/1"), extid.ShopifyLocationGID("gid://shopify/Location/2")
		require.NoError(t, s.SetLocationMapping(ctx, s.DB(), store.LocationMapping{DepotID: 20, DepotName: "Kho HCM", LocationID: hcm, LocationName: "HCM"}, at(1)))
		require.NoError(t, s.SetLocationMapping(ctx, s.DB(), store.LocationMapping{DepotID: 10, DepotName: "Kho HN", LocationID: hn, LocationName: "Hà Nội"}, at(2)))
		require.NoError(t, s.SetLocationMapping(ctx, s.DB(), store.LocationMapping{DepotID: 11, DepotName: "Shop Cầu Giấy", LocationID: hn, LocationName: "Hà Nội"}, at(3)))
		// Depot 20 moves to Hà Nội: replaced in place, first-mapped time kept.
		require.NoError(t, s.SetLocationMapping(ctx, s.DB(), store.LocationMapping{DepotID: 20, DepotName: "Kho HCM (cũ)", LocationID: hn, LocationName: "Hà Nội"}, at(4)))

		got, err := s.LocationMappings(ctx, s.Reader())
		require.NoError(t, err)
		require.Equal(t, []store.LocationMapping{
			{DepotID: 10, DepotName: "Kho HN", LocationID: hn, LocationName: "Hà Nội", CreatedAt: at(2)},
			{DepotID: 11, DepotName: "Shop Cầu Giấy", LocationID: hn, LocationName: "Hà Nội", CreatedAt: at(3)},
			{DepotID: 20, DepotName: "Kho HCM (cũ)", LocationID: hn, LocationName: "Hà Nội", CreatedAt: at(1)},
		}, got)

		require.NoError(t, s.DeleteLocationMapping(ctx, s.DB(), 11))
		require.ErrorIs(t, s.DeleteLocationMapping(ctx, s.DB(), 11), store.ErrNotFound)
		got, err = s.LocationMappings(ctx, s.Reader())
		require.NoError(t, err)
		require.Len(t, got, 2)

		require.Error(t, s.SetLocationMapping(ctx, s.DB(), store.LocationMapping{DepotID: 0, LocationID: hn}, at(5)))
		require.Error(t, s.SetLocationMapping(ctx, s.DB(), store.LocationMapping{DepotID: 30}, at(5)))
	})
}
