package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ActorKind says through which face an audited action came.
type ActorKind string

// Actor kinds.
const (
	ActorLocal     ActorKind = "local"     // the TUI on the machine itself
	ActorSSH       ActorKind = "ssh"       // a TUI over SSH; Actor is the key's user
	ActorCLI       ActorKind = "cli"       // a command-line invocation
	ActorScheduler ActorKind = "scheduler" // a cron tick
	ActorHTTP      ActorKind = "http"      // the HTTP API; Actor is the bearer token's name
)

// Valid reports whether k is a known kind.
func (k ActorKind) Valid() bool {
	switch k {
	case ActorLocal, ActorSSH, ActorCLI, ActorScheduler, ActorHTTP:
		return true
	}
	return false
}

// AuditEntry is one operator (or scheduler) action.
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

// DefaultAuditLimit is the page size when AuditFilter.Limit is unset.
const DefaultAuditLimit = 100

// AddAudit appends an entry in q, so an action and its audit row commit
// together. ID is assigned by the database.
func (s *Store) AddAudit(ctx context.Context, q Querier, e AuditEntry) error {
	switch {
	case e.At.IsZero():
		return errors.New("add audit: no time")
	case e.Actor == "":
		return errors.New("add audit: no actor")
	case !e.ActorKind.Valid():
		return fmt.Errorf("add audit: unknown actor kind %q", e.ActorKind)
	case e.Action == "":
		return errors.New("add audit: no action")
	}
	_, err := q.ExecContext(ctx, `INSERT INTO audit_log (at, actor, actor_kind, action, job_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		Millis(e.At), e.Actor, string(e.ActorKind), e.Action, nullID(e.JobID), e.Detail)
	if err != nil {
		return fmt.Errorf("add audit: %w", err)
	}
	return nil
}

// AuditLog returns a page of entries, newest (highest id) first; pass the
// last entry's ID as BeforeID for the next page.
func (s *Store) AuditLog(ctx context.Context, q Querier, f AuditFilter) ([]AuditEntry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultAuditLimit
	}
	query := `SELECT id, at, actor, actor_kind, action, job_id, detail FROM audit_log`
	args := []any{}
	if f.BeforeID > 0 {
		query += ` WHERE id < $1`
		args = append(args, f.BeforeID)
	}
	query += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)+1)
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		var job sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.ActorKind, &e.Action, &job, &e.Detail); err != nil {
			return nil, fmt.Errorf("scan audit entry: %w", err)
		}
		e.At, e.JobID = FromMillis(at), job.Int64
		out = append(out, e)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}
