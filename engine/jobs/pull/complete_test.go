package pull_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/engine/jobs"
	"syncops/store"
	"syncops/store/storetest"
)

// completeWorldConfig is a world with every customer type, inactive
// products, and parent and combo products.
var completeWorldConfig = dataset.GenerateConfig{Seed: 11, Customers: 800, Products: 700,
	Living: dataset.LivingCases{ParentsAndCombos: 3}}

// newOmittedWorld is a pull world whose Nhanh fake answers a list without a
// customer type with retail customers only and one without a product status
// with active products only: the pessimistic reading of what Nhanh leaves
// undocumented (api-facts B4).
func newOmittedWorld(t *testing.T, dialect store.Dialect) *pullWorld {
	t.Helper()
	return newPullWorld(t, pullWorldOptions{dialect: dialect, ds: dataset.Generate(completeWorldConfig), omittedFilters: true})
}

// TestPullAsksForEveryCustomerTypeAndProductStatus: with a Nhanh that reads
// a missing filter as "retail" or "active", the full pulls and the
// incremental pull still bring every wholesale and agent customer and every
// inactive product, with the parent and combo marks, and mark nothing
// deleted.
func TestPullAsksForEveryCustomerTypeAndProductStatus(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newOmittedWorld(t, dialect)
			requireEveryKind(t, w.ds)

			_, m := w.pullRun(t, jobs.PullNhanhCustomers, nil)
			require.Equal(t, int64(0), *m.DeletedAtSource)
			requireMirror(t, w.Store, nhanhCustomerMirror, wantNhanhCustomers(w.ds.NhanhCustomers))

			_, m = w.pullRun(t, jobs.PullNhanhProducts, nil)
			require.Equal(t, int64(0), *m.DeletedAtSource)
			requireMirror(t, w.Store, nhanhProductMirror, wantNhanhProducts(w.ds.NhanhProducts))
			parents, err := w.Store.NhanhParentProductIDs(context.Background(), w.Store.Reader())
			require.NoError(t, err)
			require.Len(t, parents, completeWorldConfig.Living.ParentsAndCombos)

			// A second pass over a source that did not change marks nothing.
			_, m = w.pullRun(t, jobs.PullNhanhCustomers, nil)
			require.Equal(t, int64(0), *m.DeletedAtSource)
			n, err := w.Store.CountNhanhCustomers(context.Background(), w.Store.Reader())
			require.NoError(t, err)
			require.Equal(t, int64(len(w.ds.NhanhCustomers)), n)
		})
	}
}

// TestIncrementalPullAsksForEveryCustomerType: the first incremental run
// (no watermark) pulls every customer, whatever its type.
func TestIncrementalPullAsksForEveryCustomerType(t *testing.T) {
	t.Parallel()
	w := newOmittedWorld(t, "")
	_, m := w.pullRun(t, jobs.IncrementalPullCustomers, map[string]string{"source": "nhanh"})
	require.True(t, m.Nhanh.Done)
	requireMirror(t, w.Store, nhanhCustomerMirror, wantNhanhCustomers(w.ds.NhanhCustomers))
}

// requireEveryKind checks that ds has what the tests above must find.
func requireEveryKind(t *testing.T, ds *dataset.Dataset) {
	t.Helper()
	types := map[dataset.NhanhCustomerType]int{}
	for _, c := range ds.NhanhCustomers {
		types[c.Type]++
	}
	require.Positive(t, types[dataset.NhanhWholesale])
	require.Positive(t, types[dataset.NhanhAgent])
	require.True(t, slices.ContainsFunc(ds.NhanhProducts, func(p dataset.NhanhProduct) bool { return p.Status == 2 && !p.Deleted }))
}

// pullPartsCase removes two rows at the source, one in the first part of
// the pull (retail, active) and one in a later part (agent, inactive).
type pullPartsCase struct {
	name    string
	jobType string
	// firstPart counts the rows of the pull's first part.
	firstPart func(ds *dataset.Dataset) int64
	// remove takes the rows away at the source; it returns their ids.
	remove func(t *testing.T, w *pullWorld) []int64
	// deleted reads whether the mirror marks id deleted.
	deleted func(t *testing.T, w *pullWorld, id int64) bool
	// live counts the live rows of the mirror.
	live func(t *testing.T, w *pullWorld) int64
}

