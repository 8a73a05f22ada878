package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MatchReason says why the last automatic match left a Nhanh record
// without a mapping.
type MatchReason struct {
	NhanhID int64
	// Code is one of the reason codes the match kinds write ("no-phone",
	// "ambiguous", ...), for filtering; Message is for the operator.
	Code    string
	Message string
	// Candidates are the other side's records the reason names (Shopify
	// GIDs), for mapping by hand.
	Candidates []string
	JobID      int64
	At         time.Time
}

func splitCandidates(s string) []string { return strings.Fields(s) }

// SaveMatchReasons stores, in q, the reasons of one match run for records
// of kind, replacing earlier reasons of the same records. A record given
// twice keeps its first reason.
func (s *Store) SaveMatchReasons(ctx context.Context, q Querier, kind MappingKind, rs []MatchReason) error {
	if !kind.Valid() {
		return fmt.Errorf("save match reasons: unknown kind %q", kind)
	}
	seen := make(map[int64]bool, len(rs))
	unique := make([]MatchReason, 0, len(rs))
	for _, r := range rs {
		if !seen[r.NhanhID] {
			seen[r.NhanhID] = true
			unique = append(unique, r)
		}
	}
	perStatement := rowsPerStatement(s.dialect)
	var full *sql.Stmt // the statement for a full chunk, prepared once per call (as mirror.write)
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	for chunk := range slices.Chunk(unique, perStatement) {
		var sb strings.Builder
		sb.WriteString("INSERT INTO match_reasons (kind, nhanh_id, code, message, candidates, job_id, at) VALUES ")
		b := binder{dialect: s.dialect, args: make([]any, 0, 7*len(chunk))}
		for i, r := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(" + b.list([]any{string(kind), r.NhanhID, r.Code, truncateUTF8(r.Message, maxSyncErrorBytes),
				strings.Join(r.Candidates, " "), nullID(r.JobID), Millis(r.At)}) + ")")
		}
		sb.WriteString(` ON CONFLICT (kind, nhanh_id) DO UPDATE SET code = excluded.code, message = excluded.message,
			candidates = excluded.candidates, job_id = excluded.job_id, at = excluded.at`)
		var err error
		switch p, ok := q.(preparer); {
		case s.dialect == SQLite && ok && len(chunk) == perStatement:
			if full == nil {
				if full, err = p.PrepareContext(ctx, sb.String()); err != nil {
					return fmt.Errorf("prepare match reasons: %w", err)
				}
			}
			_, err = full.ExecContext(ctx, b.args...)
		default:
			_, err = q.ExecContext(ctx, sb.String(), b.args...)
		}
		if err != nil {
			return fmt.Errorf("save match reasons: %w", err)
		}
	}
	return nil
}

// MatchReasonIDs returns the Nhanh ids of kind that have a stored reason.
func (s *Store) MatchReasonIDs(ctx context.Context, q Querier, kind MappingKind) (map[int64]bool, error) {
	out := map[int64]bool{}
	var id int64
	err := streamScan(ctx, q, "SELECT nhanh_id FROM match_reasons WHERE kind = $1", []any{string(kind)}, []any{&id},
		func() { out[id] = true })
	if err != nil {
		return nil, fmt.Errorf("read match reasons: %w", err)
	}
	return out, nil
}

// ClearMatchReasons deletes, in q, the reasons of records of kind that are
// mapped now.
func (s *Store) ClearMatchReasons(ctx context.Context, q Querier, kind MappingKind, nhanhIDs []int64) error {
	ids := make([]any, len(nhanhIDs))
	for i, id := range nhanhIDs {
		ids[i] = id
	}
	for chunk := range slices.Chunk(ids, inChunk(s.dialect)) {
		b := binder{dialect: s.dialect}
		query := "DELETE FROM match_reasons WHERE kind = " + b.bind(string(kind)) + " AND " + b.in("nhanh_id", chunk)
		if _, err := q.ExecContext(ctx, query, b.args...); err != nil {
			return fmt.Errorf("clear match reasons: %w", err)
		}
	}
	return nil
}

