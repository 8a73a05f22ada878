package sync_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
	"syncops/store/storetest"
)

// offsetClock is the real clock shifted by an offset that a test moves: the
// sandbox's clock, hours or days away from the engine's (the host's), and
// able to jump forward a month while the shop keeps selling.
type offsetClock struct {
	clockwork.Clock
	offset atomic.Int64 // nanoseconds
}

func newOffsetClock(d time.Duration) *offsetClock {
	c := &offsetClock{Clock: clockwork.NewRealClock()}
	c.offset.Store(int64(d))
	return c
}

func (c *offsetClock) Now() time.Time                  { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *offsetClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c *offsetClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }
func (c *offsetClock) Advance(d time.Duration)         { c.offset.Add(int64(d)) }

// spendWorld is a sync world whose sandbox runs on its own clock, every
// truth pair mapped, and the threshold at 0 so every change is written.
type spendWorld struct {
	*syncWorld
	clock *offsetClock
	pairs map[extid.NhanhCustomerID]extid.ShopifyCustomerGID
}

func newSpendWorld(t *testing.T, dialect store.Dialect, skew time.Duration) *spendWorld {
	t.Helper()
	clock := newOffsetClock(skew)
	// Every generated date is well before the sandbox's now.
	ds, truth := dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: jobstest.DefaultSeed, Customers: 200, Products: 60,
		BaseTime: clock.Now().Add(-60 * 24 * time.Hour)})
	w := newSyncWorld(t, worldOptions{dialect: dialect, ds: ds, apiClock: clock})
	w.truth = truth
	sw := &spendWorld{syncWorld: w, clock: clock, pairs: w.matchedCustomers()}
	w.mapCustomers(t, sw.pairs)
	require.NoError(t, w.Store.SetSetting(context.Background(), w.Store.DB(), jobs.SettingCustomerThreshold, "0", time.Now()))
	return sw
}

// requireShopifyHasNhanhSpend checks that every mapped customer's metafield
// equals Nhanh's current totalAmount (rounded), exactly.
func (w *spendWorld) requireShopifyHasNhanhSpend(t *testing.T) {
	t.Helper()
	want := dataset.ExpectedTotalSpent(w.Sandbox.Nhanh().Snapshot().NhanhCustomers)
	for _, id := range slices.Sorted(maps.Keys(w.pairs)) {
		v, ok := want[id]
		if !ok {
			continue // null total: never written
		}
		mf, found := w.Sandbox.Shopify().Metafield(w.pairs[id], "custom.total_spent")
		require.True(t, found, "customer %d has a metafield", id)
		require.Equal(t, strconv.FormatInt(v, 10), mf.Value, "customer %d", id)
	}
}

func (w *spendWorld) metafieldWrites() int { return len(w.Sandbox.Shopify().Record().MetafieldWrites) }

// sellTo places an order for customer id, of the first product in stock.
func (w *spendWorld) sellTo(t *testing.T, id extid.NhanhCustomerID, quantity int64) dataset.NhanhOrder {
	t.Helper()
	snap := w.Sandbox.Nhanh().Snapshot()
	for _, p := range snap.NhanhProducts {
		if p.Deleted || p.ParentID == -2 || len(p.Combos) > 0 || p.Price <= 0 {
			continue
		}
		for _, d := range snap.NhanhDepots {
			if p.Available[d.ID] >= quantity {
				o, err := w.Sandbox.Nhanh().PlaceOrder(dataset.NhanhOrder{DepotID: d.ID, CustomerID: id,
					Lines: []dataset.NhanhOrderLine{{ProductID: p.ID, Quantity: quantity, Price: p.Price}}})
				require.NoError(t, err)
				return o
			}
		}
	}
	t.Fatal("no product in stock")
	return dataset.NhanhOrder{}
}

func (w *spendWorld) knownCustomers() []extid.NhanhCustomerID {
	var out []extid.NhanhCustomerID
	for _, c := range w.Sandbox.Nhanh().Snapshot().NhanhCustomers {
		if _, mapped := w.pairs[c.ID]; mapped && !c.TotalAmountNull && c.TotalAmount > 0 {
			out = append(out, c.ID)
		}
	}
	return out
}

