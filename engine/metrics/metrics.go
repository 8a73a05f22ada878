// Package metrics exposes syncops in the Prometheus text format: jobs started
// and finished by type and status, items by outcome, job durations, each
// API's requests, throttles, governor waits and live budget, scheduled runs
// skipped for overlap, and webhook deliveries by event and outcome. Job
// figures come from the engine's event stream; API, scheduler and webhook
// figures are read from their stats at scrape time.
package metrics

import (
	"context"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
)

// Sources are read at scrape time; nil ones are left out.
type Sources struct {
	Nhanh   func() nhanh.Stats
	Shopify func() shopify.Stats
	// SkippedOverlap returns, per job type, how many scheduled runs were
	// skipped because the previous one was still running.
	SkippedOverlap func() map[string]int64
	// NhanhTokenSecondsLeft returns the seconds until the Nhanh access token
	// expires (negative once expired), and false while unknown.
	NhanhTokenSecondsLeft func() (float64, bool)
	// Webhooks returns the webhook deliveries received and finished, by
	// event and outcome (engine.Engine.WebhookCounts).
	Webhooks func() map[engine.WebhookCount]int64
}

// Metrics is the registry and the job counters fed from engine events.
type Metrics struct {
	registry *prometheus.Registry
	started  *prometheus.CounterVec
	finished *prometheus.CounterVec
	items    *prometheus.CounterVec
	duration *prometheus.HistogramVec

	mu sync.Mutex
	// active is the last status seen of each job not yet finished.
	active map[engine.JobID]engine.Status
	// done remembers the last finishedMemory finished jobs (ring is
	// their order), so a repeated terminal snapshot is not counted twice,
	// while memory stays bounded however many jobs run.
	done map[engine.JobID]struct{}
	ring []engine.JobID
	next int
}

// finishedMemory is how many finished jobs Metrics remembers. A repeated
// terminal snapshot (a cancelled job's final counters arrive after its
// cancellation) comes right after the first, not a thousand jobs later.
const finishedMemory = 1024

// New builds the registry.
func New(src Sources) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry(), active: map[engine.JobID]engine.Status{},
		done: map[engine.JobID]struct{}{}, ring: make([]engine.JobID, 0, finishedMemory),
		started: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "syncops_jobs_started_total",
			Help: "Jobs that started running, by type."}, []string{"type"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "syncops_jobs_finished_total",
			Help: "Jobs that finished, by type and final status."}, []string{"type", "status"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "syncops_job_items_total",
			Help: "Items of finished jobs by type and outcome (processed, succeeded, failed, skipped)."}, []string{"type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "syncops_job_duration_seconds",
			Help:    "Time from a job's start to its end, by type.",
			Buckets: []float64{1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600}}, []string{"type"}),
	}
	m.registry.MustRegister(m.started, m.finished, m.items, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registry.MustRegister(apiCollector{src: src})
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Run counts job events until ctx ends.
func (m *Metrics) Run(ctx context.Context, e *engine.Engine) {
	events, stop := e.Subscribe()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			m.Observe(ev.Job)
		}
	}
}

// Observe counts one job snapshot: a start the first time it is seen
// running, an end the first time it is seen finished.
func (m *Metrics) Observe(j engine.Job) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, done := m.done[j.ID]; done {
		return
	}
	last, seen := m.active[j.ID]
	if j.Status == engine.StatusRunning && (!seen || last == engine.StatusPending) {
		m.started.WithLabelValues(j.Type).Inc()
	}
	if !j.Status.Terminal() {
		m.active[j.ID] = j.Status
		return
	}
	delete(m.active, j.ID)
	m.rememberFinished(j.ID)
	if j.CompletedAt == nil {
		return
	}
	m.finished.WithLabelValues(j.Type, string(j.Status)).Inc()
	m.items.WithLabelValues(j.Type, "processed").Add(float64(j.Processed))
	m.items.WithLabelValues(j.Type, "succeeded").Add(float64(j.Successful))
	m.items.WithLabelValues(j.Type, "failed").Add(float64(j.Failed))
	m.items.WithLabelValues(j.Type, "skipped").Add(float64(j.Skipped))
	if j.StartedAt != nil {
		m.duration.WithLabelValues(j.Type).Observe(j.CompletedAt.Sub(*j.StartedAt).Seconds())
	}
}

// rememberFinished adds a finished job, forgetting the oldest one remembered
// when finishedMemory are. Called with mu held.
func (m *Metrics) rememberFinished(id engine.JobID) {
	if len(m.ring) < finishedMemory {
		m.ring = append(m.ring, id)
	} else {
		delete(m.done, m.ring[m.next])
		m.ring[m.next] = id
		m.next = (m.next + 1) % finishedMemory
	}
	m.done[id] = struct{}{}
}

