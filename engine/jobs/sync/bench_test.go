package sync_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
	"syncops/clients/sandbox/shopifyfake"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
)

// Benchmark knobs, from the environment so a run on a slower machine can
// shrink the world without editing the benchmark.
const (
	benchCustomersEnv  = "SYNCOPS_BENCH_CUSTOMERS"   // default 100,000
	benchScaleEnv      = "SYNCOPS_BENCH_SCALE"       // default 5: published limits x5
	benchRefSecondsEnv = "SYNCOPS_BENCH_REF_SECONDS" // default 15: how long the reference pacing is sampled
)

// Shopify's price of metafieldsSet and what one call carries.
const (
	metafieldsSetCost = 10
	metafieldsPerCall = 25
)

func envNumber(b *testing.B, name string, def float64) float64 {
	text := os.Getenv(name)
	if text == "" {
		return def
	}
	v, err := strconv.ParseFloat(text, 64)
	require.NoError(b, err, "%s", name)
	return v
}

// benchDataset is n customers on both sides, paired by index, with every
// Nhanh type and fractional spends; built directly, without the generator.
func benchDataset(n int) (*dataset.Dataset, []benchPair) {
	ds := &dataset.Dataset{
		NhanhDepots:      []dataset.NhanhDepot{{ID: 21000, Name: "Kho tổng"}},
		ShopifyLocations: []dataset.ShopifyLocation{{ID: extid.ShopifyLocationGID(extid.FormatGID(extid.ResourceLocation, 72100000000)), Name: "Shop", Primary: true}},
	}
	pairs := make([]benchPair, n)
	for i := range n {
		nid := extid.NhanhCustomerID(142400000 + i)
		gid := extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, 7712000000000+int64(i)))
		spend := float64(i%5000)*1234.5 + float64(i%3)*0.25
		ds.NhanhCustomers = append(ds.NhanhCustomers, dataset.NhanhCustomer{ID: nid, Type: dataset.NhanhCustomerType(1 + i%3),
			Name: fmt.Sprintf("Khách hàng %d", i), Mobile: fmt.Sprintf("09%08d", i), TotalAmount: spend, UpdatedAt: 1_760_000_000})
		ds.ShopifyCustomers = append(ds.ShopifyCustomers, dataset.ShopifyCustomer{ID: gid, FirstName: "Khách",
			LastName: strconv.Itoa(i), Phone: fmt.Sprintf("+849%08d", i), UpdatedAt: 1_760_000_000})
		pairs[i] = benchPair{nhanh: nid, shopify: gid, spend: spend}
	}
	return ds, pairs
}

type benchPair struct {
	nhanh   extid.NhanhCustomerID
	shopify extid.ShopifyCustomerGID
	spend   float64
}

// BenchmarkCustomerSync100k runs CUSTOMER_SYNC over 100,000 mapped
// customers against the sandbox at the published limits times Scale, and
// reports its throughput as a fraction of what the cost bucket allows in
// the same time: (initial bucket + restore rate x elapsed) / 10 points per
// call x 25 metafields per call. It then samples the reference system's
// pacing (5 customers at a time, one Nhanh customer/list call and one
// single-metafield write each, 2 s / Scale between slices) through the same
// clients on a fresh sandbox, and reports the speed-up.
//
//	go test ./engine/jobs/sync/ -run '^$' -bench CustomerSync100k -benchtime 1x
func BenchmarkCustomerSync100k(b *testing.B) {
	n := int(envNumber(b, benchCustomersEnv, 100_000))
	scale := envNumber(b, benchScaleEnv, 5)
	refBudget := time.Duration(envNumber(b, benchRefSecondsEnv, 15) * float64(time.Second))
	ds, pairs := benchDataset(n)
	ctx := context.Background()

	for range b.N {
		b.StopTimer()
		w := newSyncWorld(b, worldOptions{ds: ds, scale: scale})
		mapping := map[extid.NhanhCustomerID]extid.ShopifyCustomerGID{}
		for _, p := range pairs {
			mapping[p.nhanh] = p.shopify
		}
		w.mapCustomers(b, mapping)
		b.StartTimer()

		start := time.Now()
		id, err := w.Engine.Start(ctx, jobs.CustomerSync, nil, engine.StartOptions{})
		require.NoError(b, err)
		j := w.Wait(b, id)
		elapsed := time.Since(start)
		b.StopTimer()

		requireCompleted(b, j)
		require.EqualValues(b, n, j.Successful)
		rec := w.Sandbox.Shopify().Record()
		require.Len(b, rec.MetafieldWrites, n)
		require.Zero(b, rec.Throttles, "the shop never refused a request")
		fraction, bound := boundFraction(rec, n, elapsed)
		shopifyWindow := rec.LastRequest.Sub(rec.FirstRequest)

		refRate := referencePacing(b, ds, pairs, scale, refBudget)
		ours := float64(n) / elapsed.Seconds()
		b.ReportMetric(ours, "metafields/s")
		b.ReportMetric(fraction, "fraction-of-bound")
		b.ReportMetric(ours/refRate, "speedup-vs-reference")
		b.Logf("%d customers at scale %g: job %v (Shopify requests over %v, %d calls, %.0f points), %.0f metafields/s; "+
			"bucket bound in that time %.0f metafields/s -> %.3f; sustained %.0f of %.0f points/s restored",
			n, scale, elapsed.Round(time.Millisecond), shopifyWindow.Round(time.Millisecond), rec.Operations["metafieldsSet"],
			rec.Points, ours, bound, fraction, rec.SustainedPointsPerSecond(), rec.RestoreRate)
		b.Logf("reference pacing: %.1f customers/s -> %v for %d; speed-up %.0fx",
			refRate, time.Duration(float64(n)/refRate*float64(time.Second)).Round(time.Second), n, ours/refRate)
	}
}

