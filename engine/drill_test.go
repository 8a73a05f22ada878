package engine_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
	"syncops/store"
	"syncops/store/storetest"
)

// The drill (issue 14): three instances of the real binary on one
// PostgreSQL database against one sandbox at its published limits (scaled
// in time, the same for the instances' budgets), Nhanh-heavy jobs on all of
// them at once: two pulls of the same Nhanh endpoint on two instances and a
// product sync (Nhanh stock reads, Shopify inventory writes) on the third,
// which is SIGKILLed mid-sync. The sandbox must record no Nhanh and no
// Shopify rate-limit violation, and the killed job must finish on another
// instance with Shopify's stock exactly Nhanh's.
const (
	drillCustomers = 20000
	drillProducts  = 2000
	// drillShopifyPace spaces Shopify's answers like a real round trip, so
	// the product sync runs long enough to be killed mid-way.
	drillShopifyPace = 20 * time.Millisecond
	// drillScale runs the sandbox's windows 15 times faster (Nhanh's 150
	// requests per 30 s become 150 per 2 s), so the pulls press on them.
	drillScale = 15
	// drillAttemptTimeout leaves the sync's first attempt room to wait at
	// the Shopify valve while the pulls start (and for a dropped answer or
	// two, retried): an attempt that reaches no checkpoint in its budget
	// fails the job. It also bounds how long after the kill the sync is
	// rescued. At 8 s a first attempt on a CI machine loaded by the rest of
	// the suite once reached no checkpoint in time.
	drillAttemptTimeout = 12 * time.Second
)

type drillWorld struct {
	*killWorld
	ds    *dataset.Dataset
	procs map[string]*exec.Cmd
	// shopify holds the instances' Shopify requests while shut.
	shopify *valve
}

func newDrillWorld(t *testing.T) *drillWorld {
	t.Helper()
	// Several instances share one PostgreSQL database (SQLite is one
	// process): DSN skips the drill, saying so, without SYNCOPS_TEST_POSTGRES.
	dsn := storetest.DSN(t, store.Postgres)
	ctx := context.Background()
	ds := dataset.Generate(dataset.GenerateConfig{Seed: 31, Customers: drillCustomers, Products: drillProducts})
	sb, err := sandbox.Start(ctx, sandbox.Options{Dataset: ds, Scale: drillScale})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	ep := sb.Endpoints()
	shopify := newValve()
	ep.ShopifyBaseURL = valvedProxy(t, ep.ShopifyBaseURL, drillShopifyPace, shopify)
	w := openKillWorld(t, sb, ep, dsn, drillAttemptTimeout,
		"SYNCOPS_WORKERS=1", "SYNCOPS_NHANH_RATE_WINDOW="+sb.Nhanh().Window().String())
	return &drillWorld{killWorld: w, ds: ds, procs: map[string]*exec.Cmd{}, shopify: shopify}
}

// instance starts a headless instance named name (its logs are prefixed
// with it).
func (w *drillWorld) instance(t *testing.T, name string) {
	t.Helper()
	w.procs[name] = w.serviceTo(t, prefixWriter{name: name})
}

type prefixWriter struct{ name string }

func (p prefixWriter) Write(b []byte) (int, error) {
	for line := range strings.SplitSeq(strings.TrimRight(string(b), "\n"), "\n") {
		fmt.Fprintf(os.Stderr, "[%s] %s\n", p.name, line)
	}
	return len(b), nil
}

// waitJob waits until job id's committed state satisfies done.
func (w *drillWorld) waitJob(t *testing.T, id int64, timeout time.Duration, done func(store.JobRecord) bool) store.JobRecord {
	t.Helper()
	var rec store.JobRecord
	require.Eventually(t, func() bool {
		var err error
		rec, err = w.s.Job(context.Background(), w.s.Reader(), id)
		require.NoError(t, err)
		return done(rec)
	}, timeout, 5*time.Millisecond, "job %d: last seen %s at %d processed", id, rec.Status, rec.Counters.Processed)
	return rec
}

func TestDrillThreeInstancesOneBudget(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs three instances of the real binary")
	}
	w := newDrillWorld(t)
	ctx := context.Background()

	// The product mappings and the depot-to-location mappings the sync
	// needs, set up by one process before the drill.
	w.cli(t, "run", "pull_nhanh_products")
	w.cli(t, "run", "pull_shopify_products", "--param", "bulk=true")
	w.cli(t, "run", "auto_match_products")
	depots, locs := w.ds.NhanhDepots, w.ds.ShopifyLocations
	require.GreaterOrEqual(t, len(depots), 2)
	require.NotEmpty(t, locs)
	feeds := map[extid.ShopifyLocationGID][]extid.NhanhDepotID{locs[0].ID: {depots[0].ID, depots[1].ID}}
	for loc, depots := range feeds {
		for _, depot := range depots {
			w.cli(t, "locations", "set", fmt.Sprint(depot), string(loc))
		}
	}
	mappings, err := w.s.ProductMappings(ctx, w.s.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	n := int64(len(mappings))
	require.Greater(t, n, int64(300), "enough mappings to kill the sync mid-way")

	// Instance a takes the product sync (one worker each) and is held at
	// its first Shopify request; b and c then take the two pulls of
	// Nhanh's customer/list (Nhanh only). The sync goes on once both pulls
	// run, so the three run at once however long the instances take to
	// start.
	w.shopify.shut()
	held := time.Now()
	w.instance(t, "a")
	syncID := w.startJob(t, "product_sync")
	w.waitJob(t, syncID, time.Minute, func(r store.JobRecord) bool { return r.Status == store.JobRunning })
	require.Eventually(t, func() bool { return w.shopify.waiting.Load() > 0 }, time.Minute, 5*time.Millisecond,
		"the sync reaches Shopify")
	w.instance(t, "b")
	w.instance(t, "c")
	pullID := w.startJob(t, "pull_nhanh_customers")
	incID := w.startJob(t, "incremental_pull_customers", "--param", "source=nhanh")
	for _, id := range []int64{pullID, incID} {
		w.waitJob(t, id, time.Minute, func(r store.JobRecord) bool { return r.Status != store.JobPending })
	}
	w.shopify.release()
	t.Logf("Shopify held for %s while the pulls started", time.Since(held).Round(time.Millisecond))

	// Kill a once its sync is a third done, while the pulls run.
	rec := w.waitJob(t, syncID, 2*time.Minute, func(r store.JobRecord) bool { return r.Counters.Processed >= n/3 || r.Status.Terminal() })
	require.False(t, rec.Status.Terminal(), "the sync ended (%s, %d of %d processed: %s) before the kill",
		rec.Status, rec.Counters.Processed, n, rec.Error)
	require.NoError(t, w.procs["a"].Process.Signal(syscall.SIGKILL))
	_ = w.procs["a"].Wait()
	killedAt := rec.Counters.Processed
	// The dead process may have led River: its lease is dropped so a live
	// instance leads, and rescues the job once its attempt is old enough.
	w.awaitRescuable(t, syncID)
	killed := time.Now()

	for _, id := range []int64{pullID, incID, syncID} {
		rec := w.waitJob(t, id, 3*time.Minute, func(r store.JobRecord) bool { return r.Status.Terminal() })
		require.Equal(t, store.JobCompleted, rec.Status, "job %d: %s", id, rec.Error)
	}
	t.Logf("product sync killed at %d of %d processed; everything finished %s after it was rescuable",
		killedAt, n, time.Since(killed).Round(time.Millisecond))
	attempts, err := w.s.JobAttempts(ctx, w.s.Reader(), syncID)
	require.NoError(t, err)
	require.Greater(t, len(attempts), 1, "the sync finished in another attempt, on a live instance")

	// No instance broke a limit, though the pulls pressed on Nhanh's.
	v := w.violations()
	t.Logf("violations: %+v", v)
	require.Zero(t, v, "no rate-limit violation")
	nr := w.sb.Nhanh().Record()
	t.Logf("Nhanh customer/list: %d requests, at most %d of %d in a window of %s",
		nr.Requests("customer/list"), nr.Endpoints["customer/list"].MaxInWindow, nr.Limit, nr.Window)

	// The killed job's results are exact: every mapped variant holds the
	// live Nhanh stock summed over the depots mapped to its location.
	rows, err := w.s.CountNhanhCustomers(ctx, w.s.Reader())
	require.NoError(t, err)
	require.Equal(t, int64(drillCustomers), rows, "both pulls stored every customer once")
	pairs := map[extid.NhanhProductID]extid.ShopifyVariantGID{}
	for _, m := range mappings {
		pairs[m.NhanhID] = m.ShopifyID
	}
	checked, diffs := w.sb.StockMismatches(sandbox.StockCheck{Pairs: pairs, Feeds: feeds})
	require.Empty(t, diffs, "Shopify's stock is Nhanh's live stock")
	require.Positive(t, checked)
}

// drillViolations are the sandbox's counts of requests the real APIs would
// have punished.
type drillViolations struct {
	NhanhOverLimit, NhanhWhileLocked, NhanhLocks int
	ShopifyThrottled, ShopifyMaxCost             int
}

func (w *drillWorld) violations() drillViolations {
	nr, sr := w.sb.Nhanh().Record(), w.sb.Shopify().Record()
	v := drillViolations{NhanhWhileLocked: nr.CallsWhileLocked, ShopifyThrottled: sr.Throttles, ShopifyMaxCost: sr.MaxCostExceeded}
	for _, e := range nr.Endpoints {
		v.NhanhLocks += e.Locks
	}
	for _, x := range nr.Violations {
		if x.Kind == nhanhfake.KindOverLimit {
			v.NhanhOverLimit++
		}
	}
	return v
}
