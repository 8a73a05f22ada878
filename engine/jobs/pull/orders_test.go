package pull_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store/storetest"
)

// shiftedClock is the real clock shifted by an offset the test moves: the
// sandbox's clock, away from the engine's (the host's).
type shiftedClock struct {
	clockwork.Clock
	offset atomic.Int64
}

func (c *shiftedClock) Now() time.Time                  { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *shiftedClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c *shiftedClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// TestIncrementalPullFindsSpendChangesThroughOrders: after a first run, the
// shop sells and takes partial returns for six weeks of Nhanh's time
// (order/list windows split) without any customer's updatedAt moving; the
// next incremental pull re-reads exactly the buyers and the mirror holds
// Nhanh's current spend for every customer. Nhanh's clock is 5 hours ahead
// of the host's at the end.
func TestIncrementalPullFindsSpendChangesThroughOrders(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			clock := &shiftedClock{Clock: clockwork.NewRealClock()}
			clock.offset.Store(int64(-42*24*time.Hour + 5*time.Hour))
			ds := dataset.Generate(dataset.GenerateConfig{Seed: 11, Customers: 150, Products: 40,
				BaseTime: clock.Now().Add(-30 * 24 * time.Hour)})
			w := jobstest.New(t, jobstest.Options{Dialect: dialect, Sandbox: sandbox.Options{Dataset: ds, Clock: clock}})
			ctx := context.Background()
			j := w.Run(t, jobs.IncrementalPullCustomers, engine.Params{"source": "nhanh"})
			require.Equal(t, engine.StatusCompleted, j.Status, j.Error)

			touched := map[int64]bool{}
			for day := range 42 {
				clock.offset.Add(int64(24 * time.Hour))
				rep := w.Sandbox.Nhanh().Sell(nhanhfake.SellOptions{Seed: uint64(day + 1), Orders: 2, Returns: 1})
				for _, id := range rep.Customers {
					touched[int64(id)] = true
				}
			}
			require.NotEmpty(t, touched)

			j = w.Run(t, jobs.IncrementalPullCustomers, engine.Params{"source": "nhanh"})
			require.Equal(t, engine.StatusCompleted, j.Status, j.Error)
			snap := w.Sandbox.Nhanh().Snapshot()
			for _, c := range snap.NhanhCustomers {
				row, err := w.Store.NhanhCustomer(ctx, w.Store.Reader(), c.ID)
				require.NoError(t, err)
				require.Equal(t, c.TotalAmountNull, row.TotalAmountNull, "customer %d", c.ID)
				require.Equal(t, c.TotalAmount, row.TotalAmount, "customer %d", c.ID)
			}
			mark, ok, err := w.Store.Watermark(ctx, w.Store.DB(), "incremental:nhanh_orders")
			require.NoError(t, err)
			require.True(t, ok)
			require.InDelta(t, clock.Now().Unix(), mark, 60, "Nhanh's clock")
		})
	}
}
