// Package scheduler starts jobs on the operator's schedules: one timer per
// enabled schedule, in the operator's time zone, whose tick does nothing but
// call engine.Start with the tick's scheduled time. Cron expressions are
// read by robfig/cron's parser; the timers run on the injected clock, so
// tests drive them with a fake one.
//
// Schedules live in the database, so every face (console, SSH, CLI) edits
// them through this package and every running instance follows: each one
// polls the schedules' version and rebuilds the timers that changed.
//
//	New ──> idle ──Start──> running ──Stop──> stopped
//	                          │  ▲
//	                          └──┘ every ReloadInterval: poll SchedulesVersion,
//	                               rebuild the changed timers
//
// A tick has four outcomes:
//
//	started          the engine inserted a job for this tick
//	skipped-claimed  another instance already started this tick (expected
//	                 with several instances on one database)
//	skipped-overlap  the previous job of this schedule is still pending or
//	                 running; the tick is dropped, never queued behind it
//	error            anything else (logged and counted)
package scheduler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the default zone must load on hosts without a zoneinfo database

	"github.com/jonboulle/clockwork"

	"syncops/engine"
	"syncops/store"
)

// Defaults of Config.
const (
	// DefaultTimezone is the operators' zone when Config.Location is nil.
	DefaultTimezone = "Asia/Ho_Chi_Minh"
	// DefaultReloadInterval is how often a running scheduler polls for
	// schedule changes made by other processes.
	DefaultReloadInterval = 2 * time.Second
)

// ActorName is the name the scheduler starts jobs under; a job whose
// RequestedBy is tickActor.String() was started by a tick.
const ActorName = "scheduler"

var tickActor = engine.Actor{Name: ActorName, Kind: engine.ActorScheduler, Role: engine.RoleOperator}

// ErrStopped: Start after Stop.
var ErrStopped = errors.New("scheduler: stopped")

// Config configures a Scheduler.
type Config struct {
	Engine *engine.Engine
	Store  *store.Store
	// Location is the zone cron expressions are read in, a named zone
	// (time.LoadLocation); nil means DefaultTimezone.
	Location *time.Location
	Clock    clockwork.Clock
	Logger   *slog.Logger
	// ReloadInterval is how often changes made elsewhere are picked up;
	// zero means DefaultReloadInterval.
	ReloadInterval time.Duration
	// OnTick, when set, is called after every tick with its outcome (for
	// metrics and tests). It runs on the tick's goroutine; keep it short.
	OnTick func(Tick)
	// OnReload, when set, is called after a reload rebuilt the timers of the
	// listed job types.
	OnReload func(changed []string)
}

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Engine == nil:
		return c, errors.New("scheduler: no engine")
	case c.Store == nil:
		return c, errors.New("scheduler: no store")
	case c.ReloadInterval < 0:
		return c, fmt.Errorf("scheduler: negative reload interval %s", c.ReloadInterval)
	}
	if c.Location == nil {
		loc, err := time.LoadLocation(DefaultTimezone)
		if err != nil {
			return c, fmt.Errorf("scheduler: default zone: %w", err)
		}
		c.Location = loc
	}
	// Cron expressions are parsed with the zone's name, so it must be one
	// the zone database knows (not a time.FixedZone).
	if _, err := time.LoadLocation(c.Location.String()); err != nil {
		return c, fmt.Errorf("scheduler: zone %q: %w", c.Location, err)
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ReloadInterval == 0 {
		c.ReloadInterval = DefaultReloadInterval
	}
	return c, nil
}

type runState int

const (
	stateIdle runState = iota
	stateRunning
	stateStopped
)

// Scheduler runs the stored schedules and edits them.
type Scheduler struct {
	cfg    Config
	engine *engine.Engine
	store  *store.Store
	loc    *time.Location
	clock  clockwork.Clock
	logger *slog.Logger

	// reloadMu serialises reloads (the poll loop, Set, Start) so the timers
	// always match one reading of the table. Take it before mu.
	reloadMu sync.Mutex

	mu          sync.Mutex
	state       runState
	runCtx      context.Context // parent of every timer; cancelled by Stop
	stopTimers  context.CancelFunc
	entries     map[string]*entry // by job type
	version     store.ScheduleVersion
	haveVersion bool
	stats       map[string]*Stats
	stopLoop    context.CancelFunc
	loopDone    chan struct{}
}

