package nhanh

import (
	"context"
	"fmt"
	"log/slog"
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

	// shared, when set, is the window every process on the database shares
	// (see BudgetStore); key names this client's app and business in it.
	// requestTimeout bounds a request, so a slot whose release never comes
	// (the process died) still leaves the shared window in time.
	shared         BudgetStore
	key            BudgetKey
	requestTimeout time.Duration
	log            *slog.Logger

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

// share makes the governor draw on store, the window shared by every
// process calling Nhanh as app and business, before each request.
func (g *rateGovernor) share(store BudgetStore, appID, businessID string, requestTimeout time.Duration, log *slog.Logger) {
	g.shared = store
	g.key = BudgetKey{AppID: appID, BusinessID: businessID}
	g.requestTimeout = requestTimeout
	g.log = log
}

// sharedKey is the BudgetKey of endpoint.
func (g *rateGovernor) sharedKey(endpoint string) BudgetKey {
	k := g.key
	k.Endpoint = endpoint
	return k
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
			if g.shared == nil {
				return g.releaser(ew, endpoint, 0), nil
			}
			slot, retryAt, err := g.reserveShared(ctx, endpoint, ew, now)
			if err != nil {
				return nil, err
			}
			if slot != 0 {
				return g.releaser(ew, endpoint, slot), nil
			}
			if start.IsZero() {
				start = now
			}
			// Another process holds the window (or Nhanh locked it): wait
			// until the store says a slot may free, or for a local change.
			g.mu.Lock()
			changed := ew.changed
			g.mu.Unlock()
			if err := g.wait(ctx, retryAt, changed); err != nil {
				return nil, err
			}
			continue
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

// reserveShared asks the shared store for a slot after the local governor
// granted one (ew.inFlight already counts it). When the store refuses, the
// local slot is given back and the time to look again returned; a lock the
// store reports is adopted locally so this process's other callers wait
// without asking the store.
func (g *rateGovernor) reserveShared(ctx context.Context, endpoint string, ew *endpointWindow, now time.Time) (slot int64, retryAt time.Time, err error) {
	grant, err := g.shared.Reserve(ctx, g.sharedKey(endpoint), now, g.limit, now.Add(g.requestTimeout+g.hold))
	if err == nil && grant.Granted() {
		return grant.Slot, time.Time{}, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	// Wake local waiters only if the slot given back was the last local
	// one: waking them otherwise just sends them to be refused by the
	// store too, and refused callers waking each other never settle.
	if ew.inFlight+len(ew.freeAt) == g.limit {
		ew.broadcast()
	}
	ew.inFlight--
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, time.Time{}, ctxErr
		}
		return 0, time.Time{}, &sharedBudgetError{err: err}
	}
	if grant.LockedUntil.After(now) {
		if grant.LockedUntil.After(ew.lockedUntil) {
			ew.lockedUntil = grant.LockedUntil
		}
		if grant.LockedUntil.Sub(now) > g.maxLockWait {
			return 0, time.Time{}, &lockedError{until: grant.LockedUntil}
		}
		return 0, grant.LockedUntil, nil
	}
	retryAt = grant.RetryAt
	if !retryAt.After(now) {
		// A store that names no time: look again after a short pause
		// rather than spinning on it.
		retryAt = now.Add(g.hold / 100)
	}
	return 0, retryAt, nil
}

// sharedBudgetError says the shared budget could not be consulted: no
// request is sent without it, since sending blind could lock every instance.
type sharedBudgetError struct{ err error }

func (e *sharedBudgetError) Error() string {
	return fmt.Sprintf("shared rate budget unavailable: %v", e.err)
}

func (e *sharedBudgetError) Unwrap() error { return e.err }

// releaser returns the function that frees the local slot and, when slot
// is set, moves the shared slot's expiry to when the request leaves the
// window.
func (g *rateGovernor) releaser(ew *endpointWindow, endpoint string, slot int64) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			// Read the clock under the lock so freeAt stays in order.
			ew.inFlight--
			freeAt := g.clock.Now().Add(g.hold)
			ew.freeAt = append(ew.freeAt, freeAt)
			ew.broadcast()
			g.mu.Unlock()
			if slot == 0 {
				return
			}
			// A failed release only keeps the slot until its provisional
			// expiry: the window is under-used for a while, never overrun.
			// The request's own context may be over, so this one is not it.
			ctx, cancel := context.WithTimeout(context.Background(), g.requestTimeout)
			defer cancel()
			if err := g.shared.Release(ctx, g.sharedKey(endpoint), slot, freeAt); err != nil {
				g.log.Warn("nhanh shared budget: release failed; the slot stays until its provisional expiry",
					"endpoint", endpoint, "error", err.Error())
			}
		})
	}
}

// lock stops all requests to endpoint until until (a lock never shrinks),
// and, with a shared budget, every other process's requests too.
func (g *rateGovernor) lock(ctx context.Context, endpoint string, until time.Time) {
	g.mu.Lock()
	ew := g.endpoint(endpoint)
	if until.After(ew.lockedUntil) {
		ew.lockedUntil = until
		ew.broadcast()
	}
	g.mu.Unlock()
	if g.shared == nil {
		return
	}
	// The lock must reach the others even when this caller gives up now.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.requestTimeout)
	defer cancel()
	if err := g.shared.Lock(lctx, g.sharedKey(endpoint), until); err != nil {
		g.log.Warn("nhanh shared budget: could not share a lock; other instances learn it from Nhanh",
			"endpoint", endpoint, "until", until, "error", err.Error())
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