// boundFraction is the achieved metafields per second over the most the
// cost bucket could pay for in elapsed: its initial level plus the restore
// rate, at 10 points a call of 25.
func boundFraction(rec shopifyfake.Record, n int, elapsed time.Duration) (fraction, boundPerSecond float64) {
	points := rec.InitialAvailable + rec.RestoreRate*elapsed.Seconds()
	bound := points / metafieldsSetCost * metafieldsPerCall
	return float64(n) / bound, bound / elapsed.Seconds()
}

// referencePacing writes customers the way the reference's auto-sync did
// (§6.10): slices of 5 in parallel, each customer one live Nhanh lookup and
// one single-metafield write, then a pause of 2 s (scaled) before the next
// slice. It runs for budget on a fresh sandbox and returns customers/s.
func referencePacing(b *testing.B, ds *dataset.Dataset, pairs []benchPair, scale float64, budget time.Duration) float64 {
	const (
		sliceSize = 5
		sliceGap  = 2 * time.Second
	)
	ctx := context.Background()
	w := newSyncWorld(b, worldOptions{ds: ds, scale: scale})
	nc, sc := w.Deps.Nhanh, w.Deps.Shopify
	gap := time.Duration(float64(sliceGap) / scale)
	start := time.Now()
	done := 0
	for i := 0; i < len(pairs) && time.Since(start) < budget; i += sliceSize {
		var wg sync.WaitGroup
		for _, p := range pairs[i:min(i+sliceSize, len(pairs))] {
			wg.Go(func() { referenceSyncOne(b, ctx, nc, sc, p) })
		}
		wg.Wait()
		done += min(sliceSize, len(pairs)-i)
		time.Sleep(gap) // the reference's pacing, measured here on purpose
	}
	return float64(done) / time.Since(start).Seconds()
}

func referenceSyncOne(b *testing.B, ctx context.Context, nc *nhanh.Client, sc *shopify.Client, p benchPair) {
	page, err := nc.ListCustomers(ctx, nhanh.CustomerFilter{IDs: []extid.NhanhCustomerID{p.nhanh}}, nil)
	if err != nil || len(page.Customers) != 1 {
		b.Errorf("reference lookup of %d: %v", p.nhanh, err)
		return
	}
	value := strconv.FormatInt(int64(page.Customers[0].TotalAmount+0.5), 10)
	results, err := sc.SetMetafields(ctx, []shopify.MetafieldInput{{OwnerID: string(p.shopify), Namespace: "custom",
		Key: "total_spent", Type: "number_integer", Value: value}})
	if err != nil || results[0].Err != nil {
		b.Errorf("reference write of %s: %v %v", p.shopify, err, results[0].Err)
	}
}

