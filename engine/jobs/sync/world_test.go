package sync_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/fault"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
)

// syncWorld is a sandbox world whose local mirrors are filled straight from
// the dataset with store functions, so the sync tests depend on no pull or
// match job.
type syncWorld struct {
	*bundle
	ds    *dataset.Dataset // the world as generated; the fakes own copies
	truth *dataset.Truth   // nil when the dataset was given
}

// worldOptions tune newSyncWorld; the zero value is setup's default world.
type worldOptions struct {
	dialect   store.Dialect
	customers int
	products  int
	ds        *dataset.Dataset // a given world instead of a generated one
	scale     float64
	faults    fault.Spec
	// apiClock, when set, drives the fakes' limits; clients should then
	// put the API clients on it too.
	apiClock clockwork.Clock
	// clients, when set, adjusts the API clients' configuration (fewer
	// attempts, shorter timeouts) before the engine is built.
	clients func(*nhanh.Config, *shopify.Config)
}

func newSyncWorld(t testing.TB, o worldOptions) *syncWorld {
	t.Helper()
	ds, truth := o.ds, (*dataset.Truth)(nil)
	if ds == nil {
		ds, truth = dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: 7, Customers: cmpOr(o.customers, 300), Products: cmpOr(o.products, 120)})
	}
	b := setup(t, setupOptions{dialect: o.dialect, noEngine: true,
		sandbox: sandbox.Options{Dataset: ds, Scale: o.scale, Faults: o.faults, Clock: o.apiClock}})
	if o.clients != nil {
		b.deps.Nhanh, b.deps.Shopify = newClients(t, b.sandbox, o.scale, o.clients)
	}
	startEngine(t, b)
	w := &syncWorld{bundle: b, ds: ds, truth: truth}
	w.fillMirrors(t)
	return w
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// newClients builds clients for the sandbox as setup does, adjusted by fn.
func newClients(t testing.TB, sb *sandbox.Sandbox, scale float64, fn func(*nhanh.Config, *shopify.Config)) (*nhanh.Client, *shopify.Client) {
	t.Helper()
	if scale == 0 {
		scale = 50
	}
	ep := sb.Endpoints()
	nc := nhanh.Config{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, BusinessID: ep.NhanhBusinessID,
		AccessToken: ep.NhanhToken, Window: time.Duration(float64(30*time.Second) / scale),
		BackoffBase: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond}
	sc := shopify.Config{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL, APIVersion: ep.ShopifyAPIVersion,
		AccessToken: ep.ShopifyToken, RetryBaseDelay: 5 * time.Millisecond, RetryMaxDelay: 50 * time.Millisecond}
	fn(&nc, &sc)
	n, err := nhanh.New(nc)
	require.NoError(t, err)
	s, err := shopify.New(sc)
	require.NoError(t, err)
	return n, s
}