// TestAutoSyncCustomersFindsSpendChangesThroughOrders: orders placed and
// partly returned move spend without moving the customer's updatedAt; the
// auto-sync finds them through order/list and writes exactly Nhanh's
// values, whether the host's clock is hours behind or ahead of Nhanh's.
func TestAutoSyncCustomersFindsSpendChangesThroughOrders(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		for _, skew := range []time.Duration{0, 5 * time.Hour, -5 * time.Hour} {
			t.Run(string(dialect)+"/nhanh_clock_"+skew.String(), func(t *testing.T) {
				t.Parallel()
				w := newSpendWorld(t, dialect, skew)
				ctx := context.Background()
				requireCompleted(t, w.Run(t, jobs.AutoSyncCustomers, nil))
				w.requireShopifyHasNhanhSpend(t)

				ids := w.knownCustomers()
				buyer, returner, edited := ids[0], ids[1], ids[2]
				o := w.sellTo(t, returner, 2)
				// Sold to returner before the last watermark moved: one
				// run writes it, then the partial return lowers it.
				requireCompleted(t, w.Run(t, jobs.AutoSyncCustomers, nil))
				w.requireShopifyHasNhanhSpend(t)
				writes := w.metafieldWrites()

				w.sellTo(t, buyer, 1)
				require.NoError(t, w.Sandbox.Nhanh().ReturnPart(o.ID, o.Lines[0].ProductID, 1))
				// An edit of another field moves updatedAt (Nhanh's clock).
				c := w.nhanhCustomer(edited)
				c.TotalAmount += 7000
				c.UpdatedAt = w.clock.Now().Unix()
				w.Sandbox.Nhanh().SetCustomer(c)

				j := w.Run(t, jobs.AutoSyncCustomers, nil)
				requireCompleted(t, j)
				require.EqualValues(t, 3, j.Successful, "the buyer, the returner and the edited customer")
				require.Equal(t, writes+3, w.metafieldWrites())
				w.requireShopifyHasNhanhSpend(t)

				// Watermarks are Nhanh's timestamps, not the host's.
				mark, ok, err := w.Store.Watermark(ctx, w.Store.DB(), "autosync:nhanh_orders")
				require.NoError(t, err)
				require.True(t, ok)
				require.InDelta(t, w.clock.Now().Unix(), mark, 60)
				mark, _, err = w.Store.Watermark(ctx, w.Store.DB(), "autosync:nhanh_customers")
				require.NoError(t, err)
				require.Equal(t, c.UpdatedAt, mark)

				// Nothing changed since: nothing is written.
				j = w.Run(t, jobs.AutoSyncCustomers, nil)
				requireCompleted(t, j)
				require.Zero(t, j.Successful)
			})
		}
	}
}

// TestAutoSyncCustomersNullTotalIsAFailedItem: a customer whose totalAmount
// Nhanh sends as null fails with the reason and keeps its metafield; the
// mirror holds the spend as unknown, not 0.
func TestAutoSyncCustomersNullTotalIsAFailedItem(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newSpendWorld(t, dialect, 0)
			ctx := context.Background()
			mappingOf := w.mapCustomers(t, nil)
			requireCompleted(t, w.Run(t, jobs.AutoSyncCustomers, nil))
			id := w.knownCustomers()[0]
			before, _ := w.Sandbox.Shopify().Metafield(w.pairs[id], "custom.total_spent")

			c := w.nhanhCustomer(id)
			c.TotalAmountNull, c.UpdatedAt = true, w.clock.Now().Unix()
			w.Sandbox.Nhanh().SetCustomer(c)
			j := w.Run(t, jobs.AutoSyncCustomers, nil)
			require.Equal(t, engine.StatusCompleted, j.Status, j.Error)
			require.EqualValues(t, 1, j.Failed)
			fails := w.Failures(t, j.ID)
			require.Len(t, fails, 1)
			f := fails[strconv.FormatInt(mappingOf[id], 10)]
			require.Contains(t, f.Message, "Nhanh returned no totalAmount")
			after, _ := w.Sandbox.Shopify().Metafield(w.pairs[id], "custom.total_spent")
			require.Equal(t, before.Value, after.Value, "nothing written")
			row, err := w.Store.NhanhCustomer(ctx, w.Store.Reader(), id)
			require.NoError(t, err)
			require.True(t, row.TotalAmountNull, "the mirror keeps the spend unknown")
		})
	}
}

