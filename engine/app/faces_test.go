package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/app"
	"syncops/engine/enginetest"
)

// TestFacesReadTheAppThroughItsMethods: the database's name, its health and
// the APIs' live budgets reach a face through the app, once the clients
// have talked to the APIs.
func TestFacesReadTheAppThroughItsMethods(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := app.Config{DataDir: dir, Timezone: app.DefaultTimezone, Retention: app.DefaultRetention}
	enginetest.StartShop(t, enginetest.ShopOptions{Seed: 4, Customers: 10, Products: 5}).Configure(&cfg)
	a, err := app.Build(t.Context(), cfg, app.Options{NoWorkers: true})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Close(ctx)
	})

	require.True(t, strings.HasPrefix(a.DatabaseName(), "sqlite "), a.DatabaseName())
	require.Contains(t, a.DatabaseName(), dir)
	require.NoError(t, a.Ping(t.Context()))
	require.Empty(t, a.Budgets(), "no API answered yet, so no budget is known")

	_, err = a.Locations.List(t.Context()) // one call to each API
	require.NoError(t, err)
	byAPI := map[string]engine.APIBudget{}
	for _, b := range a.Budgets() {
		byAPI[b.API] = b
	}
	require.Len(t, byAPI, 2)
	require.Equal(t, engine.BudgetPoints, byAPI["Shopify"].Unit)
	require.Positive(t, byAPI["Shopify"].Capacity)
	require.Equal(t, engine.BudgetRequests, byAPI["Nhanh"].Unit)
	require.Positive(t, byAPI["Nhanh"].Capacity)
	require.Less(t, byAPI["Nhanh"].Available, byAPI["Nhanh"].Capacity, "the call took a slot")

	src := a.MetricsSources()
	require.NotNil(t, src.Nhanh)
	require.NotNil(t, src.Shopify)
}

// TestCheckShopifyTellsInputFromAnswers: input the client refuses before
// sending anything is ErrInvalidSetup (the CLI refuses it); a shop that
// answers is read; a wrong token is an answer, not invalid input.
func TestCheckShopifyTellsInputFromAnswers(t *testing.T) {
	t.Parallel()
	var good app.Config
	enginetest.StartShop(t, enginetest.ShopOptions{Seed: 5, Customers: 5, Products: 5}).Configure(&good)
	tests := []struct {
		name    string
		adjust  func(*app.ShopifyConfig)
		invalid bool
		ok      bool
	}{
		{name: "answers", adjust: func(*app.ShopifyConfig) {}, ok: true},
		{name: "not a shop domain", adjust: func(s *app.ShopifyConfig) { s.Shop = "my shop" }, invalid: true},
		{name: "no token", adjust: func(s *app.ShopifyConfig) { s.AccessToken = "" }, invalid: true},
		{name: "wrong token", adjust: func(s *app.ShopifyConfig) { s.AccessToken = "shpat_wrong" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := good.Shopify
			tt.adjust(&s)
			shop, err := app.CheckShopify(t.Context(), s)
			require.Equal(t, tt.invalid, errors.Is(err, app.ErrInvalidSetup), "%v", err)
			if !tt.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.NotEmpty(t, shop.Name)
			require.Equal(t, good.Shopify.Shop, shop.Domain)
		})
	}
}

// TestSetupNeeded: the console's setup screen names the empty settings of
// each API not configured, and nothing once both are; never a value.
func TestSetupNeeded(t *testing.T) {
	t.Parallel()
	shop := enginetest.StartShop(t, enginetest.ShopOptions{Seed: 4, Customers: 1, Products: 1})
	tests := []struct {
		name string
		edit func(cfg *app.Config)
		want []string
	}{
		{name: "nothing configured", edit: func(cfg *app.Config) { cfg.Nhanh, cfg.Shopify = app.NhanhConfig{}, app.ShopifyConfig{} },
			want: []string{"Nhanh: SYNCOPS_NHANH_APP_ID, SYNCOPS_NHANH_BUSINESS_ID, SYNCOPS_NHANH_ACCESS_TOKEN not set",
				"Shopify: SYNCOPS_SHOPIFY_SHOP, SYNCOPS_SHOPIFY_ACCESS_TOKEN not set"}},
		{name: "Shopify token missing", edit: func(cfg *app.Config) { cfg.Shopify.AccessToken = "" },
			want: []string{"Shopify: SYNCOPS_SHOPIFY_ACCESS_TOKEN not set"}},
		{name: "both configured", edit: func(*app.Config) {}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := app.Config{DataDir: t.TempDir(), Timezone: app.DefaultTimezone, Retention: app.DefaultRetention}
			shop.Configure(&cfg)
			tt.edit(&cfg)
			a, err := app.Build(t.Context(), cfg, app.Options{NoWorkers: true})
			require.NoError(t, err)
			t.Cleanup(func() { _ = a.Close(context.Background()) })
			require.Equal(t, tt.want, a.SetupNeeded())
		})
	}
}
