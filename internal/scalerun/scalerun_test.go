package scalerun_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
	"syncops/clients/sandbox/shopifyfake"
	"syncops/engine/jobs"
	jobsync "syncops/engine/jobs/sync"
	"syncops/internal/testbin"
	"syncops/store"
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// Defaults of the scale run (see the package documentation).
const (
	defaultCustomers = 500_000
	defaultProducts  = 100_000
	defaultRate      = 100
	// pollEvery is how often the run reads a job's state while it runs.
	pollEvery = 200 * time.Millisecond
	// phaseTimeout gives up on a phase that makes no end.
	phaseTimeout = 45 * time.Minute
)

// phase is one job of the run.
type phase struct {
	jobType string
	// label names the phase in the report ("" is jobType).
	label  string
	params []string // --param values
	// before prepares the phase (location mappings, trading).
	before func(b *testing.B, w *world)
}

// phaseResult is what one phase took and what bounded it.
type phaseResult struct {
	jobType string
	// took is the job's own time, from its record: created (the CLI's
	// insert, so the service's pickup counts) to completed. Starting the
	// CLI process and polling for the end are the run's, not the job's.
	took      time.Duration
	processed int64
	// bound is the least time the APIs' rate limits allow for the calls
	// the phase made; boundBy names the API. nhanh and shopify are each
	// API's own bound: when both are close, the phase must keep both busy
	// at once to reach either.
	bound          time.Duration
	boundBy        string
	nhanh, shopify time.Duration
	// busiest is the Nhanh endpoint the phase called most, with its count.
	busiest string
}

// fraction is the bound as a share of the time taken: 1 means the phase
// ran at the rate limit, 0.1 that something else took 90% of its time.
func (r phaseResult) fraction() float64 {
	if r.took <= 0 {
		return 0
	}
	return r.bound.Seconds() / r.took.Seconds()
}

// BenchmarkScaleRun runs the scale run once (it takes minutes, so b.N stays
// 1) and reports per phase the seconds taken and the fraction of its
// rate-limit bound, the service's peak resident memory, and the database
// size.
func BenchmarkScaleRun(b *testing.B) {
	customers := envInt(b, "SYNCOPS_SCALERUN_CUSTOMERS", defaultCustomers)
	products := envInt(b, "SYNCOPS_SCALERUN_PRODUCTS", defaultProducts)
	rate := envInt(b, "SYNCOPS_SCALERUN_RATE", defaultRate)
	for range b.N {
		w := newWorld(b, customers, products, float64(rate))
		results := w.run(b, []phase{
			{jobType: jobs.PullNhanhCustomers},
			{jobType: jobs.PullShopifyCustomers},
			{jobType: jobs.PullNhanhProducts},
			{jobType: jobs.PullShopifyProducts},
			{jobType: jobs.AutoMatchCustomers},
			{jobType: jobs.AutoMatchProducts},
			{jobType: jobs.CustomerSync},
			// The paced path (the bulk one above the threshold is reported
			// by the README from its own run).
			{jobType: jobs.ProductSync, label: "PRODUCT_SYNC (paced)", before: func(b *testing.B, w *world) {
				mapLocations(b, w)
				w.cli(b, "settings", "set", jobsync.SettingProductBulkWriteThreshold, strconv.Itoa(2*products))
			}},
			{jobType: jobs.AutoSyncCustomers, before: trade},
			{jobType: jobs.AutoSyncProducts},
		})
		rss := w.peakRSS(b)
		w.stop(b)
		dbSize := w.dbSize(b)

		// The table goes to stdout: the testing package keeps only the
		// first ten lines of a benchmark's log.
		fmt.Printf("scale run: %d customers and %d products per side, rate scale %d, %s\n", customers, products, rate, w.dialect)
		fmt.Printf("%-28s %10s %10s %10s %8s  %-18s %9s %9s  %s\n", "phase", "processed", "took", "bound", "fraction", "bound by",
			"Nhanh", "Shopify", "busiest Nhanh endpoint")
		for _, r := range results {
			fmt.Printf("%-28s %10d %10s %10s %8.2f  %-18s %9s %9s  %s\n", r.jobType, r.processed, r.took.Round(time.Millisecond),
				r.bound.Round(time.Millisecond), r.fraction(), r.boundBy, r.nhanh.Round(time.Second), r.shopify.Round(time.Second), r.busiest)
			metric := strings.NewReplacer(" (", "_", ")", "").Replace(r.jobType)
			b.ReportMetric(r.took.Seconds(), "s-"+metric)
			b.ReportMetric(r.fraction(), "bound-"+metric)
		}
		fmt.Printf("peak resident memory of the service: %d MB; database: %d MB\n", rss>>20, dbSize>>20)
		b.ReportMetric(float64(rss>>20), "peak-RSS-MB")
		b.ReportMetric(float64(dbSize>>20), "db-MB")
	}
}

