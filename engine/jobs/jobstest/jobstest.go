// Package jobstest builds the worlds the job families' tests run in: a
// sandbox of both APIs, clients pointed at it, a fresh database, and an
// engine running the real job kinds; plus the local mirrors filled straight
// from a generated dataset, so a family's tests need no other family's jobs.
// It is test support: only tests import it.
package jobstest

import (
	"cmp"
	"context"
	"database/sql"
	"maps"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
	"syncops/store/storetest"
)

// Defaults of a world.
const (
	// DefaultCustomers and DefaultProducts size a generated world.
	DefaultCustomers = 300
	DefaultProducts  = 120
	// DefaultSeed seeds a generated world.
	DefaultSeed = 7
	// DefaultScale runs the fakes at 50 times the published limits, so the
	// tests stay fast while the clients still pace themselves.
	DefaultScale = 50
	// waitLimit bounds how long a test waits for a job to finish.
	waitLimit = 3 * time.Minute
)

// World is the world of one job test.
type World struct {
	Sandbox *sandbox.Sandbox
	Store   *store.Store
	// Deps are the real clients on Sandbox and Store; a test may change
	// them before StartEngine.
	Deps jobs.Deps
	// Engine runs the kinds; nil until StartEngine (or New without
	// NoEngine).
	Engine *engine.Engine
}

// Options tune New; the zero value is a small generated world on SQLite
// with its engine started.
type Options struct {
	Dialect store.Dialect // default SQLite
	Sandbox sandbox.Options
	// Clients, when set, adjusts the API clients' configuration (fewer
	// attempts, another clock, a gated transport) before they are built.
	Clients func(*nhanh.Config, *shopify.Config)
	// NoEngine leaves the engine to StartEngine, for a test that changes
	// Deps or the kinds first.
	NoEngine bool
}

// New builds a world and removes it when the test ends.
func New(t testing.TB, o Options) *World {
	t.Helper()
	if o.Dialect == "" {
		o.Dialect = store.SQLite
	}
	if o.Sandbox.Dataset == nil && o.Sandbox.Customers == 0 {
		o.Sandbox.Customers, o.Sandbox.Products = DefaultCustomers, DefaultProducts
	}
	o.Sandbox.Seed = cmp.Or(o.Sandbox.Seed, DefaultSeed)
	o.Sandbox.Scale = cmp.Or(o.Sandbox.Scale, DefaultScale)
	sb := StartSandbox(t, o.Sandbox)
	nc, sc := Clients(t, sb, o.Sandbox.Scale, o.Clients)
	s := storetest.Open(t, o.Dialect)
	w := &World{Sandbox: sb, Store: s, Deps: jobs.Deps{Store: s, Nhanh: nc, Shopify: sc, Clock: clockwork.NewRealClock()}}
	if !o.NoEngine {
		w.StartEngine(t, nil)
	}
	return w
}

// StartSandbox starts a sandbox, closed when the test ends.
func StartSandbox(t testing.TB, o sandbox.Options) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	return sb
}

// Clients builds API clients for sb whose rate windows match the fakes'
// scale (DefaultScale when 0) and whose retries are quick, adjusted by
// adjust when set.
func Clients(t testing.TB, sb *sandbox.Sandbox, scale float64, adjust func(*nhanh.Config, *shopify.Config)) (*nhanh.Client, *shopify.Client) {
	t.Helper()
	scale = cmp.Or(scale, DefaultScale)
	ep := sb.Endpoints()
	clock := clockwork.NewRealClock()
	nc := nhanh.Config{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, BusinessID: ep.NhanhBusinessID,
		AccessToken: ep.NhanhToken, Clock: clock, Window: time.Duration(float64(30*time.Second) / scale),
		BackoffBase: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond}
	sc := shopify.Config{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL, APIVersion: ep.ShopifyAPIVersion,
		AccessToken: ep.ShopifyToken, Clock: clock, RetryBaseDelay: 5 * time.Millisecond, RetryMaxDelay: 50 * time.Millisecond,
		BulkPollInterval: 10 * time.Millisecond}
	if adjust != nil {
		adjust(&nc, &sc)
	}
	n, err := nhanh.New(nc)
	require.NoError(t, err)
	s, err := shopify.New(sc)
	require.NoError(t, err)
	return n, s
}

