// Package engine is syncops' job runtime and the one public API every face
// (console, SSH, CLI, scheduler) goes through: Start, Get, List, Failures,
// Cancel, Retry and Subscribe.
//
// Jobs run on River. Each tracked job is a row of ours (type, parameters,
// status, counters, metadata, failed items, attempts) whose id is the id of
// the River job that executes it, inserted in the same transaction. The row
// is the truth operators see; River provides durable queueing, cancellation,
// crash rescue and leader-run maintenance.
//
//	Start ──> PENDING ──(worker picks it up)──> RUNNING ──> COMPLETED | FAILED
//	             │                                 │  ▲
//	             │                                 │  └── attempt ends at its time budget
//	             │                                 │      after a checkpoint: snooze, resume
//	             │                                 ├──── process dies: River rescues the
//	             │                                 │     attempt, the next one resumes from
//	             │                                 │     the last checkpoint
//	             └──────── Cancel / force ─────────┴──> CANCELLED
//
// Single flight: a job's unique key is its type and canonical parameters; a
// partial unique index admits one PENDING or RUNNING job per key. A preview
// (DryRunParam) has its own key, so it runs beside the job it previews.
//
// Write lanes (lane.go): kinds that write the same target values (Shopify
// inventory) share a Kind.Lane, and their jobs run one at a time across
// every process on the database; a second writer waits behind the first or
// is refused with its id (LaneParam). Previews take no lane.
//
// A sync preview's diff: Engine.Diff pages, searches and sums it up.
package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"syncops/store"
)

// Defaults of Config.
const (
	DefaultWorkers        = 8
	DefaultFlushInterval  = time.Second
	DefaultFollowInterval = time.Second
	DefaultRetention      = 30 * 24 * time.Hour
	DefaultAttemptTimeout = time.Minute
	// DefaultRescueMargin is how long after an attempt's timeout a job whose
	// worker vanished is rescued by River.
	DefaultRescueMargin = 15 * time.Second
	// DefaultMaintenanceInterval is how often retention and reconciliation run.
	DefaultMaintenanceInterval = 10 * time.Minute
	// maxRiverAttempts bounds rescues of a job that keeps killing its process.
	maxRiverAttempts = 25
	// sliceFraction of the attempt timeout is the body's time budget; the rest
	// is left for writing the final checkpoint and counters.
	sliceFraction = 0.8
)

// Config configures an Engine.
type Config struct {
	Store  *store.Store
	Kinds  []Kind
	Clock  clockwork.Clock
	Logger *slog.Logger
	// Workers is how many jobs this process runs at once; zero means
	// DefaultWorkers. Use NoWorkers for a process that only inserts and reads.
	Workers int
	// NoWorkers makes an engine that never runs jobs (CLI reads, --detach).
	NoWorkers bool
	// FlushInterval is how often a running job's counters are written.
	FlushInterval time.Duration
	// FollowInterval is how often subscribers' view of jobs run by other
	// processes is refreshed from the database.
	FollowInterval time.Duration
	// Retention is how long history is kept: finished jobs with their
	// attempts and failed items, the sync log and scheduled-tick claims
	// (store.PruneHistory).
	Retention time.Duration
	// AttemptTimeout is the default time budget of one attempt.
	AttemptTimeout time.Duration
	// MaxAttemptTimeout, when set, caps every kind's attempt timeout: an
	// operator who wants a job whose process died rescued sooner shortens
	// every attempt (each still checkpoints and continues in the next).
	MaxAttemptTimeout time.Duration
	// RescueMargin is added to the longest attempt timeout to get River's
	// RescueStuckJobsAfter.
	RescueMargin        time.Duration
	MaintenanceInterval time.Duration
	// Settings are the settings operators may read and set.
	Settings []SettingSpec
	// Webhooks processes stored webhook deliveries (nil: deliveries are
	// stored and wait for an instance that has one).
	Webhooks WebhookProcessor
	// WebhookWindow is how long deliveries are gathered before they are
	// processed together; zero means DefaultWebhookWindow, negative none.
	WebhookWindow time.Duration
}

