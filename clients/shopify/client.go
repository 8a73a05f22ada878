// Package shopify is the syncops client of the Shopify Admin GraphQL API: a
// small GraphQL-over-HTTP transport with a cost governor that paces every
// request from the extensions.cost.throttleStatus Shopify reports, typed
// errors (*apierr.Error), bounded retries with jittered backoff, and the
// operations the sync jobs need: paged and bulk reads of customers and
// variants, locations, metafieldsSet in atomic calls of 25 with per-item
// results, and inventorySetQuantities with compare-and-set and idempotency
// keys that survive retries and resumed jobs.
//
// The GraphQL documents are Go constants (documents.go); a test validates
// each against the 2025-01 schema plus testdata/overlay-2026.graphql, which
// adds the newer fields and directives the client relies on.
package shopify

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"syncops/clients/retry"
)

// userAgent identifies the client to Shopify.
const userAgent = "syncops-shopify/1"

// Client talks to one shop's Admin GraphQL API. It is safe for concurrent
// use; concurrent callers share one cost budget.
type Client struct {
	cfg   Config
	gov   *costGovernor
	retry retry.Policy
	log   *slog.Logger
	stats clientStats
	// customerPageSize and variantPageSize start at PageSize and shrink if
	// Shopify finds a full page too costly (see listPage).
	customerPageSize, variantPageSize atomic.Int64
}

// New validates cfg and returns a client for it.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("shopify config: %w", err)
	}
	cfg = cfg.withDefaults()
	c := &Client{
		cfg: cfg,
		gov: newCostGovernor(cfg.Clock),
		retry: retry.Policy{MaxAttempts: cfg.MaxAttempts, Base: cfg.RetryBaseDelay, Max: cfg.RetryMaxDelay,
			Clock: cfg.Clock},
		log: cfg.Logger.With("api", apiName, "shop", cfg.Shop),
	}
	if cfg.Bucket != nil {
		c.gov.shared, c.gov.shop, c.gov.log = cfg.Bucket, cfg.Shop, c.log
		c.gov.pendingFor = 2 * cfg.RequestTimeout
	}
	c.customerPageSize.Store(PageSize)
	c.variantPageSize.Store(PageSize)
	return c, nil
}

// Stats is a snapshot of the client's traffic and its estimate of the
// shop's cost bucket.
type Stats struct {
	Requests  int64 // HTTP requests sent to the GraphQL endpoint
	Throttles int64 // replies that said THROTTLED (or HTTP 429)
	Retries   int64 // requests re-sent after a throttle or transient failure
	// WaitTime is the total time callers spent waiting for the bucket or
	// for backoff, summed over concurrent callers.
	WaitTime time.Duration
	// Available, Maximum and RestoreRate are the current bucket estimate
	// (points, points, points per second); zero until Shopify has replied.
	Available, Maximum, RestoreRate float64
}

// Stats returns a snapshot of the client's counters and bucket estimate.
func (c *Client) Stats() Stats {
	available, maximum, rate, governed := c.gov.snapshot()
	return Stats{
		Requests:    c.stats.requests.Load(),
		Throttles:   c.stats.throttles.Load(),
		Retries:     c.stats.retries.Load(),
		WaitTime:    governed + c.stats.waited(),
		Available:   available,
		Maximum:     maximum,
		RestoreRate: rate,
	}
}

type clientStats struct {
	requests, throttles, retries atomic.Int64

	mu       sync.Mutex
	backoffs time.Duration
}

func (s *clientStats) addWait(d time.Duration) {
	s.mu.Lock()
	s.backoffs += d
	s.mu.Unlock()
}

func (s *clientStats) waited() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.backoffs
}