// StartEngine starts an engine running kinds (nil: the real kinds over
// w.Deps), stopped when the test ends.
func (w *World) StartEngine(t testing.TB, kinds []engine.Kind) {
	t.Helper()
	if kinds == nil {
		var err error
		kinds, err = jobs.Kinds(w.Deps)
		require.NoError(t, err)
	}
	e, err := engine.New(engine.Config{Store: w.Store, Kinds: kinds, Clock: w.Deps.Clock, FlushInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, e.StartWorkers(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	w.Engine = e
}

// Truth is the generated world's known answers (nil for a given dataset).
func (w *World) Truth() *dataset.Truth { return w.Sandbox.Truth() }

// Start starts a job.
func (w *World) Start(t testing.TB, jobType string, params engine.Params) engine.JobID {
	t.Helper()
	id, err := w.Engine.Start(context.Background(), jobType, params, engine.StartOptions{})
	require.NoError(t, err)
	return id
}

// Run starts a job and waits for it to finish.
func (w *World) Run(t testing.TB, jobType string, params engine.Params) engine.Job {
	t.Helper()
	return w.Wait(t, w.Start(t, jobType, params))
}

// Wait waits until the engine has finished job id: its status terminal and
// its final counters and last attempt written.
func (w *World) Wait(t testing.TB, id engine.JobID) engine.Job {
	t.Helper()
	ctx := context.Background()
	events, stop := w.Engine.Subscribe()
	defer stop()
	deadline := time.After(waitLimit)
	for {
		j, err := w.Engine.Get(ctx, id)
		require.NoError(t, err)
		attempts, err := w.Engine.Attempts(ctx, id)
		require.NoError(t, err)
		if j.Status.Terminal() && j.CompletedAt != nil && len(attempts) > 0 && !attempts[len(attempts)-1].FinishedAt.IsZero() {
			return j
		}
		select {
		case _, ok := <-events:
			require.True(t, ok)
		case <-deadline:
			t.Fatalf("job %d did not finish: %+v", id, j)
		}
	}
}

// Retry retries a finished job's failed items and waits for the retry.
func (w *World) Retry(t testing.TB, id engine.JobID) engine.Job {
	t.Helper()
	rid, err := w.Engine.Retry(context.Background(), id, engine.Actor{})
	require.NoError(t, err)
	return w.Wait(t, rid)
}

// Failures returns every failed item of job id by item key.
func (w *World) Failures(t testing.TB, id engine.JobID) map[string]engine.FailedItem {
	t.Helper()
	out := map[string]engine.FailedItem{}
	var after, seen, total int64
	for {
		page, n, err := w.Engine.Failures(context.Background(), engine.FailureFilter{JobID: int64(id), AfterID: after, Limit: 500})
		require.NoError(t, err)
		if after == 0 {
			total = n
		}
		if len(page) == 0 {
			require.Equal(t, total, seen, "the failed items listed are as many as counted")
			return out
		}
		for _, it := range page {
			out[it.ItemKey] = it
		}
		seen += int64(len(page))
		after = page[len(page)-1].ID
	}
}

// FillMirrors stores every record of ds in the local mirrors as complete
// pulls would have: deleted Nhanh products were pulled once, an hour
// before the last complete pull, which marked them deleted.
func FillMirrors(t testing.TB, s *store.Store, ds *dataset.Dataset) {
	t.Helper()
	ctx := context.Background()
	nhanhCustomers := make([]store.NhanhCustomer, len(ds.NhanhCustomers))
	for i, c := range ds.NhanhCustomers {
		nhanhCustomers[i] = NhanhCustomerRow(c)
	}
	shopifyCustomers := make([]store.ShopifyCustomer, len(ds.ShopifyCustomers))
	for i, c := range ds.ShopifyCustomers {
		shopifyCustomers[i] = ShopifyCustomerRow(c)
	}
	var live, deleted []store.NhanhProduct
	for _, p := range ds.NhanhProducts {
		if p.Deleted {
			deleted = append(deleted, NhanhProductRow(p))
		} else {
			live = append(live, NhanhProductRow(p))
		}
	}
	variants := make([]store.ShopifyVariant, len(ds.ShopifyVariants))
	for i, v := range ds.ShopifyVariants {
		variants[i] = ShopifyVariantRow(v)
	}
	before, pulled := time.Now().Add(-time.Hour), time.Now()
	require.NoError(t, s.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.UpsertNhanhProducts(ctx, tx, deleted, before); err != nil {
			return err
		}
		if _, err := s.UpsertNhanhProducts(ctx, tx, live, pulled); err != nil {
			return err
		}
		if _, err := s.MarkNhanhProductsDeleted(ctx, tx, pulled, pulled); err != nil {
			return err
		}
		if _, err := s.UpsertShopifyVariants(ctx, tx, variants, pulled); err != nil {
			return err
		}
		if _, err := s.UpsertNhanhCustomers(ctx, tx, nhanhCustomers, pulled); err != nil {
			return err
		}
		_, err := s.UpsertShopifyCustomers(ctx, tx, shopifyCustomers, pulled)
		return err
	}))
}

// NhanhCustomerRow is the mirror row a pull stores for a generated Nhanh
// customer.
func NhanhCustomerRow(c dataset.NhanhCustomer) store.NhanhCustomer {
	return store.NhanhCustomer{ID: c.ID, Type: int(c.Type), Name: c.Name, Mobile: c.Mobile, Email: c.Email,
		Address: c.Address, City: c.CityName, TotalAmount: c.TotalAmount, TotalAmountNull: c.TotalAmountNull,
		LastBoughtDate: c.LastBoughtDate, RemoteUpdatedAt: c.UpdatedAt}
}

// NhanhProductRow is the mirror row a pull stores for a generated Nhanh
// product: its stock per depot (nil for none, as the mirror reads it
// back) and their sum.
func NhanhProductRow(p dataset.NhanhProduct) store.NhanhProduct {
	row := store.NhanhProduct{ID: p.ID, Code: p.Code, Barcode: p.Barcode, Name: p.Name, Price: p.Price,
		Status: p.Status, RemoteUpdatedAt: p.UpdatedAt, ParentID: p.ParentID, Combo: len(p.Combos) > 0}
	if len(p.Available) > 0 {
		row.Depots = maps.Clone(p.Available)
		row.Available = SumStock(p.Available)
	}
	return row
}

// ShopifyCustomerRow is the mirror row a pull stores for a generated
// Shopify customer.
func ShopifyCustomerRow(c dataset.ShopifyCustomer) store.ShopifyCustomer {
	row := store.ShopifyCustomer{ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
		Phone: c.Phone, DefaultAddressPhone: c.DefaultAddressPhone, Note: c.Note, NumberOfOrders: c.NumberOfOrders,
		AmountSpent: c.AmountSpent, RemoteUpdatedAt: c.UpdatedAt}
	if m, ok := c.Metafields["custom.total_spent"]; ok {
		row.TotalSpent = &m.Value
	}
	return row
}

// ShopifyVariantRow is the mirror row a pull stores for a generated
// Shopify variant.
func ShopifyVariantRow(v dataset.ShopifyVariant) store.ShopifyVariant {
	return store.ShopifyVariant{ID: v.ID, ProductID: v.ProductID, ProductTitle: v.ProductTitle, Title: v.Title,
		SKU: v.SKU, Barcode: v.Barcode, ProductStatus: v.ProductStatus, InventoryItemID: v.InventoryItemID,
		RemoteUpdatedAt: v.UpdatedAt}
}

// SumStock is the total of a product's stock per depot.
func SumStock(m map[extid.NhanhDepotID]int64) int64 {
	var n int64
	for _, q := range m {
		n += q
	}
	return n
}
