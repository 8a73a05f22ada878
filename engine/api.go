package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"syncops/store"
)

// JobID identifies a tracked job (it is also its River job id).
type JobID int64

// Job is a tracked job as every face shows it.
type Job struct {
	ID          JobID           `json:"id"`
	Type        string          `json:"type"`
	Status      Status          `json:"status"`
	Params      json.RawMessage `json:"params"`
	Total       int64           `json:"total"`
	Processed   int64           `json:"processed"`
	Successful  int64           `json:"successful"`
	Failed      int64           `json:"failed"`
	Skipped     int64           `json:"skipped"`
	Metadata    json.RawMessage `json:"metadata"`
	Error       string          `json:"error"`
	CreatedAt   time.Time       `json:"createdAt"`
	StartedAt   *time.Time      `json:"startedAt"`
	CompletedAt *time.Time      `json:"completedAt"`
	Attempt     int             `json:"attempt"`
	RetryOf     JobID           `json:"retryOf,omitempty"`
	RequestedBy string          `json:"requestedBy,omitempty"`
	UpdatedAt   time.Time       `json:"updatedAt"`
	// Rate is the items per second of the current (or last) attempt, 0
	// when unknown. Rate, ETA and HasETA also appear in Metadata (as
	// itemsPerSecond and etaSeconds), which is what the JSON shows.
	Rate float64 `json:"-"`
	// ETA is the time a running job still needs at its rate; meaningful
	// only when HasETA.
	ETA time.Duration `json:"-"`
	// HasETA is false when the engine has no estimate (the job is not
	// running, or has done nothing yet in this attempt).
	HasETA bool `json:"-"`
}

// Counters returns the job's counters.
func (j Job) Counters() Counters {
	return Counters{Total: j.Total, Processed: j.Processed, Successful: j.Successful, Failed: j.Failed, Skipped: j.Skipped}
}

// Actor is who asked for an action, for the audit log and for the engine's
// decision whether it may change anything. The zero Actor is the engine
// itself (tests, internal work): it may change anything and is not audited.
type Actor struct {
	Name string    // key fingerprint and comment, local user, "scheduler"
	Kind ActorKind // local, ssh, cli, scheduler, http
	// Role decides what the actor may do. Left empty, the local faces (the
	// console at this terminal, the command line) and the scheduler are
	// operators, because whoever runs them owns the database; any other
	// face (SSH) must say, and is a viewer until it does.
	Role Role
}

// Role is what an actor may do.
type Role string

// Roles.
const (
	// RoleOperator may start, cancel and retry jobs and change schedules,
	// locations and settings.
	RoleOperator Role = "operator"
	// RoleViewer sees everything and changes nothing.
	RoleViewer Role = "viewer"
)

func (a Actor) String() string {
	if a.Name == "" {
		return string(a.Kind)
	}
	return string(a.Kind) + ":" + a.Name
}

// EffectiveRole is the role the engine decides with (see Actor.Role); the
// zero Actor, the engine itself, is an operator.
func (a Actor) EffectiveRole() Role {
	if a.Role != "" {
		return a.Role
	}
	switch a.Kind {
	case "", ActorLocal, ActorCLI, ActorScheduler:
		return RoleOperator
	default:
		return RoleViewer
	}
}

// MayChange reports whether the actor may change anything. Faces use it
// only to word their refusal kindly; the engine and its services decide with
// Authorize on every change.
func (a Actor) MayChange() bool { return a.EffectiveRole() == RoleOperator }

// Authorize returns nil when the actor may perform action (a change), and
// otherwise an error wrapping ErrForbidden that names the action and the
// actor. Every mutating call of the engine, the scheduler and the locations
// service calls it before it reads or writes anything.
func (a Actor) Authorize(action string) error {
	if a.MayChange() {
		return nil
	}
	return fmt.Errorf("%s: %s is a %s: %w", action, actorOrOperator(a), a.EffectiveRole(), ErrForbidden)
}

// StartOptions modify Start.
type StartOptions struct {
	// Force cancels an identical pending or running job and starts afresh.
	Force bool
	// Actor is recorded in the audit log and on the job.
	Actor Actor
	// ScheduledTick, when set, is the schedule tick this start answers. Only
	// one start per (type, tick) succeeds across every instance on the
	// database; the others get ErrTickClaimed.
	ScheduledTick time.Time
	// retryOf makes the job a retry of another's failed items (see Retry).
	retryOf JobID
}