// entry is one enabled schedule as it runs.
type entry struct {
	jobType  string
	cron     string
	params   engine.Params
	paramKey string // the stored parameters, to notice edits
	schedule tickSchedule
	stop     context.CancelFunc // ends the timer
	done     chan struct{}      // closed when the timer (and a tick in progress) ended
	armedAt  time.Time          // when the timer was started
	lastTick time.Time          // the last tick handled; guarded by Scheduler.mu
}

// New builds a scheduler; it runs nothing until Start. The CLI builds one
// only to read and edit schedules.
func New(c Config) (*Scheduler, error) {
	cfg, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Scheduler{cfg: cfg, engine: cfg.Engine, store: cfg.Store, loc: cfg.Location, clock: cfg.Clock,
		logger:  cfg.Logger.With(slog.String("component", "scheduler")),
		entries: map[string]*entry{}, stats: map[string]*Stats{}}, nil
}

// Location is the zone schedules are read in.
func (s *Scheduler) Location() *time.Location { return s.loc }

// Start loads the schedules and runs them until Stop. ctx bounds only the
// first load; call Stop to stop. Start on a running scheduler does nothing.
func (s *Scheduler) Start(ctx context.Context) error {
	s.reloadMu.Lock()
	s.mu.Lock()
	switch s.state {
	case stateRunning:
		s.mu.Unlock()
		s.reloadMu.Unlock()
		return nil
	case stateStopped:
		s.mu.Unlock()
		s.reloadMu.Unlock()
		return ErrStopped
	}
	runCtx, stopTimers := context.WithCancel(context.WithoutCancel(ctx))
	loopCtx, cancel := context.WithCancel(runCtx)
	done := make(chan struct{})
	s.runCtx, s.stopTimers, s.state, s.stopLoop, s.loopDone = runCtx, stopTimers, stateRunning, cancel, done
	s.mu.Unlock()
	go s.pollLoop(loopCtx, done) // its first reload waits for this one

	err := s.reloadLocked(ctx, true)
	s.reloadMu.Unlock()
	if err == nil {
		s.logger.InfoContext(ctx, "scheduler started", slog.String("timezone", s.loc.String()),
			slog.Int("schedules", s.runningCount()))
		return nil
	}
	// Undo, unless a concurrent Stop already took it down.
	s.mu.Lock()
	ours := s.state == stateRunning && s.runCtx == runCtx
	var armed map[string]*entry
	if ours {
		armed = s.entries
		s.runCtx, s.stopTimers, s.state, s.entries, s.haveVersion, s.stopLoop, s.loopDone =
			nil, nil, stateIdle, map[string]*entry{}, false, nil, nil
	}
	s.mu.Unlock()
	if ours {
		stopTimers()
		<-done
		for _, en := range armed {
			<-en.done
		}
	}
	return err
}

// Stop stops firing ticks and waits (until ctx ends) for a tick in
// progress. It is idempotent and safe before Start; a stopped scheduler
// cannot be started again.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.state == stateStopped {
		s.mu.Unlock()
		return nil
	}
	wasRunning := s.state == stateRunning
	s.state = stateStopped
	stopTimers, cancel, done := s.stopTimers, s.stopLoop, s.loopDone
	s.mu.Unlock()
	if !wasRunning {
		return nil
	}
	// Cancel every timer before waiting for anything, so no new tick starts
	// even when Stop runs out of time waiting for one in progress.
	cancel()
	stopTimers()
	var errs []error
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("scheduler: stop: reload loop: %w", ctx.Err()))
	}
	// The reload loop has ended (or Stop is out of time): the entries no
	// longer change.
	s.reloadMu.Lock()
	s.mu.Lock()
	armed := s.entries
	s.mu.Unlock()
	s.reloadMu.Unlock()
	for jobType, en := range armed {
		select {
		case <-en.done:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("scheduler: stop: tick of %s in progress: %w", jobType, ctx.Err()))
		}
	}
	if len(errs) == 0 {
		s.logger.InfoContext(ctx, "scheduler stopped")
	}
	return errors.Join(errs...)
}

// Running reports whether ticks are being fired (for /healthz).
func (s *Scheduler) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateRunning
}

func (s *Scheduler) runningCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// pollLoop picks up schedule changes made by other processes.
func (s *Scheduler) pollLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	ticker := s.clock.NewTicker(s.cfg.ReloadInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.Chan():
		}
		if err := s.reload(ctx, false); err != nil && ctx.Err() == nil {
			s.logger.WarnContext(ctx, "reload schedules; keeping the current ones", slog.Any("error", err))
		}
	}
}