func (c *Config) withDefaults() (Config, error) {
	cfg := *c
	if cfg.Store == nil {
		return cfg, errors.New("engine: no store")
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.FollowInterval <= 0 {
		cfg.FollowInterval = DefaultFollowInterval
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	if cfg.RescueMargin <= 0 {
		cfg.RescueMargin = DefaultRescueMargin
	}
	if cfg.MaintenanceInterval <= 0 {
		cfg.MaintenanceInterval = DefaultMaintenanceInterval
	}
	if cfg.WebhookWindow == 0 {
		cfg.WebhookWindow = DefaultWebhookWindow
	}
	return cfg, nil
}

// Engine runs and tracks jobs.
type Engine struct {
	cfg    Config
	store  *store.Store
	clock  clockwork.Clock
	logger *slog.Logger
	kinds  map[string]*Kind
	order  []string
	river  *river.Client[*sql.Tx]
	hub    *hub
	// webhooks counts deliveries for the metrics (webhooks.go).
	webhooks webhookState

	mu      sync.Mutex
	started bool
	stopped bool
}

// New builds an engine. It does not start workers; call StartWorkers.
func New(c Config) (*Engine, error) {
	cfg, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, store: cfg.Store, clock: cfg.Clock, logger: cfg.Logger, kinds: map[string]*Kind{}}
	var maxTimeout time.Duration
	for i := range cfg.Kinds {
		k := cfg.Kinds[i]
		if err := k.validate(); err != nil {
			return nil, err
		}
		if _, dup := e.kinds[k.Type]; dup {
			return nil, fmt.Errorf("engine: job type %s registered twice", k.Type)
		}
		if k.AttemptTimeout <= 0 {
			k.AttemptTimeout = cfg.AttemptTimeout
		}
		if cfg.MaxAttemptTimeout > 0 {
			k.AttemptTimeout = min(k.AttemptTimeout, cfg.MaxAttemptTimeout)
		}
		maxTimeout = max(maxTimeout, k.AttemptTimeout)
		e.kinds[k.Type] = &k
		e.order = append(e.order, k.Type)
	}
	if maxTimeout == 0 {
		maxTimeout = cfg.AttemptTimeout
	}
	e.hub = newHub(e)

	riverCfg := &river.Config{
		Logger: slog.New(quietHandler{Handler: cfg.Logger.Handler(), min: slog.LevelWarn}).
			With(slog.String("component", "river")),
		JobTimeout:           maxTimeout,
		RescueStuckJobsAfter: maxTimeout + cfg.RescueMargin,
		MaxAttempts:          maxRiverAttempts,
		RetryPolicy:          rescueRetryPolicy{},
		// A console should react at once to a new job.
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 250 * time.Millisecond,
	}
	if !cfg.NoWorkers {
		workers := river.NewWorkers()
		river.AddWorker(workers, &jobWorker{engine: e})
		river.AddWorker(workers, &maintenanceWorker{engine: e})
		river.AddWorker(workers, &webhookDrainWorker{engine: e})
		riverCfg.Workers = workers
		riverCfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers},
			webhookQueue: {MaxWorkers: 1}}
		riverCfg.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.MaintenanceInterval),
				func() (river.JobArgs, *river.InsertOpts) { return maintenanceArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true, ID: "syncops_maintenance"}),
		}
	}
	client, err := river.NewClient(cfg.Store.RiverDriver(), riverCfg)
	if err != nil {
		return nil, fmt.Errorf("engine: river client: %w", err)
	}
	e.river = client
	return e, nil
}

// StartWorkers starts running jobs (a no-op for a NoWorkers engine).
func (e *Engine) StartWorkers(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cfg.NoWorkers || e.started {
		return nil
	}
	if err := e.river.Start(ctx); err != nil {
		return fmt.Errorf("engine: start workers: %w", err)
	}
	e.started = true
	// Deliveries a previous process stored but did not finish are drained
	// now rather than at the next maintenance run.
	if err := e.nudgeWebhooks(ctx); err != nil {
		e.logger.WarnContext(ctx, "pending webhook deliveries not enqueued", slog.Any("error", err))
	}
	return nil
}

