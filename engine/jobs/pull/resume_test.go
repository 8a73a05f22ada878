package pull_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
	"syncops/store/storetest"
)

// pullResumeCase is a paged pull stopped after some pages.
type pullResumeCase struct {
	pullCase
	pageSize int64
	gate     func(w *pullWorld) *pullGate
	stopped  int // pages stored before the stop
}

func pullResumeCases() []pullResumeCase {
	nhanhGate := func(w *pullWorld) *pullGate { return w.nhanhGate }
	shopifyGate := func(w *pullWorld) *pullGate { return w.shopifyGate }
	cases := pullCases()
	return []pullResumeCase{
		{pullCase: cases[0], pageSize: 100, gate: nhanhGate, stopped: 3},
		{pullCase: cases[2], pageSize: 100, gate: nhanhGate, stopped: 5},
		{pullCase: cases[3], pageSize: shopifyCustomerPage, gate: shopifyGate, stopped: 2},
		{pullCase: cases[5], pageSize: 250, gate: shopifyGate, stopped: 1},
	}
}

// TestPullCancelledMidwayResumesFromItsCursor cancels each paged pull after
// some pages: the stream is paused after the last stored page, the next
// pull resumes there and ends with exactly the source's rows, and the pull
// after that starts from the beginning.
func TestPullCancelledMidwayResumesFromItsCursor(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		for _, tc := range pullResumeCases() {
			t.Run(string(dialect)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				w := newPullWorld(t, pullWorldOptions{dialect: dialect})
				want := tc.want(w.ds)
				n, stored := rowCount(want), int64(tc.stopped)*tc.pageSize
				gate := tc.gate(w)

				gate.closeAfter(tc.stopped, nil)
				first := w.Start(t, tc.jobType, tc.params)
				j := w.cancelHeld(t, gate, first, int64(tc.stopped))
				require.Equal(t, engine.StatusCancelled, j.Status)
				m := decodePullMeta(t, j)
				requireCounts(t, j, m, stored, 0, 0)
				require.True(t, m.StoppedEarly)
				require.Equal(t, int64(tc.stopped), m.Pages)
				c := w.pullCursor(t, tc.stream)
				require.Equal(t, store.PullPaused, c.State)
				require.NotNil(t, c.Cursor)
				require.Equal(t, stored, c.TotalPulled)
				require.Equal(t, int64(first), c.JobID)
				require.Len(t, tc.mirror.got(t, w.Store), int(stored))

				gate.open()
				j, m = w.pullRun(t, tc.jobType, tc.params)
				requireCounts(t, j, m, n-stored, 0, 0)
				require.Equal(t, &pullResumeMeta{JobID: int64(first), Pulled: stored}, m.ResumedFrom)
				require.Equal(t, tc.pages(w.ds, n)-int64(tc.stopped), m.Pages)
				require.Equal(t, n, m.PulledThisPass)
				require.False(t, m.StoppedEarly)
				requireMirror(t, w.Store, tc.mirror, want)
				require.Equal(t, store.PullDone, w.pullCursor(t, tc.stream).State)

				j, m = w.pullRun(t, tc.jobType, tc.params)
				requireCounts(t, j, m, 0, 0, n)
				require.Nil(t, m.ResumedFrom, "a finished stream starts over")
				require.Equal(t, tc.pages(w.ds, n), m.Pages)
			})
		}
	}
}

