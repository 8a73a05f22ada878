package sandbox_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox"
	"syncops/clients/serverclock"
	"syncops/clients/shopify"
)

// setupWorld is a sandbox on a fake clock with clients recording Date.
type setupWorld struct {
	sb             *sandbox.Sandbox
	clock          *clockwork.FakeClock
	nhanhDate      *serverclock.Recorder
	shopifyDate    *serverclock.Recorder
	shop           *shopify.Client
	exchangeConfig nhanh.ExchangeConfig
}

func newSetupWorld(t *testing.T) *setupWorld {
	t.Helper()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	sb, err := sandbox.Start(t.Context(), sandbox.Options{Customers: 3, Products: 3, Clock: clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	ep := sb.Endpoints()
	w := &setupWorld{sb: sb, clock: clock, nhanhDate: serverclock.New(nil, clock), shopifyDate: serverclock.New(nil, clock)}
	w.shop, err = shopify.New(shopify.Config{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL, APIVersion: ep.ShopifyAPIVersion,
		AccessToken: ep.ShopifyToken, Clock: clock, HTTPClient: w.shopifyDate.Client()})
	require.NoError(t, err)
	w.exchangeConfig = nhanh.ExchangeConfig{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, SecretKey: ep.NhanhSecretKey}
	return w
}

func (w *setupWorld) nhanhClient(t *testing.T, token string) *nhanh.Client {
	t.Helper()
	ep := w.sb.Endpoints()
	c, err := nhanh.New(nhanh.Config{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, BusinessID: ep.NhanhBusinessID,
		AccessToken: token, Clock: w.clock, HTTPClient: w.nhanhDate.Client(), MaxAttempts: 1})
	require.NoError(t, err)
	return c
}

func TestAccessCodeExchange(t *testing.T) {
	t.Parallel()
	w := newSetupWorld(t)
	ep := w.sb.Endpoints()
	code := w.sb.Nhanh().IssueAccessCode()
	g, err := nhanh.ExchangeAccessCode(t.Context(), w.exchangeConfig, code)
	require.NoError(t, err)
	require.Equal(t, ep.NhanhBusinessID, g.BusinessID)
	require.Equal(t, w.clock.Now().Add(365*24*time.Hour).Unix(), g.ExpiresAt.Unix())
	require.True(t, g.AllDepots())
	require.NotContains(t, g.String(), g.AccessToken)

	// Single use.
	_, err = nhanh.ExchangeAccessCode(t.Context(), w.exchangeConfig, code)
	require.Equal(t, apierr.ClassValidation, apierr.ClassOf(err))
	// Ten minutes.
	late := w.sb.Nhanh().IssueAccessCode()
	w.clock.Advance(11 * time.Minute)
	_, err = nhanh.ExchangeAccessCode(t.Context(), w.exchangeConfig, late)
	require.Equal(t, apierr.ClassValidation, apierr.ClassOf(err))
	// A wrong secret.
	bad := w.exchangeConfig
	bad.SecretKey = "wrong"
	_, err = nhanh.ExchangeAccessCode(t.Context(), bad, w.sb.Nhanh().IssueAccessCode())
	require.Error(t, err)
	require.NotContains(t, err.Error(), ep.NhanhSecretKey)

	// The new token works and reports its grant; the old one lasts 15 more minutes.
	fresh := w.nhanhClient(t, g.AccessToken)
	check, err := fresh.CheckAccessToken(t.Context(), ep.NhanhSecretKey)
	require.NoError(t, err)
	require.Equal(t, g.ExpiresAt, check.ExpiresAt)
	require.Empty(t, check.AccessToken)
	old := w.nhanhClient(t, ep.NhanhToken)
	_, err = old.Depots(t.Context())
	require.NoError(t, err)
	w.clock.Advance(16 * time.Minute)
	_, err = old.Depots(t.Context())
	require.Equal(t, apierr.ClassAuth, apierr.ClassOf(err))

	w.sb.Nhanh().GrantDepots(7)
	check, err = fresh.CheckAccessToken(t.Context(), ep.NhanhSecretKey)
	require.NoError(t, err)
	require.False(t, check.AllDepots())
	require.False(t, check.Covers(8))

	w.sb.Nhanh().SetTokenExpiry(w.clock.Now())
	_, err = fresh.CheckAccessToken(t.Context(), ep.NhanhSecretKey)
	var ae *apierr.Error
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "ERR_INVALID_ACCESS_TOKEN", ae.Code)
}

func TestOAuthPageRedirectsWithACode(t *testing.T) {
	t.Parallel()
	w := newSetupWorld(t)
	ep := w.sb.Endpoints()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(nhanh.AuthorizationURL(ep.NhanhOAuthURL, ep.NhanhAppID, "https://example.com/back"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := resp.Location()
	require.NoError(t, err)
	require.Equal(t, "example.com", loc.Host)
	_, err = nhanh.ExchangeAccessCode(t.Context(), w.exchangeConfig, loc.Query().Get("accessCode"))
	require.NoError(t, err)
}

func TestShopifySetupReadsAndMisconfiguration(t *testing.T) {
	t.Parallel()
	w := newSetupWorld(t)
	ctx := t.Context()
	shop, err := w.shop.Shop(ctx)
	require.NoError(t, err)
	require.Equal(t, w.sb.Endpoints().ShopifyShop, shop.Domain)

	scopes, err := w.shop.AccessScopes(ctx)
	require.NoError(t, err)
	require.Contains(t, scopes, "write_inventory")
	w.sb.Shopify().RemoveAccessScope("write_inventory")
	scopes, err = w.shop.AccessScopes(ctx)
	require.NoError(t, err)
	require.NotContains(t, scopes, "write_inventory")

	def, ok, err := w.shop.FindMetafieldDefinition(ctx, "CUSTOMER", "custom", "total_spent")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "number_integer", def.Type)
	_, err = w.shop.CreateMetafieldDefinition(ctx, def)
	require.Equal(t, apierr.ClassValidation, apierr.ClassOf(err), "a second definition with the key is TAKEN")
	w.sb.Shopify().DeleteMetafieldDefinition("CUSTOMER", "custom", "total_spent")
	_, ok, err = w.shop.FindMetafieldDefinition(ctx, "CUSTOMER", "custom", "total_spent")
	require.NoError(t, err)
	require.False(t, ok)
	created, err := w.shop.CreateMetafieldDefinition(ctx, shopify.MetafieldDefinition{OwnerType: "CUSTOMER", Namespace: "custom",
		Key: "total_spent", Type: "number_integer"})
	require.NoError(t, err)
	require.NotEmpty(t, created.ID)

	locs, err := w.shop.AllLocations(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, locs)
	w.sb.Shopify().SetLocationActive(locs[0].ID, false)
	all, err := w.shop.AllLocations(ctx)
	require.NoError(t, err)
	require.Len(t, all, len(locs), "inactive locations are listed with includeInactive")
	require.False(t, all[0].Active)
	active, err := w.shop.Locations(ctx)
	require.NoError(t, err)
	require.Len(t, active, len(locs)-1, "and left out without it")
}

func TestDateHeaderSkew(t *testing.T) {
	t.Parallel()
	w := newSetupWorld(t)
	n := w.nhanhClient(t, w.sb.Endpoints().NhanhToken)
	_, err := n.Depots(t.Context())
	require.NoError(t, err)
	skew, ok := w.nhanhDate.Skew()
	require.True(t, ok)
	require.Less(t, skew.Abs(), 2*time.Second)

	w.sb.SetClockSkew(-7 * time.Minute)
	_, err = w.shop.Shop(t.Context())
	require.NoError(t, err)
	skew, ok = w.shopifyDate.Skew()
	require.True(t, ok)
	require.InDelta(t, float64(-7*time.Minute), float64(skew), float64(2*time.Second))
}
