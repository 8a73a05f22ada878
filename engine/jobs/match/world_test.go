package match_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/store"
)

// matchWorldOptions is the generated world the match tests run on.
var matchWorldOptions = sandbox.Options{Seed: 7, Customers: 2000, Products: 500}

// matchWorld starts a sandbox of matchWorldOptions and fills the store's
// mirrors straight from the same generated dataset, as complete pulls would
// (deleted Nhanh products end up marked deleted), so the match tests do not
// depend on the pull jobs.
func matchWorld(t *testing.T, dialect store.Dialect) (*bundle, *dataset.Dataset) {
	t.Helper()
	b := setup(t, setupOptions{dialect: dialect, sandbox: matchWorldOptions})
	ds, truth := dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: matchWorldOptions.Seed,
		Customers: matchWorldOptions.Customers, Products: matchWorldOptions.Products})
	require.Equal(t, b.truth(), truth, "the regenerated dataset is not the sandbox's world")
	matchFillMirrors(t, b.store, ds)
	return b, ds
}

// matchFillMirrors stores every record of ds in the local mirrors.
func matchFillMirrors(t testing.TB, s *store.Store, ds *dataset.Dataset) {
	t.Helper()
	ctx := context.Background()
	nhanhCustomers := make([]store.NhanhCustomer, len(ds.NhanhCustomers))
	for i, c := range ds.NhanhCustomers {
		nhanhCustomers[i] = matchNhanhCustomerRow(c)
	}
	shopifyCustomers := make([]store.ShopifyCustomer, len(ds.ShopifyCustomers))
	for i, c := range ds.ShopifyCustomers {
		shopifyCustomers[i] = matchShopifyCustomerRow(c)
	}
	var live, deleted []store.NhanhProduct
	for _, p := range ds.NhanhProducts {
		if p.Deleted {
			deleted = append(deleted, matchNhanhProductRow(p))
		} else {
			live = append(live, matchNhanhProductRow(p))
		}
	}
	variants := make([]store.ShopifyVariant, len(ds.ShopifyVariants))
	for i, v := range ds.ShopifyVariants {
		variants[i] = matchShopifyVariantRow(v)
	}

	// Deleted products were pulled once, before they were deleted; the last
	// complete pull did not see them.
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

func matchNhanhCustomerRow(c dataset.NhanhCustomer) store.NhanhCustomer {
	return store.NhanhCustomer{ID: c.ID, Type: int(c.Type), Name: c.Name, Mobile: c.Mobile, Email: c.Email,
		Address: c.Address, City: c.CityName, TotalAmount: c.TotalAmount, LastBoughtDate: c.LastBoughtDate,
		RemoteUpdatedAt: c.UpdatedAt}
}

func matchShopifyCustomerRow(c dataset.ShopifyCustomer) store.ShopifyCustomer {
	return store.ShopifyCustomer{ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
		Phone: c.Phone, DefaultAddressPhone: c.DefaultAddressPhone, Note: c.Note, NumberOfOrders: c.NumberOfOrders,
		AmountSpent: c.AmountSpent, RemoteUpdatedAt: c.UpdatedAt}
}

func matchNhanhProductRow(p dataset.NhanhProduct) store.NhanhProduct {
	row := store.NhanhProduct{ID: p.ID, Code: p.Code, Barcode: p.Barcode, Name: p.Name, Price: p.Price,
		Status: p.Status, Depots: p.Available, RemoteUpdatedAt: p.UpdatedAt}
	for _, q := range p.Available {
		row.Available += q
	}
	return row
}

func matchShopifyVariantRow(v dataset.ShopifyVariant) store.ShopifyVariant {
	return store.ShopifyVariant{ID: v.ID, ProductID: v.ProductID, ProductTitle: v.ProductTitle, Title: v.Title,
		SKU: v.SKU, Barcode: v.Barcode, ProductStatus: v.ProductStatus, InventoryItemID: v.InventoryItemID,
		RemoteUpdatedAt: v.UpdatedAt}
}

// matchFailedItems returns every failed item of a job by item key.
func matchFailedItems(t testing.TB, e *engine.Engine, id engine.JobID) map[string]engine.FailedItem {
	t.Helper()
	out := map[string]engine.FailedItem{}
	var after int64
	for {
		page, _, err := e.Failures(context.Background(), engine.FailureFilter{JobID: int64(id), AfterID: after, Limit: 500})
		require.NoError(t, err)
		if len(page) == 0 {
			return out
		}
		for _, it := range page {
			out[it.ItemKey] = it
		}
		after = page[len(page)-1].ID
	}
}

// matchMeta is the metadata both auto-match kinds write.
type matchMeta struct {
	DryRun           bool  `json:"dryRun"`
	MatchedByPhone   int64 `json:"matchedByPhone"`
	MatchedByEmail   int64 `json:"matchedByEmail"`
	MatchedBySKU     int64 `json:"matchedBySKU"`
	MatchedByBarcode int64 `json:"matchedByBarcode"`
	NoCandidate      int64 `json:"noCandidate"`
	NoKey            int64 `json:"noKey"`
	Ambiguous        int64 `json:"ambiguous"`
	Conflicts        int64 `json:"conflicts"`
	AlreadyMapped    int64 `json:"alreadyMapped"`
	Created          int64 `json:"created"`
}

func decodeMatchMeta(t testing.TB, j engine.Job) matchMeta {
	t.Helper()
	var m matchMeta
	require.NoError(t, json.Unmarshal(j.Metadata, &m))
	return m
}
