package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MappingKind says which mapping table a sync log row belongs to.
type MappingKind string

// Mapping kinds.
const (
	MappingKindCustomer MappingKind = "customer"
	MappingKindProduct  MappingKind = "product"
)

// Valid reports whether k is a known kind.
func (k MappingKind) Valid() bool { return k == MappingKindCustomer || k == MappingKindProduct }

// SyncLogEntry is one write (or failed write) of a mapping's value to
// Shopify: the audit trail per mapping.
type SyncLogEntry struct {
	ID          int64
	JobID       int64 // 0 = not written by a job
	MappingKind MappingKind
	MappingID   int64  // local mapping row id
	Target      string // the Shopify GID written to
	OldValue    *string
	NewValue    string // "" when a failed attempt had no value to show
	Status      MappingStatus
	Message     string
	CreatedAt   time.Time
}

// AddSyncLog appends an entry in q. ID is assigned by the database.
func (s *Store) AddSyncLog(ctx context.Context, q Querier, e SyncLogEntry) error {
	return addSyncLog(ctx, q, e)
}

func addSyncLog(ctx context.Context, q Querier, e SyncLogEntry) error {
	switch {
	case !e.MappingKind.Valid():
		return fmt.Errorf("add sync log: unknown mapping kind %q", e.MappingKind)
	case e.MappingID <= 0:
		return errors.New("add sync log: no mapping id")
	case !e.Status.Valid():
		return fmt.Errorf("add sync log: unknown status %q", e.Status)
	case e.CreatedAt.IsZero():
		return errors.New("add sync log: no time")
	}
	var old sql.NullString
	if e.OldValue != nil {
		old = sql.NullString{String: *e.OldValue, Valid: true}
	}
	_, err := q.ExecContext(ctx, `INSERT INTO sync_log
		(job_id, mapping_kind, mapping_id, target, old_value, new_value, status, message, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		nullID(e.JobID), string(e.MappingKind), e.MappingID, e.Target, old, e.NewValue,
		string(e.Status), e.Message, Millis(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("add sync log: %w", err)
	}
	return nil
}

// SyncLog returns a mapping's entries, newest first; limit <= 0 means all.
func (s *Store) SyncLog(ctx context.Context, q Querier, kind MappingKind, mappingID int64, limit int) ([]SyncLogEntry, error) {
	query := `SELECT id, job_id, mapping_kind, mapping_id, target, old_value, new_value, status, message, created_at
		FROM sync_log WHERE mapping_kind = $1 AND mapping_id = $2 ORDER BY created_at DESC, id DESC`
	args := []any{string(kind), mappingID}
	if limit > 0 {
		query += " LIMIT $3"
		args = append(args, limit)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read sync log: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []SyncLogEntry
	for rows.Next() {
		var e SyncLogEntry
		var job sql.NullInt64
		var old sql.NullString
		var created int64
		if err := rows.Scan(&e.ID, &job, &e.MappingKind, &e.MappingID, &e.Target, &old, &e.NewValue,
			&e.Status, &e.Message, &created); err != nil {
			return nil, fmt.Errorf("scan sync log: %w", err)
		}
		e.JobID, e.CreatedAt = job.Int64, FromMillis(created)
		if old.Valid {
			e.OldValue = &old.String
		}
		out = append(out, e)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read sync log: %w", err)
	}
	return out, nil
}

// nullID stores 0 as NULL for optional references (job ids).
func nullID(id int64) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}