// TestPullFailedMidwayResumesAndRestartStartsOver fails a pull on a page
// (the network keeps failing): the job fails saying the stream is paused,
// the next pull resumes; restart=true instead starts from the beginning.
func TestPullFailedMidwayResumesAndRestartStartsOver(t *testing.T) {
	t.Parallel()
	for _, restart := range []bool{false, true} {
		name := map[bool]string{false: "resume", true: "restart"}[restart]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newPullWorld(t, pullWorldOptions{})
			n := int64(len(w.ds.NhanhCustomers))
			w.nhanhGate.closeAfter(4, errors.New("connection reset by peer"))
			j := w.Wait(t, w.Start(t, jobs.PullNhanhCustomers, nil))
			require.Equal(t, engine.StatusFailed, j.Status)
			require.Contains(t, j.Error, "page 5")
			require.Contains(t, j.Error, "after 400 rows of this pass")
			require.Contains(t, j.Error, "next pull resumes")
			m := decodePullMeta(t, j)
			requireCounts(t, j, m, 400, 0, 0)
			require.True(t, m.StoppedEarly)
			require.Equal(t, store.PullPaused, w.pullCursor(t, jobs.PullNhanhCustomers).State)

			w.nhanhGate.open()
			params := engine.Params{}
			if restart {
				params["restart"] = "true"
			}
			j2, m := w.pullRun(t, jobs.PullNhanhCustomers, params)
			requireMirror(t, w.Store, nhanhCustomerMirror, wantNhanhCustomers(w.ds.NhanhCustomers))
			if restart {
				requireCounts(t, j2, m, n-400, 0, 400)
				require.Nil(t, m.ResumedFrom)
				require.Equal(t, nhanhCustomerPages(w.ds, n), m.Pages)
				return
			}
			requireCounts(t, j2, m, n-400, 0, 0)
			require.Equal(t, &pullResumeMeta{JobID: int64(j.ID), Pulled: 400}, m.ResumedFrom)
			require.Equal(t, nhanhCustomerPages(w.ds, n)-4, m.Pages)
		})
	}
}

// TestPullResumesAStreamLeftRunningByADeadJob: a process that dies between
// pages leaves the stream "running" under a job that is no longer live
// (here: cancelled, then the row put back as the crash leaves it); the next
// pull takes it over and resumes.
func TestPullResumesAStreamLeftRunningByADeadJob(t *testing.T) {
	t.Parallel()
	w := newPullWorld(t, pullWorldOptions{})
	// The count query (a small shop: pages), then three pages.
	w.shopifyGate.closeAfter(4, nil)
	first := w.Start(t, jobs.PullShopifyCustomers, nil)
	w.cancelHeld(t, w.shopifyGate, first, 3)
	c := w.pullCursor(t, jobs.PullShopifyCustomers)
	c.State = store.PullRunning
	require.NoError(t, w.Store.SavePullCursor(context.Background(), w.Store.DB(), c))

	w.shopifyGate.open()
	j, m := w.pullRun(t, jobs.PullShopifyCustomers, nil)
	n := int64(len(w.ds.ShopifyCustomers))
	requireCounts(t, j, m, n-3*shopifyCustomerPage, 0, 0)
	require.Equal(t, &pullResumeMeta{JobID: int64(first), Pulled: 3 * shopifyCustomerPage}, m.ResumedFrom)
	requireMirror(t, w.Store, shopifyCustomerMirror, wantShopifyCustomers(w.ds.ShopifyCustomers))
}

// TestPullWithOtherFiltersIsAnotherStream stops a retail-only pull midway:
// an unfiltered pull does not take its cursor (it starts at the beginning),
// and the retail pull later resumes its own.
func TestPullWithOtherFiltersIsAnotherStream(t *testing.T) {
	t.Parallel()
	w := newPullWorld(t, pullWorldOptions{})
	retail := engine.Params{"type": "retail"}
	retailStream := jobs.PullNhanhCustomers + ` {"type":"retail"}`
	w.nhanhGate.closeAfter(2, nil)
	first := w.Start(t, jobs.PullNhanhCustomers, retail)
	w.cancelHeld(t, w.nhanhGate, first, 2)
	require.Equal(t, store.PullPaused, w.pullCursor(t, retailStream).State)
	w.nhanhGate.open()

	n := int64(len(w.ds.NhanhCustomers))
	j, m := w.pullRun(t, jobs.PullNhanhCustomers, nil)
	require.Nil(t, m.ResumedFrom)
	require.Equal(t, nhanhCustomerPages(w.ds, n), m.Pages)
	requireCounts(t, j, m, n-200, 0, 200)
	require.Equal(t, store.PullPaused, w.pullCursor(t, retailStream).State, "the other stream is untouched")

	var retailRows int64
	for _, c := range w.ds.NhanhCustomers {
		if c.Type == dataset.NhanhRetail {
			retailRows++
		}
	}
	j, m = w.pullRun(t, jobs.PullNhanhCustomers, retail)
	require.Equal(t, &pullResumeMeta{JobID: int64(first), Pulled: 200}, m.ResumedFrom)
	require.Equal(t, (retailRows+99)/100-2, m.Pages)
	requireCounts(t, j, m, 0, 0, retailRows-200)
	require.Equal(t, map[string]string{"type": "retail"}, m.Filters)
}

