package pull_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
	"syncops/store/storetest"
)

// pullCase is one way of pulling one mirror.
type pullCase struct {
	name    string
	jobType string
	params  engine.Params
	stream  string
	mirror  pullMirror
	// want is the source's rows the pull must leave in a fresh mirror.
	want func(ds *dataset.Dataset) any
	// pages is how many pages (bulk: batches) the pull takes for n rows of ds.
	pages func(ds *dataset.Dataset, n int64) int64
}

// shopifyCustomerPage is the customers a Shopify page holds: as many as
// keep the document within the 1,000-point query maximum at 6 points a
// customer (the node and five object fields).
const shopifyCustomerPage = (1000 - 2) / 6

func pagesOf(size int64) func(n int64) int64 {
	return func(n int64) int64 { return max((n+size-1)/size, 1) }
}

// rowPages is the pages of a pull that asks for its rows in one part.
func rowPages(pages func(n int64) int64) func(*dataset.Dataset, int64) int64 {
	return func(_ *dataset.Dataset, n int64) int64 { return pages(n) }
}

// bulkBatches is the batches of 1,000 a bulk pull stores n rows in: the
// last batch (perhaps empty) ends the pass.
func bulkBatches(_ *dataset.Dataset, n int64) int64 { return n/1000 + 1 }

// nhanhCustomerPages is the pages of an unfiltered Nhanh customer pull: it
// asks type by type, and each type takes at least one page.
func nhanhCustomerPages(ds *dataset.Dataset, _ int64) int64 {
	byType := map[dataset.NhanhCustomerType]int64{}
	for _, c := range ds.NhanhCustomers {
		byType[c.Type]++
	}
	return pagesOf(100)(byType[dataset.NhanhRetail]) + pagesOf(100)(byType[dataset.NhanhWholesale]) +
		pagesOf(100)(byType[dataset.NhanhAgent])
}

// nhanhProductPages is the pages of a Nhanh product pull: it asks status by
// status (1 active, 2 inactive) for the listed products.
func nhanhProductPages(ds *dataset.Dataset, _ int64) int64 {
	byStatus := map[int]int64{}
	for _, p := range ds.NhanhProducts {
		if !p.Deleted {
			byStatus[p.Status]++
		}
	}
	return pagesOf(100)(byStatus[1]) + pagesOf(100)(byStatus[2])
}

func pullCases() []pullCase {
	return []pullCase{
		{name: "nhanh customers", jobType: jobs.PullNhanhCustomers, stream: jobs.PullNhanhCustomers,
			mirror: nhanhCustomerMirror, want: nhanhCustomerMirror.want, pages: nhanhCustomerPages},
		{name: "nhanh wholesale customers", jobType: jobs.PullNhanhCustomers, params: engine.Params{"type": "wholesale"},
			stream: jobs.PullNhanhCustomers + ` {"type":"wholesale"}`, mirror: nhanhCustomerMirror, pages: rowPages(pagesOf(100)),
			want: func(ds *dataset.Dataset) any {
				var cs []dataset.NhanhCustomer
				for _, c := range ds.NhanhCustomers {
					if c.Type == dataset.NhanhWholesale {
						cs = append(cs, c)
					}
				}
				return wantNhanhCustomers(cs)
			}},
		{name: "nhanh products", jobType: jobs.PullNhanhProducts, stream: jobs.PullNhanhProducts,
			mirror: nhanhProductMirror, want: nhanhProductMirror.want, pages: nhanhProductPages},
		{name: "shopify customers", jobType: jobs.PullShopifyCustomers, params: engine.Params{"bulk": "false"}, stream: jobs.PullShopifyCustomers,
			mirror: shopifyCustomerMirror, want: shopifyCustomerMirror.want, pages: rowPages(pagesOf(shopifyCustomerPage))},
		{name: "shopify customers in bulk", jobType: jobs.PullShopifyCustomers, params: engine.Params{"bulk": "true"},
			stream: jobs.PullShopifyCustomers, mirror: shopifyCustomerMirror, want: shopifyCustomerMirror.want, pages: bulkBatches},
		{name: "shopify products", jobType: jobs.PullShopifyProducts, params: engine.Params{"bulk": "false"}, stream: jobs.PullShopifyProducts,
			mirror: shopifyVariantMirror, want: shopifyVariantMirror.want, pages: rowPages(pagesOf(250))},
		{name: "shopify draft products in bulk", jobType: jobs.PullShopifyProducts,
			params: engine.Params{"status": "draft", "bulk": "true"}, stream: jobs.PullShopifyProducts + ` {"status":"draft"}`,
			mirror: shopifyVariantMirror, pages: bulkBatches,
			want: func(ds *dataset.Dataset) any { return wantShopifyVariants(ds.ShopifyVariants, "DRAFT") }},
		{name: "shopify archived products", jobType: jobs.PullShopifyProducts, params: engine.Params{"status": "archived", "bulk": "false"},
			stream: jobs.PullShopifyProducts + ` {"status":"archived"}`, mirror: shopifyVariantMirror, pages: rowPages(pagesOf(250)),
			want: func(ds *dataset.Dataset) any { return wantShopifyVariants(ds.ShopifyVariants, "ARCHIVED") }},
	}
}

