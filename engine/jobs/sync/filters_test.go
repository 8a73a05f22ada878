package sync_test

import (
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/engine/jobs"
	"syncops/store/storetest"
)

// TestAutoSyncCustomersAsksEveryCustomerType: on a Nhanh that reads a
// missing customer type as retail, an edit of a wholesale or agent
// customer is still found by the auto-sync's updatedAt refresh, which asks
// for each type explicitly.
func TestAutoSyncCustomersAsksEveryCustomerType(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{dialect: d, strictNhanh: true})
			pairs := w.matchedCustomers()
			w.mapCustomers(t, pairs)
			requireCompleted(t, w.Run(t, jobs.AutoSyncCustomers, nil))

			var newest int64
			for _, c := range w.Sandbox.Nhanh().Snapshot().NhanhCustomers {
				newest = max(newest, c.UpdatedAt)
			}
			edited := map[extid.NhanhCustomerID]int64{}
			for _, id := range slices.Sorted(maps.Keys(pairs)) {
				c := w.nhanhCustomer(id)
				if c.Type == dataset.NhanhRetail || c.TotalAmountNull || len(edited) >= 4 {
					continue
				}
				c.TotalAmount += 250_000
				c.UpdatedAt = newest + 3600 // an edit: updatedAt moves past the watermark
				w.Sandbox.Nhanh().SetCustomer(c)
				edited[id] = roundVND(c.TotalAmount)
			}
			require.NotEmpty(t, edited, "the world has non-retail mapped customers")

			requireCompleted(t, w.Run(t, jobs.AutoSyncCustomers, nil))
			for id, want := range edited {
				mf, ok := w.Sandbox.Shopify().Metafield(pairs[id], "custom.total_spent")
				require.True(t, ok)
				require.Equal(t, strconv.FormatInt(want, 10), mf.Value, "customer %d (type %d)", id, w.nhanhCustomer(id).Type)
			}
		})
	}
}

func roundVND(v float64) int64 {
	want := dataset.ExpectedTotalSpent([]dataset.NhanhCustomer{{ID: 1, TotalAmount: v}})
	return want[1]
}