func pullPartsCases() []pullPartsCase {
	ctx := context.Background()
	return []pullPartsCase{
		{name: "customers", jobType: jobs.PullNhanhCustomers,
			firstPart: func(ds *dataset.Dataset) int64 {
				return int64(countFunc(ds.NhanhCustomers, func(c dataset.NhanhCustomer) bool { return c.Type == dataset.NhanhRetail }))
			},
			remove: func(t *testing.T, w *pullWorld) []int64 {
				retail := slices.IndexFunc(w.ds.NhanhCustomers, func(c dataset.NhanhCustomer) bool { return c.Type == dataset.NhanhRetail })
				agent := slices.IndexFunc(w.ds.NhanhCustomers, func(c dataset.NhanhCustomer) bool { return c.Type == dataset.NhanhAgent })
				ids := []int64{int64(w.ds.NhanhCustomers[retail].ID), int64(w.ds.NhanhCustomers[agent].ID)}
				w.serve(t, withoutRows(w.ds, func(ds *dataset.Dataset) {
					ds.NhanhCustomers = slices.DeleteFunc(ds.NhanhCustomers, func(c dataset.NhanhCustomer) bool {
						return slices.Contains(ids, int64(c.ID))
					})
				}))
				return ids
			},
			deleted: func(t *testing.T, w *pullWorld, id int64) bool {
				c, err := w.Store.NhanhCustomer(ctx, w.Store.Reader(), extid.NhanhCustomerID(id))
				require.NoError(t, err)
				return !c.DeletedAt.IsZero()
			},
			live: func(t *testing.T, w *pullWorld) int64 {
				n, err := w.Store.CountNhanhCustomers(ctx, w.Store.Reader())
				require.NoError(t, err)
				return n
			}},
		{name: "products", jobType: jobs.PullNhanhProducts,
			firstPart: func(ds *dataset.Dataset) int64 {
				return int64(countFunc(ds.NhanhProducts, func(p dataset.NhanhProduct) bool { return p.Status == 1 && !p.Deleted }))
			},
			remove: func(t *testing.T, w *pullWorld) []int64 {
				var ids []int64
				for _, status := range []int{1, 2} {
					i := slices.IndexFunc(w.ds.NhanhProducts, func(p dataset.NhanhProduct) bool { return p.Status == status && !p.Deleted })
					p := w.ds.NhanhProducts[i]
					p.Deleted = true // Nhanh's own way: a deleted product is no longer listed
					w.Sandbox.Nhanh().SetProduct(p)
					ids = append(ids, int64(p.ID))
				}
				return ids
			},
			deleted: func(t *testing.T, w *pullWorld, id int64) bool {
				p, err := w.Store.NhanhProduct(ctx, w.Store.Reader(), extid.NhanhProductID(id))
				require.NoError(t, err)
				return !p.DeletedAt.IsZero()
			},
			live: func(t *testing.T, w *pullWorld) int64 {
				n, err := w.Store.CountNhanhProducts(ctx, w.Store.Reader())
				require.NoError(t, err)
				return n
			}},
	}
}

// TestPullInterruptedBetweenPartsMarksNothing removes a row of the first
// part and one of a later part, then stops a pass right after the first
// part's last page: it marks nothing (it has not read every part). The
// next pull resumes the pass and, having read every part, marks exactly the
// two removed rows.
func TestPullInterruptedBetweenPartsMarksNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range pullPartsCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newOmittedWorld(t, "")
			w.pullRun(t, tc.jobType, nil)
			before := tc.live(t, w)
			removed := tc.remove(t, w)

			stored := pagesOf(100)(tc.firstPart(w.ds) - 1) // one row of it was removed
			w.nhanhGate.closeAfter(int(stored), nil)
			j := w.cancelHeld(t, w.nhanhGate, w.Start(t, tc.jobType, nil), stored)
			m := decodePullMeta(t, j)
			require.Nil(t, m.DeletedAtSource, "a pass that has not read every part marks nothing")
			require.True(t, m.StoppedEarly)
			for _, id := range removed {
				require.False(t, tc.deleted(t, w, id), "%d is not marked before the pass is complete", id)
			}
			require.Equal(t, before, tc.live(t, w))
			w.nhanhGate.open()

			_, m = w.pullRun(t, tc.jobType, nil)
			require.NotNil(t, m.ResumedFrom)
			require.Equal(t, int64(len(removed)), *m.DeletedAtSource)
			for _, id := range removed {
				require.True(t, tc.deleted(t, w, id), "%d is marked once every part was read", id)
			}
			require.Equal(t, before-int64(len(removed)), tc.live(t, w))
		})
	}
}

func countFunc[T any](xs []T, keep func(T) bool) int {
	n := 0
	for _, x := range xs {
		if keep(x) {
			n++
		}
	}
	return n
}
