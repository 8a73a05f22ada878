package scheduler

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"syncops/engine"
	"syncops/store"
)

// DefaultCron is the expression of a schedule never set: the reference
// system's default, every six hours. Such a schedule is disabled.
const DefaultCron = "0 */6 * * *"

// lastRunSearchDepth bounds how many recent jobs of a type are read to find
// the newest one a tick started, so listing schedules stays cheap.
const lastRunSearchDepth = 50

// DefaultScheduledTypes are the job types listed as schedules, disabled,
// before an operator first sets them (when they are registered). Any other
// registered type can be scheduled too.
//
// PULL_NHANH_CUSTOMERS is the nightly safety net of the spend sync: the
// auto-sync finds spend changes through orders, but Nhanh's order/list does
// not list deleted orders, so the spend a deletion lowered is corrected
// only by a full customer pull (the next auto-sync then pushes it).
var DefaultScheduledTypes = []string{"AUTO_SYNC_CUSTOMERS", "AUTO_SYNC_PRODUCTS", "INCREMENTAL_PULL_CUSTOMERS", "PULL_NHANH_CUSTOMERS"}

// defaultCrons are the default expressions of the DefaultScheduledTypes
// that do not take DefaultCron: the full customer pull runs nightly at
// 02:00 in the scheduler's zone (Asia/Ho_Chi_Minh by default), when the
// shops are closed.
var defaultCrons = map[string]string{"PULL_NHANH_CUSTOMERS": "0 2 * * *"}

// DefaultCronOf is the expression of jobType's schedule before it is set.
func DefaultCronOf(jobType string) string {
	if c, ok := defaultCrons[jobType]; ok {
		return c
	}
	return DefaultCron
}

// ScheduleView is a schedule as the faces show it.
type ScheduleView struct {
	JobType string `json:"jobType"`
	Cron    string `json:"cron"`
	Enabled bool   `json:"enabled"`
	// Params are the job's parameters, a JSON object.
	Params    json.RawMessage `json:"params"`
	UpdatedBy string          `json:"updatedBy,omitempty"`
	UpdatedAt time.Time       `json:"updatedAt,omitzero"`
	// NextRuns are the next three ticks in the scheduler's zone; empty when
	// the schedule is disabled or cannot run.
	NextRuns []time.Time `json:"nextRuns"`
	// LastRun is the newest job of the type a tick started, or nil.
	LastRun *engine.Job `json:"lastRun"`
	// SkippedOverlap counts ticks this process dropped because the previous
	// job was still active.
	SkippedOverlap int64 `json:"skippedOverlap"`
	// Problem says why an enabled schedule does not run ("" when it does).
	Problem string `json:"problem,omitempty"`
}

// Validate checks an operator's cron expression and returns its next three
// run times in the scheduler's zone, or a *CronError with the reason.
func (s *Scheduler) Validate(spec string) ([]time.Time, error) {
	now := s.clock.Now()
	sched, err := parseSpec(spec, s.loc, now)
	if err != nil {
		return nil, err
	}
	runs := nextRuns(sched, now, nextRunCount, s.loc)
	if len(runs) == 0 {
		return nil, &CronError{Spec: spec, Reason: "it never fires"}
	}
	return runs, nil
}

