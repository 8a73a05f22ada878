package nhanh

import (
	"context"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// rateGovernor keeps each endpoint within Nhanh's sliding window and holds
// every caller back while Nhanh has locked an endpoint.
//
// A request takes a slot when it starts and keeps it until `hold` (window +
// margin) after its reply has arrived. The server counts a request at some
// moment between our start and our reply, so by the time a slot frees, the
// request that held it has left the server's window however long the network
// took: the governor can run exactly at the limit without guessing latency.
//
// Per endpoint:
//
//	          acquire (slot free, not locked)
//	waiting ---------------------------------> in flight
//	   ^                                           | release
//	   |  hold elapsed (slot leaves the window)    v
//	   +---------------------------------------- cooling
//
// A lock (from an ERR_429 reply) stops all acquires on the endpoint until it
// ends; requests already in flight cannot be recalled.
type rateGovernor struct {
	clock       clockwork.Clock
	limit       int
	hold        time.Duration
	maxLockWait time.Duration

	mu        sync.Mutex
	endpoints map[string]*endpointWindow
	waited    time.Duration
}

// endpointWindow is the governor's state for one endpoint.
type endpointWindow struct {
	inFlight int
	// freeAt holds, oldest first, when each finished request leaves the window.
	freeAt      []time.Time
	lockedUntil time.Time
	// changed is closed and replaced whenever a slot frees or a lock is set,
	// waking the waiters to look again.
	changed chan struct{}
}

// lockedError says an endpoint is locked for longer than the caller may wait.
type lockedError struct {
	until time.Time
}

func (e *lockedError) Error() string { return "endpoint locked until " + e.until.Format(time.RFC3339) }

func newRateGovernor(clock clockwork.Clock, limit int, window, margin, maxLockWait time.Duration) *rateGovernor {
	return &rateGovernor{
		clock:       clock,
		limit:       limit,
		hold:        window + margin,
		maxLockWait: maxLockWait,
		endpoints:   map[string]*endpointWindow{},
	}
}

// endpoint returns the state of one endpoint; g.mu must be held.
func (g *rateGovernor) endpoint(name string) *endpointWindow {
	ew := g.endpoints[name]
	if ew == nil {
		ew = &endpointWindow{changed: make(chan struct{})}
		g.endpoints[name] = ew
	}
	return ew
}

// prune drops the slots that have left the window by now.
func (ew *endpointWindow) prune(now time.Time) {
	n := 0
	for n < len(ew.freeAt) && !ew.freeAt[n].After(now) {
		n++
	}
	ew.freeAt = ew.freeAt[n:]
}

func (ew *endpointWindow) broadcast() {
	close(ew.changed)
	ew.changed = make(chan struct{})
}

// acquire waits until a request to endpoint may start and takes its slot.
// The returned release must be called once the reply (or failure) is in.
// It fails with the context's error, or with *lockedError when the endpoint
// is locked for longer than maxLockWait.
func (g *rateGovernor) acquire(ctx context.Context, endpoint string) (release func(), err error) {
	var start time.Time
	defer func() {
		if !start.IsZero() {
			g.addWait(g.clock.Since(start))
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g.mu.Lock()
		ew := g.endpoint(endpoint)
		now := g.clock.Now()
		ew.prune(now)
		var wake time.Time // zero: wait for a release
		switch {
		case now.Before(ew.lockedUntil):
			if ew.lockedUntil.Sub(now) > g.maxLockWait {
				until := ew.lockedUntil
				g.mu.Unlock()
				return nil, &lockedError{until: until}
			}
			wake = ew.lockedUntil
		case ew.inFlight+len(ew.freeAt) < g.limit:
			ew.inFlight++
			g.mu.Unlock()
			return g.releaser(ew), nil
		case len(ew.freeAt) > 0:
			wake = ew.freeAt[0]
		}
		changed := ew.changed
		g.mu.Unlock()
		if start.IsZero() {
			start = now
		}
		if err := g.wait(ctx, wake, changed); err != nil {
			return nil, err
		}
	}
}

// wait blocks until wake (if set), a change on the endpoint, or ctx ends.
func (g *rateGovernor) wait(ctx context.Context, wake time.Time, changed <-chan struct{}) error {
	var timerC <-chan time.Time
	if !wake.IsZero() {
		timer := g.clock.NewTimer(g.clock.Until(wake))
		defer timer.Stop()
		timerC = timer.Chan()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timerC:
	case <-changed:
	}
	return nil
}

func (g *rateGovernor) releaser(ew *endpointWindow) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			// Read the clock under the lock so freeAt stays in order.
			ew.inFlight--
			ew.freeAt = append(ew.freeAt, g.clock.Now().Add(g.hold))
			ew.broadcast()
		})
	}
}

// lock stops all requests to endpoint until until (a lock never shrinks).
func (g *rateGovernor) lock(endpoint string, until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ew := g.endpoint(endpoint)
	if until.After(ew.lockedUntil) {
		ew.lockedUntil = until
		ew.broadcast()
	}
}

func (g *rateGovernor) addWait(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waited += d
}

// snapshot reports each endpoint's budget and the total time callers waited.
func (g *rateGovernor) snapshot() (map[string]EndpointBudget, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	out := make(map[string]EndpointBudget, len(g.endpoints))
	for name, ew := range g.endpoints {
		ew.prune(now)
		b := EndpointBudget{Used: ew.inFlight + len(ew.freeAt), Limit: g.limit}
		if len(ew.freeAt) > 0 {
			b.WindowResetsIn = ew.freeAt[0].Sub(now)
		}
		if now.Before(ew.lockedUntil) {
			b.LockedUntil = ew.lockedUntil
		}
		out[name] = b
	}
	return out, g.waited
}
