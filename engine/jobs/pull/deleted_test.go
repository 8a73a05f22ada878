package pull_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
	"syncops/store/storetest"
)

// withoutRows returns a copy of ds that edit changed (ds itself is kept).
func withoutRows(ds *dataset.Dataset, edit func(*dataset.Dataset)) *dataset.Dataset {
	cp := *ds
	cp.NhanhCustomers = slices.Clone(ds.NhanhCustomers)
	cp.NhanhProducts = slices.Clone(ds.NhanhProducts)
	cp.ShopifyCustomers = slices.Clone(ds.ShopifyCustomers)
	cp.ShopifyVariants = slices.Clone(ds.ShopifyVariants)
	edit(&cp)
	return &cp
}

// pullDeletionCase removes one row from the source and brings it back.
type pullDeletionCase struct {
	pullCase
	// remove takes the row away at the source and returns its restore.
	remove func(t *testing.T, w *pullWorld) (restore func())
	// deletedAt reads the removed row's deleted time from the mirror.
	deletedAt func(t *testing.T, w *pullWorld) bool
}

func pullDeletionCases() []pullDeletionCase {
	cases := pullCases()
	const gone = 42 // index of the row that disappears
	serveWithout := func(edit func(*dataset.Dataset)) func(t *testing.T, w *pullWorld) func() {
		return func(t *testing.T, w *pullWorld) func() {
			w.serve(t, withoutRows(w.ds, edit))
			return func() { w.use(t, w.Sandbox) }
		}
	}
	get := func(t *testing.T, deleted func(ctx context.Context) (bool, error)) bool {
		d, err := deleted(context.Background())
		require.NoError(t, err)
		return d
	}
	return []pullDeletionCase{
		{pullCase: cases[0],
			remove: serveWithout(func(ds *dataset.Dataset) { ds.NhanhCustomers = slices.Delete(ds.NhanhCustomers, gone, gone+1) }),
			deletedAt: func(t *testing.T, w *pullWorld) bool {
				return get(t, func(ctx context.Context) (bool, error) {
					c, err := w.Store.NhanhCustomer(ctx, w.Store.Reader(), w.ds.NhanhCustomers[gone].ID)
					return !c.DeletedAt.IsZero(), err
				})
			}},
		{pullCase: cases[2],
			// Nhanh's own way: a deleted product is no longer listed.
			remove: func(t *testing.T, w *pullWorld) func() {
				p := w.liveProduct(t, gone)
				p.Deleted = true
				w.Sandbox.Nhanh().SetProduct(p)
				return func() { p.Deleted = false; w.Sandbox.Nhanh().SetProduct(p) }
			},
			deletedAt: func(t *testing.T, w *pullWorld) bool {
				return get(t, func(ctx context.Context) (bool, error) {
					p, err := w.Store.NhanhProduct(ctx, w.Store.Reader(), w.liveProduct(t, gone).ID)
					return !p.DeletedAt.IsZero(), err
				})
			}},
		{pullCase: cases[3],
			remove: serveWithout(func(ds *dataset.Dataset) { ds.ShopifyCustomers = slices.Delete(ds.ShopifyCustomers, gone, gone+1) }),
			deletedAt: func(t *testing.T, w *pullWorld) bool {
				return get(t, func(ctx context.Context) (bool, error) {
					c, err := w.Store.ShopifyCustomer(ctx, w.Store.Reader(), w.ds.ShopifyCustomers[gone].ID)
					return !c.DeletedAt.IsZero(), err
				})
			}},
		{pullCase: cases[5],
			remove: serveWithout(func(ds *dataset.Dataset) { ds.ShopifyVariants = slices.Delete(ds.ShopifyVariants, gone, gone+1) }),
			deletedAt: func(t *testing.T, w *pullWorld) bool {
				return get(t, func(ctx context.Context) (bool, error) {
					v, err := w.Store.ShopifyVariant(ctx, w.Store.Reader(), w.ds.ShopifyVariants[gone].ID)
					return !v.DeletedAt.IsZero(), err
				})
			}},
	}
}

// liveProduct is the i-th product Nhanh lists.
func (w *pullWorld) liveProduct(t testing.TB, i int) dataset.NhanhProduct {
	t.Helper()
	for _, p := range w.ds.NhanhProducts {
		if p.Deleted {
			continue
		}
		if i == 0 {
			return p
		}
		i--
	}
	t.Fatal("not that many live products")
	return dataset.NhanhProduct{}
}

