// Package serverclock learns how far an API server's clock is from ours,
// from the Date header of its replies. It wraps an http.RoundTripper, so an
// API client records every reply's Date without knowing about it; the
// doctor then reports the skew. Nhanh's rate-limit replies carry absolute
// unlock times and Shopify's search filters compare timestamps, so a local
// clock that is minutes off shows up as odd waits and missed updates.
package serverclock

import (
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Recorder is an http.RoundTripper that remembers the last Date header it
// saw and our clock at that moment. It is safe for concurrent use.
type Recorder struct {
	next  http.RoundTripper
	clock clockwork.Clock

	mu       sync.Mutex
	server   time.Time // the last reply's Date
	local    time.Time // our clock when it arrived
	received bool
}

// New wraps next (http.DefaultTransport when nil); clock is ours (the real
// clock when nil).
func New(next http.RoundTripper, clock clockwork.Clock) *Recorder {
	if next == nil {
		next = http.DefaultTransport
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Recorder{next: next, clock: clock}
}

// RoundTrip sends req and records the reply's Date header.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	sent := r.clock.Now()
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if d, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
		got := r.clock.Now()
		r.mu.Lock()
		// The server stamped its Date somewhere between send and receipt:
		// the midpoint halves the network delay's part in the estimate.
		r.server, r.local, r.received = d, sent.Add(got.Sub(sent)/2), true
		r.mu.Unlock()
	}
	return resp, nil
}

// Client returns an *http.Client that records through r.
func (r *Recorder) Client() *http.Client { return &http.Client{Transport: r} }

// Skew is the server's clock minus ours at the last reply (positive: the
// server is ahead), and whether any reply with a Date has been seen. The
// Date header has a resolution of one second, so a skew under a second or
// two means nothing.
func (r *Recorder) Skew() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.received {
		return 0, false
	}
	return r.server.Sub(r.local.Truncate(time.Second)), true
}