// TestAutoSyncCustomersReconcileCorrectsAHandEdit: a hand edit of the
// metafield is not seen without reading Shopify; reconcile reads it and
// writes only that customer.
func TestAutoSyncCustomersReconcileCorrectsAHandEdit(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newSpendWorld(t, dialect, 0)
			requireCompleted(t, w.Run(t, jobs.AutoSyncCustomers, nil))
			id := w.knownCustomers()[3]
			require.True(t, w.Sandbox.Shopify().EditMetafield(w.pairs[id], "custom.total_spent",
				dataset.Metafield{Type: "number_integer", Value: "1"}))
			writes := w.metafieldWrites()

			j := w.Run(t, jobs.AutoSyncCustomers, engine.Params{"reconcile": "true"})
			requireCompleted(t, j)
			require.EqualValues(t, 1, j.Successful, "only the drifted customer")
			require.Equal(t, writes+1, w.metafieldWrites())
			w.requireShopifyHasNhanhSpend(t)
		})
	}
}

// TestAutoSyncCustomersDropBrake: a collapsed data set (a full pull reads
// it) stops the auto-sync before any write, FAILED with the counts; with
// acceptDrop it writes.
func TestAutoSyncCustomersDropBrake(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newSpendWorld(t, dialect, 0)
			requireCompleted(t, w.Run(t, jobs.AutoSyncCustomers, nil))
			collapsed := w.Sandbox.Nhanh().CollapseSpend(0.5, 3)
			require.NotEmpty(t, collapsed)
			require.Equal(t, engine.StatusCompleted, w.Run(t, jobs.PullNhanhCustomers, nil).Status)
			writes := w.metafieldWrites()

			j := w.Run(t, jobs.AutoSyncCustomers, nil)
			require.Equal(t, engine.StatusFailed, j.Status)
			require.Contains(t, j.Error, "drop brake")
			require.Contains(t, j.Error, "acceptDrop=true")
			require.Equal(t, writes, w.metafieldWrites(), "Shopify untouched")

			// A preview shows the drops the brake would stop, and what it
			// would write.
			j = w.Run(t, jobs.AutoSyncCustomers, engine.Params{"dryRun": "true"})
			requireCompleted(t, j)
			require.Equal(t, writes, w.metafieldWrites(), "Shopify untouched")
			var meta struct {
				DropBrake struct {
					WouldStop bool `json:"wouldStop"`
					Drops     int  `json:"drops"`
				} `json:"dropBrake"`
				Preview engine.DiffTotals `json:"preview"`
			}
			require.NoError(t, json.Unmarshal(j.Metadata, &meta))
			require.True(t, meta.DropBrake.WouldStop)
			require.GreaterOrEqual(t, meta.Preview.Down, int64(meta.DropBrake.Drops))
			require.Positive(t, meta.Preview.SumDown)

			j = w.Run(t, jobs.AutoSyncCustomers, engine.Params{"acceptDrop": "true"})
			requireCompleted(t, j)
			w.requireShopifyHasNhanhSpend(t)
		})
	}
}

// TestCustomersEndToEndOnALivingShop: the full pipeline, then the shop
// keeps selling for six weeks of Nhanh's time (order/list windows split),
// a metafield is edited by hand, then AUTO_SYNC_CUSTOMERS (reconcile):
// every mapped Shopify customer holds Nhanh's current spend exactly.
func TestCustomersEndToEndOnALivingShop(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			// Nhanh's clock starts 45 days behind the host and sells up to
			// 3 days behind it: the host is ahead of Nhanh throughout.
			w := newSpendWorld(t, dialect, -45*24*time.Hour)
			for _, typ := range []string{jobs.PullNhanhCustomers, jobs.PullShopifyCustomers} {
				require.Equal(t, engine.StatusCompleted, w.Run(t, typ, nil).Status, typ)
			}
			requireCompleted(t, w.Run(t, jobs.CustomerSync, nil))
			w.requireShopifyHasNhanhSpend(t)

			var orders int
			for day := range 42 {
				w.clock.Advance(24 * time.Hour)
				rep := w.Sandbox.Nhanh().Sell(nhanhfake.SellOptions{Seed: uint64(day + 1), Orders: 3, Returns: 1})
				orders += len(rep.Placed)
			}
			require.Greater(t, orders, 60)
			id := w.knownCustomers()[5]
			require.True(t, w.Sandbox.Shopify().EditMetafield(w.pairs[id], "custom.total_spent",
				dataset.Metafield{Type: "number_integer", Value: "999"}))

			j := w.Run(t, jobs.AutoSyncCustomers, engine.Params{"reconcile": "true"})
			requireCompleted(t, j)
			require.Positive(t, j.Successful)
			w.requireShopifyHasNhanhSpend(t)
		})
	}
}
