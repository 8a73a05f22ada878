package enginetest

import (
	"cmp"
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/app"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
)

// ShopOptions size the generated shop of a sandbox.
type ShopOptions struct {
	Seed      uint64
	Customers int
	Products  int
	// Scale speeds up the fakes' rate limits (jobstest.DefaultScale when 0).
	Scale float64
	// ExampleStore adds the depot (1001, "Kho mẫu") and the location
	// (gid://shopify/Location/5001, "Cửa hàng mẫu") the help texts name.
	ExampleStore bool
}

// Shop is a running sandbox of both APIs; its methods change the fakes
// (revoke tokens, skew the clock, ...) and read what was written.
type Shop struct {
	*sandbox.Sandbox
	scale float64
	opts  ShopOptions
}

// StartShop generates a shop and starts the fakes, closed when the test
// ends.
func StartShop(t testing.TB, o ShopOptions) *Shop {
	t.Helper()
	so := sandbox.Options{Seed: o.Seed, Customers: o.Customers, Products: o.Products, Scale: cmp.Or(o.Scale, jobstest.DefaultScale)}
	if o.ExampleStore {
		ds := dataset.Generate(dataset.GenerateConfig{Seed: o.Seed, Customers: o.Customers, Products: o.Products})
		ds.NhanhDepots = append(ds.NhanhDepots, dataset.NhanhDepot{ID: 1001, Name: "Kho mẫu"})
		ds.ShopifyLocations = append(ds.ShopifyLocations, dataset.ShopifyLocation{
			ID: extid.ShopifyLocationGID(extid.FormatGID(extid.ResourceLocation, 5001)), Name: "Cửa hàng mẫu"})
		so.Dataset = ds
	}
	return &Shop{Sandbox: jobstest.StartSandbox(t, so), scale: so.Scale, opts: o}
}

// Configure points cfg's APIs at the fakes, with their tokens.
func (s *Shop) Configure(cfg *app.Config) {
	ep := s.Endpoints()
	cfg.Nhanh = app.NhanhConfig{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, BusinessID: ep.NhanhBusinessID,
		AccessToken: app.Secret(ep.NhanhToken)}
	cfg.Shopify = app.ShopifyConfig{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL, APIVersion: ep.ShopifyAPIVersion,
		AccessToken: app.Secret(ep.ShopifyToken)}
}

// Env is the environment that points the command line at the fakes, with
// dataDir as its data directory.
func (s *Shop) Env(dataDir string) map[string]string {
	ep := s.Endpoints()
	return map[string]string{
		"SYNCOPS_DATA_DIR":             dataDir,
		"SYNCOPS_NHANH_BASE_URL":       ep.NhanhBaseURL,
		"SYNCOPS_NHANH_APP_ID":         ep.NhanhAppID,
		"SYNCOPS_NHANH_BUSINESS_ID":    ep.NhanhBusinessID,
		"SYNCOPS_NHANH_ACCESS_TOKEN":   ep.NhanhToken,
		"SYNCOPS_SHOPIFY_SHOP":         ep.ShopifyShop,
		"SYNCOPS_SHOPIFY_BASE_URL":     ep.ShopifyBaseURL,
		"SYNCOPS_SHOPIFY_API_VERSION":  ep.ShopifyAPIVersion,
		"SYNCOPS_SHOPIFY_ACCESS_TOKEN": ep.ShopifyToken,
	}
}

// CustomerMetafield is the value the Shopify fake holds in a customer's
// metafield ("namespace.key"), and whether it holds one.
func (s *Shop) CustomerMetafield(customerGID, namespaceKey string) (string, bool) {
	v, ok := s.Shopify().Metafield(extid.ShopifyCustomerGID(customerGID), namespaceKey)
	return v.Value, ok
}

// World is an engine running the real job kinds against a shop, on a fresh
// SQLite database.
type World struct {
	Shop   *Shop
	DB     *DB
	Engine *engine.Engine
	shop   *shopify.Client
}

// StartWorld starts the engine's workers over the real job kinds with
// clients paced for the shop's scale and the real clock; the engine flushes
// progress every flush. It is stopped when the test ends.
func StartWorld(t testing.TB, shop *Shop, flush time.Duration) *World {
	t.Helper()
	nc, sc := jobstest.Clients(t, shop.Sandbox, shop.scale, nil)
	db := SQLite(t)
	clock := clockwork.NewRealClock()
	kinds, err := jobs.Kinds(jobs.Deps{Store: db.s, Nhanh: nc, Shopify: sc, Clock: clock})
	require.NoError(t, err)
	e, err := engine.New(engine.Config{Store: db.s, Kinds: kinds, Clock: clock, FlushInterval: flush})
	require.NoError(t, err)
	require.NoError(t, e.StartWorkers(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return &World{Shop: shop, DB: db, Engine: e, shop: sc}
}

// CustomerMapping is a hand-made mapping of a pulled Nhanh customer.
type CustomerMapping struct {
	NhanhID   int64
	ShopifyID string
}

// MapPulledCustomers maps the first pulled Nhanh customers by hand, one
// per Shopify GID given; an empty GID takes the first customer of the
// Shopify fake. The mappings are PENDING, as a sync expects them.
func (w *World) MapPulledCustomers(t testing.TB, shopifyIDs ...string) []CustomerMapping {
	t.Helper()
	ctx := context.Background()
	pulled, err := w.DB.s.ListNhanhCustomers(ctx, w.DB.s.Reader(), store.ListOpts[extid.NhanhCustomerID]{Limit: len(shopifyIDs)})
	require.NoError(t, err)
	require.Len(t, pulled, len(shopifyIDs), "too few customers pulled")
	out := make([]CustomerMapping, len(pulled))
	for i, c := range pulled {
		gid := extid.ShopifyCustomerGID(shopifyIDs[i])
		if gid == "" {
			page, err := w.shop.ListCustomers(ctx, "", "")
			require.NoError(t, err)
			require.NotEmpty(t, page.Customers)
			gid = page.Customers[0].ID
		}
		require.NoError(t, w.DB.s.CreateCustomerMappings(ctx, w.DB.s.DB(), []store.CustomerMapping{{NhanhID: c.ID,
			ShopifyID: gid, Status: store.MappingPending, MatchMethod: store.MatchManual}}, time.Now()))
		out[i] = CustomerMapping{NhanhID: int64(c.ID), ShopifyID: string(gid)}
	}
	return out
}

// ExpectedTotalSpent is the spend a customer sync must write for a Nhanh
// customer of the generated shop, and whether the generator knows one.
func (s *Shop) ExpectedTotalSpent(nhanhCustomerID int64) (int64, bool) {
	v, ok := s.Truth().ExpectedTotalSpent[extid.NhanhCustomerID(nhanhCustomerID)]
	return v, ok
}
