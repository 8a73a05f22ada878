package shopify

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// costGovernor paces requests against Shopify's leaky bucket of query cost
// points, shared by every caller of one Client (the bucket is per app and
// shop, so all our requests drain the same one).
//
// It keeps an estimate of the bucket that never exceeds the real level
// while this client is the only one drawing on it (another process using
// the same app and shop shows up in the next reply, which lowers it). A
// caller reserves its requested cost before sending and waits while the
// estimate is short, (cost-available)/restoreRate on the clock. When a reply
// arrives, its throttleStatus replaces the estimate, less every charge the
// status may not include yet: the costs of our requests still in flight,
// and of those that were answered while this one was in flight (Shopify may
// have run them after it). That also refunds the difference between the
// requested and actual cost, which Shopify has already refunded in the
// figure it reports.
//
//	acquire ──(estimate ≥ cost)──> reserve ──send──> settle(throttleStatus)
//	   └──(short)──> wait (cost-available)/rate, or until another reply lands
//
// Until the first reply carries a throttleStatus nothing is known about the
// bucket, so only one request is let through at a time.
type costGovernor struct {
	clock clockwork.Clock
	// shared, when set, is the bucket shared with other processes calling
	// shop (see BucketStore); log notes its failures.
	shared BucketStore
	shop   string
	log    *slog.Logger
	// pendingFor is how long a shared reservation counts as pending if its
	// process dies before settling it.
	pendingFor time.Duration

	mu          sync.Mutex
	known       bool
	maximum     float64
	available   float64
	restoreRate float64
	at          time.Time // when available was last brought up to date
	inflight    int
	pending     float64 // cost reserved by requests not yet settled
	settled     float64 // total cost of all settled reservations, ever
	learned     map[string]float64
	changed     chan struct{} // closed and replaced whenever the estimate may have grown
	waited      time.Duration
}

// reservation is the cost one request holds while it is in flight.
type reservation struct {
	cost float64
	// settledBefore is costGovernor.settled when the request was sent:
	// requests settled after that may have been charged after it.
	settledBefore float64
	// token is the request's pending entry in the shared bucket; 0: none.
	token int64
}

// bucketStatus is Shopify's extensions.cost.throttleStatus.
type bucketStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

func newCostGovernor(clock clockwork.Clock) *costGovernor {
	return &costGovernor{
		clock:   clock,
		learned: map[string]float64{},
		changed: make(chan struct{}),
	}
}

// estimate is the cost to reserve for op: what Shopify last said op
// requested, or the static estimate before it has said.
func (g *costGovernor) estimate(op string, static float64) float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.learned[op]; ok {
		return c
	}
	return static
}

// acquire waits until the bucket can pay cost, then reserves it: in this
// process's estimate and, when shared, in the bucket every process shares
// (taken there too, or the local reservation is given back and the wait
// begins again). It returns ctx's error if ctx ends first.
func (g *costGovernor) acquire(ctx context.Context, cost float64) (reservation, error) {
	for {
		res, err := g.acquireLocal(ctx, cost)
		if err != nil || g.shared == nil {
			return res, err
		}
		token, wait, ok := g.takeShared(ctx, res.cost)
		if ok {
			res.token = token
			return res, nil
		}
		g.giveBack(res)
		start := g.clock.Now()
		err = waitFor(ctx, g.clock, wait, nil)
		g.mu.Lock()
		g.waited += g.clock.Since(start)
		g.mu.Unlock()
		if err != nil {
			return reservation{}, err
		}
	}
}

// giveBack undoes a reservation that was never sent.
func (g *costGovernor) giveBack(r reservation) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight--
	g.pending -= r.cost
	if g.known {
		g.available = min(g.maximum, g.available+r.cost)
	}
	g.broadcast()
}

// acquireLocal waits until this process's estimate can pay cost, then
// reserves it.
func (g *costGovernor) acquireLocal(ctx context.Context, cost float64) (reservation, error) {
	start := g.clock.Now()
	for {
		g.mu.Lock()
		now := g.clock.Now()
		g.refill(now)
		wait := time.Duration(-1) // -1: wait for a reply, not for time
		if g.known {
			cost = min(cost, g.maximum) // a cost above the bucket would wait forever
			if g.available >= cost {
				return g.grant(cost, now, start), nil
			}
			wait = secondsToDuration((cost - g.available) / g.restoreRate)
		} else if g.inflight == 0 {
			return g.grant(cost, now, start), nil
		}
		changed := g.changed
		g.mu.Unlock()

		if err := waitFor(ctx, g.clock, wait, changed); err != nil {
			g.mu.Lock()
			g.waited += g.clock.Since(start)
			g.mu.Unlock()
			return reservation{}, err
		}
	}
}