// world is one sandbox, one database and the service running against them.
type world struct {
	sb      *sandbox.Sandbox
	ds      *dataset.Dataset // the generated shop, as it was before the run
	env     []string
	dir     string
	dsn     string
	dialect store.Dialect
	s       *store.Store
	svc     *exec.Cmd
}

func newWorld(b *testing.B, customers, products int, rate float64) *world {
	b.Helper()
	ctx := context.Background()
	ds := dataset.Generate(dataset.GenerateConfig{Seed: 1, Customers: customers, Products: products})
	sb, err := sandbox.Start(ctx, sandbox.Options{Dataset: ds, Scale: rate})
	require.NoError(b, err)
	b.Cleanup(func() { _ = sb.Close(context.Background()) })
	w := &world{sb: sb, ds: ds, dir: b.TempDir(), dialect: store.SQLite}
	w.dsn = filepath.Join(w.dir, "syncops.db")
	if pg := os.Getenv("SYNCOPS_SCALERUN_POSTGRES"); pg != "" {
		w.dsn, w.dialect = pg, store.Postgres
	}
	ep := sb.Endpoints()
	w.env = []string{
		"SYNCOPS_DB=" + w.dsn, "SYNCOPS_DATA_DIR=" + w.dir, "SYNCOPS_LOG_LEVEL=warn",
		"SYNCOPS_NHANH_BASE_URL=" + ep.NhanhBaseURL, "SYNCOPS_NHANH_APP_ID=" + ep.NhanhAppID,
		"SYNCOPS_NHANH_BUSINESS_ID=" + ep.NhanhBusinessID, "SYNCOPS_NHANH_ACCESS_TOKEN=" + ep.NhanhToken,
		"SYNCOPS_NHANH_RATE_WINDOW=" + sb.Nhanh().Window().String(),
		"SYNCOPS_SHOPIFY_SHOP=" + ep.ShopifyShop, "SYNCOPS_SHOPIFY_BASE_URL=" + ep.ShopifyBaseURL,
		"SYNCOPS_SHOPIFY_API_VERSION=" + ep.ShopifyAPIVersion, "SYNCOPS_SHOPIFY_ACCESS_TOKEN=" + ep.ShopifyToken,
	}
	w.cli(b, "jobs") // migrates the database
	w.s, err = store.Open(ctx, w.dsn, "")
	require.NoError(b, err)
	b.Cleanup(func() { _ = w.s.Close() })

	w.svc = exec.Command(testbin.Path(b), "--no-tui")
	w.svc.Env = append(os.Environ(), w.env...)
	w.svc.Stderr = os.Stderr
	require.NoError(b, w.svc.Start())
	b.Cleanup(func() {
		_ = w.svc.Process.Kill()
		_ = w.svc.Wait()
	})
	return w
}

