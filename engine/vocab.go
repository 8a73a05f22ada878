package engine

import (
	"encoding/json"
	"errors"
	"math"
	"time"

	"syncops/clients/apierr"
	"syncops/store"
)

// This file is the engine's vocabulary: the values its API hands to the
// faces, and their conversion from the store's rows. Faces never see a
// store type, so the database seam can change without touching them.

// Status is a job's state as operators see it.
//
//	PENDING ──> RUNNING ──> COMPLETED (failed items may be > 0)
//	   │           │  └───> FAILED    (the job itself could not go on)
//	   └───────────┴──────> CANCELLED (an operator, or a forced restart)
//
// A RUNNING job whose process died goes back to RUNNING on its next attempt
// after the rescue; it resumes from its checkpoint.
type Status string

// Job statuses.
const (
	StatusPending   Status = "PENDING"
	StatusRunning   Status = "RUNNING"
	StatusCompleted Status = "COMPLETED"
	StatusFailed    Status = "FAILED"
	StatusCancelled Status = "CANCELLED"
)

// Valid reports whether s is one of the statuses above (faces check
// operator input with it).
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusRunning, StatusCompleted, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// Terminal reports whether the status is final.
func (s Status) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// Counters are a job's progress counters. Processed is always
// Successful + Failed + Skipped.
type Counters struct {
	Total      int64 `json:"total"`
	Processed  int64 `json:"processed"`
	Successful int64 `json:"successful"`
	Failed     int64 `json:"failed"`
	Skipped    int64 `json:"skipped"`
}

// ActorKind says through which face an action came.
type ActorKind string

// Actor kinds.
const (
	ActorLocal     ActorKind = "local"     // the console on the machine itself
	ActorSSH       ActorKind = "ssh"       // a console over SSH; Actor.Name is the key's user
	ActorCLI       ActorKind = "cli"       // a command-line invocation
	ActorScheduler ActorKind = "scheduler" // a cron tick
	ActorHTTP      ActorKind = "http"      // the HTTP API; Actor.Name is the bearer token's name
)

// Attempt is one run of a job by a worker.
type Attempt struct {
	Attempt    int
	StartedAt  time.Time
	FinishedAt time.Time // zero while the attempt runs
	// Outcome is "" while running, or completed, failed, cancelled, snoozed
	// (the job continues in a next attempt) or interrupted (its process died).
	Outcome string
	Error   string
}

