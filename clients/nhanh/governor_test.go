package nhanh

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
	gov   *rateGovernor
}

func setupGovernor(t *testing.T, limit int, window, margin time.Duration) *governorBundle {
	t.Helper()
	clock := clockwork.NewFakeClock()
	return &governorBundle{clock: clock, gov: newRateGovernor(clock, limit, window, margin, time.Minute)}
}

// acquireAsync starts an acquire in the background and delivers its result.
func (b *governorBundle) acquireAsync(ctx context.Context, endpoint string) <-chan error {
	got := make(chan error, 1)
	go func() {
		release, err := b.gov.acquire(ctx, endpoint)
		if err == nil {
			release()
		}
		got <- err
	}()
	return got
}

func requireBlocked(t *testing.T, got <-chan error) {
	t.Helper()
	select {
	case err := <-got:
		t.Fatalf("acquire returned early: %v", err)
	default:
	}
}

func TestGovernorHoldsSlotUntilWindowAfterReply(t *testing.T) {
	t.Parallel()
	b := setupGovernor(t, 3, 10*time.Second, time.Second)
	ctx := t.Context()
	var releases []func()
	for range 3 {
		release, err := b.gov.acquire(ctx, "customer/list")
		require.NoError(t, err)
		releases = append(releases, release)
	}
	// Another endpoint has its own budget.
	other, err := b.gov.acquire(ctx, "product/list")
	require.NoError(t, err)
	other()

	b.clock.Advance(5 * time.Second) // long replies: slots stay taken while in flight
	releases[0]()
	releases[0]() // release is idempotent
	got := b.acquireAsync(ctx, "customer/list")
	require.NoError(t, b.clock.BlockUntilContext(ctx, 1))
	budget, _ := b.gov.snapshot()
	require.Equal(t, EndpointBudget{Used: 3, Limit: 3, WindowResetsIn: 11 * time.Second}, budget["customer/list"])

	b.clock.Advance(11*time.Second - time.Millisecond)
	require.NoError(t, b.clock.BlockUntilContext(ctx, 1))
	requireBlocked(t, got)

	b.clock.Advance(time.Millisecond)
	require.NoError(t, <-got)
	_, waited := b.gov.snapshot()
	require.Equal(t, 11*time.Second, waited)
}

func TestGovernorWaitsForReplyWhenAllSlotsInFlight(t *testing.T) {
	t.Parallel()
	b := setupGovernor(t, 1, time.Second, 0)
	ctx := t.Context()
	release, err := b.gov.acquire(ctx, "e")
	require.NoError(t, err)
	got := b.acquireAsync(ctx, "e")
	// No timer can help while the only slot is in flight; the release wakes
	// the waiter, which then waits out the window.
	release()
	require.NoError(t, b.clock.BlockUntilContext(ctx, 1))
	requireBlocked(t, got)
	b.clock.Advance(time.Second)
	require.NoError(t, <-got)
}

// TestGovernorRunsAtTheLimit drives a long sequence of zero-latency requests
// on a fake clock and checks both sides of the promise: never more than limit
// starts in any window, and no slack beyond the clock step.
func TestGovernorRunsAtTheLimit(t *testing.T) {
	t.Parallel()
	const (
		limit  = 5
		window = time.Second
		margin = 20 * time.Millisecond
		step   = 10 * time.Millisecond
		total  = 60
	)
	b := setupGovernor(t, limit, window, margin)
	starts := make([]time.Time, 0, total)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range total {
			release, err := b.gov.acquire(context.Background(), "e")
			if err != nil {
				return
			}
			starts = append(starts, b.clock.Now())
			release()
		}
	}()
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-done; cancel() }()
	for b.clock.BlockUntilContext(ctx, 1) == nil {
		b.clock.Advance(step)
	}
	<-done
	require.Len(t, starts, total)
	for i := limit; i < total; i++ {
		gap := starts[i].Sub(starts[i-limit])
		require.GreaterOrEqual(t, gap, window+margin, "start %d", i)
		require.LessOrEqual(t, gap, window+margin+step, "start %d", i)
	}
}

func TestGovernorLock(t *testing.T) {
	t.Parallel()
	b := setupGovernor(t, 10, time.Second, 0)
	ctx := t.Context()
	until := b.clock.Now().Add(5 * time.Second)
	b.gov.lock(context.Background(), "e", until)
	b.gov.lock(context.Background(), "e", until.Add(-time.Second)) // a lock never shrinks
	budget, _ := b.gov.snapshot()
	require.Equal(t, until, budget["e"].LockedUntil)

	got := b.acquireAsync(ctx, "e")
	free, err := b.gov.acquire(ctx, "other")
	require.NoError(t, err, "a lock is per endpoint")
	free()
	require.NoError(t, b.clock.BlockUntilContext(ctx, 1))
	b.clock.Advance(5*time.Second - time.Millisecond)
	require.NoError(t, b.clock.BlockUntilContext(ctx, 1))
	requireBlocked(t, got)
	b.clock.Advance(time.Millisecond)
	require.NoError(t, <-got)
	budget, _ = b.gov.snapshot()
	require.True(t, budget["e"].LockedUntil.IsZero())
}

func TestGovernorRefusesLongLock(t *testing.T) {
	t.Parallel()
	b := setupGovernor(t, 10, time.Second, 0)
	until := b.clock.Now().Add(2 * time.Minute)
	b.gov.lock(context.Background(), "e", until)
	_, err := b.gov.acquire(t.Context(), "e")
	var locked *lockedError
	require.ErrorAs(t, err, &locked)
	require.Equal(t, until, locked.until)
}

func TestGovernorHonoursContext(t *testing.T) {
	t.Parallel()
	b := setupGovernor(t, 1, time.Minute, 0)
	release, err := b.gov.acquire(t.Context(), "e")
	require.NoError(t, err)
	release()

	ctx, cancel := context.WithCancel(t.Context())
	got := b.acquireAsync(ctx, "e")
	require.NoError(t, b.clock.BlockUntilContext(t.Context(), 1))
	b.clock.Advance(time.Second)
	cancel()
	require.True(t, errors.Is(<-got, context.Canceled))
	budget, waited := b.gov.snapshot()
	require.Equal(t, 1, budget["e"].Used, "a canceled waiter takes no slot")
	require.Equal(t, time.Second, waited)

	_, err = b.gov.acquire(ctx, "fresh")
	require.ErrorIs(t, err, context.Canceled, "a canceled context never starts a request")
}
