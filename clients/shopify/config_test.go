package shopify

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	const secret = "shpat_secret value"
	good := Config{Shop: "lan-shop.myshopify.com", AccessToken: "shpat_abc"}
	cases := []struct {
		name   string
		modify func(*Config)
		want   string // "" for valid
	}{
		{"valid", func(*Config) {}, ""},
		{"valid with sandbox base URL and version", func(c *Config) { c.BaseURL = "http://127.0.0.1:8080"; c.APIVersion = "2026-04" }, ""},
		{"no shop", func(c *Config) { c.Shop = "" }, EnvShop},
		{"shop not myshopify", func(c *Config) { c.Shop = "lan-shop.com" }, EnvShop},
		{"no token", func(c *Config) { c.AccessToken = " " }, EnvAccessToken},
		{"token with whitespace", func(c *Config) { c.AccessToken = secret }, EnvAccessToken},
		{"version malformed", func(c *Config) { c.APIVersion = "2026-05" }, EnvAPIVersion},
		{"version too old", func(c *Config) { c.APIVersion = "2025-10" }, MinAPIVersion},
		{"base URL not http", func(c *Config) { c.BaseURL = "ftp://x" }, EnvBaseURL},
		{"negative attempts", func(c *Config) { c.MaxAttempts = -1 }, "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := good
			tc.modify(&cfg)
			err := cfg.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				_, err := New(cfg)
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), secret)
			_, err = New(cfg)
			require.Error(t, err)
		})
	}
}

func TestConfigDefaultsAndEndpoint(t *testing.T) {
	t.Parallel()
	cfg := Config{Shop: "lan-shop.myshopify.com", AccessToken: "x"}.withDefaults()
	require.Equal(t, "https://lan-shop.myshopify.com/admin/api/"+DefaultAPIVersion+"/graphql.json", cfg.endpoint())
	require.Equal(t, DefaultMaxAttempts, cfg.MaxAttempts)
	require.NotNil(t, cfg.Clock)
	require.NotNil(t, cfg.Logger)
	sandbox := Config{Shop: "s.myshopify.com", BaseURL: "http://127.0.0.1:9/", APIVersion: "2026-07"}.withDefaults()
	require.Equal(t, "http://127.0.0.1:9/admin/api/2026-07/graphql.json", sandbox.endpoint())
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	from := int64(4)
	input := inventorySetInput{Name: "available", Reason: "correction", Quantities: []inventoryQuantityVar{
		{InventoryItemID: "gid://shopify/InventoryItem/1", LocationID: "gid://shopify/Location/1", Quantity: 5, ChangeFromQuantity: &from},
	}}
	key, err := idempotencyKey("job-1", input)
	require.NoError(t, err)
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, key)

	same, err := idempotencyKey("job-1", input)
	require.NoError(t, err)
	require.Equal(t, key, same, "the same call always gets the same key")

	otherJob, err := idempotencyKey("job-2", input)
	require.NoError(t, err)
	require.NotEqual(t, key, otherJob)

	changed := input
	changed.Quantities = []inventoryQuantityVar{input.Quantities[0]}
	changed.Quantities[0].Quantity = 6
	otherContent, err := idempotencyKey("job-1", changed)
	require.NoError(t, err)
	require.NotEqual(t, key, otherContent)

	noCheck := input
	noCheck.Quantities = []inventoryQuantityVar{input.Quantities[0]}
	noCheck.Quantities[0].ChangeFromQuantity = nil
	nullFrom, err := idempotencyKey("job-1", noCheck)
	require.NoError(t, err)
	require.NotEqual(t, key, nullFrom, "a check and no check are different requests")
	require.False(t, strings.Contains(key, "job"))
}