// Start validates and enqueues a job and returns its id at once; the job
// runs in the background. An identical job (same type and parameters) that
// is pending or running makes Start fail with a *ConflictError naming it,
// unless opts.Force is set, which cancels that job first.
func (e *Engine) Start(ctx context.Context, jobType string, params Params, opts StartOptions) (JobID, error) {
	if err := opts.Actor.Authorize("start " + jobType); err != nil {
		return 0, err
	}
	if e.isStopped() {
		return 0, ErrStopped
	}
	k, err := e.kind(jobType)
	if err != nil {
		return 0, err
	}
	canonical, err := k.canonicalParams(params)
	if err != nil {
		return 0, err
	}
	key := k.Type + " " + string(canonical)
	if opts.retryOf != 0 {
		key += " retry-of=" + strconv.FormatInt(int64(opts.retryOf), 10)
	}
	now := e.clock.Now()
	var id JobID
	var replaced JobID
	err = e.store.InTx(ctx, func(tx *sql.Tx) error {
		if opts.Force {
			old, err := e.store.ActiveJobByKey(ctx, tx, key)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			default:
				if err := e.cancelTx(ctx, tx, old.ID, "replaced by a forced restart", now); err != nil {
					return err
				}
				replaced = JobID(old.ID)
			}
		}
		res, err := e.river.InsertTx(ctx, tx, jobArgs{Type: k.Type}, &river.InsertOpts{MaxAttempts: maxRiverAttempts})
		if err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		id = JobID(res.Job.ID)
		// Claim the tick before the single-flight check, so another instance
		// firing the same tick learns that it was claimed, not that a job of
		// the type happens to be active.
		if !opts.ScheduledTick.IsZero() {
			if err := e.store.ClaimScheduledTick(ctx, tx, k.Type, opts.ScheduledTick, int64(id)); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return ErrTickClaimed
				}
				return err
			}
		}
		if err := e.store.InsertJob(ctx, tx, store.JobRecord{ID: res.Job.ID, Type: k.Type, Params: canonical,
			UniqueKey: key, RetryOf: int64(opts.retryOf), RequestedBy: opts.Actor.String(), CreatedAt: now}); err != nil {
			return err
		}
		if err := e.enterLane(ctx, tx, id, laneOf(k, canonical), canonical); err != nil {
			return err
		}
		action := "job.start"
		if opts.retryOf != 0 {
			action = "job.retry"
		}
		detail := k.Type + " " + string(canonical)
		if replaced != 0 {
			action = "job.force-start"
			detail += fmt.Sprintf(" (cancelled job %d)", replaced)
		}
		return e.audit(ctx, tx, opts.Actor, action, id, detail, now)
	})
	if ce := (*ConflictError)(nil); errors.As(err, &ce) {
		return 0, ce
	}
	if errors.Is(err, store.ErrConflict) {
		old, getErr := e.store.ActiveJobByKey(ctx, e.store.DB(), key)
		if getErr != nil {
			return 0, fmt.Errorf("start %s: identical job active but unreadable: %w", k.Type, getErr)
		}
		return 0, &ConflictError{Type: k.Type, Existing: JobID(old.ID), Status: Status(old.Status)}
	}
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", k.Type, FromStore(err))
	}
	e.logger.InfoContext(ctx, "job started", slog.Int64("job_id", int64(id)), slog.String("type", k.Type),
		slog.String("actor", opts.Actor.String()))
	e.hub.publishJob(ctx, id)
	if replaced != 0 {
		e.hub.publishJob(ctx, replaced)
	}
	return id, nil
}

// ValidateParams checks parameters for a job type without starting
// anything (the scheduler uses it before saving a schedule).
func (e *Engine) ValidateParams(jobType string, params Params) error {
	_, err := e.EncodeParams(jobType, params)
	return err
}

// EncodeParams validates operator text parameters for a job type and
// returns them as canonical JSON (keys sorted, values typed, defaults
// applied): the form a job's Params and a schedule's parameters are stored
// in. Refusals are *UnknownTypeError and *ParamError.
func (e *Engine) EncodeParams(jobType string, params Params) (json.RawMessage, error) {
	k, err := e.kind(jobType)
	if err != nil {
		return nil, err
	}
	return k.canonicalParams(params)
}

