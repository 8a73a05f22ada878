package shopify

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"
)

type governorBundle struct {
	clock *clockwork.FakeClock
	gov   *costGovernor
	ctx   context.Context
}

func setupGovernor(t *testing.T) governorBundle {
	t.Helper()
	clock := clockwork.NewFakeClock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return governorBundle{clock: clock, gov: newCostGovernor(clock), ctx: ctx}
}

// observe settles a fresh reservation with the given bucket status.
func (b governorBundle) observe(t *testing.T, available, maximum, rate float64) {
	t.Helper()
	r, err := b.gov.acquire(b.ctx, 1)
	require.NoError(t, err)
	b.gov.settle(r, "", &bucketStatus{MaximumAvailable: maximum, CurrentlyAvailable: available, RestoreRate: rate}, 0)
}

// acquireAsync starts acquire in a goroutine and returns its result channel.
func (b governorBundle) acquireAsync(ctx context.Context, cost float64) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := b.gov.acquire(ctx, cost)
		done <- err
	}()
	return done
}

// requirePending checks that acquire has not returned. The short real-time
// window gives a wrongly released caller the time to show itself; the fake
// clock does not move meanwhile.
func requirePending(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("acquire returned early (err %v)", err)
	case <-time.After(20 * time.Millisecond):
	}
}

func requireDone(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("acquire did not return")
		return nil
	}
}

func TestGovernorOneAtATimeUntilBucketKnown(t *testing.T) {
	t.Parallel()
	b := setupGovernor(t)
	first, err := b.gov.acquire(b.ctx, 50)
	require.NoError(t, err)

	second := b.acquireAsync(b.ctx, 50)
	// Nothing is known yet, so the second caller waits for the first reply,
	// not for time: advancing the clock must not release it.
	b.clock.Advance(time.Hour)
	requirePending(t, second)

	b.gov.settle(first, "customers", &bucketStatus{MaximumAvailable: 2000, CurrentlyAvailable: 1948, RestoreRate: 100}, 52)
	require.NoError(t, requireDone(t, second))
	require.Equal(t, 52.0, b.gov.estimate("customers", 252), "learned requested cost")
	require.Equal(t, 7.0, b.gov.estimate("other", 7), "static estimate for unseen ops")
}

func TestGovernorWaitsWhatTheBucketNeeds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name            string
		available, rate float64
		cost            float64
		wantWait        time.Duration
	}{
		{"enough points", 100, 100, 10, 0},
		{"short by 10 at 100/s", 0, 100, 10, 100 * time.Millisecond},
		{"short by 250 at 50/s", 2, 50, 252, 5 * time.Second},
		{"cost above the bucket is capped at the bucket", 0, 100, 5000, 20 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupGovernor(t)
			b.observe(t, tc.available, 2000, tc.rate)
			done := b.acquireAsync(b.ctx, tc.cost)
			if tc.wantWait == 0 {
				require.NoError(t, requireDone(t, done))
				return
			}
			require.NoError(t, b.clock.BlockUntilContext(b.ctx, 1))
			b.clock.Advance(tc.wantWait - time.Millisecond)
			requirePending(t, done)
			b.clock.Advance(time.Millisecond)
			require.NoError(t, requireDone(t, done))
			_, _, _, waited := b.gov.snapshot()
			require.Equal(t, tc.wantWait, waited)
		})
	}
}

func TestGovernorSharesOneBucketBetweenCallers(t *testing.T) {
	t.Parallel()
	b := setupGovernor(t)
	b.observe(t, 30, 2000, 10)
	// Three callers of 10 drain the 30 points; a fourth must wait 1 s.
	for range 3 {
		_, err := b.gov.acquire(b.ctx, 10)
		require.NoError(t, err)
	}
	fourth := b.acquireAsync(b.ctx, 10)
	require.NoError(t, b.clock.BlockUntilContext(b.ctx, 1))
	requirePending(t, fourth)
	b.clock.Advance(time.Second)
	require.NoError(t, requireDone(t, fourth))
}

