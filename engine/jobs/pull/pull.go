package pull

// The pull jobs copy the two sources into the local mirror. A full pull
// pages through one stream, named by its job type and filters (the store's
// pull_cursors.stream), and stores every page in the transaction that also
// moves the stream's cursor past it and takes the job's checkpoint:
//
//	claim ──> fetch page ──> [upsert rows + stream cursor + job checkpoint] ──┐
//	              ^                                                           │
//	              └──────────────────────── more pages ───────────────────────┘
//	          last page: mark the rows not seen since the pass began deleted
//	          (unfiltered pulls only) and the stream done, in the same transaction
//
//	stream cursor: running ──stop (cancel, failure, crash, time budget)──> paused
//	               paused  ──next pull of the stream──> running (from the cursor)
//	               running ──last page──> done ──next pull──> running (from the start)
//
// A goroutine fetches the next pages while earlier ones are stored; pages
// that queue up while the database is busy share one transaction
// (pipePages), so the database never paces a pull.
//
// A pull that stops resumes from the stream's cursor, in the next attempt of
// the same job or in the next job of the same stream; a finished stream
// starts over; restart=true starts over whatever the cursor says. A pull
// with other filters is another stream and never takes this one's cursor.
//
// Only a complete pass of an unfiltered stream knows what the source no
// longer has: it marks every mirror row it did not see since the pass began
// (kept in the cursor, so a pass resumed days later still counts from its
// real start) as deleted at the source; a row that comes back is live again.
// A pass with any operator filter, and the incremental pull, never mark.
//
// "Unfiltered" must really mean everything. Nhanh does not document that a
// customer/list without a type, or a product/list without a status, returns
// every type or status (clients always send one), so those pulls ask for
// each customer type and each product status in turn, as parts of one pass
// (parts.go); the pass is complete, and may mark, only after the last part.
//
// The incremental pull (incremental.go) asks each source only for
// what changed since its watermark and moves the watermark when it
// completes.

import (
	"context"
	"encoding/json"
	"fmt"

	"syncops/clients/nhanh"
	"syncops/engine"
	"syncops/store"
)

// nhanhCustomerTypes maps the type parameter to Nhanh's customer type.
var nhanhCustomerTypes = map[string]int{
	"retail":    nhanh.CustomerTypeRetail,
	"wholesale": nhanh.CustomerTypeWholesale,
	"agent":     nhanh.CustomerTypeAgent,
}

// pullNhanhCustomersParams are PULL_NHANH_CUSTOMERS' parameters.
type pullNhanhCustomersParams struct {
	Type           string `json:"type"`
	LastBoughtFrom string `json:"lastBoughtFrom"`
	LastBoughtTo   string `json:"lastBoughtTo"`
	Restart        bool   `json:"restart"`
}

// pullShopifyCustomersParams are PULL_SHOPIFY_CUSTOMERS' parameters.
type pullShopifyCustomersParams struct {
	Query string `json:"query"`
	// Bulk: true a bulk export, false pages, unset the count decides.
	Bulk    *bool `json:"bulk"`
	Restart bool  `json:"restart"`
}

// pullShopifyProductsParams are PULL_SHOPIFY_PRODUCTS' parameters.
type pullShopifyProductsParams struct {
	Status  string `json:"status"`
	Bulk    *bool  `json:"bulk"`
	Restart bool   `json:"restart"`
}

// pullRestartParams are the parameters of a pull that has no filters.
type pullRestartParams struct {
	Restart bool `json:"restart"`
}

// pullNhanhCustomers pages through Nhanh customers (optionally of one type
// and last-bought range) into the mirror.
func (d Deps) pullNhanhCustomers(ctx context.Context, r *engine.Run) error {
	var p pullNhanhCustomersParams
	if err := r.Params(&p); err != nil {
		return err
	}
	filter := nhanh.CustomerFilter{Type: nhanhCustomerTypes[p.Type],
		LastBoughtDateFrom: p.LastBoughtFrom, LastBoughtDateTo: p.LastBoughtTo}
	filters := pullFilters{"type": p.Type, "lastBoughtFrom": p.LastBoughtFrom, "lastBoughtTo": p.LastBoughtTo}
	return runStreamPull(ctx, r, d, streamPullSpec[store.NhanhCustomer]{
		jobType: PullNhanhCustomers, filters: filters, restart: p.Restart,
		request: "Nhanh customer/list" + filters.summary(),
		fetch:   d.nhanhCustomerPages(filter),
		upsert:  d.Store.UpsertNhanhCustomers, markDeleted: d.Store.MarkNhanhCustomersDeleted,
	})
}