// apiCollector reads the clients' and scheduler's stats at scrape time.
type apiCollector struct{ src Sources }

var (
	descRequests = prometheus.NewDesc("syncops_api_requests_total", "HTTP requests sent to an external API.", []string{"api"}, nil)
	descThrottle = prometheus.NewDesc("syncops_api_throttles_total", "Rate-limit replies received from an external API.", []string{"api"}, nil)
	descRetries  = prometheus.NewDesc("syncops_api_retries_total", "Requests re-sent after transient failures.", []string{"api"}, nil)
	descWait     = prometheus.NewDesc("syncops_api_governor_wait_seconds_total", "Time callers waited in an API's rate governor.", []string{"api"}, nil)
	descPoints   = prometheus.NewDesc("syncops_shopify_points_available", "Shopify GraphQL cost points available in the bucket (estimate).", nil, nil)
	descCapacity = prometheus.NewDesc("syncops_shopify_points_capacity", "Shopify GraphQL bucket size.", nil, nil)
	descLeft     = prometheus.NewDesc("syncops_nhanh_requests_left", "Requests left in the current Nhanh rate window, by endpoint.", []string{"endpoint"}, nil)
	descLocked   = prometheus.NewDesc("syncops_nhanh_lock_seconds", "Seconds until Nhanh's ERR_429 lock of an endpoint ends (0 when not locked).", []string{"endpoint"}, nil)
	descTokenTTL = prometheus.NewDesc("syncops_nhanh_token_expiry_seconds", "Seconds until the Nhanh access token expires (negative once expired); absent while unknown.", nil, nil)
	descSkipped  = prometheus.NewDesc("syncops_scheduled_runs_skipped_total", "Scheduled runs skipped because the previous run was still active.", []string{"type"}, nil)
	descWebhooks = prometheus.NewDesc("syncops_webhook_deliveries_total",
		"Webhook deliveries by event and outcome: received (stored), duplicate (the same delivery again), then processed, ignored or failed.",
		[]string{"event", "outcome"}, nil)
)

func (c apiCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descThrottle, descRetries, descWait, descPoints, descCapacity, descLeft, descLocked, descSkipped, descTokenTTL, descWebhooks} {
		ch <- d
	}
}

func (c apiCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Nhanh != nil {
		s := c.src.Nhanh()
		ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(s.Requests), "nhanh")
		ch <- prometheus.MustNewConstMetric(descThrottle, prometheus.CounterValue, float64(s.Throttles), "nhanh")
		ch <- prometheus.MustNewConstMetric(descRetries, prometheus.CounterValue, float64(s.Retries), "nhanh")
		ch <- prometheus.MustNewConstMetric(descWait, prometheus.CounterValue, s.WaitTime.Seconds(), "nhanh")
		for ep, b := range s.Endpoints {
			ch <- prometheus.MustNewConstMetric(descLeft, prometheus.GaugeValue, float64(b.Limit-b.Used), ep)
			locked := 0.0
			if !b.LockedUntil.IsZero() {
				locked = max(0, timeUntil(b.LockedUntil).Seconds())
			}
			ch <- prometheus.MustNewConstMetric(descLocked, prometheus.GaugeValue, locked, ep)
		}
	}
	if c.src.Shopify != nil {
		s := c.src.Shopify()
		ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(s.Requests), "shopify")
		ch <- prometheus.MustNewConstMetric(descThrottle, prometheus.CounterValue, float64(s.Throttles), "shopify")
		ch <- prometheus.MustNewConstMetric(descRetries, prometheus.CounterValue, float64(s.Retries), "shopify")
		ch <- prometheus.MustNewConstMetric(descWait, prometheus.CounterValue, s.WaitTime.Seconds(), "shopify")
		ch <- prometheus.MustNewConstMetric(descPoints, prometheus.GaugeValue, s.Available)
		ch <- prometheus.MustNewConstMetric(descCapacity, prometheus.GaugeValue, s.Maximum)
	}
	if c.src.NhanhTokenSecondsLeft != nil {
		if left, ok := c.src.NhanhTokenSecondsLeft(); ok {
			ch <- prometheus.MustNewConstMetric(descTokenTTL, prometheus.GaugeValue, left)
		}
	}
	if c.src.SkippedOverlap != nil {
		for typ, n := range c.src.SkippedOverlap() {
			ch <- prometheus.MustNewConstMetric(descSkipped, prometheus.CounterValue, float64(n), typ)
		}
	}
	if c.src.Webhooks != nil {
		for k, n := range c.src.Webhooks() {
			ch <- prometheus.MustNewConstMetric(descWebhooks, prometheus.CounterValue, float64(n), k.Event, k.Outcome)
		}
	}
}