func TestGovernorSettleRefundsAndDiscountsInFlight(t *testing.T) {
	t.Parallel()
	b := setupGovernor(t)
	b.observe(t, 1000, 2000, 100)
	a, err := b.gov.acquire(b.ctx, 252)
	require.NoError(t, err)
	c, err := b.gov.acquire(b.ctx, 252)
	require.NoError(t, err)
	available, _, _, _ := b.gov.snapshot()
	require.InDelta(t, 1000-504, available, 1e-9)

	// c's reply: Shopify charged c 12 of the 252 it requested; a is still in
	// flight and may not be in the figure, so it is subtracted.
	b.gov.settle(c, "customers", &bucketStatus{MaximumAvailable: 2000, CurrentlyAvailable: 988, RestoreRate: 100}, 252)
	available, _, _, _ = b.gov.snapshot()
	require.InDelta(t, 988-252, available, 1e-9)

	// a's reply says 1000 - 12: Shopify ran a before c. c was answered while
	// a was in flight, so its cost is taken off as if it came after.
	b.gov.settle(a, "customers", &bucketStatus{MaximumAvailable: 2000, CurrentlyAvailable: 988, RestoreRate: 100}, 252)
	available, _, _, _ = b.gov.snapshot()
	require.InDelta(t, 988-252, available, 1e-9)

	// With nothing in flight, the next reply is taken as it is: the
	// refunds Shopify made show up.
	d, err := b.gov.acquire(b.ctx, 252)
	require.NoError(t, err)
	b.gov.settle(d, "customers", &bucketStatus{MaximumAvailable: 2000, CurrentlyAvailable: 976, RestoreRate: 100}, 252)
	available, _, _, _ = b.gov.snapshot()
	require.InDelta(t, 976, available, 1e-9)

	// Time restores points at the reported rate, up to the maximum.
	b.clock.Advance(2 * time.Second)
	available, maximum, rate, _ := b.gov.snapshot()
	require.InDelta(t, 976+200, available, 1e-9)
	require.Equal(t, 2000.0, maximum)
	require.Equal(t, 100.0, rate)
	b.clock.Advance(time.Minute)
	available, _, _, _ = b.gov.snapshot()
	require.Equal(t, 2000.0, available)
}

// TestGovernorNeverOverestimatesWhenRepliesCrossOver replays the order
// that can fool a naive estimate: Shopify runs b before a, but a's reply
// lands first and b's (older) figure lands last.
func TestGovernorNeverOverestimatesWhenRepliesCrossOver(t *testing.T) {
	t.Parallel()
	g := setupGovernor(t)
	g.observe(t, 30, 2000, 10)
	a, err := g.gov.acquire(g.ctx, 10)
	require.NoError(t, err)
	b, err := g.gov.acquire(g.ctx, 10)
	require.NoError(t, err)
	// Shopify: b runs (30 -> 20), then a (20 -> 10).
	g.gov.settle(a, "m", &bucketStatus{MaximumAvailable: 2000, CurrentlyAvailable: 10, RestoreRate: 10}, 10)
	g.gov.settle(b, "m", &bucketStatus{MaximumAvailable: 2000, CurrentlyAvailable: 20, RestoreRate: 10}, 10)
	available, _, _, _ := g.gov.snapshot()
	require.LessOrEqual(t, available, 10.0, "the bucket holds 10, the estimate must not say more")
}

func TestGovernorDrainEmptiesTheEstimate(t *testing.T) {
	t.Parallel()
	b := setupGovernor(t)
	b.observe(t, 500, 2000, 100)
	b.gov.drain()
	done := b.acquireAsync(b.ctx, 10)
	require.NoError(t, b.clock.BlockUntilContext(b.ctx, 1))
	requirePending(t, done)
	b.clock.Advance(100 * time.Millisecond)
	require.NoError(t, requireDone(t, done))
}

func TestGovernorHonoursContextWhileWaiting(t *testing.T) {
	t.Parallel()
	b := setupGovernor(t)
	b.observe(t, 0, 2000, 100)
	ctx, cancel := context.WithCancel(b.ctx)
	done := b.acquireAsync(ctx, 500)
	require.NoError(t, b.clock.BlockUntilContext(b.ctx, 1))
	cancel()
	err := requireDone(t, done)
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)

	// The cancelled caller reserved nothing: 10 points come after 100 ms.
	next := b.acquireAsync(b.ctx, 10)
	require.NoError(t, b.clock.BlockUntilContext(b.ctx, 1))
	b.clock.Advance(100 * time.Millisecond)
	require.NoError(t, requireDone(t, next))
}
