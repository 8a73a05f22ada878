// Package retry is the retry policy both API clients share for transient
// failures (5xx, timeouts, broken replies): how many attempts one call gets,
// how long to wait before the next (exponential, capped, with jitter so
// concurrent callers spread out, and never shorter than what the server
// asked for), and the wait itself, on an injected clock and cut short by the
// caller's context.
//
// Rate limits are not retried here: each client's governor knows its API's
// budget and waits exactly as long as needed. The clients use Backoff for
// the rare rate-limit reply that says nothing about how long to wait.
//
//	attempt 1 ──fail──▶ Delay(1) ──▶ attempt 2 ──fail──▶ Delay(2) ──▶ ...
//	attempt MaxAttempts ──fail──▶ give up with the last error
package retry

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
)

// MaxServerWait bounds a Retry-After header this package reads: a longer
// (or absurd) value is ignored rather than parking a caller for hours.
const MaxServerWait = time.Hour

// Policy says how often and how patiently a call is retried. Each client
// builds one from its Config after filling the defaults, so every field is
// set.
type Policy struct {
	// MaxAttempts bounds the attempts of one call, the first included:
	// with 5, a call that always fails is sent exactly five times.
	MaxAttempts int
	// Base is the delay before the first retry; it doubles per retry.
	Base time.Duration
	// Max caps one delay, and how much of a server-given wait is honoured.
	Max time.Duration
	// Clock measures the waits; tests inject a fake one.
	Clock clockwork.Clock
	// Jitter returns a random duration in [0, n]; nil draws from
	// math/rand/v2. Tests may fix it to make delays exact.
	Jitter func(n time.Duration) time.Duration
}

// Exhausted reports whether a call that has failed failures times has used
// all its attempts.
func (p Policy) Exhausted(failures int) bool {
	return failures >= p.MaxAttempts
}

// Backoff is the delay before retry n (1-based): Base doubled n-1 times,
// capped at Max, with "equal jitter" (half fixed, half random), so callers
// that failed together do not come back together, yet nobody retries at once.
func (p Policy) Backoff(n int) time.Duration {
	d := p.Base
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	half := d / 2
	return half + p.jitter(d-half)
}

// Delay is the wait before retry n after a failure whose reply asked for
// serverWait (0 when it did not say): the backoff, but never less than the
// server asked, up to Max.
func (p Policy) Delay(n int, serverWait time.Duration) time.Duration {
	return max(p.Backoff(n), min(serverWait, p.Max))
}

// Wait waits d on the policy's clock, or returns ctx's error if ctx ends
// first. A d of zero or less returns at once (after checking ctx).
func (p Policy) Wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := p.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.Chan():
		return nil
	}
}

func (p Policy) jitter(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	if p.Jitter != nil {
		return min(max(p.Jitter(n), 0), n)
	}
	return rand.N(n + 1)
}

// ParseRetryAfter reads a Retry-After header given in seconds (fractions
// allowed, rounded up to the microsecond). An absent, malformed, negative or
// longer-than-MaxServerWait value is 0: the caller falls back to its own
// backoff.
func ParseRetryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || !(s >= 0 && s <= MaxServerWait.Seconds()) { // NaN fails both
		return 0
	}
	return time.Duration(math.Ceil(s*1e6)) * time.Microsecond
}