// grant reserves cost; the caller holds g.mu, which grant releases.
func (g *costGovernor) grant(cost float64, now, start time.Time) reservation {
	defer g.mu.Unlock()
	if g.known {
		g.available -= cost
	}
	g.inflight++
	g.pending += cost
	g.waited += now.Sub(start)
	return reservation{cost: cost, settledBefore: g.settled}
}

// settle releases r once its reply is in. status is the reply's
// throttleStatus (nil when the reply had none) and requested its
// requestedQueryCost, learned as op's future estimate. A new estimate is
// shared with the other processes when a BucketStore is set.
func (g *costGovernor) settle(r reservation, op string, status *bucketStatus, requested float64) {
	known := g.settleLocal(r, op, status, requested)
	if g.shared == nil {
		return
	}
	var observed *SharedBucket
	if known {
		observed = &SharedBucket{Maximum: status.MaximumAvailable, Available: status.CurrentlyAvailable, RestoreRate: status.RestoreRate}
	}
	g.settleShared(r.token, observed)
}

// settleLocal is settle on this process's estimate; it reports whether the
// reply carried the bucket's state.
func (g *costGovernor) settleLocal(r reservation, op string, status *bucketStatus, requested float64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight--
	g.pending -= r.cost
	// Requests answered while r was in flight may have been charged after
	// r, so r's status may not include them.
	answeredMeanwhile := g.settled - r.settledBefore
	g.settled += r.cost
	if requested > 0 && op != "" {
		g.learned[op] = requested
	}
	defer g.broadcast()
	if status == nil || status.MaximumAvailable <= 0 || status.RestoreRate <= 0 {
		// Nothing learned. The request may or may not have been charged;
		// keeping the reservation spent is the safe assumption.
		return false
	}
	g.known = true
	g.maximum = status.MaximumAvailable
	g.restoreRate = status.RestoreRate
	g.available = min(status.CurrentlyAvailable-g.pending-answeredMeanwhile, g.maximum)
	g.at = g.clock.Now()
	return true
}

// drain records that Shopify refused a request for lack of points without
// saying how many it has: the bucket is taken as empty now.
func (g *costGovernor) drain() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.known {
		return
	}
	g.refill(g.clock.Now())
	g.available = min(g.available, 0)
}

// snapshot reports the current estimate and the total time spent waiting.
func (g *costGovernor) snapshot() (available, maximum, rate float64, waited time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refill(g.clock.Now())
	return g.available, g.maximum, g.restoreRate, g.waited
}

// isKnown reports whether Shopify has told us the bucket's shape yet.
func (g *costGovernor) isKnown() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.known
}

// refill restores points for the time since the estimate was last updated.
// The caller holds g.mu.
func (g *costGovernor) refill(now time.Time) {
	if !g.known || !now.After(g.at) {
		return
	}
	g.available = roundPoints(min(g.maximum, g.available+g.restoreRate*now.Sub(g.at).Seconds()))
	g.at = now
}

// roundPoints rounds a refilled level to a billionth of a point. Refills
// summed in many small steps drift by a few ulps from the same level
// reached in one step (Shopify's own arithmetic, or the sandbox's); on a
// common grid an estimate of exactly 15 points is not 14.999999999999998
// on the other side, and a request sent the moment it fits is not refused.
func roundPoints(p float64) float64 { return math.Round(p*1e9) / 1e9 }

// broadcast wakes every waiter; the caller holds g.mu.
func (g *costGovernor) broadcast() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// waitFor waits for d on clock (forever when d < 0), for wake, or for ctx.
func waitFor(ctx context.Context, clock clockwork.Clock, d time.Duration, wake <-chan struct{}) error {
	var fire <-chan time.Time
	if d >= 0 {
		t := clock.NewTimer(d)
		defer t.Stop()
		fire = t.Chan()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-fire:
		return nil
	case <-wake:
		return nil
	}
}

// sleep waits for d on clock unless ctx ends first.
func sleep(ctx context.Context, clock clockwork.Clock, d time.Duration) error {
	return waitFor(ctx, clock, max(d, 0), nil)
}

// secondsToDuration rounds s seconds up to the next microsecond, so a wait
// never ends a hair before the points are there.
func secondsToDuration(s float64) time.Duration {
	if s <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(s*1e6)) * time.Microsecond
}