// DecodeParams turns stored parameters of a job type back into operator
// text, exactly (ids of any size stay whole numbers), so that Start accepts
// them again. It reads canonical JSON as EncodeParams writes it and, for
// schedules saved before parameters were stored typed, JSON whose values are
// operator text.
func (e *Engine) DecodeParams(jobType string, raw json.RawMessage) (Params, error) {
	k, err := e.kind(jobType)
	if err != nil {
		return nil, err
	}
	return k.paramsText(raw)
}

// audit records an operator action; actions without an actor (tests,
// internal maintenance) are not operator actions and are not recorded.
func (e *Engine) audit(ctx context.Context, q store.Querier, a Actor, action string, id JobID, detail string, now time.Time) error {
	if a.Kind == "" {
		return nil
	}
	return e.store.AddAudit(ctx, q, store.AuditEntry{At: now, Actor: a.Name, ActorKind: store.ActorKind(a.Kind), Action: action,
		JobID: int64(id), Detail: detail})
}

// cancelTx marks a job cancelled and asks River to cancel its execution.
func (e *Engine) cancelTx(ctx context.Context, tx *sql.Tx, id int64, reason string, now time.Time) error {
	ok, err := e.store.CancelJobRecord(ctx, tx, id, reason, now)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotActive
	}
	if _, err := e.river.JobCancelTx(ctx, tx, id); err != nil && !errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("cancel river job %d: %w", id, err)
	}
	return nil
}

// Cancel cancels a pending or running job. A running body sees its context
// cancelled within about a second and the job ends CANCELLED with its
// counters kept.
func (e *Engine) Cancel(ctx context.Context, id JobID, actor Actor) error {
	if err := actor.Authorize(fmt.Sprintf("cancel job %d", id)); err != nil {
		return err
	}
	now := e.clock.Now()
	err := e.store.InTx(ctx, func(tx *sql.Tx) error {
		rec, err := e.store.Job(ctx, tx, int64(id))
		if err != nil {
			return err
		}
		if Status(rec.Status).Terminal() {
			return fmt.Errorf("job %d is %s: %w", id, rec.Status, ErrNotActive)
		}
		if err := e.cancelTx(ctx, tx, int64(id), "cancelled by "+actorOrOperator(actor), now); err != nil {
			return err
		}
		return e.audit(ctx, tx, actor, "job.cancel", id, rec.Type, now)
	})
	if err != nil {
		return fmt.Errorf("cancel job %d: %w", id, FromStore(err))
	}
	e.logger.InfoContext(ctx, "job cancel requested", slog.Int64("job_id", int64(id)), slog.String("actor", actor.String()))
	e.hub.publishJob(ctx, id)
	return nil
}

func actorOrOperator(a Actor) string {
	if a.Kind == "" {
		return "operator"
	}
	return a.String()
}

// Retry starts a new job over the failed items of a finished job and
// returns its id.
func (e *Engine) Retry(ctx context.Context, id JobID, actor Actor) (JobID, error) {
	if err := actor.Authorize(fmt.Sprintf("retry job %d", id)); err != nil {
		return 0, err
	}
	rec, err := e.store.Job(ctx, e.store.Reader(), int64(id))
	if err != nil {
		return 0, fmt.Errorf("retry job %d: %w", id, FromStore(err))
	}
	if !Status(rec.Status).Terminal() {
		return 0, fmt.Errorf("retry job %d: it is %s: %w", id, rec.Status, ErrStillActive)
	}
	k, err := e.kind(rec.Type)
	if err != nil {
		return 0, err
	}
	if !k.RetryItems {
		return 0, fmt.Errorf("retry job %d: %s cannot retry single items; start it again instead: %w", id, k.Type, ErrNothingToRetry)
	}
	n, err := e.store.CountFailedItems(ctx, e.store.Reader(), store.FailedItemFilter{JobID: int64(id)})
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("retry job %d: it has no failed items: %w", id, ErrNothingToRetry)
	}
	params, err := k.paramsText(rec.Params)
	if err != nil {
		return 0, fmt.Errorf("retry job %d: read its parameters: %w", id, err)
	}
	return e.Start(ctx, rec.Type, params, StartOptions{Actor: actor, retryOf: id})
}