// TestPullsMirrorTheSourceExactly runs every pull twice on a fresh world:
// the first run creates exactly the source's rows, the second finds them
// all unchanged and starts from the beginning (the stream was done).
func TestPullsMirrorTheSourceExactly(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		for _, tc := range pullCases() {
			t.Run(string(dialect)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				w := newPullWorld(t, pullWorldOptions{dialect: dialect})
				want := tc.want(w.ds)
				n := rowCount(want)
				require.Positive(t, n)

				j, m := w.pullRun(t, tc.jobType, tc.params)
				requireCounts(t, j, m, n, 0, 0)
				require.Equal(t, tc.stream, m.Stream)
				require.Equal(t, tc.pages(w.ds, n), m.Pages)
				require.Nil(t, m.ResumedFrom)
				require.False(t, m.StoppedEarly)
				requireMirror(t, w.Store, tc.mirror, want)
				c := w.pullCursor(t, tc.stream)
				require.Equal(t, store.PullDone, c.State)
				require.Nil(t, c.Cursor)
				require.Equal(t, n, c.TotalPulled)
				require.Equal(t, int64(j.ID), c.JobID)

				j, m = w.pullRun(t, tc.jobType, tc.params)
				requireCounts(t, j, m, 0, 0, n)
				require.Equal(t, tc.pages(w.ds, n), m.Pages, "a finished stream starts over")
				require.Nil(t, m.ResumedFrom)
				requireMirror(t, w.Store, tc.mirror, want)
				rec := w.Sandbox.Shopify().Record()
				require.Zero(t, rec.MaxCostExceeded, "no page asked for more than the query maximum")
				require.Zero(t, rec.Throttles, "no request was throttled")
			})
		}
	}
}

// TestPullUpdatesChangedRows changes some Nhanh customers and products at
// the source; the next pull updates exactly those.
func TestPullUpdatesChangedRows(t *testing.T) {
	t.Parallel()
	w := newPullWorld(t, pullWorldOptions{})
	w.pullRun(t, jobs.PullNhanhCustomers, nil)
	w.pullRun(t, jobs.PullNhanhProducts, nil)

	changedCustomers := []int{0, 150, 799}
	for _, i := range changedCustomers {
		c := &w.ds.NhanhCustomers[i]
		c.TotalAmount += 12_345
		c.UpdatedAt++
		w.Sandbox.Nhanh().SetCustomer(*c)
	}
	p := &w.ds.NhanhProducts[10]
	require.False(t, p.Deleted)
	require.NotEmpty(t, p.Available, "product 10 has stock somewhere")
	for d := range p.Available {
		p.Available[d] += 7
	}
	for d, n := range p.Available {
		require.True(t, w.Sandbox.Nhanh().SetStock(p.ID, d, n))
	}

	j, m := w.pullRun(t, jobs.PullNhanhCustomers, nil)
	n := int64(len(w.ds.NhanhCustomers))
	requireCounts(t, j, m, 0, int64(len(changedCustomers)), n-int64(len(changedCustomers)))
	requireMirror(t, w.Store, nhanhCustomerMirror, wantNhanhCustomers(w.ds.NhanhCustomers))

	j, m = w.pullRun(t, jobs.PullNhanhProducts, nil)
	products := wantNhanhProducts(w.ds.NhanhProducts)
	requireCounts(t, j, m, 0, 1, int64(len(products))-1)
	requireMirror(t, w.Store, nhanhProductMirror, products)
	stored, err := w.Store.NhanhProduct(context.Background(), w.Store.Reader(), p.ID)
	require.NoError(t, err)
	require.Equal(t, p.Available, stored.Depots)
}