// FailedItem is one item a job could not process.
type FailedItem struct {
	ID         int64
	JobID      int64
	ItemKey    string
	Message    string
	ErrorClass string
	Request    string
	Attempts   int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// FailureFilter pages and searches a job's failed items, oldest first.
type FailureFilter struct {
	JobID   int64
	Search  string // matches key, message or class (case-insensitive)
	AfterID int64  // only items with id > AfterID
	Limit   int    // page size; <= 0 means a default page
}

// ListFilter selects jobs. Jobs are listed newest first and paged by id, so
// paging stays cheap at any history size.
type ListFilter struct {
	Types    []string
	Statuses []Status
	// Search matches the type, status, requester or error text
	// (case-insensitive).
	Search string
	// ID selects the one job with that id (0 = any); CountByStatus honours it,
	// where it ignores the paging bounds.
	ID       int64
	BeforeID int64 // only jobs with id < BeforeID; 0 = from the newest
	Limit    int   // page size; <= 0 means DefaultListLimit
	// Oldest lists oldest first (ids > AfterID) instead.
	Oldest  bool
	AfterID int64
}

// DefaultListLimit is the page size of List when ListFilter.Limit is unset.
const DefaultListLimit = store.DefaultJobListLimit

// AuditEntry is one recorded operator (or scheduler) action.
type AuditEntry struct {
	ID        int64
	At        time.Time
	Actor     string
	ActorKind ActorKind
	Action    string // e.g. "job.start", "schedule.set"
	JobID     int64  // the job it concerns; 0 = none
	Detail    string
}

// AuditFilter pages through the audit log, newest first.
type AuditFilter struct {
	Limit    int   // page size; <= 0 means DefaultAuditLimit
	BeforeID int64 // only entries with id < BeforeID; 0 = from the newest
}

// DefaultAuditLimit is the page size of Audit when AuditFilter.Limit is unset.
const DefaultAuditLimit = store.DefaultAuditLimit

// Metadata keys the engine derives on every running job's metadata; Job
// carries them typed as Rate and ETA.
const (
	metaRate = "itemsPerSecond"
	metaETA  = "etaSeconds"
)

// Conversions from the store's rows. The store's enums have the same
// spelling as the engine's; only the types differ.

func jobFromRecord(r store.JobRecord) Job {
	j := Job{ID: JobID(r.ID), Type: r.Type, Status: Status(r.Status), Params: r.Params,
		Total: r.Counters.Total, Processed: r.Counters.Processed, Successful: r.Counters.Successful,
		Failed: r.Counters.Failed, Skipped: r.Counters.Skipped, Metadata: r.Metadata, Error: r.Error,
		CreatedAt: r.CreatedAt, Attempt: r.Attempt, RetryOf: JobID(r.RetryOf), RequestedBy: r.RequestedBy,
		UpdatedAt: r.UpdatedAt}
	if !r.StartedAt.IsZero() {
		t := r.StartedAt
		j.StartedAt = &t
	}
	if !r.CompletedAt.IsZero() {
		t := r.CompletedAt
		j.CompletedAt = &t
	}
	j.Rate, j.ETA, j.HasETA = speedFromMetadata(r.Metadata, j.Status)
	return j
}

// speedFromMetadata reads the rate and ETA the run wrote into metadata (see
// Run.snapshotWith); only a running job has an ETA.
func speedFromMetadata(meta json.RawMessage, st Status) (rate float64, eta time.Duration, hasETA bool) {
	var m map[string]json.RawMessage
	if len(meta) == 0 || json.Unmarshal(meta, &m) != nil {
		return 0, 0, false
	}
	var v float64
	if raw, ok := m[metaRate]; ok && json.Unmarshal(raw, &v) == nil && v > 0 && !math.IsInf(v, 0) {
		rate = v
	}
	if raw, ok := m[metaETA]; ok && st == StatusRunning && json.Unmarshal(raw, &v) == nil && v >= 0 {
		eta, hasETA = time.Duration(v*float64(time.Second)), true
	}
	return rate, eta, hasETA
}

func countersFromStore(c store.Counters) Counters {
	return Counters{Total: c.Total, Processed: c.Processed, Successful: c.Successful, Failed: c.Failed, Skipped: c.Skipped}
}

func attemptFromStore(a store.JobAttempt) Attempt {
	return Attempt{Attempt: a.Attempt, StartedAt: a.StartedAt, FinishedAt: a.FinishedAt, Outcome: a.Outcome, Error: a.Error}
}

func failedItemFromStore(it store.FailedItem) FailedItem {
	return FailedItem{ID: it.ID, JobID: it.JobID, ItemKey: it.ItemKey, Message: it.Message, ErrorClass: it.ErrorClass,
		Request: it.Request, Attempts: it.Attempts, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

func auditFromStore(a store.AuditEntry) AuditEntry {
	return AuditEntry{ID: a.ID, At: a.At, Actor: a.Actor, ActorKind: ActorKind(a.ActorKind), Action: a.Action,
		JobID: a.JobID, Detail: a.Detail}
}

func (f FailureFilter) store() store.FailedItemFilter {
	return store.FailedItemFilter{JobID: f.JobID, Search: f.Search, AfterID: f.AfterID, Limit: f.Limit}
}

func (f ListFilter) store() store.JobFilter {
	out := store.JobFilter{Types: f.Types, Search: f.Search, ID: f.ID, BeforeID: f.BeforeID, Limit: f.Limit,
		Oldest: f.Oldest, AfterID: f.AfterID}
	for _, s := range f.Statuses {
		out.Statuses = append(out.Statuses, store.JobStatus(s))
	}
	return out
}

// Sentinel errors of the store, as the engine names them. Every engine
// call (and every engine service) returns store errors through
// fromStore, so a caller branches on these without knowing the store.
var (
	// ErrNotFound: no such job, schedule, mapping or other record.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change collides with a record that already exists.
	ErrConflict = errors.New("conflict")
)

// storeError keeps the store's error (and its message) and adds the
// engine's sentinel to what errors.Is finds.
type storeError struct {
	err      error
	sentinel error
}

func (e *storeError) Error() string        { return e.err.Error() }
func (e *storeError) Unwrap() error        { return e.err }
func (e *storeError) Is(target error) bool { return target == e.sentinel }

// FromStore returns err with the engine's sentinel (ErrNotFound,
// ErrConflict) added when it carries the store's; other errors, and nil,
// are returned as they are. Engine services (scheduler, locations,
// settings) call it on what they return to faces.
func FromStore(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict):
		return err
	case errors.Is(err, store.ErrNotFound):
		return &storeError{err: err, sentinel: ErrNotFound}
	case errors.Is(err, store.ErrConflict):
		return &storeError{err: err, sentinel: ErrConflict}
	}
	return err
}

// APIBudget is one external API's live rate budget, as a status bar shows
// it (engine/app fills it from the API clients' governors).
type APIBudget struct {
	API       string
	Available float64
	Capacity  float64
	// Unit is BudgetPoints or BudgetRequests.
	Unit string
	// LockedUntil, when in the future, means the API refuses calls until
	// then (Nhanh's ERR_429 lock).
	LockedUntil time.Time
}

// API budget units.
const (
	BudgetPoints   = "points"   // Shopify's GraphQL cost points
	BudgetRequests = "requests" // Nhanh's requests per window
)

// ErrorClass is how an item's failure should be handled (Failure.Class):
// the API clients' classes, named here for the engine's callers.
type ErrorClass = apierr.Class

// Error classes.
const (
	ClassAuth       = apierr.ClassAuth       // credentials rejected: an operator must act
	ClassRateLimit  = apierr.ClassRateLimit  // over the API's limit
	ClassNotFound   = apierr.ClassNotFound   // the record does not exist on the remote side
	ClassValidation = apierr.ClassValidation // the remote side (or the data) refused the input
	ClassTransient  = apierr.ClassTransient  // 5xx, timeouts, broken bodies
	ClassCanceled   = apierr.ClassCanceled   // the caller's context ended
	ClassUnknown    = apierr.ClassUnknown
)