// Restart starts job id's type again with the same parameters, cancelling
// an identical pending or running job first (a forced start), and returns
// the new job's id.
func (e *Engine) Restart(ctx context.Context, id JobID, actor Actor) (JobID, error) {
	if err := actor.Authorize(fmt.Sprintf("restart job %d", id)); err != nil {
		return 0, err
	}
	rec, err := e.store.Job(ctx, e.store.Reader(), int64(id))
	if err != nil {
		return 0, fmt.Errorf("restart job %d: %w", id, FromStore(err))
	}
	k, err := e.kind(rec.Type)
	if err != nil {
		return 0, err
	}
	params, err := k.paramsText(rec.Params)
	if err != nil {
		return 0, fmt.Errorf("restart job %d: read its parameters: %w", id, err)
	}
	return e.Start(ctx, rec.Type, params, StartOptions{Force: true, Actor: actor})
}

// Get returns one job, or an error wrapping ErrNotFound.
func (e *Engine) Get(ctx context.Context, id JobID) (Job, error) {
	rec, err := e.store.Job(ctx, e.store.Reader(), int64(id))
	if err != nil {
		return Job{}, FromStore(err)
	}
	return jobFromRecord(rec), nil
}

// Attempts returns a job's attempt history, oldest first.
func (e *Engine) Attempts(ctx context.Context, id JobID) ([]Attempt, error) {
	rows, err := e.store.JobAttempts(ctx, e.store.Reader(), int64(id))
	if err != nil {
		return nil, FromStore(err)
	}
	out := make([]Attempt, len(rows))
	for i, a := range rows {
		out[i] = attemptFromStore(a)
	}
	return out, nil
}

// List returns one page of jobs, newest first. Pass the last job's id as
// BeforeID for the next page.
func (e *Engine) List(ctx context.Context, f ListFilter) ([]Job, error) {
	f.Types = append([]string(nil), f.Types...)
	for i, t := range f.Types {
		k, err := e.kind(t)
		if err != nil {
			return nil, err
		}
		f.Types[i] = k.Type
	}
	recs, err := e.store.ListJobs(ctx, e.store.Reader(), f.store())
	if err != nil {
		return nil, FromStore(err)
	}
	out := make([]Job, len(recs))
	for i, r := range recs {
		out[i] = jobFromRecord(r)
	}
	return out, nil
}

// CountByStatus counts jobs matching f per status.
func (e *Engine) CountByStatus(ctx context.Context, f ListFilter) (map[Status]int64, error) {
	counts, err := e.store.CountJobsByStatus(ctx, e.store.Reader(), f.store())
	if err != nil {
		return nil, FromStore(err)
	}
	out := make(map[Status]int64, len(counts))
	for st, n := range counts {
		out[Status(st)] = n
	}
	return out, nil
}

// Latest returns the newest job of each type that has run.
func (e *Engine) Latest(ctx context.Context) (map[string]Job, error) {
	recs, err := e.store.LatestJobPerType(ctx, e.store.Reader())
	if err != nil {
		return nil, FromStore(err)
	}
	out := make(map[string]Job, len(recs))
	for t, r := range recs {
		out[t] = jobFromRecord(r)
	}
	return out, nil
}

// Failures returns one page of a job's failed items and how many match.
func (e *Engine) Failures(ctx context.Context, f FailureFilter) ([]FailedItem, int64, error) {
	items, err := e.store.FailedItems(ctx, e.store.Reader(), f.store())
	if err != nil {
		return nil, 0, FromStore(err)
	}
	n, err := e.store.CountFailedItems(ctx, e.store.Reader(), f.store())
	if err != nil {
		return nil, 0, FromStore(err)
	}
	out := make([]FailedItem, len(items))
	for i, it := range items {
		out[i] = failedItemFromStore(it)
	}
	return out, n, nil
}

func (e *Engine) isStopped() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopped
}

// Audit returns one page of the audit log, newest first.
func (e *Engine) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	rows, err := e.store.AuditLog(ctx, e.store.Reader(), store.AuditFilter{Limit: f.Limit, BeforeID: f.BeforeID})
	if err != nil {
		return nil, FromStore(err)
	}
	out := make([]AuditEntry, len(rows))
	for i, a := range rows {
		out[i] = auditFromStore(a)
	}
	return out, nil
}
