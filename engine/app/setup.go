package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/store"
)

// First-time setup (the CLI's init) and the demo's preparation: the steps
// that talk to the APIs or the database before an App exists, so the faces
// hold neither a client nor a store.

// Defaults the setup prompts show.
const (
	DefaultNhanhBaseURL      = nhanh.DefaultBaseURL
	DefaultNhanhOAuthURL     = nhanh.DefaultOAuthURL
	DefaultShopifyAPIVersion = shopify.DefaultAPIVersion
)

// ErrInvalidSetup wraps a refusal of setup input before any request is
// sent (a malformed shop domain, a missing id).
var ErrInvalidSetup = errors.New("invalid setup input")

// NhanhAuthorizationURL is the page where the business owner grants the
// app access; Nhanh then redirects to the return link with an accessCode.
func NhanhAuthorizationURL(n NhanhConfig) string {
	return nhanh.AuthorizationURL(n.OAuthURL, n.AppID, n.ReturnLink)
}

// NhanhGrant is what connecting to Nhanh obtained and checked.
type NhanhGrant struct {
	BusinessID string
	ExpiresAt  time.Time
	// Depots is how many depots the new token lists.
	Depots int
	// Coverage is "all depots" or the granted depots' ids.
	Coverage string
}

// ConnectNhanh exchanges an access code for a token with the app's secret
// key, checks the token by listing depots, and writes the token, the
// business and the expiry into n.
func ConnectNhanh(ctx context.Context, n *NhanhConfig, secretKey, accessCode string) (NhanhGrant, error) {
	grant, err := nhanh.ExchangeAccessCode(ctx, nhanh.ExchangeConfig{BaseURL: n.BaseURL, AppID: n.AppID, SecretKey: secretKey}, accessCode)
	if err != nil {
		return NhanhGrant{}, fmt.Errorf("exchange the access code: %w", err)
	}
	n.AccessToken, n.BusinessID = Secret(grant.AccessToken), grant.BusinessID
	n.TokenExpiresAt = grant.ExpiresAt.UTC().Format(time.RFC3339)
	nc, err := nhanh.New(nhanh.Config{BaseURL: n.BaseURL, AppID: n.AppID, BusinessID: n.BusinessID, AccessToken: grant.AccessToken})
	if err != nil {
		return NhanhGrant{}, err
	}
	depots, err := nc.Depots(ctx)
	if err != nil {
		return NhanhGrant{}, fmt.Errorf("check the Nhanh token: %w", err)
	}
	coverage := "all depots"
	if !grant.AllDepots() {
		coverage = fmt.Sprintf("depots %v", grant.Depots)
	}
	return NhanhGrant{BusinessID: grant.BusinessID, ExpiresAt: grant.ExpiresAt, Depots: len(depots), Coverage: coverage}, nil
}

// ShopInfo is the shop that answered a token check.
type ShopInfo struct {
	Name   string
	Domain string
}

// CheckShopify reads the shop with s's token. Input Shopify's client
// refuses before sending anything wraps ErrInvalidSetup.
func CheckShopify(ctx context.Context, s ShopifyConfig) (ShopInfo, error) {
	sc, err := shopify.New(shopify.Config{Shop: s.Shop, BaseURL: s.BaseURL, APIVersion: s.APIVersion, AccessToken: s.AccessToken.Reveal()})
	if err != nil {
		return ShopInfo{}, fmt.Errorf("%w: %w", ErrInvalidSetup, err)
	}
	shop, err := sc.Shop(ctx)
	if err != nil {
		return ShopInfo{}, fmt.Errorf("check the Shopify token: %w", err)
	}
	return ShopInfo{Name: shop.Name, Domain: shop.Domain}, nil
}

// PrepareDatabase opens cfg's database, brings its schema up to date, and
// closes it.
func PrepareDatabase(ctx context.Context, cfg Config) error {
	s, err := store.Open(ctx, cfg.DB, cfg.DataDir)
	if err != nil {
		return err
	}
	if err := s.Migrate(ctx, nil); err != nil {
		_ = s.Close()
		return err
	}
	return s.Close()
}

// DisplayDSN is a database name safe to show: a PostgreSQL URL without its
// password, or a SQLite path as it is.
func DisplayDSN(dsn string) string { return store.DisplayDSN(dsn) }