// TestPullMarksRowsDeletedAtSourceAndRevivesThem removes one row of each
// mirror at the source between complete, unfiltered pulls: the next pull
// marks it deleted (and says so); when it comes back it is live again.
func TestPullMarksRowsDeletedAtSourceAndRevivesThem(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		for _, tc := range pullDeletionCases() {
			t.Run(string(dialect)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				w := newPullWorld(t, pullWorldOptions{dialect: dialect})
				n := rowCount(tc.want(w.ds))
				_, m := w.pullRun(t, tc.jobType, nil)
				require.Equal(t, int64(0), *m.DeletedAtSource)

				restore := tc.remove(t, w)
				j, m := w.pullRun(t, tc.jobType, nil)
				requireCounts(t, j, m, 0, 0, n-1)
				require.Equal(t, int64(1), *m.DeletedAtSource)
				require.True(t, tc.deletedAt(t, w))
				require.Len(t, tc.mirror.got(t, w.Store), int(n-1), "listings leave deleted rows out")

				restore()
				j, m = w.pullRun(t, tc.jobType, nil)
				requireCounts(t, j, m, 0, 1, n-1) // the revived row is updated
				require.Equal(t, int64(0), *m.DeletedAtSource)
				require.False(t, tc.deletedAt(t, w))
				requireMirror(t, w.Store, tc.mirror, tc.want(w.ds))
			})
		}
	}
}

// TestPullMarksNothingAfterAFilteredOrUnfinishedPull: only a complete,
// unfiltered pass knows what the source no longer has.
func TestPullMarksNothingAfterAFilteredOrUnfinishedPull(t *testing.T) {
	t.Parallel()
	w := newPullWorld(t, pullWorldOptions{})
	w.pullRun(t, jobs.PullNhanhCustomers, nil)
	gone := slices.IndexFunc(w.ds.NhanhCustomers, func(c dataset.NhanhCustomer) bool { return c.Type == dataset.NhanhRetail })
	w.serve(t, withoutRows(w.ds, func(ds *dataset.Dataset) { ds.NhanhCustomers = slices.Delete(ds.NhanhCustomers, gone, gone+1) }))
	live := func() bool {
		c, err := w.Store.NhanhCustomer(context.Background(), w.Store.Reader(), w.ds.NhanhCustomers[gone].ID)
		require.NoError(t, err)
		return c.DeletedAt.IsZero()
	}

	_, m := w.pullRun(t, jobs.PullNhanhCustomers, engine.Params{"type": "retail"})
	require.Nil(t, m.DeletedAtSource, "a filtered pull does not mark")
	require.True(t, live())

	w.nhanhGate.closeAfter(7, nil)
	j := w.cancelHeld(t, w.nhanhGate, w.Start(t, jobs.PullNhanhCustomers, nil), 7)
	require.Nil(t, decodePullMeta(t, j).DeletedAtSource, "an unfinished pull does not mark")
	require.True(t, live())
}

// TestPullResumedPassMarksFromItsOriginalStart stops a pass after three
// pages and resumes it in another job after two customers vanished, one
// from a page already stored and one from a page still to come. The resumed
// pass counts from the pass's real start: it marks the one it did not see,
// and none of the rows the first job stored; the next pass finds the other.
func TestPullResumedPassMarksFromItsOriginalStart(t *testing.T) {
	t.Parallel()
	w := newPullWorld(t, pullWorldOptions{})
	w.pullRun(t, jobs.PullNhanhCustomers, nil)
	w.nhanhGate.closeAfter(3, nil)
	w.cancelHeld(t, w.nhanhGate, w.Start(t, jobs.PullNhanhCustomers, nil), 3)
	w.nhanhGate.open()

	early, late := w.ds.NhanhCustomers[10].ID, w.ds.NhanhCustomers[550].ID
	w.serve(t, withoutRows(w.ds, func(ds *dataset.Dataset) {
		ds.NhanhCustomers = slices.DeleteFunc(ds.NhanhCustomers, func(c dataset.NhanhCustomer) bool { return c.ID == early || c.ID == late })
	}))
	deleted := func(id extid.NhanhCustomerID) bool {
		c, err := w.Store.NhanhCustomer(context.Background(), w.Store.Reader(), id)
		require.NoError(t, err)
		return !c.DeletedAt.IsZero()
	}

	_, m := w.pullRun(t, jobs.PullNhanhCustomers, nil)
	require.NotNil(t, m.ResumedFrom)
	require.Equal(t, int64(1), *m.DeletedAtSource)
	require.True(t, deleted(late))
	require.False(t, deleted(early), "seen by this pass before it vanished")
	n, err := w.Store.CountNhanhCustomers(context.Background(), w.Store.Reader())
	require.NoError(t, err)
	require.Equal(t, int64(len(w.ds.NhanhCustomers)-1), n)

	_, m = w.pullRun(t, jobs.PullNhanhCustomers, nil)
	require.Nil(t, m.ResumedFrom)
	require.Equal(t, int64(1), *m.DeletedAtSource)
	require.True(t, deleted(early))
	cursor := w.pullCursor(t, jobs.PullNhanhCustomers)
	require.Equal(t, store.PullDone, cursor.State)
}