// Stop stops taking new jobs and asks running ones to checkpoint and yield;
// they resume on the next start. It waits until they have, or until ctx
// ends, then cancels what is left. Stop is idempotent and safe before
// StartWorkers.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return nil
	}
	e.stopped = true
	started := e.started
	e.mu.Unlock()
	e.hub.close()
	if !started {
		return nil
	}
	// Cancel work contexts at once: bodies checkpoint and return quickly, and
	// the worker snoozes them so they resume on the next start.
	if err := e.river.StopAndCancel(ctx); err != nil {
		return fmt.Errorf("engine: stop: %w", err)
	}
	return nil
}

// Types lists the registered job types in registration order.
func (e *Engine) Types() []KindInfo {
	out := make([]KindInfo, 0, len(e.order))
	for _, t := range e.order {
		k := e.kinds[t]
		out = append(out, KindInfo{Type: k.Type, Label: k.Label, Description: k.Description,
			Params: slices.Clone(k.Params), RetryItems: k.RetryItems, Diff: k.Diff})
	}
	return out
}

// KindInfo describes a job type to a face (the body is not exposed).
type KindInfo struct {
	Type, Label, Description string
	Params                   []ParamSpec
	RetryItems               bool
	// Diff: a preview of the kind (DryRunParam) keeps a diff (Engine.Diff).
	Diff bool
}

// kind finds a job type by name, case-insensitively.
func (e *Engine) kind(name string) (*Kind, error) {
	k, ok := e.kinds[strings.ToUpper(strings.TrimSpace(name))]
	if !ok {
		names := slices.Clone(e.order)
		sort.Strings(names)
		return nil, &UnknownTypeError{Type: name, Valid: names}
	}
	return k, nil
}

// UnknownTypeError is a job type that does not exist.
type UnknownTypeError struct {
	Type  string
	Valid []string
}

func (e *UnknownTypeError) Error() string {
	return fmt.Sprintf("unknown job type %q; valid types: %s", e.Type, strings.Join(e.Valid, ", "))
}

// ConflictError refuses a start because an identical job is already pending
// or running.
type ConflictError struct {
	Type     string
	Existing JobID
	Status   Status
	// Lane, when set, says the start was refused because Existing (of Type)
	// holds the write lane the new job needed, and the start asked to be
	// refused rather than wait (LaneParam).
	Lane string
}

func (e *ConflictError) Error() string {
	if e.Lane != "" {
		return fmt.Sprintf("the %s write lane is held by job %d (%s, %s); started with %s=%s: wait for it or cancel it, or start with %s=%s to queue behind it",
			e.Lane, e.Existing, e.Type, strings.ToLower(string(e.Status)), LaneParam, LaneRefuse, LaneParam, LaneWait)
	}
	return fmt.Sprintf("%s is already %s as job %d with the same parameters; wait for it, cancel it, or start with force",
		e.Type, strings.ToLower(string(e.Status)), e.Existing)
}

// Sentinel errors callers branch on.
var (
	// ErrNotActive: the job already finished (for Cancel).
	ErrNotActive = errors.New("job is not pending or running")
	// ErrStillActive: the job has not finished (for Retry).
	ErrStillActive = errors.New("job has not finished")
	// ErrNothingToRetry: the job has no failed items, or its type cannot retry items.
	ErrNothingToRetry = errors.New("nothing to retry")
	// ErrTickClaimed: another instance already started this schedule tick.
	ErrTickClaimed = errors.New("schedule tick already started by another instance")
	// ErrStopped: the engine is shutting down and takes no new work.
	ErrStopped = errors.New("engine is stopping")
	// ErrForbidden: the actor is a viewer (or has no role) and asked for a
	// change; nothing was read or written for it. See Actor.Authorize.
	ErrForbidden = errors.New("viewers can look but not change anything")
)

// rescueRetryPolicy times River's retries, which follow only rescues: the
// worker ends every attempt itself (completed, cancelled, or snoozed to
// continue), so a retry means the process running the job died, and the
// rescue already waited out the attempt's timeout and the rescue margin.
// The job resumes from its last checkpoint at once: River's default would
// wait attempt^4 seconds more (16 s after a second death, 81 s after a
// third) for work already paid for. maxRiverAttempts still bounds a job
// that keeps killing its process.
type rescueRetryPolicy struct{}

func (rescueRetryPolicy) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }
