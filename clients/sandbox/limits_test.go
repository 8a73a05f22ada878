package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox"
	"syncops/clients/shopify"
)

// limitsScale is the speed-up of the fakes' limits in these runs.
const limitsScale = 10

// eventClock is a fake clock that remembers when each timer it made is due,
// so a driver can jump straight to the next one instead of creeping in
// small steps. Timers stopped early stay remembered: jumping to such a
// moment wakes nobody and costs one more step.
type eventClock struct {
	*clockwork.FakeClock
	mu  sync.Mutex
	due []time.Time
}

func newEventClock() *eventClock { return &eventClock{FakeClock: clockwork.NewFakeClock()} }

// NewTimer makes a fake timer and remembers when it is due.
func (c *eventClock) NewTimer(d time.Duration) clockwork.Timer {
	c.remember(d)
	return c.FakeClock.NewTimer(d)
}

// After is NewTimer's channel.
func (c *eventClock) After(d time.Duration) <-chan time.Time {
	c.remember(d)
	return c.FakeClock.After(d)
}

func (c *eventClock) remember(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.due = append(c.due, c.Now().Add(max(d, 0)))
}

// advanceToNext moves the clock to the earliest remembered moment after now
// (by a millisecond when none is left).
func (c *eventClock) advanceToNext() {
	c.mu.Lock()
	now := c.Now()
	c.due = slices.DeleteFunc(c.due, func(at time.Time) bool { return !at.After(now) })
	step := time.Millisecond
	if len(c.due) > 0 {
		step = slices.MinFunc(c.due, func(a, b time.Time) int { return a.Compare(b) }).Sub(now)
	}
	c.mu.Unlock()
	c.Advance(step)
}

// drive advances the clock to the next timer each time at least *active
// callers wait on it, until ctx ends. The callers' round trips take no
// clock time, so the limits are measured against the clients' pacing alone.
func (c *eventClock) drive(ctx context.Context, active *atomic.Int64) {
	for ctx.Err() == nil {
		n := active.Load()
		// The count may change while we wait (a phase starts or ends):
		// re-read it.
		waitCtx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err := c.BlockUntilContext(waitCtx, int(max(n, 1)))
		cancel()
		if err == nil && active.Load() == n {
			c.advanceToNext()
		}
	}
}

// runAtTheLimits pulls 20,000 customers from each side and writes 20,000
// metafields and 5,000 inventory quantities through the real clients
// against a sandbox on clock, with the concurrency a job would use. active
// is kept at the number of callers at work, for a fake clock's driver.
func runAtTheLimits(t testing.TB, ctx context.Context, clock clockwork.Clock, active *atomic.Int64) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(ctx, sandbox.Options{Seed: 5, Customers: 20000, Products: 5000, Scale: limitsScale, Clock: clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	ep := sb.Endpoints()
	nc, err := nhanh.New(nhanh.Config{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, BusinessID: ep.NhanhBusinessID,
		AccessToken: ep.NhanhToken, Window: 30 * time.Second / limitsScale, Clock: clock})
	require.NoError(t, err)
	sc, err := shopify.New(shopify.Config{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL, APIVersion: ep.ShopifyAPIVersion,
		AccessToken: ep.ShopifyToken, Clock: clock})
	require.NoError(t, err)
	active.Store(1)

	// Pull every Nhanh customer, page by page.
	var nhanhCustomers int
	var next json.RawMessage
	for {
		page, err := nc.ListCustomers(ctx, nhanh.CustomerFilter{}, next)
		require.NoError(t, err)
		nhanhCustomers += len(page.Customers)
		if page.Next == nil {
			break
		}
		next = page.Next
	}
	require.Equal(t, 20000, nhanhCustomers)

	// Pull every Shopify customer.
	var owners []extid.ShopifyCustomerGID
	after := ""
	for {
		page, err := sc.ListCustomers(ctx, "", after)
		require.NoError(t, err)
		for _, c := range page.Customers {
			owners = append(owners, c.ID)
		}
		if !page.HasNextPage {
			break
		}
		after = page.EndCursor
	}
	require.NotEmpty(t, owners)

	// 20,000 metafields, 25 per call, four calls in flight.
	inputs := make([]shopify.MetafieldInput, 20000)
	for i := range inputs {
		inputs[i] = shopify.MetafieldInput{OwnerID: string(owners[i%len(owners)]), Namespace: "custom", Key: "total_spent",
			Type: "number_integer", Value: fmt.Sprint(1000 * (i + 1))}
	}
	const writers = 4
	var taken atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	active.Store(writers)
	for range writers {
		wg.Go(func() {
			defer active.Add(-1)
			for {
				start := int(taken.Add(shopify.MaxMetafieldsPerCall)) - shopify.MaxMetafieldsPerCall
				if start >= len(inputs) {
					return
				}
				res, err := sc.SetMetafields(ctx, inputs[start:min(start+shopify.MaxMetafieldsPerCall, len(inputs))])
				mu.Lock()
				if err != nil {
					failures = append(failures, err)
				}
				for _, r := range res {
					if r.Err != nil {
						failures = append(failures, r.Err)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	active.Store(1)
	require.Empty(t, failures)

	// 5,000 inventory quantities at the primary location.
	locs, err := sc.Locations(ctx)
	require.NoError(t, err)
	var primary extid.ShopifyLocationGID
	for _, l := range locs {
		if l.Primary {
			primary = l.ID
		}
	}
	var items []shopify.InventoryQuantity
	after = ""
	for len(items) < 5000 {
		page, err := sc.ListVariants(ctx, "", after)
		require.NoError(t, err)
		for _, v := range page.Variants {
			if len(items) < 5000 {
				items = append(items, shopify.InventoryQuantity{InventoryItemID: v.InventoryItemID, LocationID: primary,
					Quantity: int64(len(items) % 97)})
			}
		}
		if !page.HasNextPage {
			break
		}
		after = page.EndCursor
	}
	res, err := sc.SetInventory(ctx, items, shopify.InventoryOptions{KeyPrefix: "limits-test"})
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	active.Store(0)
	return sb
}

// requireNoViolations checks what the fakes recorded: no Nhanh limit
// violation, no call during a lock, no Shopify throttle, and at least 90%
// of Shopify's restore rate used. It returns that fraction.
func requireNoViolations(t testing.TB, sb *sandbox.Sandbox) float64 {
	t.Helper()
	nrec := sb.Nhanh().Record()
	require.Empty(t, nrec.Violations, "Nhanh limit violations")
	require.Zero(t, nrec.CallsWhileLocked)
	srec := sb.Shopify().Record()
	require.Zero(t, srec.Throttles, "Shopify throttles (bucket overdrawn)")
	for endpoint, er := range nrec.Endpoints {
		t.Logf("nhanh %s: %d requests, busiest window %d of %d (%.2f of the limit)", endpoint, er.Requests,
			er.MaxInWindow, nrec.Limit, float64(er.MaxInWindow)/float64(nrec.Limit))
	}
	fraction := srec.SustainedPointsPerSecond() / srec.RestoreRate
	t.Logf("shopify: %d requests, %.0f points; sustained %.0f points/s of a restore rate of %.0f (%.2f)",
		srec.Requests, srec.Points, srec.SustainedPointsPerSecond(), srec.RestoreRate, fraction)
	require.Greater(t, fraction, 0.9)
	return fraction
}

// TestClientsRunAtTheLimitsWithoutViolations drives both clients at the
// sandbox's limits on a fake clock shared by the clients and the fakes, which
// moves only when every caller waits on it; the fakes must record no
// violation. The same run on the real clock (about 20 s) is
// BenchmarkClientsAtTheLimits.
func TestClientsRunAtTheLimitsWithoutViolations(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	clock := newEventClock()
	var active atomic.Int64
	active.Store(1)
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		clock.drive(ctx, &active)
	}()
	sb := runAtTheLimits(t, ctx, clock, &active)
	cancel()
	<-driven
	requireNoViolations(t, sb)
}

// BenchmarkClientsAtTheLimits is the run at the limits on the real clock and
// real loopback sockets, where round trips take real time. It reports the
// fraction of Shopify's restore rate used ("restore-fraction"); a violation
// fails it. An iteration takes about 20 s:
//
//	go test ./clients/sandbox/ -run '^$' -bench ClientsAtTheLimits -benchtime 1x
func BenchmarkClientsAtTheLimits(b *testing.B) {
	var fraction float64
	for b.Loop() {
		var active atomic.Int64
		sb := runAtTheLimits(b, context.Background(), clockwork.NewRealClock(), &active)
		b.StopTimer()
		fraction = requireNoViolations(b, sb)
		b.StartTimer()
	}
	b.ReportMetric(fraction, "restore-fraction")
}