// startEngine runs the real job kinds over b's deps, as setup does.
func startEngine(t testing.TB, b *bundle) {
	t.Helper()
	kinds, err := jobs.Kinds(b.deps)
	require.NoError(t, err)
	e, err := engine.New(engine.Config{Store: b.store, Kinds: kinds, Clock: b.deps.Clock, FlushInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, e.StartWorkers(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	b.engine = e
}

// fillMirrors stores the dataset as complete pulls would have: every
// record, deleted Nhanh products marked deleted.
func (w *syncWorld) fillMirrors(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	before := time.Now().Add(-time.Hour)
	now := time.Now()
	var live, deleted []store.NhanhProduct
	for _, p := range w.ds.NhanhProducts {
		row := store.NhanhProduct{ID: p.ID, Code: p.Code, Barcode: p.Barcode, Name: p.Name, Price: p.Price,
			Status: p.Status, Available: sumStock(p.Available), Depots: p.Available, RemoteUpdatedAt: p.UpdatedAt}
		if p.Deleted {
			deleted = append(deleted, row)
		} else {
			live = append(live, row)
		}
	}
	err := w.store.InTx(ctx, func(tx *sql.Tx) error {
		customers := make([]store.NhanhCustomer, 0, len(w.ds.NhanhCustomers))
		for _, c := range w.ds.NhanhCustomers {
			customers = append(customers, nhanhCustomerRow(c))
		}
		if _, err := w.store.UpsertNhanhCustomers(ctx, tx, customers, now); err != nil {
			return err
		}
		shopifyCustomers := make([]store.ShopifyCustomer, 0, len(w.ds.ShopifyCustomers))
		for _, c := range w.ds.ShopifyCustomers {
			shopifyCustomers = append(shopifyCustomers, store.ShopifyCustomer{ID: c.ID, FirstName: c.FirstName, LastName: c.LastName,
				Email: c.Email, Phone: c.Phone, DefaultAddressPhone: c.DefaultAddressPhone, Note: c.Note,
				NumberOfOrders: c.NumberOfOrders, AmountSpent: c.AmountSpent, RemoteUpdatedAt: c.UpdatedAt})
		}
		if _, err := w.store.UpsertShopifyCustomers(ctx, tx, shopifyCustomers, now); err != nil {
			return err
		}
		// Deleted products were seen by an earlier pull only.
		if _, err := w.store.UpsertNhanhProducts(ctx, tx, deleted, before); err != nil {
			return err
		}
		if _, err := w.store.UpsertNhanhProducts(ctx, tx, live, now); err != nil {
			return err
		}
		if _, err := w.store.MarkNhanhProductsDeleted(ctx, tx, now, now); err != nil {
			return err
		}
		variants := make([]store.ShopifyVariant, 0, len(w.ds.ShopifyVariants))
		for _, v := range w.ds.ShopifyVariants {
			variants = append(variants, store.ShopifyVariant{ID: v.ID, ProductID: v.ProductID, ProductTitle: v.ProductTitle,
				Title: v.Title, SKU: v.SKU, Barcode: v.Barcode, ProductStatus: v.ProductStatus,
				InventoryItemID: v.InventoryItemID, RemoteUpdatedAt: v.UpdatedAt})
		}
		_, err := w.store.UpsertShopifyVariants(ctx, tx, variants, now)
		return err
	})
	require.NoError(t, err)
}

func nhanhCustomerRow(c dataset.NhanhCustomer) store.NhanhCustomer {
	return store.NhanhCustomer{ID: c.ID, Type: int(c.Type), Name: c.Name, Mobile: c.Mobile, Email: c.Email,
		Address: c.Address, City: c.CityName, TotalAmount: c.TotalAmount, LastBoughtDate: c.LastBoughtDate,
		RemoteUpdatedAt: c.UpdatedAt}
}

func sumStock(m map[extid.NhanhDepotID]int64) int64 {
	var n int64
	for _, q := range m {
		n += q
	}
	return n
}

// mapCustomers creates a PENDING mapping for every pair in pairs and
// returns the mapping id of each Nhanh customer.
func (w *syncWorld) mapCustomers(t testing.TB, pairs map[extid.NhanhCustomerID]extid.ShopifyCustomerGID) map[extid.NhanhCustomerID]int64 {
	t.Helper()
	ctx := context.Background()
	ids := slices.Sorted(maps.Keys(pairs))
	ms := make([]store.CustomerMapping, 0, len(ids))
	for _, id := range ids {
		ms = append(ms, store.CustomerMapping{NhanhID: id, ShopifyID: pairs[id], MatchMethod: store.MatchPhone})
	}
	require.NoError(t, w.store.InTx(ctx, func(tx *sql.Tx) error {
		return w.store.CreateCustomerMappings(ctx, tx, ms, time.Now())
	}))
	out := map[extid.NhanhCustomerID]int64{}
	all, err := w.store.CustomerMappings(ctx, w.store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	for _, m := range all {
		out[m.NhanhID] = m.ID
	}
	return out
}

// matchedCustomers are the truth's customer pairs.
func (w *syncWorld) matchedCustomers() map[extid.NhanhCustomerID]extid.ShopifyCustomerGID {
	out := map[extid.NhanhCustomerID]extid.ShopifyCustomerGID{}
	for id, m := range w.truth.CustomerMatches {
		out[id] = m.Shopify
	}
	return out
}

// mapProducts creates a PENDING mapping for every pair; every other
// mapping gets its inventory item id, the rest must take it from the
// variant mirror. It returns the mapping id of each Nhanh product.
func (w *syncWorld) mapProducts(t testing.TB, pairs map[extid.NhanhProductID]extid.ShopifyVariantGID) map[extid.NhanhProductID]int64 {
	t.Helper()
	ctx := context.Background()
	items := map[extid.ShopifyVariantGID]extid.ShopifyInventoryItemGID{}
	for _, v := range w.ds.ShopifyVariants {
		items[v.ID] = v.InventoryItemID
	}
	ids := slices.Sorted(maps.Keys(pairs))
	ms := make([]store.ProductMapping, 0, len(ids))
	for i, id := range ids {
		m := store.ProductMapping{NhanhID: id, ShopifyID: pairs[id], MatchMethod: store.MatchSKU}
		if i%2 == 0 {
			m.InventoryItemID = items[pairs[id]]
		}
		ms = append(ms, m)
	}
	require.NoError(t, w.store.InTx(ctx, func(tx *sql.Tx) error {
		return w.store.CreateProductMappings(ctx, tx, ms, time.Now())
	}))
	out := map[extid.NhanhProductID]int64{}
	all, err := w.store.ProductMappings(ctx, w.store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	for _, m := range all {
		out[m.NhanhID] = m.ID
	}
	return out
}

// matchedProducts are the truth's product pairs.
func (w *syncWorld) matchedProducts() map[extid.NhanhProductID]extid.ShopifyVariantGID {
	out := map[extid.NhanhProductID]extid.ShopifyVariantGID{}
	for id, m := range w.truth.ProductMatches {
		out[id] = m.Variant
	}
	return out
}

// nhanhCustomer and nhanhProduct return a record of the generated world.
func (w *syncWorld) nhanhCustomer(id extid.NhanhCustomerID) dataset.NhanhCustomer {
	for _, c := range w.ds.NhanhCustomers {
		if c.ID == id {
			return c
		}
	}
	panic("no such Nhanh customer")
}

func (w *syncWorld) nhanhProduct(id extid.NhanhProductID) dataset.NhanhProduct {
	for _, p := range w.ds.NhanhProducts {
		if p.ID == id {
			return p
		}
	}
	panic("no such Nhanh product")
}

func (w *syncWorld) variant(id extid.ShopifyVariantGID) dataset.ShopifyVariant {
	for _, v := range w.ds.ShopifyVariants {
		if v.ID == id {
			return v
		}
	}
	panic("no such variant")
}

// wait waits for a started job to finish.
func (w *syncWorld) wait(t testing.TB, id engine.JobID) engine.Job {
	t.Helper()
	ctx := context.Background()
	events, stop := w.engine.Subscribe()
	defer stop()
	j, err := w.engine.Get(ctx, id)
	require.NoError(t, err)
	deadline := time.After(3 * time.Minute)
	for !j.Status.Terminal() || j.CompletedAt == nil {
		select {
		case ev, ok := <-events:
			require.True(t, ok)
			if ev.Job.ID == id {
				j = ev.Job
			}
		case <-deadline:
			t.Fatalf("job %d did not finish: %+v", id, j)
		}
	}
	return j
}

// retry retries a finished job's failed items and waits for the retry.
func (w *syncWorld) retry(t testing.TB, id engine.JobID) engine.Job {
	t.Helper()
	rid, err := w.engine.Retry(context.Background(), id, engine.Actor{})
	require.NoError(t, err)
	return w.wait(t, rid)
}

// failures returns a job's failed items by key.
func (w *syncWorld) failures(t testing.TB, id engine.JobID) map[string]engine.FailedItem {
	t.Helper()
	items, n, err := w.engine.Failures(context.Background(), engine.FailureFilter{JobID: int64(id), Limit: 100000})
	require.NoError(t, err)
	require.Len(t, items, int(n))
	out := map[string]engine.FailedItem{}
	for _, it := range items {
		out[it.ItemKey] = it
	}
	return out
}

// syncResults is the metadata a sync job publishes.
type syncResults struct {
	CurrentBatch int `json:"currentBatch"`
	TotalBatches int `json:"totalBatches"`
	Results      struct {
		Total      int64 `json:"total"`
		Successful int64 `json:"successful"`
		Failed     int64 `json:"failed"`
		Skipped    int64 `json:"skipped"`
		Errors     []struct {
			MappingID    int64  `json:"mappingId"`
			CustomerName string `json:"customerName"`
			ProductName  string `json:"productName"`
			Error        string `json:"error"`
		} `json:"errors"`
	} `json:"results"`
	SyncMode string `json:"syncMode"`
}

func metaOf(t testing.TB, j engine.Job) syncResults {
	t.Helper()
	var m syncResults
	require.NoError(t, json.Unmarshal(j.Metadata, &m))
	return m
}

// requireCompleted checks a job completed with honest counters.
func requireCompleted(t testing.TB, j engine.Job) {
	t.Helper()
	require.Equal(t, engine.StatusCompleted, j.Status, "job error: %s", j.Error)
	require.Equal(t, j.Total, j.Processed, "processed == total")
	require.Equal(t, j.Processed, j.Successful+j.Failed+j.Skipped, "every item ends one way")
	m := metaOf(t, j)
	require.Equal(t, j.Total, m.Results.Total)
	require.Equal(t, j.Successful, m.Results.Successful)
	require.Equal(t, j.Failed, m.Results.Failed)
	require.Equal(t, j.Skipped, m.Results.Skipped)
	require.Equal(t, m.TotalBatches, m.CurrentBatch, "every batch done")
}