// BenchmarkMetafieldsSetConcurrency measures which number of metafieldsSet
// calls in flight keeps a shop's cost bucket busy when every round trip
// takes roundTrip (the sandbox answers in a fraction of a millisecond on
// loopback, which no real shop does). Each case writes for caseTime against
// a bucket that starts nearly empty and restores restoreRate x scale
// points/s, and reports the share of that rate it drew on. The sync jobs'
// shopifyWriteConcurrency comes from this measurement.
func BenchmarkMetafieldsSetConcurrency(b *testing.B) {
	const (
		scale     = 10 // 1,000 points/s: 100 calls/s of 25 metafields
		roundTrip = 50 * time.Millisecond
		caseTime  = 3 * time.Second
	)
	ds, pairs := benchDataset(20_000)
	for _, c := range []int{1, 2, 4, 8, 16} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			for range b.N {
				fake := shopifyfake.New(ds, shopifyfake.Options{Scale: scale, InitialFill: 0.01})
				srv := httptest.NewServer(fake)
				client, err := shopify.New(shopify.Config{Shop: "bench.myshopify.com", BaseURL: srv.URL, AccessToken: "shpat_bench",
					HTTPClient: &http.Client{Transport: slowTransport{roundTrip}}})
				require.NoError(b, err)
				ctx, cancel := context.WithTimeout(context.Background(), caseTime)
				next := make(chan int)
				go func() {
					defer close(next)
					for i := 0; i < len(pairs); i += metafieldsPerCall {
						select {
						case next <- i:
						case <-ctx.Done():
							return
						}
					}
				}()
				var wg sync.WaitGroup
				for range c {
					wg.Go(func() {
						for i := range next {
							var chunk []shopify.MetafieldInput
							for _, p := range pairs[i:min(i+metafieldsPerCall, len(pairs))] {
								chunk = append(chunk, shopify.MetafieldInput{OwnerID: string(p.shopify), Namespace: "custom",
									Key: "total_spent", Type: "number_integer", Value: "1"})
							}
							_, _ = client.SetMetafields(ctx, chunk) // the deadline cuts the last ones short
						}
					})
				}
				wg.Wait()
				cancel()
				srv.Close()
				rec := fake.Record()
				require.Zero(b, rec.Throttles)
				b.ReportMetric(rec.SustainedPointsPerSecond()/rec.RestoreRate, "fraction-of-restore")
				b.ReportMetric(float64(rec.Operations["metafieldsSet"])/caseTime.Seconds(), "calls/s")
			}
		})
	}
}

// slowTransport adds a fixed delay to every round trip, standing in for the
// network between syncops and Shopify.
type slowTransport struct{ delay time.Duration }

func (t slowTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	timer := time.NewTimer(t.delay)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// BenchmarkAutoSyncCustomersAfterTrade measures what a customer auto-sync
// of a settled shop costs per customer whose spend moved: SYNCOPS_BENCH_CUSTOMERS
// generated customers (default 20,000), every mapping written and settled,
// then 5,000 orders placed in Nhanh, at the published limits x
// SYNCOPS_BENCH_SCALE (default 10, as the scale run). It reports the job's
// time and its Nhanh requests; a CPU profile of it shows where the time
// that no rate limit imposes goes.
func BenchmarkAutoSyncCustomersAfterTrade(b *testing.B) {
	n := int(envNumber(b, benchCustomersEnv, 20_000))
	scale := envNumber(b, benchScaleEnv, 10)
	const orders = 5000
	for range b.N {
		b.StopTimer()
		w := newSyncWorld(b, worldOptions{customers: n, products: 500, scale: scale})
		w.mapCustomers(b, w.matchedCustomers())
		w.settleCustomers(b)
		rep := w.Sandbox.Nhanh().Sell(nhanhfake.SellOptions{Seed: 2, Orders: orders})
		before := w.Sandbox.Nhanh().Record()
		b.StartTimer()

		start := time.Now()
		j := w.Run(b, jobs.AutoSyncCustomers, nil)
		elapsed := time.Since(start)
		b.StopTimer()

		requireCompleted(b, j)
		after := w.Sandbox.Nhanh().Record()
		calls := 0
		for name, e := range after.Endpoints {
			calls += e.Requests - before.Endpoints[name].Requests
		}
		b.ReportMetric(elapsed.Seconds(), "s/job")
		b.ReportMetric(float64(calls), "nhanh-requests")
		b.Logf("%d customers, %d orders from %d buyers: %v, %d written, %d unchanged, %d Nhanh requests",
			n, len(rep.Placed), len(rep.Customers), elapsed.Round(time.Millisecond), j.Successful, metaOf(b, j).Unchanged, calls)
	}
}

// settleCustomers records every customer mapping as written with its
// Nhanh spend, as a completed sync leaves them, without the sync's calls.
func (w *syncWorld) settleCustomers(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	ms, err := w.Store.CustomerMappings(ctx, w.Store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	for chunk := range slices.Chunk(ms, 5000) {
		require.NoError(t, w.Store.InTx(ctx, func(tx *sql.Tx) error {
			for _, m := range chunk {
				v := w.truth.ExpectedTotalSpent[m.NhanhID]
				if err := w.Store.RecordCustomerSync(ctx, tx, m.ID, v, m.InputVersion, time.Now(), 0); err != nil {
					return err
				}
				if err := w.Store.SetShopifyTotalSpent(ctx, tx, m.ShopifyID, strconv.FormatInt(v, 10)); err != nil {
					return err
				}
			}
			return nil
		}))
	}
}