// MatchReasonOf returns the stored reason of one record, or ErrNotFound.
func (s *Store) MatchReasonOf(ctx context.Context, q Querier, kind MappingKind, nhanhID int64) (MatchReason, error) {
	r := MatchReason{NhanhID: nhanhID}
	var cands string
	var job sql.NullInt64
	var at int64
	err := q.QueryRowContext(ctx, `SELECT code, message, candidates, job_id, at FROM match_reasons
		WHERE kind = $1 AND nhanh_id = $2`, string(kind), nhanhID).Scan(&r.Code, &r.Message, &cands, &job, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("match reason of %s %d: %w", kind, nhanhID, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read match reason: %w", err)
	}
	r.Candidates, r.JobID, r.At = splitCandidates(cands), job.Int64, FromMillis(at)
	return r, nil
}

// MapByHand maps, in q, a Nhanh record to a Shopify record as a manual
// mapping (PENDING, match method manual): automatic matching never
// replaces or removes it. A Nhanh record whose mapping row has no Shopify
// side gets it; one mapped already, or a Shopify record that is already a
// target, is refused with ErrConflict naming the mapping. It returns the
// mapping id.
func (s *Store) MapByHand(ctx context.Context, q Querier, kind MappingKind, nhanhID int64, shopifyID string, now time.Time) (int64, error) {
	t, err := mappingTableOf(kind)
	if err != nil {
		return 0, err
	}
	if nhanhID <= 0 || shopifyID == "" {
		return 0, fmt.Errorf("map %s by hand: both sides are needed", kind)
	}
	var id int64
	var target sql.NullString
	err = q.QueryRowContext(ctx, "SELECT id, "+t.shopifyCol+" FROM "+t.table+" WHERE "+t.nhanhCol+" = $1", nhanhID).
		Scan(&id, &target)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		row := mappingRow{NhanhID: nhanhID, ShopifyID: shopifyID, Status: MappingPending, MatchMethod: MatchManual}
		if err := t.create(ctx, s.dialect, q, []mappingRow{row}, now); err != nil {
			return 0, err
		}
		if err := q.QueryRowContext(ctx, "SELECT id FROM "+t.table+" WHERE "+t.nhanhCol+" = $1", nhanhID).Scan(&id); err != nil {
			return 0, fmt.Errorf("map %s by hand: %w", kind, err)
		}
	case err != nil:
		return 0, fmt.Errorf("map %s by hand: %w", kind, err)
	case target.Valid:
		return 0, fmt.Errorf("map %s by hand: %s %d already has mapping %d (to %s): remap it instead: %w",
			kind, t.nhanhLabel, nhanhID, id, target.String, ErrConflict)
	default:
		if err := s.Remap(ctx, q, kind, id, shopifyID, now); err != nil {
			return 0, err
		}
	}
	if err := s.ClearMatchReasons(ctx, q, kind, []int64{nhanhID}); err != nil {
		return 0, err
	}
	return id, nil
}

// Remap points, in q, mapping id at another Shopify record and makes it
// manual and PENDING; the sync state of the old target (its baseline, error
// and attempts) is cleared, as it says nothing about the new one. A target
// already mapped elsewhere is refused with ErrConflict naming the mapping.
func (s *Store) Remap(ctx context.Context, q Querier, kind MappingKind, id int64, shopifyID string, now time.Time) error {
	t, err := mappingTableOf(kind)
	if err != nil {
		return err
	}
	if shopifyID == "" {
		return fmt.Errorf("remap %s mapping %d: no %s", kind, id, t.shopifyLabel)
	}
	var other, otherNhanh int64
	err = q.QueryRowContext(ctx, "SELECT id, "+t.nhanhCol+" FROM "+t.table+" WHERE "+t.shopifyCol+" = $1", shopifyID).
		Scan(&other, &otherNhanh)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("remap %s mapping %d: %w", kind, id, err)
	case other == id:
		return fmt.Errorf("remap %s mapping %d: it already targets %s: %w", kind, id, shopifyID, ErrConflict)
	default:
		return fmt.Errorf("remap %s mapping %d: %s %s is already mapped to %s %d (mapping %d): %w",
			kind, id, t.shopifyLabel, shopifyID, t.nhanhLabel, otherNhanh, other, ErrConflict)
	}
	set := t.shopifyCol + " = $1, status = $2, match_method = $3, last_synced_value = NULL, last_synced_at = NULL, " +
		"sync_error = '', sync_attempts = 0, updated_at = $4"
	if t.withItem {
		set += ", inventory_item_gid = ''"
	}
	res, err := q.ExecContext(ctx, "UPDATE "+t.table+" SET "+set+" WHERE id = $5",
		shopifyID, string(MappingPending), MatchManual, Millis(now), id)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("remap %s mapping %d: %s %s is already mapped: %w", kind, id, t.shopifyLabel, shopifyID, ErrConflict)
		}
		return fmt.Errorf("remap %s mapping %d: %w", kind, id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("remap %s mapping %d: %w", kind, id, err)
	} else if n == 0 {
		return fmt.Errorf("%s mapping %d: %w", kind, id, ErrNotFound)
	}
	return nil
}

