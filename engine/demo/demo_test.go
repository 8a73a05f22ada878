package demo_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine/app"
	"syncops/engine/demo"
)

func TestOptionsRefuseBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts demo.Options
		ok   bool
	}{
		{name: "defaults", opts: demo.Options{Seed: 1, Customers: 10, Products: 5, Scale: 1}, ok: true},
		{name: "faults", opts: demo.Options{Seed: 1, Customers: 10, Products: 5, Faults: "seed=1,5xx=0.05"}, ok: true},
		{name: "unknown fault", opts: demo.Options{Seed: 1, Customers: 10, Products: 5, Faults: "gremlins=1"}},
		{name: "negative scale", opts: demo.Options{Seed: 1, Customers: 10, Products: 5, Scale: -1}},
		{name: "negative customers", opts: demo.Options{Seed: 1, Customers: -1, Products: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.opts.Validate()
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, demo.ErrInvalidOptions)
		})
	}
}

// TestConfigurePointsTheAppAtTheFakes: the configuration the demo builds
// names the fakes' hosts and carries their credentials.
func TestConfigurePointsTheAppAtTheFakes(t *testing.T) {
	t.Parallel()
	sb, err := demo.Start(t.Context(), demo.Options{Seed: 2, Customers: 20, Products: 5, Scale: 10})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	var cfg app.Config
	sb.Configure(&cfg)
	ep := sb.Endpoints()
	require.Equal(t, ep.NhanhURL, cfg.Nhanh.BaseURL)
	require.Equal(t, ep.ShopifyURL, cfg.Shopify.BaseURL)
	require.Equal(t, ep.Shop, cfg.Shopify.Shop)
	require.NotEmpty(t, cfg.Nhanh.AccessToken.Reveal())
	require.NotEmpty(t, cfg.Shopify.AccessToken.Reveal())
	require.Positive(t, cfg.Nhanh.RateWindow)
	u, err := url.Parse(ep.NhanhURL)
	require.NoError(t, err)
	require.Contains(t, []string{"127.0.0.1", "localhost"}, u.Hostname())
}