// pullNhanhProducts pages through every Nhanh product, with its stock per
// depot, into the mirror.
func (d Deps) pullNhanhProducts(ctx context.Context, r *engine.Run) error {
	var p pullRestartParams
	if err := r.Params(&p); err != nil {
		return err
	}
	return runStreamPull(ctx, r, d, streamPullSpec[store.NhanhProduct]{
		jobType: PullNhanhProducts, restart: p.Restart,
		request: "Nhanh product/list",
		fetch:   d.nhanhProductPages(),
		upsert:  d.Store.UpsertNhanhProducts, markDeleted: d.Store.MarkNhanhProductsDeleted,
	})
}

// pullShopifyCustomers pulls Shopify customers matching the search query
// (all when empty) into the mirror, by pages or a bulk export (bulk.go).
func (d Deps) pullShopifyCustomers(ctx context.Context, r *engine.Run) error {
	var p pullShopifyCustomersParams
	if err := r.Params(&p); err != nil {
		return err
	}
	filters := pullFilters{"query": p.Query}
	spec := streamPullSpec[store.ShopifyCustomer]{
		jobType: PullShopifyCustomers, filters: filters, restart: p.Restart,
		request: "Shopify customers" + filters.summary(),
		fetch:   d.shopifyCustomerPages(p.Query),
		bulk:    d.shopifyCustomerBulk(p.Query), bulkParam: p.Bulk,
		upsert: d.Store.UpsertShopifyCustomers, markDeleted: d.Store.MarkShopifyCustomersDeleted,
	}
	return runStreamPull(ctx, r, d, spec)
}

// pullShopifyProducts pulls Shopify product variants (optionally of
// products in one status) into the mirror, by pages or a bulk export.
func (d Deps) pullShopifyProducts(ctx context.Context, r *engine.Run) error {
	var p pullShopifyProductsParams
	if err := r.Params(&p); err != nil {
		return err
	}
	query := ""
	if p.Status != "" {
		// Shopify's productVariants search (and the sandbox's) takes
		// product_status with the status in any case.
		query = "product_status:" + p.Status
	}
	filters := pullFilters{"status": p.Status}
	spec := streamPullSpec[store.ShopifyVariant]{
		jobType: PullShopifyProducts, filters: filters, restart: p.Restart,
		request: "Shopify productVariants" + filters.summary(),
		fetch:   d.shopifyVariantPages(query),
		bulk:    d.shopifyVariantBulk(query), bulkParam: p.Bulk,
		upsert: d.Store.UpsertShopifyVariants, markDeleted: d.Store.MarkShopifyVariantsDeleted,
	}
	return runStreamPull(ctx, r, d, spec)
}

// pullFilters are a pull's filters by parameter name; empty values do not
// filter.
type pullFilters map[string]string

// active returns the filters that are set, or nil for an unfiltered pull.
func (f pullFilters) active() map[string]string {
	var out map[string]string
	for k, v := range f {
		if v == "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// streamKey names the stream of a pull: its job type alone when unfiltered,
// else the type and the filters as canonical JSON (encoding/json sorts map
// keys), so equal filters always name the same stream and different
// filters never do. restart and bulk are how to pull, not what: they are
// not part of it.
func (f pullFilters) streamKey(jobType string) string {
	active := f.active()
	if active == nil {
		return jobType
	}
	b, err := json.Marshal(active)
	if err != nil { // a map of strings always marshals
		panic(fmt.Sprintf("encode pull filters: %v", err))
	}
	return jobType + " " + string(b)
}

// summary is the filters for a request summary: "" or " {...}".
func (f pullFilters) summary() string {
	if f.active() == nil {
		return ""
	}
	b, _ := json.Marshal(f.active()) // a map of strings always marshals
	return " " + string(b)
}