// TestPullRefusesAStreamAnotherJobIsPulling: a restart of a stream whose
// pull is running fails and names that job; the running pull is unharmed.
func TestPullRefusesAStreamAnotherJobIsPulling(t *testing.T) {
	t.Parallel()
	w := newPullWorld(t, pullWorldOptions{})
	w.nhanhGate.closeAfter(2, nil)
	first := w.Start(t, jobs.PullNhanhProducts, nil)
	w.nhanhGate.awaitHeld(t)

	j := w.Wait(t, w.Start(t, jobs.PullNhanhProducts, engine.Params{"restart": "true"}))
	require.Equal(t, engine.StatusFailed, j.Status)
	require.Contains(t, j.Error, "being pulled by job")
	require.Equal(t, int64(first), w.pullCursor(t, jobs.PullNhanhProducts).JobID)

	w.nhanhGate.open()
	j = w.Wait(t, first)
	require.Equal(t, engine.StatusCompleted, j.Status, j.Error)
	m := decodePullMeta(t, j)
	products := wantNhanhProducts(w.ds.NhanhProducts)
	requireCounts(t, j, m, int64(len(products)), 0, 0)
	requireMirror(t, w.Store, nhanhProductMirror, products)
}

// TestPullContinuesInTheNextAttempt gives each attempt a short time budget
// and stalls the pull past it: the attempt ends after its last page, the
// next attempt of the same job continues from the checkpoint, and the job
// ends with exact counts.
func TestPullContinuesInTheNextAttempt(t *testing.T) {
	t.Parallel()
	w := newPullWorld(t, pullWorldOptions{attemptTimeout: 1500 * time.Millisecond})
	w.nhanhGate.closeAfter(3, nil)
	id := w.Start(t, jobs.PullNhanhCustomers, nil)
	w.nhanhGate.awaitHeld(t) // held until the attempt's budget runs out
	// River keeps the attempt number of a continued job, so the bodies'
	// returns tell the attempts apart.
	require.ErrorIs(t, w.bodyResult(t, id), context.DeadlineExceeded, "the first attempt ends on its budget")
	w.nhanhGate.open()
	j := w.Wait(t, id)
	require.Equal(t, engine.StatusCompleted, j.Status, j.Error)
	// The next attempt goes on from the checkpoint; on a loaded machine
	// under the race detector it may itself run out of time and hand over
	// to another, but every later attempt only continues (the counts and
	// pages below prove nothing was read twice) and one completes.
	for n := 2; ; n++ {
		err := w.bodyResult(t, id)
		if err == nil {
			break
		}
		require.ErrorIs(t, err, context.DeadlineExceeded, "attempt %d", n)
	}

	m := decodePullMeta(t, j)
	n := int64(len(w.ds.NhanhCustomers))
	requireCounts(t, j, m, n, 0, 0)
	require.Equal(t, nhanhCustomerPages(w.ds, n), m.Pages)
	require.Nil(t, m.ResumedFrom, "the same job continues; it resumes no other")
	require.False(t, m.StoppedEarly)
	requireMirror(t, w.Store, nhanhCustomerMirror, wantNhanhCustomers(w.ds.NhanhCustomers))
}