// reload rebuilds the timers whose schedule changed since the last
// reload (all of them when force is set).
func (s *Scheduler) reload(ctx context.Context, force bool) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	return s.reloadLocked(ctx, force)
}

func (s *Scheduler) reloadLocked(ctx context.Context, force bool) error {
	s.mu.Lock()
	runCtx, running, last, have := s.runCtx, s.state == stateRunning, s.version, s.haveVersion
	current := make(map[string]*entry, len(s.entries))
	for t, en := range s.entries {
		current[t] = en
	}
	s.mu.Unlock()
	if !running {
		return nil
	}
	// Read the version before the rows: a write in between makes the next
	// poll see a newer version and reload again.
	v, err := s.store.SchedulesVersion(ctx, s.store.Reader())
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	if have && v == last && !force {
		return nil
	}
	rows, err := s.store.Schedules(ctx, s.store.Reader())
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	wanted := s.wantedEntries(ctx, rows)

	var changed []string
	for jobType, en := range current {
		if w, ok := wanted[jobType]; ok && w.cron == en.cron && w.paramKey == en.paramKey {
			delete(wanted, jobType) // unchanged: keep its job and its tick history
			continue
		}
		// Wait for the timer to end, so when reload returns no removed
		// schedule can fire any more.
		en.stop()
		<-en.done
		delete(current, jobType)
		changed = append(changed, jobType)
	}
	for jobType, en := range wanted {
		s.arm(runCtx, en)
		current[jobType] = en
		if !slices.Contains(changed, jobType) {
			changed = append(changed, jobType)
		}
	}
	s.mu.Lock()
	s.entries, s.version, s.haveVersion = current, v, true
	s.mu.Unlock()
	if len(changed) > 0 {
		sort.Strings(changed)
		s.logger.InfoContext(ctx, "schedules reloaded", slog.Any("changed", changed), slog.Int("running", len(current)))
		if s.cfg.OnReload != nil {
			s.cfg.OnReload(changed)
		}
	}
	return nil
}

// wantedEntries are the enabled, runnable schedules among rows; the others
// are logged and left out.
func (s *Scheduler) wantedEntries(ctx context.Context, rows []store.Schedule) map[string]*entry {
	now := s.clock.Now()
	wanted := map[string]*entry{}
	for _, row := range rows {
		if !row.Enabled {
			continue
		}
		info, err := s.kindInfo(row.JobType)
		if err != nil {
			s.logger.WarnContext(ctx, "schedule of an unknown job type not run", slog.String("type", row.JobType))
			continue
		}
		sched, err := parseSpec(row.Cron, s.loc, now)
		if err != nil {
			s.logger.WarnContext(ctx, "schedule not run", slog.String("type", info.Type), slog.Any("error", err))
			continue
		}
		params, err := s.engine.DecodeParams(info.Type, row.Params)
		if err != nil {
			s.logger.WarnContext(ctx, "schedule not run: unreadable parameters", slog.String("type", info.Type),
				slog.Any("error", err))
			continue
		}
		wanted[info.Type] = &entry{jobType: info.Type, cron: strings.TrimSpace(row.Cron), params: params,
			paramKey: string(bytes.TrimSpace(row.Params)), schedule: sched}
	}
	return wanted
}

// arm starts the timer of an entry.
func (s *Scheduler) arm(runCtx context.Context, en *entry) {
	ctx, stop := context.WithCancel(runCtx)
	en.armedAt, en.stop, en.done = s.clock.Now(), stop, make(chan struct{})
	go s.fire(ctx, en)
}

// fire is an entry's timer: it sleeps until the schedule's next tick, ticks,
// and sleeps again. A tick runs to its end even when the timer is stopped
// meanwhile (Stop waits for it). A tick that outlasts the next one makes the
// timer skip to the tick after: ticks are never queued behind a slow one.
func (s *Scheduler) fire(ctx context.Context, en *entry) {
	defer close(en.done)
	var last time.Time // the tick the timer last fired for
	for {
		from := s.clock.Now()
		if last.After(from) { // the timer fired a little early
			from = last
		}
		next := en.schedule.Next(from)
		if next.IsZero() {
			return
		}
		timer := s.clock.NewTimer(next.Sub(s.clock.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.Chan():
		}
		last = next
		s.tick(context.WithoutCancel(ctx), en)
	}
}
