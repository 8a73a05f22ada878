package pull_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
	"syncops/store/storetest"
)

// bulkMeta is the bulk part of a pull's metadata.
type bulkMeta struct {
	Mode          string `json:"mode"`
	Counted       *int64 `json:"counted"`
	Exports       int    `json:"exports"`
	BulkOperation string `json:"bulkOperation"`
	BulkStatus    string `json:"bulkStatus"`
	BulkLines     int64  `json:"bulkLines"`
}

func decodeBulkMeta(t testing.TB, j engine.Job) bulkMeta {
	t.Helper()
	var m bulkMeta
	require.NoError(t, json.Unmarshal(j.Metadata, &m), "metadata %s", j.Metadata)
	return m
}

// awaitMeta waits until job id's metadata satisfies ok.
func (w *pullWorld) awaitMeta(t testing.TB, id engine.JobID, what string, ok func(bulkMeta) bool) bulkMeta {
	t.Helper()
	events, stop := w.Engine.Subscribe()
	defer stop()
	deadline := time.After(time.Minute)
	for {
		j, err := w.Engine.Get(context.Background(), id)
		require.NoError(t, err)
		if len(j.Metadata) > 0 {
			if m := decodeBulkMeta(t, j); ok(m) {
				return m
			}
		}
		select {
		case <-events:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("job %d: %s never happened: %s", id, what, j.Metadata)
		}
	}
}

// TestBulkExportOutlivesItsAttempts: the shop takes 2.5 attempts' time to
// export. The first attempt starts the operation and checkpoints its id,
// the next ones poll that same operation, and the third imports its result:
// one operation started, none cancelled, one download, every row created
// once.
func TestBulkExportOutlivesItsAttempts(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newPullWorld(t, pullWorldOptions{dialect: dialect, attemptTimeout: 3 * time.Second,
				shopifyBulkDelay: 7500 * time.Millisecond})
			id := w.Start(t, jobs.PullShopifyCustomers, engine.Params{"bulk": "true"})
			// Two attempts end polling; the third imports. The result is
			// one batch, stored with its checkpoint at the end of the file:
			// on a loaded machine under the race detector an attempt may end
			// before that commit and the next reads the file again. So no
			// attempt count is assumed for the import, only that the job
			// gets there.
			attempts := w.attemptsUntilDone(t, id)
			require.GreaterOrEqual(t, attempts, 3, "the export outlived two attempts")
			j := w.Wait(t, id)
			require.Equal(t, engine.StatusCompleted, j.Status, j.Error)

			rec := w.Sandbox.Shopify().Record()
			require.Equal(t, 1, rec.BulkStarted, "one operation for the whole job")
			require.Zero(t, rec.BulkCancelled)
			require.GreaterOrEqual(t, rec.BulkDownloads, 1)
			require.LessOrEqual(t, rec.BulkDownloads, attempts-2, "its result read by the importing attempts only")
			n := int64(len(w.ds.ShopifyCustomers))
			requireCounts(t, j, decodePullMeta(t, j), n, 0, 0)
			requireMirror(t, w.Store, shopifyCustomerMirror, wantShopifyCustomers(w.ds.ShopifyCustomers))
			m := decodeBulkMeta(t, j)
			require.Equal(t, "bulk", m.Mode)
			require.Equal(t, 1, m.Exports)
			require.Equal(t, n, m.BulkLines)
			require.Equal(t, "IMPORTED", m.BulkStatus)
			lane := w.lane(t)
			require.Zero(t, lane.JobID, "the lane is free again")
		})
	}
}

// attemptsUntilDone waits for job id's body to return without error and
// counts its attempts; every earlier attempt must have run out of time,
// and the whole within 3 minutes.
func (w *pullWorld) attemptsUntilDone(t testing.TB, id engine.JobID) int {
	t.Helper()
	began, attempts := time.Now(), 0
	for {
		attempts++
		err := w.bodyResult(t, id)
		if err == nil {
			return attempts
		}
		require.ErrorIs(t, err, context.DeadlineExceeded, "attempt %d", attempts)
		require.Less(t, time.Since(began), 3*time.Minute, "the export never finished (%d attempts)", attempts)
	}
}

// lane reads the sandbox shop's bulk lane.
func (w *pullWorld) lane(t testing.TB) store.BulkLane {
	t.Helper()
	l, err := w.Store.LockBulkLane(context.Background(), w.Store.DB(), w.Sandbox.Endpoints().ShopifyShop)
	require.NoError(t, err)
	return l
}

// TestOneBulkOperationPerShop starts bulk pulls of customers and of
// products together: the second waits for the first's lane with a status
// that names it, and the shop never runs two operations at once.
func TestOneBulkOperationPerShop(t *testing.T) {
	t.Parallel()
	w := newPullWorld(t, pullWorldOptions{shopifyBulkDelay: 1500 * time.Millisecond})
	first := w.Start(t, jobs.PullShopifyCustomers, engine.Params{"bulk": "true"})
	w.awaitMeta(t, first, "an operation started", func(m bulkMeta) bool { return m.BulkOperation != "" })
	second := w.Start(t, jobs.PullShopifyProducts, engine.Params{"bulk": "true"})
	m := w.awaitMeta(t, second, "waiting for the lane", func(m bulkMeta) bool { return strings.HasPrefix(m.BulkStatus, "WAITING") })
	require.Contains(t, m.BulkStatus, "job 1 is running a bulk operation")

	for _, id := range []engine.JobID{first, second} {
		j := w.Wait(t, id)
		require.Equal(t, engine.StatusCompleted, j.Status, j.Error)
	}
	rec := w.Sandbox.Shopify().Record()
	require.Equal(t, 2, rec.BulkStarted)
	require.Equal(t, 1, rec.BulkMaxRunning, "never two at once")
	requireMirror(t, w.Store, shopifyCustomerMirror, wantShopifyCustomers(w.ds.ShopifyCustomers))
	requireMirror(t, w.Store, shopifyVariantMirror, shopifyVariantMirror.want(w.ds))
}

// TestCancelledBulkPullCancelsItsOperation: an operator cancels a pull
// whose export is running; the operation is cancelled on Shopify and the
// lane freed at once.
func TestCancelledBulkPullCancelsItsOperation(t *testing.T) {
	t.Parallel()
	w := newPullWorld(t, pullWorldOptions{shopifyBulkDelay: time.Hour})
	id := w.Start(t, jobs.PullShopifyCustomers, engine.Params{"bulk": "true"})
	w.awaitMeta(t, id, "an operation running", func(m bulkMeta) bool { return m.BulkStatus == "RUNNING" })
	require.NoError(t, w.Engine.Cancel(context.Background(), id, engine.Actor{}))
	require.ErrorIs(t, w.bodyResult(t, id), context.Canceled)
	j := w.Wait(t, id)
	require.Equal(t, engine.StatusCancelled, j.Status)
	require.Equal(t, 1, w.Sandbox.Shopify().Record().BulkCancelled)
	require.Zero(t, w.lane(t).JobID)
}

// TestBulkOperationOfAnEndedJobIsCancelled: the lane names an operation of
// a job that is no longer running (its process died for good); the next
// bulk pull cancels that operation, takes the lane and runs its own.
func TestBulkOperationOfAnEndedJobIsCancelled(t *testing.T) {
	t.Parallel()
	// The orphan must still be running when the pull reaches it: at 300 ms
	// it had sometimes completed under a loaded CI machine, and a completed
	// operation is not cancelled (the pull is right to only take the lane).
	w := newPullWorld(t, pullWorldOptions{shopifyBulkDelay: 3 * time.Second})
	ctx := context.Background()
	orphan, err := w.Deps.Shopify.StartCustomerExport(ctx, "")
	require.NoError(t, err)
	require.NoError(t, w.Store.SetBulkLane(ctx, w.Store.DB(), store.BulkLane{Shop: w.Sandbox.Endpoints().ShopifyShop,
		JobID: 999_999, OperationID: orphan, UpdatedAt: time.Now()}))

	j, _ := w.pullRun(t, jobs.PullShopifyCustomers, engine.Params{"bulk": "true"})
	rec := w.Sandbox.Shopify().Record()
	require.Equal(t, 1, rec.BulkCancelled, "the orphan was cancelled")
	require.Equal(t, 2, rec.BulkStarted)
	require.NotEqual(t, orphan, decodeBulkMeta(t, j).BulkOperation)
	requireMirror(t, w.Store, shopifyCustomerMirror, wantShopifyCustomers(w.ds.ShopifyCustomers))
}

// TestPullModeFollowsTheCount: without the bulk parameter a pull counts
// the shop's records; below the threshold setting it pages, at or above it
// it exports in bulk.
func TestPullModeFollowsTheCount(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		threshold int // 0 leaves the default (10,000); else the shop's size plus threshold-1
		wantMode  string
	}{
		{"small shop, default threshold", 0, "pages"},
		{"threshold at the shop's size", 1, "bulk"},
		{"threshold above the shop's size", 2, "pages"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newPullWorld(t, pullWorldOptions{})
			if tc.threshold != 0 {
				v := strconv.Itoa(len(w.ds.ShopifyCustomers) + tc.threshold - 1)
				require.NoError(t, w.Store.SetSetting(context.Background(), w.Store.DB(), jobs.SettingBulkThreshold, v, time.Now()))
			}
			j, pm := w.pullRun(t, jobs.PullShopifyCustomers, nil)
			m := decodeBulkMeta(t, j)
			require.Equal(t, tc.wantMode, m.Mode)
			require.NotNil(t, m.Counted)
			require.Equal(t, int64(len(w.ds.ShopifyCustomers)), *m.Counted)
			requireCounts(t, j, pm, int64(len(w.ds.ShopifyCustomers)), 0, 0)
		})
	}
}

// TestPagingCapIsNoticedAndBulkAvoidsIt: with connections that stop after
// 300 objects (the sandbox's model of a paging cap), a paged pull of a
// mirror that already holds every customer ends short of Shopify's count:
// it says by how much and marks nothing deleted. The bulk export, which
// has no cap, reads every customer.
func TestPagingCapIsNoticedAndBulkAvoidsIt(t *testing.T) {
	t.Parallel()
	const pagingCap = 300
	w := newPullWorld(t, pullWorldOptions{shopifyPagingCap: pagingCap})
	jobstest.FillMirrors(t, w.Store, w.ds)
	n := int64(len(w.ds.ShopifyCustomers))

	j, pm := w.pullRun(t, jobs.PullShopifyCustomers, nil)
	var short struct {
		ShortOfCount int64 `json:"shortOfCount"`
	}
	require.NoError(t, json.Unmarshal(j.Metadata, &short))
	require.Equal(t, n-pagingCap, short.ShortOfCount)
	require.Equal(t, int64(pagingCap), pm.PulledThisPass)
	require.Nil(t, pm.DeletedAtSource, "a pass short of the count marks nothing deleted")
	live, err := w.Store.CountShopifyCustomers(context.Background(), w.Store.Reader())
	require.NoError(t, err)
	require.Equal(t, n, live)

	j, pm = w.pullRun(t, jobs.PullShopifyCustomers, engine.Params{"bulk": "true"})
	require.Equal(t, n, pm.PulledThisPass)
	requireMirror(t, w.Store, shopifyCustomerMirror, wantShopifyCustomers(w.ds.ShopifyCustomers))
	require.NotContains(t, string(j.Metadata), "shortOfCount")
}