// Schedules lists every stored schedule, plus the DefaultScheduledTypes not
// yet set, by job type.
func (s *Scheduler) Schedules(ctx context.Context) ([]ScheduleView, error) {
	rows, err := s.store.Schedules(ctx, s.store.Reader())
	if err != nil {
		return nil, err
	}
	byType := make(map[string]store.Schedule, len(rows))
	for _, row := range rows {
		if info, err := s.kindInfo(row.JobType); err == nil {
			row.JobType = info.Type
		}
		byType[row.JobType] = row
	}
	for _, t := range DefaultScheduledTypes {
		if _, set := byType[t]; set {
			continue
		}
		if _, err := s.kindInfo(t); err == nil {
			byType[t] = store.Schedule{JobType: t, Cron: DefaultCronOf(t)}
		}
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	out := make([]ScheduleView, 0, len(types))
	for _, t := range types {
		v, err := s.view(ctx, byType[t])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Schedule returns one job type's schedule (the default, disabled, when it
// was never set).
func (s *Scheduler) Schedule(ctx context.Context, jobType string) (ScheduleView, error) {
	info, err := s.kindInfo(jobType)
	if err != nil {
		return ScheduleView{}, err
	}
	sch, err := s.storedOrDefault(ctx, info.Type)
	if err != nil {
		return ScheduleView{}, err
	}
	return s.view(ctx, sch)
}

func (s *Scheduler) view(ctx context.Context, sch store.Schedule) (ScheduleView, error) {
	v := ScheduleView{JobType: sch.JobType, Cron: sch.Cron, Enabled: sch.Enabled, Params: sch.Params,
		UpdatedBy: sch.UpdatedBy, UpdatedAt: sch.UpdatedAt, NextRuns: []time.Time{}}
	if len(bytes.TrimSpace(v.Params)) == 0 {
		v.Params = json.RawMessage(`{}`)
	}
	if !v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.UpdatedAt.In(s.loc)
	}
	s.mu.Lock()
	if st, ok := s.stats[sch.JobType]; ok {
		v.SkippedOverlap = st.SkippedOverlap
	}
	s.mu.Unlock()

	if _, err := s.kindInfo(sch.JobType); err != nil {
		if v.Enabled {
			v.Problem = "this syncops has no job type " + sch.JobType
		}
		return v, nil
	}
	last, err := s.lastScheduledRun(ctx, sch.JobType)
	if err != nil {
		return ScheduleView{}, err
	}
	v.LastRun = last
	if !v.Enabled {
		return v, nil
	}
	runs, err := s.Validate(sch.Cron)
	if err != nil {
		v.Problem = err.Error()
		return v, nil
	}
	if _, err := s.engine.DecodeParams(sch.JobType, sch.Params); err != nil {
		v.Problem = "unreadable parameters: " + err.Error()
		return v, nil
	}
	v.NextRuns = runs
	return v, nil
}

// lastScheduledRun finds the newest job of jobType a tick started among its
// recent jobs.
func (s *Scheduler) lastScheduledRun(ctx context.Context, jobType string) (*engine.Job, error) {
	jobs, err := s.engine.List(ctx, engine.ListFilter{Types: []string{jobType}, Limit: lastRunSearchDepth})
	if err != nil {
		return nil, fmt.Errorf("last run of %s: %w", jobType, err)
	}
	for _, j := range jobs {
		if IsScheduled(j) {
			return &j, nil
		}
	}
	return nil, nil
}

// Set schedules jobType on spec and enables it, or disables it when spec is
// "off" (keeping its cron expression). params replace the job's parameters
// unless nil. The change is audited, applies at once in this process, and
// within ReloadInterval in every other running instance.
//
// The parameters are stored as the engine's canonical JSON, the form of a
// job's parameters.
//
// Refusals: engine.ErrForbidden (a viewer), *engine.UnknownTypeError,
// *CronError, *engine.ParamError.
func (s *Scheduler) Set(ctx context.Context, jobType, spec string, params engine.Params, actor engine.Actor) (ScheduleView, error) {
	if err := actor.Authorize("change the schedule of " + jobType); err != nil {
		return ScheduleView{}, err
	}
	info, err := s.kindInfo(jobType)
	if err != nil {
		return ScheduleView{}, err
	}
	sch, err := s.storedOrDefault(ctx, info.Type)
	if err != nil {
		return ScheduleView{}, err
	}
	spec = strings.TrimSpace(spec)
	action := "schedule.set"
	if strings.EqualFold(spec, Off) {
		sch.Enabled, action = false, "schedule.off"
	} else {
		if _, err := s.Validate(spec); err != nil {
			return ScheduleView{}, err
		}
		sch.Cron, sch.Enabled = spec, true
	}
	if params != nil {
		raw, err := s.engine.EncodeParams(info.Type, params)
		if err != nil {
			return ScheduleView{}, err
		}
		sch.Params = raw
	}
	return s.save(ctx, sch, action, actor)
}

// SetEnabled turns jobType's schedule on (on its current cron expression,
// DefaultCron if never set) or off.
func (s *Scheduler) SetEnabled(ctx context.Context, jobType string, enabled bool, actor engine.Actor) (ScheduleView, error) {
	if err := actor.Authorize("change the schedule of " + jobType); err != nil {
		return ScheduleView{}, err
	}
	if !enabled {
		return s.Set(ctx, jobType, Off, nil, actor)
	}
	info, err := s.kindInfo(jobType)
	if err != nil {
		return ScheduleView{}, err
	}
	sch, err := s.storedOrDefault(ctx, info.Type)
	if err != nil {
		return ScheduleView{}, err
	}
	return s.Set(ctx, info.Type, sch.Cron, nil, actor)
}

// DemoSchedules are the short schedules `syncops demo` enables so the
// scheduler is seen at work within minutes.
func DemoSchedules() []store.Schedule {
	return []store.Schedule{
		{JobType: "INCREMENTAL_PULL_CUSTOMERS", Cron: "0 */2 * * * *", Enabled: true, Params: json.RawMessage(`{}`)},
		{JobType: "AUTO_SYNC_CUSTOMERS", Cron: "0 */5 * * * *", Enabled: true, Params: json.RawMessage(`{}`)},
		{JobType: "AUTO_SYNC_PRODUCTS", Cron: "30 */5 * * * *", Enabled: true, Params: json.RawMessage(`{}`)},
	}
}

// EnableDemo sets and enables the DemoSchedules whose job types are
// registered.
func (s *Scheduler) EnableDemo(ctx context.Context, actor engine.Actor) error {
	if err := actor.Authorize("enable the demonstration schedules"); err != nil {
		return err
	}
	for _, d := range DemoSchedules() {
		if _, err := s.kindInfo(d.JobType); err != nil {
			continue
		}
		params, err := s.engine.DecodeParams(d.JobType, d.Params)
		if err != nil {
			return err
		}
		if _, err := s.Set(ctx, d.JobType, d.Cron, params, actor); err != nil {
			return fmt.Errorf("enable demo schedule %s: %w", d.JobType, err)
		}
	}
	return nil
}

// save writes a schedule with its audit entry and applies it here at once.
func (s *Scheduler) save(ctx context.Context, sch store.Schedule, action string, actor engine.Actor) (ScheduleView, error) {
	now := s.clock.Now()
	sch.UpdatedBy, sch.UpdatedAt = actor.String(), now
	// The change and its audit entry commit together: no schedule changes
	// without a record of who changed it, and no record of a change that
	// did not happen.
	err := s.store.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.store.UpsertSchedule(ctx, tx, sch); err != nil {
			return err
		}
		if actor.Kind == "" {
			return nil
		}
		detail := fmt.Sprintf("%s %q params=%s", sch.JobType, sch.Cron, paramsText(sch.Params))
		if !sch.Enabled {
			detail = fmt.Sprintf("%s off (cron %q kept)", sch.JobType, sch.Cron)
		}
		return s.store.AddAudit(ctx, tx, store.AuditEntry{At: now, Actor: actor.Name,
			ActorKind: store.ActorKind(actor.Kind), Action: action, Detail: detail})
	})
	if err != nil {
		return ScheduleView{}, err
	}
	if err := s.reload(ctx, false); err != nil {
		// Saved: the poll loop applies it on its next round.
		s.logger.WarnContext(ctx, "apply schedule change", "type", sch.JobType, "error", err)
	}
	return s.view(ctx, sch)
}

func (s *Scheduler) storedOrDefault(ctx context.Context, jobType string) (store.Schedule, error) {
	sch, err := s.store.Schedule(ctx, s.store.Reader(), jobType)
	if errors.Is(err, store.ErrNotFound) {
		return store.Schedule{JobType: jobType, Cron: DefaultCronOf(jobType), Params: json.RawMessage(`{}`)}, nil
	}
	return sch, err
}

// kindInfo finds a registered job type, case-insensitively.
func (s *Scheduler) kindInfo(jobType string) (engine.KindInfo, error) {
	name := strings.TrimSpace(jobType)
	types := s.engine.Types()
	valid := make([]string, 0, len(types))
	for _, k := range types {
		if strings.EqualFold(k.Type, name) {
			return k, nil
		}
		valid = append(valid, k.Type)
	}
	sort.Strings(valid)
	return engine.KindInfo{}, &engine.UnknownTypeError{Type: jobType, Valid: valid}
}

func paramsText(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "{}"
	}
	return string(raw)
}