// DeleteMapping removes a mapping of kind and its sync log in q, or returns
// ErrNotFound.
func (s *Store) DeleteMapping(ctx context.Context, q Querier, kind MappingKind, id int64) error {
	t, err := mappingTableOf(kind)
	if err != nil {
		return err
	}
	return t.delete(ctx, q, id)
}

// OrphanedMappingIDs returns the ids of the mappings of kind whose either
// side is deleted at the source, in id order.
func (s *Store) OrphanedMappingIDs(ctx context.Context, q Querier, kind MappingKind) ([]int64, error) {
	sp, err := listSpecOf(kind)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, "SELECT id FROM ("+sp.orphanIDs()+") o ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("find orphaned %s mappings: %w", kind, err)
	}
	defer func() { _ = rows.Close() }()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("find orphaned %s mappings: %w", kind, err)
		}
		out = append(out, id)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("find orphaned %s mappings: %w", kind, err)
	}
	return out, nil
}

// JobsTouchingMapping returns the ids of the jobs that wrote a mapping's
// sync log or created it, newest first, at most limit.
func (s *Store) JobsTouchingMapping(ctx context.Context, q Querier, kind MappingKind, id int64, limit int) ([]int64, error) {
	t, err := mappingTableOf(kind)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT job_id FROM sync_log WHERE mapping_kind = $1 AND mapping_id = $2 AND job_id IS NOT NULL
		UNION SELECT created_by_job FROM `+t.table+` WHERE id = $3 AND created_by_job IS NOT NULL
		ORDER BY 1 DESC LIMIT $4`, string(kind), id, id, limit)
	if err != nil {
		return nil, fmt.Errorf("jobs of %s mapping %d: %w", kind, id, err)
	}
	defer func() { _ = rows.Close() }()
	var out []int64
	for rows.Next() {
		var j int64
		if err := rows.Scan(&j); err != nil {
			return nil, fmt.Errorf("jobs of %s mapping %d: %w", kind, id, err)
		}
		out = append(out, j)
	}
	return out, closeRows(rows)
}

// FailedItemsOfKey returns the failed items keyed key among the newest
// jobs (at most jobDepth) of the given types, newest first.
func (s *Store) FailedItemsOfKey(ctx context.Context, q Querier, types []string, key string, jobDepth int) ([]FailedItem, error) {
	if len(types) == 0 {
		return nil, nil
	}
	b := binder{dialect: s.dialect}
	vals := make([]any, len(types))
	for i, t := range types {
		vals[i] = t
	}
	query := `SELECT f.id, f.job_id, f.item_key, f.message, f.error_class, f.request, f.attempts, f.created_at, f.updated_at
		FROM job_failed_items f WHERE f.job_id IN (SELECT id FROM jobs WHERE ` + b.in("type", vals) +
		` ORDER BY id DESC LIMIT ` + b.bind(jobDepth) + `) AND f.item_key = ` + b.bind(key) + ` ORDER BY f.job_id DESC`
	rows, err := q.QueryContext(ctx, query, b.args...)
	if err != nil {
		return nil, fmt.Errorf("failed items of %s: %w", key, err)
	}
	defer func() { _ = rows.Close() }()
	var out []FailedItem
	for rows.Next() {
		var it FailedItem
		var created, updated int64
		if err := rows.Scan(&it.ID, &it.JobID, &it.ItemKey, &it.Message, &it.ErrorClass, &it.Request, &it.Attempts,
			&created, &updated); err != nil {
			return nil, fmt.Errorf("failed items of %s: %w", key, err)
		}
		it.CreatedAt, it.UpdatedAt = FromMillis(created), FromMillis(updated)
		out = append(out, it)
	}
	return out, closeRows(rows)
}
