package sync_test

import (
	"cmp"
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
	"syncops/engine/jobs/jobstest"
	"syncops/store"
)

// syncWorld is a sandbox world whose local mirrors are filled straight from
// the dataset with store functions, so the sync tests depend on no pull or
// match job.
type syncWorld struct {
	*jobstest.World
	ds    *dataset.Dataset // the world as generated; the fakes own copies
	truth *dataset.Truth   // nil when the dataset was given
}

// worldOptions tune newSyncWorld; the zero value is jobstest's default world.
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
	// attemptTimeout, when set, replaces every kind's attempt timeout.
	attemptTimeout time.Duration
	// shopifyBulkDelay is how long the Shopify fake's bulk operations run.
	shopifyBulkDelay time.Duration
	// strictNhanh makes the Nhanh fake read a missing customer type as
	// retail and a missing product status as active, so a sync that leaves
	// a filter out misses records.
	strictNhanh bool
	// truth goes with ds when ds was generated with its truth.
	truth *dataset.Truth
}

func newSyncWorld(t testing.TB, o worldOptions) *syncWorld {
	t.Helper()
	ds, truth := o.ds, o.truth
	if ds == nil {
		ds, truth = dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: jobstest.DefaultSeed,
			Customers: cmp.Or(o.customers, jobstest.DefaultCustomers), Products: cmp.Or(o.products, jobstest.DefaultProducts)})
	}
	world := jobstest.New(t, jobstest.Options{Dialect: o.dialect, Clients: o.clients, NoEngine: o.attemptTimeout > 0,
		Sandbox: sandbox.Options{Dataset: ds, Scale: o.scale, Faults: o.faults, Clock: o.apiClock,
			NhanhOmittedTypeMeansRetail: o.strictNhanh, NhanhOmittedStatusMeansActive: o.strictNhanh,
			ShopifyBulkDelay: o.shopifyBulkDelay}})
	if o.attemptTimeout > 0 {
		kinds, err := jobs.Kinds(world.Deps)
		require.NoError(t, err)
		for i := range kinds {
			kinds[i].AttemptTimeout = o.attemptTimeout
		}
		world.StartEngine(t, kinds)
	}
	w := &syncWorld{World: world, ds: ds, truth: truth}
	jobstest.FillMirrors(t, w.Store, ds)
	return w
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
	require.NoError(t, w.Store.InTx(ctx, func(tx *sql.Tx) error {
		return w.Store.CreateCustomerMappings(ctx, tx, ms, time.Now())
	}))
	out := map[extid.NhanhCustomerID]int64{}
	all, err := w.Store.CustomerMappings(ctx, w.Store.Reader(), store.MappingFilter{})
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
	require.NoError(t, w.Store.InTx(ctx, func(tx *sql.Tx) error {
		return w.Store.CreateProductMappings(ctx, tx, ms, time.Now())
	}))
	out := map[extid.NhanhProductID]int64{}
	all, err := w.Store.ProductMappings(ctx, w.Store.Reader(), store.MappingFilter{})
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
	SyncMode  string `json:"syncMode"`
	Unchanged int64  `json:"unchanged"` // settled mappings an auto-sync passed by
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
