package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"syncops/engine"
)

// Outcome is what became of a tick.
type Outcome string

// Tick outcomes.
const (
	OutcomeStarted Outcome = "started"
	OutcomeClaimed Outcome = "skipped-claimed"
	OutcomeOverlap Outcome = "skipped-overlap"
	OutcomeError   Outcome = "error"
)

// Tick is one tick of a schedule and its outcome.
type Tick struct {
	JobType string
	// ScheduledAt is the tick's scheduled time (whole seconds, in the
	// scheduler's zone), the ScheduledTick passed to engine.Start.
	ScheduledAt time.Time
	Outcome     Outcome
	// JobID is the job started, or the active job the tick collided with.
	JobID engine.JobID
	// Err is the engine's refusal (nil when started).
	Err error
}

// Stats count one schedule's ticks in this process since it started.
type Stats struct {
	Fired          int64 `json:"fired"`
	Started        int64 `json:"started"`
	SkippedOverlap int64 `json:"skippedOverlap"`
	SkippedClaimed int64 `json:"skippedClaimed"`
	Errors         int64 `json:"errors"`
}

// Stats returns the tick counters of every schedule that ticked, by job type.
func (s *Scheduler) Stats() map[string]Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Stats, len(s.stats))
	for t, st := range s.stats {
		out[t] = *st
	}
	return out
}

// SkippedOverlap returns how many ticks each schedule dropped because its
// previous job was still active (the metric the headless service exports).
func (s *Scheduler) SkippedOverlap() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.stats))
	for t, st := range s.stats {
		out[t] = st.SkippedOverlap
	}
	return out
}

// statsLocked returns the counters of a job type; call with s.mu held.
func (s *Scheduler) statsLocked(jobType string) *Stats {
	st, ok := s.stats[jobType]
	if !ok {
		st = &Stats{}
		s.stats[jobType] = st
	}
	return st
}

// earlyFire is how early a timer may fire and still count for the coming
// tick (a wall clock stepped back a little after the timer was set). Ticks
// are whole seconds at least a second apart, so it cannot reach two.
const earlyFire = 500 * time.Millisecond

// tick asks the engine for one job. It does nothing else: the engine
// decides whether this instance, or any, starts a job for the tick.
func (s *Scheduler) tick(ctx context.Context, en *entry) {
	now := s.clock.Now().In(s.loc)
	s.mu.Lock()
	at, due := en.scheduledTick(now)
	if due {
		s.statsLocked(en.jobType).Fired++
	}
	s.mu.Unlock()
	if !due {
		// The timer fired for a tick already handled (a wall clock stepped
		// back after the tick); that is no tick.
		s.logger.DebugContext(ctx, "repeated timer ignored", slog.String("type", en.jobType), slog.Time("now", now))
		return
	}

	id, err := s.engine.Start(ctx, en.jobType, en.params, engine.StartOptions{ScheduledTick: at, Actor: tickActor})
	outcome, jobID := s.classify(id, err)
	t := Tick{JobType: en.jobType, ScheduledAt: at, Outcome: outcome, JobID: jobID, Err: err}

	s.mu.Lock()
	st := s.statsLocked(en.jobType)
	switch t.Outcome {
	case OutcomeStarted:
		st.Started++
	case OutcomeClaimed:
		st.SkippedClaimed++
	case OutcomeOverlap:
		st.SkippedOverlap++
	default:
		st.Errors++
	}
	s.mu.Unlock()
	s.logTick(ctx, t)
	if s.cfg.OnTick != nil {
		s.cfg.OnTick(t)
	}
}

// scheduledTick is the tick the timer is firing for at now: the latest tick not
// after now (give or take earlyFire), which is the one every instance
// computes for this firing however late its timer is. It is not due when it
// was already handled. Call with s.mu held.
func (en *entry) scheduledTick(now time.Time) (time.Time, bool) {
	limit := now.Add(earlyFire)
	from := en.lastTick
	if from.IsZero() {
		from = en.armedAt
	}
	t := en.schedule.Next(from)
	if t.IsZero() || t.After(limit) {
		return en.lastTick, false
	}
	for {
		n := en.schedule.Next(t)
		if n.IsZero() || n.After(limit) {
			break
		}
		t = n
	}
	en.lastTick = t
	return t.Truncate(time.Second), true
}

// classify names the outcome of engine.Start for a tick. The engine claims
// a tick before its single-flight check, so another instance that already
// started this tick shows as ErrTickClaimed, and a *engine.ConflictError
// means an earlier run is still active: an overlap.
func (s *Scheduler) classify(id engine.JobID, err error) (Outcome, engine.JobID) {
	if err == nil {
		return OutcomeStarted, id
	}
	if errors.Is(err, engine.ErrTickClaimed) {
		return OutcomeClaimed, 0
	}
	var conflict *engine.ConflictError
	if errors.As(err, &conflict) {
		return OutcomeOverlap, conflict.Existing
	}
	return OutcomeError, 0
}

// IsScheduled reports whether a schedule tick started the job.
func IsScheduled(j engine.Job) bool { return j.RequestedBy == tickActor.String() }

func (s *Scheduler) logTick(ctx context.Context, t Tick) {
	attrs := []any{slog.String("type", t.JobType), slog.Time("tick", t.ScheduledAt)}
	if t.JobID != 0 {
		attrs = append(attrs, slog.Int64("job_id", int64(t.JobID)))
	}
	switch t.Outcome {
	case OutcomeStarted:
		s.logger.InfoContext(ctx, "schedule tick started a job", attrs...)
	case OutcomeClaimed:
		s.logger.DebugContext(ctx, "schedule tick already started by another instance", attrs...)
	case OutcomeOverlap:
		s.logger.WarnContext(ctx, "schedule tick skipped: the previous job is still active", attrs...)
	default:
		attrs = append(attrs, slog.Any("error", t.Err))
		if errors.Is(t.Err, engine.ErrStopped) || ctx.Err() != nil {
			s.logger.InfoContext(ctx, "schedule tick dropped: shutting down", attrs...)
			return
		}
		s.logger.ErrorContext(ctx, "schedule tick failed to start a job", attrs...)
	}
}
