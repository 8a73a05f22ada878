package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/engine/webhook"
	"syncops/store"
)

const verifyToken = "Verify0123456789abcdef"

// bundle is one test's world: the sandbox, a database that went through
// the pull, match and sync pipeline, an engine draining webhooks, and a
// receiver the Nhanh fake delivers to (a minimal face: token, then
// ReceiveWebhook).
type bundle struct {
	w        *jobstest.World
	e        *engine.Engine
	url      string
	received atomic.Int64
	feeds    map[extid.NhanhDepotID]extid.ShopifyLocationGID
	// locations are the Shopify locations of the world.
	locations []extid.ShopifyLocationGID
}

type setupOptions struct {
	dialect   store.Dialect
	customers int
	products  int
	window    time.Duration
}

func setup(t *testing.T, o setupOptions) *bundle {
	t.Helper()
	ctx := context.Background()
	ds := dataset.Generate(dataset.GenerateConfig{Seed: jobstest.DefaultSeed, Customers: o.customers, Products: o.products})
	w := jobstest.New(t, jobstest.Options{Dialect: o.dialect, NoEngine: true, Sandbox: sandbox.Options{Dataset: ds}})
	proc, err := webhook.New(webhook.Config{Store: w.Store, Nhanh: w.Deps.Nhanh, RetryAfter: 100 * time.Millisecond,
		BusinessID: w.Sandbox.Endpoints().NhanhBusinessID})
	require.NoError(t, err)
	kinds, err := jobs.Kinds(w.Deps)
	require.NoError(t, err)
	e, err := engine.New(engine.Config{Store: w.Store, Kinds: kinds, FlushInterval: 50 * time.Millisecond,
		Webhooks: proc, WebhookWindow: o.window})
	require.NoError(t, err)
	require.NoError(t, e.StartWorkers(ctx))
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(stop)
	})
	w.Engine = e
	b := &bundle{w: w, e: e}

	for _, typ := range []string{jobs.PullNhanhCustomers, jobs.PullShopifyCustomers, jobs.PullNhanhProducts,
		jobs.PullShopifyProducts, jobs.AutoMatchCustomers, jobs.AutoMatchProducts} {
		j := w.Run(t, typ, nil)
		require.Equal(t, engine.StatusCompleted, j.Status, "%s: %s", typ, j.Error)
	}
	for _, l := range ds.ShopifyLocations {
		b.locations = append(b.locations, l.ID)
	}
	require.NotEmpty(t, b.locations)
	b.feeds = map[extid.NhanhDepotID]extid.ShopifyLocationGID{}
	for i, d := range ds.NhanhDepots {
		b.feeds[d.ID] = b.locations[i%len(b.locations)]
		require.NoError(t, w.Store.SetLocationMapping(ctx, w.Store.DB(),
			store.LocationMapping{DepotID: d.ID, LocationID: b.feeds[d.ID]}, time.Now()))
	}
	for _, typ := range []string{jobs.ProductSync, jobs.CustomerSync} {
		j := w.Run(t, typ, nil)
		require.Equal(t, engine.StatusCompleted, j.Status, "%s: %s", typ, j.Error)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != verifyToken {
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		event, err := webhook.EventOf(body)
		if err != nil {
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		if _, err := e.ReceiveWebhook(r.Context(), engine.WebhookIn{Source: webhook.Source, Event: event, Body: body}, webhook.Actor); err != nil {
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		b.received.Add(1)
	}))
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

// deliverFromFake makes the Nhanh fake deliver its webhooks to the bundle.
func (b *bundle) deliverFromFake() {
	b.w.Sandbox.Nhanh().SetWebhookTarget(b.url, verifyToken, nil)
}

// flush waits until the fake delivered everything and the engine processed
// every delivery and the jobs they started finished.
func (b *bundle) flush(t *testing.T) {
	t.Helper()
	// Generous: 10,000 deliveries, each stored in its own transaction, take
	// seconds here and minutes on a loaded machine under the race detector.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	require.NoError(t, b.w.Sandbox.Nhanh().FlushWebhooks(ctx))
	for {
		pending, err := b.w.Store.CountPendingWebhookDeliveries(ctx, b.w.Store.Reader())
		require.NoError(t, err)
		active, err := b.e.List(ctx, engine.ListFilter{Statuses: []engine.Status{engine.StatusPending, engine.StatusRunning}, Limit: 1})
		require.NoError(t, err)
		if pending == 0 && len(active) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("deliveries still pending: %d, active jobs: %v", pending, active)
		case <-time.After(50 * time.Millisecond): // polling the database the drains write
		}
	}
}

// syncJobs returns the jobs of type the webhooks started.
func (b *bundle) syncJobs(t *testing.T, jobType string) []engine.Job {
	t.Helper()
	all, err := b.e.List(context.Background(), engine.ListFilter{Types: []string{jobType}, Limit: 1000})
	require.NoError(t, err)
	var out []engine.Job
	for _, j := range all {
		if j.RequestedBy == webhook.Actor.String() {
			out = append(out, j)
		}
	}
	return out
}

// requireLiveStock checks that every product among ids shows in Shopify
// the stock Nhanh has now, at every mapped location.
func (b *bundle) requireLiveStock(t *testing.T, ids []extid.NhanhProductID) {
	t.Helper()
	ctx := context.Background()
	live, err := nhanh.WebhookInventory(dataOf(t, b.w.Sandbox.Nhanh().InventoryChangeBody(ids...)))
	require.NoError(t, err)
	mapped, err := b.w.Store.MappedProductsOf(ctx, b.w.Store.Reader(), ids)
	require.NoError(t, err)
	shop := b.w.Sandbox.Shopify()
	for _, id := range ids {
		m, err := b.w.Store.ProductMapping(ctx, b.w.Store.Reader(), mapped[id])
		require.NoError(t, err)
		v, ok := shop.Variant(m.ShopifyID)
		require.True(t, ok)
		want := map[extid.ShopifyLocationGID]int64{}
		for depot, n := range live[id].Depots {
			want[b.feeds[depot]] += n
		}
		for _, loc := range b.locations {
			got, _ := shop.Available(v.InventoryItemID, loc)
			require.Equal(t, want[loc], got, "product %d at %s", id, loc)
		}
	}
}

func dataOf(t *testing.T, body []byte) []byte {
	t.Helper()
	w, err := nhanh.ParseWebhook(body)
	require.NoError(t, err)
	return w.Data
}

// syncedProducts are the Nhanh products whose mapping the first full sync
// wrote (the ones a stock sync writes: not parents, combos or unstocked).
func (b *bundle) syncedProducts(t *testing.T) []extid.NhanhProductID {
	t.Helper()
	ms, err := b.w.Store.ProductMappings(context.Background(), b.w.Store.Reader(),
		store.MappingFilter{Statuses: []store.MappingStatus{store.MappingSynced}})
	require.NoError(t, err)
	out := make([]extid.NhanhProductID, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.NhanhID)
	}
	require.NotEmpty(t, out)
	return out
}

// TestInventoryBurst: 10,000 inventoryChange deliveries in a burst become a
// handful of targeted PRODUCT_SYNC jobs, and every changed product ends with
// Nhanh's live stock in Shopify.
func TestInventoryBurst(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOptions{dialect: d, customers: 50, products: 300, window: time.Second})
			products := b.syncedProducts(t)
			depots := b.w.Sandbox.Nhanh().Snapshot().NhanhDepots
			b.deliverFromFake()
			const deliveries = 10_000
			began := time.Now()
			changed := map[extid.NhanhProductID]bool{}
			for i := range deliveries {
				p := products[(i*7)%len(products)]
				require.True(t, b.w.Sandbox.Nhanh().SetStock(p, depots[i%len(depots)].ID, int64(1+(i*31)%97)))
				changed[p] = true
			}
			b.flush(t)
			burst := time.Since(began)
			require.EqualValues(t, deliveries, b.received.Load())
			require.Equal(t, nhanhStats(deliveries), b.w.Sandbox.Nhanh().WebhookStats())

			started := b.syncJobs(t, jobs.ProductSync)
			require.NotEmpty(t, started)
			// A steady stream drains at most once every
			// WebhookMaxDelayWindows windows, so however long the burst
			// took to arrive (seconds here, minutes on a loaded machine
			// under the race detector), the syncs it starts are bounded by
			// its length, not by the number of deliveries.
			bound := int(burst/(engine.WebhookMaxDelayWindows*time.Second)) + 2
			require.LessOrEqual(t, len(started), bound, "a burst of %s is a handful of syncs, not one per delivery", burst)
			for _, j := range started {
				require.Equal(t, engine.StatusCompleted, j.Status, "job %d: %s", j.ID, j.Error)
			}
			ids := make([]extid.NhanhProductID, 0, len(changed))
			for id := range changed {
				ids = append(ids, id)
			}
			b.requireLiveStock(t, ids)

			recent, err := b.e.WebhookDeliveries(context.Background(), engine.WebhookFilter{Limit: 5})
			require.NoError(t, err)
			require.Equal(t, engine.WebhookProcessed, recent[0].Outcome)
			require.Contains(t, recent[0].Detail, jobs.ProductSync+" job ")
			counts := b.e.WebhookCounts()
			// A body equal to an earlier one (the same stock again) is a
			// duplicate: stored once, processed once.
			stored := counts[engine.WebhookCount{Event: "inventoryChange", Outcome: engine.WebhookReceived}]
			require.EqualValues(t, deliveries, stored+counts[engine.WebhookCount{Event: "inventoryChange", Outcome: engine.WebhookDuplicate}])
			require.Equal(t, stored, counts[engine.WebhookCount{Event: "inventoryChange", Outcome: engine.WebhookProcessed}])
			t.Logf("%d deliveries (%d duplicates) became %d PRODUCT_SYNC jobs", deliveries, deliveries-stored, len(started))
		})
	}
}

func nhanhStats(n int) nhanhfake.WebhookStats {
	return nhanhfake.WebhookStats{Queued: n, Delivered: n, Attempts: n}
}

// TestOrdersRefreshSpend: order events re-read their customers from Nhanh
// and push the new spend to Shopify through one CUSTOMER_SYNC.
func TestOrdersRefreshSpend(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 120, products: 60})
	b.deliverFromFake()
	rep := b.w.Sandbox.Nhanh().Sell(nhanhfake.SellOptions{Seed: 3, Orders: 20, Returns: 3, Deletes: 2})
	b.flush(t)

	started := b.syncJobs(t, jobs.CustomerSync)
	require.NotEmpty(t, started)
	live := map[extid.NhanhCustomerID]dataset.NhanhCustomer{}
	for _, c := range b.w.Sandbox.Nhanh().Snapshot().NhanhCustomers {
		live[c.ID] = c
	}
	mapped, err := b.w.Store.MappedCustomersOf(context.Background(), b.w.Store.Reader(), rep.Customers)
	require.NoError(t, err)
	require.NotEmpty(t, mapped, "some buyers are mapped")
	shop := b.w.Sandbox.Shopify()
	for nid, mid := range mapped {
		m, err := b.w.Store.CustomerMapping(context.Background(), b.w.Store.Reader(), mid)
		require.NoError(t, err)
		mf, ok := shop.Metafield(m.ShopifyID, "custom.total_spent")
		require.True(t, ok)
		require.Equal(t, strconv.FormatInt(int64(math.Round(live[nid].TotalAmount)), 10), mf.Value, "customer %d", nid)
	}
}

// TestDuplicateProcessedOnce: the same body delivered twice is stored
// once, counted as a duplicate, and starts one job.
func TestDuplicateProcessedOnce(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOptions{dialect: d, customers: 20, products: 40, window: 300 * time.Millisecond})
			p := b.syncedProducts(t)[0]
			depot := b.w.Sandbox.Nhanh().Snapshot().NhanhDepots[0].ID
			require.True(t, b.w.Sandbox.Nhanh().SetStock(p, depot, 42))
			body := b.w.Sandbox.Nhanh().InventoryChangeBody(p)
			ctx := context.Background()
			first, err := b.e.ReceiveWebhook(ctx, engine.WebhookIn{Source: webhook.Source, Event: "inventoryChange", Body: body}, webhook.Actor)
			require.NoError(t, err)
			require.False(t, first.Duplicate)
			b.flush(t)
			again, err := b.e.ReceiveWebhook(ctx, engine.WebhookIn{Source: webhook.Source, Event: "inventoryChange", Body: body}, webhook.Actor)
			require.NoError(t, err)
			require.True(t, again.Duplicate)
			require.Equal(t, first.ID, again.ID)
			b.flush(t)

			require.Len(t, b.syncJobs(t, jobs.ProductSync), 1, "processed once")
			list, err := b.e.WebhookDeliveries(ctx, engine.WebhookFilter{})
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, 1, list[0].Duplicates)
			require.Equal(t, engine.WebhookProcessed, list[0].Outcome)
			b.requireLiveStock(t, []extid.NhanhProductID{p})
			counts := b.e.WebhookCounts()
			require.EqualValues(t, 1, counts[engine.WebhookCount{Event: "inventoryChange", Outcome: engine.WebhookDuplicate}])
		})
	}
}

// TestEventsWithoutSyncs: product events update the mirror; the probe and
// unknown events are stored and acknowledged; a body that is not a webhook
// is recorded as failed.
func TestEventsWithoutSyncs(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 20, products: 20, window: -1})
	ctx := context.Background()
	business := b.w.Sandbox.Endpoints().NhanhBusinessID
	receive := func(event, body string) {
		body = strings.ReplaceAll(body, `"businessId":1`, `"businessId":"`+business+`"`)
		_, err := b.e.ReceiveWebhook(ctx, engine.WebhookIn{Source: webhook.Source, Event: event, Body: []byte(body)}, webhook.Actor)
		require.NoError(t, err)
	}
	receive("productAdd", `{"event":"productAdd","businessId":1,"data":{"id":990001,"code":"NEW-1","name":"Áo mới","prices":{"retail":120000},"inventory":{"available":3,"depots":[]}}}`)
	receive("productUpdate", `{"event":"productUpdate","businessId":1,"data":{"id":990001,"code":"NEW-1","name":"Áo mới 2","prices":{"retail":130000},"inventory":{"available":3,"depots":[]}}}`)
	receive("productAdd", `{"event":"productAdd","businessId":1,"data":{"id":990002,"code":"NEW-2","name":"Quần","inventory":{"available":1}}}`)
	b.flush(t)
	receive("productDelete", `{"event":"productDelete","businessId":1,"data":{"id":990002}}`)
	receive("webhooksEnabled", `{"event":"webhooksEnabled","businessId":1,"data":{}}`)
	receive("customerUpdate", `{"event":"customerUpdate","businessId":1,"data":{"id":5}}`)
	receive("", `not json`)
	b.flush(t)

	p, err := b.w.Store.NhanhProduct(ctx, b.w.Store.Reader(), 990001)
	require.NoError(t, err)
	require.Equal(t, "Áo mới 2", p.Name, "the later update wins")
	gone, err := b.w.Store.NhanhProduct(ctx, b.w.Store.Reader(), 990002)
	require.NoError(t, err)
	require.False(t, gone.DeletedAt.IsZero())

	list, err := b.e.WebhookDeliveries(ctx, engine.WebhookFilter{})
	require.NoError(t, err)
	outcomes := map[string]string{}
	for _, d := range list {
		outcomes[d.Event] = d.Outcome
		require.False(t, d.Pending(), "%s processed", d.Event)
	}
	require.Equal(t, map[string]string{"productAdd": engine.WebhookProcessed, "productUpdate": engine.WebhookProcessed,
		"productDelete": engine.WebhookProcessed, "webhooksEnabled": engine.WebhookIgnored,
		"customerUpdate": engine.WebhookIgnored, "": engine.WebhookFailed}, outcomes)
	require.Empty(t, b.syncJobs(t, jobs.ProductSync))

	// A delivery for another business of the same Nhanh app is not ours.
	receive("productUpdate", `{"event":"productUpdate","businessId":"424242","data":{"id":990001,"name":"Không phải của mình"}}`)
	b.flush(t)
	p, err = b.w.Store.NhanhProduct(ctx, b.w.Store.Reader(), 990001)
	require.NoError(t, err)
	require.Equal(t, "Áo mới 2", p.Name)
	list, err = b.e.WebhookDeliveries(ctx, engine.WebhookFilter{Limit: 1})
	require.NoError(t, err)
	require.Equal(t, engine.WebhookIgnored, list[0].Outcome)
	require.Contains(t, list[0].Detail, "business 424242")
}

