package locations_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/locations"
	"syncops/store"
	"syncops/store/storetest"
)

func setup(t *testing.T) (*locations.Service, *store.Store) {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Customers: 5, Products: 5, Seed: 3, Scale: 50})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	ep := sb.Endpoints()
	nc, err := nhanh.New(nhanh.Config{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, BusinessID: ep.NhanhBusinessID, AccessToken: ep.NhanhToken})
	require.NoError(t, err)
	sc, err := shopify.New(shopify.Config{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL, APIVersion: ep.ShopifyAPIVersion, AccessToken: ep.ShopifyToken})
	require.NoError(t, err)
	s := storetest.Open(t, store.SQLite)
	return locations.New(s, nc, sc, nil), s
}

func TestSetListRemove(t *testing.T) {
	t.Parallel()
	svc, s := setup(t)
	ctx := context.Background()
	actor := engine.Actor{Name: "ops", Kind: engine.ActorCLI}
	v, err := svc.List(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(v.Depots), 2)
	require.NotEmpty(t, v.Locations)
	require.Empty(t, v.Mappings)

	loc := v.Locations[0].ID
	require.NoError(t, svc.Set(ctx, v.Depots[0].ID, loc, actor))
	require.NoError(t, svc.Set(ctx, v.Depots[1].ID, loc, actor))
	v, err = svc.List(ctx)
	require.NoError(t, err)
	require.Len(t, v.Mappings, 2)
	require.Equal(t, loc, v.Mappings[0].LocationID)
	require.NotEmpty(t, v.Mappings[0].DepotName)

	require.NoError(t, svc.Remove(ctx, v.Depots[1].ID, actor))
	err = svc.Remove(ctx, v.Depots[1].ID, actor)
	require.ErrorIs(t, err, engine.ErrNotFound)
	require.ErrorIs(t, err, store.ErrNotFound)

	audit, err := s.AuditLog(ctx, s.Reader(), store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, audit, 3)
	require.Equal(t, "location.remove", audit[0].Action)
}

func TestSetRefusesWhatEitherSideLacks(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	v, err := svc.List(ctx)
	require.NoError(t, err)
	tests := []struct {
		name    string
		depot   extid.NhanhDepotID
		loc     extid.ShopifyLocationGID
		wantErr string
	}{
		{"unknown depot", 999999, v.Locations[0].ID, "Nhanh has no such depot"},
		{"unknown location", v.Depots[0].ID, "gid://shopify/Location/424242", "Shopify has no location"},
		{"not a location gid", v.Depots[0].ID, "gid://shopify/Customer/1", "is a Customer, want a Location"},
		{"not a gid", v.Depots[0].ID, "12", "not a Shopify global id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := svc.Set(ctx, tt.depot, tt.loc, engine.Actor{})
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
	v2, err := svc.List(ctx)
	require.NoError(t, err)
	require.Empty(t, v2.Mappings, "a refused change saves nothing")
}

// TestChangeAndAuditCommitTogether refuses the audit entry (a trigger on the
// audit log) and requires that the change it records is not made either.
func TestChangeAndAuditCommitTogether(t *testing.T) {
	t.Parallel()
	svc, s := setup(t)
	ctx := context.Background()
	actor := engine.Actor{Name: "ops", Kind: engine.ActorCLI}
	v, err := svc.List(ctx)
	require.NoError(t, err)
	depot, loc := v.Depots[0].ID, v.Locations[0].ID
	require.NoError(t, svc.Set(ctx, depot, loc, actor))

	_, err = s.DB().ExecContext(ctx, `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
		BEGIN SELECT RAISE(ABORT, 'audit log full'); END`)
	require.NoError(t, err)
	tests := []struct {
		name   string
		change func() error
	}{
		{"set", func() error { return svc.Set(ctx, v.Depots[1].ID, loc, actor) }},
		{"remove", func() error { return svc.Remove(ctx, depot, actor) }},
	}
	for _, tt := range tests {
		require.ErrorContains(t, tt.change(), "audit log full", tt.name)
	}
	mappings, err := s.LocationMappings(ctx, s.Reader())
	require.NoError(t, err)
	require.Len(t, mappings, 1, "neither change was made")
	require.Equal(t, depot, mappings[0].DepotID)
}
