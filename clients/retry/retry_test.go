package retry_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/retry"
)

// policy returns a policy whose jitter always draws the given fraction of
// its range (0: the lowest delay, 1: the highest).
func policy(fraction float64) retry.Policy {
	return retry.Policy{MaxAttempts: 5, Base: time.Second, Max: 30 * time.Second, Clock: clockwork.NewFakeClock(),
		Jitter: func(n time.Duration) time.Duration { return time.Duration(fraction * float64(n)) }}
}

func TestBackoffDoublesWithEqualJitterUpToMax(t *testing.T) {
	t.Parallel()
	cases := []struct {
		retry    int
		low, top time.Duration // jitter at 0 and at 1
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{5, 8 * time.Second, 16 * time.Second},
		{6, 15 * time.Second, 30 * time.Second}, // 32 s capped at 30 s
		{1000, 15 * time.Second, 30 * time.Second},
	}
	for _, tc := range cases {
		require.Equal(t, tc.low, policy(0).Backoff(tc.retry), "retry %d, least jitter", tc.retry)
		require.Equal(t, tc.top, policy(1).Backoff(tc.retry), "retry %d, most jitter", tc.retry)
	}
}

func TestBackoffWithRandomJitterStaysInItsHalf(t *testing.T) {
	t.Parallel()
	p := policy(0)
	p.Jitter = nil
	seen := map[time.Duration]bool{}
	for range 200 {
		d := p.Backoff(3)
		require.GreaterOrEqual(t, d, 2*time.Second)
		require.LessOrEqual(t, d, 4*time.Second)
		seen[d] = true
	}
	require.Greater(t, len(seen), 1, "callers that failed together must not all come back together")
}

func TestJitterOutOfRangeIsClamped(t *testing.T) {
	t.Parallel()
	p := policy(0)
	p.Jitter = func(time.Duration) time.Duration { return time.Hour }
	require.Equal(t, time.Second, p.Backoff(1))
	p.Jitter = func(time.Duration) time.Duration { return -time.Hour }
	require.Equal(t, 500*time.Millisecond, p.Backoff(1))
}

func TestDelayHonoursTheServerUpToMax(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		server time.Duration
		want   time.Duration
	}{
		{"server silent: backoff", 0, 2 * time.Second},
		{"server asks less than the backoff", time.Second, 2 * time.Second},
		{"server asks more: honoured", 7 * time.Second, 7 * time.Second},
		{"server asks more than Max: Max", time.Hour, 30 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, policy(1).Delay(2, tc.server))
		})
	}
}

func TestExhaustedAfterMaxAttemptsFailures(t *testing.T) {
	t.Parallel()
	p := policy(0)
	for failures := range p.MaxAttempts {
		require.False(t, p.Exhausted(failures), "after %d failures", failures)
	}
	require.True(t, p.Exhausted(p.MaxAttempts))
	p.MaxAttempts = 1
	require.True(t, p.Exhausted(1), "MaxAttempts 1 never retries")
}

func TestWaitRunsOnTheClock(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	p := retry.Policy{MaxAttempts: 2, Base: time.Second, Max: time.Second, Clock: clock}
	done := make(chan error, 1)
	go func() { done <- p.Wait(t.Context(), 10*time.Second) }()
	require.NoError(t, clock.BlockUntilContext(t.Context(), 1))
	clock.Advance(9 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("returned before the delay passed: %v", err)
	default:
	}
	clock.Advance(time.Second)
	require.NoError(t, <-done)
}

func TestWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	p := retry.Policy{MaxAttempts: 2, Base: time.Second, Max: time.Second, Clock: clock}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Wait(ctx, time.Hour) }()
	require.NoError(t, clock.BlockUntilContext(t.Context(), 1))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	require.NoError(t, p.Wait(t.Context(), 0), "no delay returns at once")
	require.ErrorIs(t, p.Wait(ctx, 0), context.Canceled, "even without a delay an ended context is reported")
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 2 ", 2 * time.Second},
		{"0.25", 250 * time.Millisecond},
		{"0.0000001", time.Microsecond}, // rounded up, never early
		{"-1", 0},
		{"NaN", 0},
		{"soon", 0},
		{"Wed, 21 Oct 2015 07:28:00 GMT", 0}, // HTTP dates: fall back to backoff
		{"3601", 0},
		{"3600", time.Hour},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Retry-After", tc.header)
		}
		require.Equal(t, tc.want, retry.ParseRetryAfter(h), "Retry-After %q", tc.header)
	}
}