// cli runs one command of the binary and returns its stdout.
func (w *world) cli(b *testing.B, args ...string) string {
	b.Helper()
	cmd := exec.Command(testbin.Path(b), args...)
	cmd.Env = append(os.Environ(), w.env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(b, err, "syncops %s: %s", strings.Join(args, " "), stderr.String())
	return string(out)
}

// run runs the phases one after the other, each to COMPLETED.
func (w *world) run(b *testing.B, phases []phase) []phaseResult {
	b.Helper()
	var out []phaseResult
	for _, p := range phases {
		if p.before != nil {
			p.before(b, w)
		}
		nhanhBefore, shopifyBefore := w.sb.Nhanh().Record(), w.sb.Shopify().Record()
		args := []string{"run", p.jobType, "--detach"}
		for _, v := range p.params {
			args = append(args, "--param", v)
		}
		id, err := strconv.ParseInt(strings.TrimSpace(w.cli(b, args...)), 10, 64)
		require.NoError(b, err)
		rec := w.await(b, id)
		took := rec.CompletedAt.Sub(rec.CreatedAt)
		require.Equal(b, store.JobCompleted, rec.Status, "%s: %s", p.jobType, rec.Error)

		nhanhAfter, shopifyAfter := w.sb.Nhanh().Record(), w.sb.Shopify().Record()
		require.Empty(b, nhanhAfter.Violations, "Nhanh rate-limit violations after %s", p.jobType)
		require.Zero(b, shopifyAfter.Throttles, "Shopify throttles after %s", p.jobType)
		r := phaseResult{jobType: cmp.Or(p.label, p.jobType), took: took, processed: rec.Counters.Processed, boundBy: "none (local work)"}
		r.nhanh, r.shopify = nhanhBound(nhanhBefore, nhanhAfter), shopifyBound(shopifyBefore, shopifyAfter)
		r.busiest = busiestEndpoint(nhanhBefore, nhanhAfter)
		if r.nhanh > r.bound {
			r.bound, r.boundBy = r.nhanh, "Nhanh requests"
		}
		if r.shopify > r.bound {
			r.bound, r.boundBy = r.shopify, "Shopify cost points"
		}
		out = append(out, r)
	}
	return out
}

// await polls job id until it ends.
func (w *world) await(b *testing.B, id int64) store.JobRecord {
	b.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(phaseTimeout)
	for {
		rec, err := w.s.Job(ctx, w.s.Reader(), id)
		require.NoError(b, err)
		if rec.Status.Terminal() {
			return rec
		}
		require.True(b, time.Now().Before(deadline), "job %d (%s) still %s after %s", id, rec.Type, rec.Status, phaseTimeout)
		time.Sleep(pollEvery)
	}
}

// nhanhBound is the least time Nhanh's sliding window allows for the
// requests made between two records, on the busiest endpoint: request k
// (counting from 0) cannot go before the one L earlier has left the
// window, so n requests need floor((n-1)/L) whole windows after the first
// burst. (Spreading the excess evenly, (n-L)/L windows, undercounts: 200
// requests at 150 a window need one window, not a third of one.)
func nhanhBound(before, after nhanhfake.Record) time.Duration {
	var bound time.Duration
	for name, e := range after.Endpoints {
		n := e.Requests - before.Endpoints[name].Requests
		if n > after.Limit {
			bound = max(bound, time.Duration((n-1)/after.Limit)*after.Window)
		}
	}
	return bound
}

// busiestEndpoint names the Nhanh endpoint with the most requests between
// two records, with their number ("" when none was called).
func busiestEndpoint(before, after nhanhfake.Record) string {
	name, most := "", 0
	for e, rec := range after.Endpoints {
		if n := rec.Requests - before.Endpoints[e].Requests; n > most {
			name, most = e, n
		}
	}
	if most == 0 {
		return ""
	}
	return fmt.Sprintf("%s x%d", name, most)
}

// shopifyBound is the least time the cost bucket allows for the points
// charged between two records, taking the bucket as full at the start.
func shopifyBound(before, after shopifyfake.Record) time.Duration {
	points := after.Points - before.Points - after.MaximumAvailable
	if points <= 0 || after.RestoreRate <= 0 {
		return 0
	}
	return time.Duration(points / after.RestoreRate * float64(time.Second))
}

// mapLocations maps the first two depots to the first location and the
// third to the second, as an operator would before the first product sync.
func mapLocations(b *testing.B, w *world) {
	b.Helper()
	depots, locs := w.ds.NhanhDepots, w.ds.ShopifyLocations
	require.GreaterOrEqual(b, len(depots), 3)
	require.GreaterOrEqual(b, len(locs), 2)
	for i, loc := range []int{0, 0, 1} {
		w.cli(b, "locations", "set", strconv.FormatInt(int64(depots[i].ID), 10), string(locs[loc].ID))
	}
}

// trade lets the shop sell for a while after the syncs: orders from one
// customer in a hundred, which move spend and stock without moving any
// updatedAt, for the auto-syncs to find.
func trade(b *testing.B, w *world) {
	b.Helper()
	rep := w.sb.Nhanh().Sell(nhanhfake.SellOptions{Seed: 2, Orders: max(10, len(w.ds.NhanhCustomers)/100)})
	require.NotEmpty(b, rep.Customers)
}

// peakRSS reads the service's peak resident set size (VmHWM) while it runs.
func (w *world) peakRSS(b *testing.B) int64 {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.svc.Process.Pid))
	if err != nil {
		b.Logf("peak memory not measured: %v", err)
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(b, err)
			return kb << 10
		}
	}
	return 0
}

// stop ends the service as an operator would (SIGTERM) and waits for it.
func (w *world) stop(b *testing.B) {
	b.Helper()
	require.NoError(b, w.svc.Process.Signal(syscall.SIGTERM))
	_ = w.svc.Wait()
}

// dbSize is the database's size on disk: the SQLite file with its WAL, or
// PostgreSQL's size of the database.
func (w *world) dbSize(b *testing.B) int64 {
	b.Helper()
	if w.dialect == store.Postgres {
		var n int64
		require.NoError(b, w.s.DB().QueryRow(`SELECT pg_database_size(current_database())`).Scan(&n))
		return n
	}
	var total int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(w.dsn + suffix); err == nil {
			total += fi.Size()
		}
	}
	return total
}

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(b, err, "%s", name)
	require.Positive(b, n, "%s", name)
	return n
}