// TestStockWaitsForActiveSync: while a PRODUCT_SYNC is pending or running,
// inventory deliveries stay pending (their claims released) and the drain
// asks to run again; the next drain puts every waiting product in one sync.
func TestStockWaitsForActiveSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := jobstest.New(t, jobstest.Options{NoEngine: true, Sandbox: sandbox.Options{Customers: 5, Products: 5}})
	kinds, err := jobs.Kinds(w.Deps)
	require.NoError(t, err)
	// No workers: a started job stays pending, and the test drains by hand.
	e, err := engine.New(engine.Config{Store: w.Store, Kinds: kinds, NoWorkers: true})
	require.NoError(t, err)
	proc, err := webhook.New(webhook.Config{Store: w.Store, Nhanh: w.Deps.Nhanh, RetryAfter: time.Second})
	require.NoError(t, err)
	var mappings []store.ProductMapping
	for i := int64(1); i <= 3; i++ {
		_, err := w.Store.UpsertNhanhProducts(ctx, w.Store.DB(), []store.NhanhProduct{{ID: extid.NhanhProductID(900 + i), Name: "p"}}, time.Now())
		require.NoError(t, err)
		mappings = append(mappings, store.ProductMapping{NhanhID: extid.NhanhProductID(900 + i),
			ShopifyID: extid.ShopifyVariantGID("gid://shopify/ProductVariant/" + strconv.FormatInt(800+i, 10))})
	}
	require.NoError(t, w.Store.CreateProductMappings(ctx, w.Store.DB(), mappings, time.Now()))
	receive := func(id int) {
		body := `{"event":"inventoryChange","data":[{"id":` + strconv.Itoa(id) + `,"available":7,"depots":[{"id":1,"available":7}]}]}`
		_, err := e.ReceiveWebhook(ctx, engine.WebhookIn{Source: webhook.Source, Event: "inventoryChange", Body: []byte(body)}, webhook.Actor)
		require.NoError(t, err)
	}

	running, err := e.Start(ctx, jobs.ProductSync, nil, engine.StartOptions{})
	require.NoError(t, err)
	receive(901)
	receive(902)
	rep, err := proc.ProcessWebhooks(ctx, e)
	require.NoError(t, err)
	require.Equal(t, time.Second, rep.RetryAfter, "asks to run again")
	pending, err := w.Store.CountPendingWebhookDeliveries(ctx, w.Store.Reader())
	require.NoError(t, err)
	require.EqualValues(t, 2, pending, "kept for the next sync")
	active, err := e.List(ctx, engine.ListFilter{Types: []string{jobs.ProductSync}})
	require.NoError(t, err)
	require.Len(t, active, 1, "no second sync beside the active one")

	err = e.Cancel(ctx, running, engine.Actor{})
	require.NoError(t, err)
	receive(903)
	rep, err = proc.ProcessWebhooks(ctx, e)
	require.NoError(t, err)
	require.Zero(t, rep.RetryAfter)
	list, err := e.WebhookDeliveries(ctx, engine.WebhookFilter{})
	require.NoError(t, err)
	require.Len(t, list, 3)
	for _, d := range list {
		require.Equal(t, engine.WebhookProcessed, d.Outcome)
		require.Equal(t, list[0].JobID, d.JobID, "one sync for all three")
	}
	j, err := e.Get(ctx, engine.JobID(list[0].JobID))
	require.NoError(t, err)
	var params struct{ IDs []int64 }
	require.NoError(t, json.Unmarshal(j.Params, &params))
	require.Len(t, params.IDs, 3, "the waiting products and the new one")
	require.Equal(t, webhook.Actor.String(), j.RequestedBy)
}
