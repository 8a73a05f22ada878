package shopify

import (
	"context"
	"time"
)

// SharedBucket is the cost bucket of one app and shop as last known by any
// process: Available points at a moment, refilling at RestoreRate points a
// second up to Maximum.
type SharedBucket struct {
	Maximum, Available, RestoreRate float64
}

// BucketGrant is a BucketStore's answer to one Take.
type BucketGrant struct {
	// Taken says the points were taken; Known false says no process has
	// observed the bucket yet (the request may go). Bucket is the bucket as
	// it stands when neither.
	Taken, Known bool
	Bucket       SharedBucket
	// Token names the pending request for Settle; 0 when none was recorded.
	Token int64
}

// BucketStore shares Shopify's cost bucket between every process that
// calls one shop with one app (several instances on one PostgreSQL
// database), so they do not all spend the same points at once. The client
// keeps its own governor as well; a request is sent only when both its own
// estimate and the shared bucket hold its cost. Times are on the caller's
// clock. Implementations must make Take atomic against other processes.
type BucketStore interface {
	// Take takes cost points from the shared bucket of shop at now when
	// it holds them, and records the request as pending until Settle (or
	// until expires, should its process die).
	Take(ctx context.Context, shop string, cost float64, now, expires time.Time) (BucketGrant, error)
	// Settle ends the pending request token (0: none) once its reply is
	// in and, when the reply reported the bucket, records observed (its
	// currentlyAvailable as Shopify said it) less every process's requests
	// still pending. The stored level never rises above that.
	Settle(ctx context.Context, shop string, token int64, observed *SharedBucket, now time.Time) error
}

// sharedTimeout bounds one call of the BucketStore: a slow database must
// not hold requests back for long; the local governor still paces them.
const sharedTimeout = 5 * time.Second

// takeShared takes cost from the shared bucket. It returns ok when the
// request may go (taken, the bucket not known yet, or the store failing:
// the local estimate still paces) with the token to settle, else how long
// to wait before asking again.
func (g *costGovernor) takeShared(ctx context.Context, cost float64) (int64, time.Duration, bool) {
	sctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	now := g.clock.Now()
	grant, err := g.shared.Take(sctx, g.shop, cost, now, now.Add(g.pendingFor))
	switch {
	case err != nil:
		if ctx.Err() == nil {
			g.log.Warn("shared Shopify bucket unavailable; pacing on this process's estimate alone", "err", err.Error())
		}
		return 0, 0, true
	case !grant.Known:
		if seed, ok := g.localBucket(); ok {
			// This process knows the bucket and no process has shared it:
			// share it, then take again, so instances that start together
			// do not each pace alone until the first reply is shared.
			if err := g.shared.Settle(sctx, g.shop, grant.Token, &seed, now); err == nil {
				return 0, 0, false
			}
		}
		return grant.Token, 0, true
	case grant.Taken || grant.Bucket.RestoreRate <= 0:
		return grant.Token, 0, true
	}
	b := grant.Bucket
	cost = min(cost, b.Maximum)
	return 0, max(secondsToDuration((cost-b.Available)/b.RestoreRate), time.Millisecond), false
}

// settleShared ends a pending request in the shared store and records the
// reply's bucket, if it had one.
func (g *costGovernor) settleShared(token int64, observed *SharedBucket) {
	if token == 0 && observed == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	if err := g.shared.Settle(ctx, g.shop, token, observed, g.clock.Now()); err != nil {
		g.log.Warn("could not share the Shopify bucket state", "err", err.Error())
	}
}

// localBucket is this process's estimate as an observation for the shared
// store, which takes every pending request (this process's too) off it:
// the estimate with this process's own in-flight costs added back.
func (g *costGovernor) localBucket() (SharedBucket, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.known {
		return SharedBucket{}, false
	}
	g.refill(g.clock.Now())
	return SharedBucket{Maximum: g.maximum, Available: g.available + g.pending, RestoreRate: g.restoreRate}, true
}
