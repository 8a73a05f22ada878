package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// DiffAction is what a preview found its sync would do with one item.
type DiffAction string

// Diff actions.
const (
	// DiffWrite: the sync would write New (over Old, when known).
	DiffWrite DiffAction = "write"
	// DiffUnchanged: the sync would leave the item alone, its value
	// unchanged since it was last written.
	DiffUnchanged DiffAction = "unchanged"
	// DiffSkipped: the sync would leave the item alone for Reason (deferred
	// by a limit, say).
	DiffSkipped DiffAction = "skipped"
	// DiffFailed: the sync would fail the item for Reason without writing.
	DiffFailed DiffAction = "failed"
)

// DiffRow is one line of a preview's diff: one mapping, and for inventory
// one location of it.
type DiffRow struct {
	JobID     int64
	MappingID int64
	// Location is the Shopify location GID of an inventory row; "" for a
	// customer's metafield and for items that fail or are skipped before
	// their locations are known.
	Location     string
	LocationName string
	Name         string // the customer or product
	NhanhID      string
	ShopifyID    string
	Action       DiffAction
	// Old is the value Shopify holds now, nil when not known; OldSource
	// says where it was read.
	Old       *int64
	OldSource string
	// New is the value the sync would write (or, unchanged, holds already).
	New    *int64
	Reason string
}

// searchText is what a search looks in (the store's search column rule).
func (r DiffRow) searchText() string {
	return SearchText(r.Name, r.NhanhID, r.ShopifyID, r.LocationName, r.Location, string(r.Action), r.Reason)
}

// UpsertSyncDiffs stores a preview's diff rows with multi-row statements. A
// row stored again (a resumed attempt redoing a batch) takes the new values.
func (s *Store) UpsertSyncDiffs(ctx context.Context, q Querier, rows []DiffRow) error {
	type key struct {
		job, mapping int64
		loc          string
	}
	// One statement may not touch a row twice (PostgreSQL refuses).
	last := make(map[key]int, len(rows))
	order := make([]key, 0, len(rows))
	for i, r := range rows {
		k := key{r.JobID, r.MappingID, r.Location}
		if _, seen := last[k]; !seen {
			order = append(order, k)
		}
		last[k] = i
	}
	for chunk := range slices.Chunk(order, rowsPerStatement(s.dialect)) {
		var sb strings.Builder
		sb.WriteString(`INSERT INTO sync_diffs (job_id, mapping_id, location_gid, location_name, item_name, nhanh_id,
			shopify_id, action, old_value, old_source, new_value, reason, search_text) VALUES `)
		b := binder{dialect: s.dialect, args: make([]any, 0, 13*len(chunk))}
		for i, k := range chunk {
			r := rows[last[k]]
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(" + b.list([]any{r.JobID, r.MappingID, r.Location, r.LocationName, r.Name, r.NhanhID,
				r.ShopifyID, string(r.Action), nullInt(r.Old), r.OldSource, nullInt(r.New), r.Reason, r.searchText()}) + ")")
		}
		sb.WriteString(` ON CONFLICT (job_id, mapping_id, location_gid) DO UPDATE SET
			location_name = excluded.location_name, item_name = excluded.item_name, nhanh_id = excluded.nhanh_id,
			shopify_id = excluded.shopify_id, action = excluded.action, old_value = excluded.old_value,
			old_source = excluded.old_source, new_value = excluded.new_value, reason = excluded.reason,
			search_text = excluded.search_text`)
		if _, err := q.ExecContext(ctx, sb.String(), b.args...); err != nil {
			return fmt.Errorf("record diff rows: %w", err)
		}
	}
	return nil
}

func nullInt(v *int64) any {
	if v == nil {
		return nil
	}
	return *v
}

// DiffFilter pages and searches a preview's diff, in mapping id and then
// location order.
type DiffFilter struct {
	JobID   int64
	Search  string       // matches name, ids, location, action or reason (any case, any script)
	Actions []DiffAction // only these actions; empty = all
	// AfterMappingID and AfterLocation are the last row of the previous
	// page.
	AfterMappingID int64
	AfterLocation  string
	Limit          int
}

func (f DiffFilter) where(paged bool) (string, []any) {
	conds := []string{"job_id = $1"}
	args := []any{f.JobID}
	if f.Search != "" {
		args = append(args, likePattern(f.Search))
		conds = append(conds, fmt.Sprintf(`search_text LIKE $%d ESCAPE '\'`, len(args)))
	}
	if len(f.Actions) > 0 {
		ph := make([]string, len(f.Actions))
		for i, a := range f.Actions {
			args = append(args, string(a))
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		conds = append(conds, "action IN ("+strings.Join(ph, ", ")+")")
	}
	if paged && (f.AfterMappingID > 0 || f.AfterLocation != "") {
		args = append(args, f.AfterMappingID, f.AfterLocation)
		n := len(args)
		// A row value comparison walks the primary key on both databases
		// (PostgreSQL scanned with the equivalent OR).
		conds = append(conds, fmt.Sprintf("(mapping_id, location_gid) > ($%d, $%d)", n-1, n))
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// SyncDiffs returns one page of a preview's diff.
func (s *Store) SyncDiffs(ctx context.Context, q Querier, f DiffFilter) ([]DiffRow, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultJobListLimit
	}
	where, args := f.where(true)
	rows, err := q.QueryContext(ctx, `SELECT job_id, mapping_id, location_gid, location_name, item_name, nhanh_id,
		shopify_id, action, old_value, old_source, new_value, reason FROM sync_diffs`+where+
		fmt.Sprintf(" ORDER BY mapping_id, location_gid LIMIT %d", limit), args...)
	if err != nil {
		return nil, fmt.Errorf("diff rows: %w", err)
	}
	defer rows.Close()
	var out []DiffRow
	for rows.Next() {
		var r DiffRow
		var action string
		var old, next sql.NullInt64
		if err := rows.Scan(&r.JobID, &r.MappingID, &r.Location, &r.LocationName, &r.Name, &r.NhanhID, &r.ShopifyID,
			&action, &old, &r.OldSource, &next, &r.Reason); err != nil {
			return nil, fmt.Errorf("diff rows: %w", err)
		}
		r.Action = DiffAction(action)
		if old.Valid {
			r.Old = &old.Int64
		}
		if next.Valid {
			r.New = &next.Int64
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DiffTotals sums up the rows of a diff.
type DiffTotals struct {
	Rows  int64 // rows (a mapping per location for inventory)
	Items int64 // distinct mappings
	// Writes are the rows the sync would write; of them, Up rise, Down
	// fall (ToZero, a part of Down, fall to 0 or below), Same would write
	// the value Shopify holds already, and UnknownOld have no known old
	// value.
	Writes, Up, Down, ToZero, Same, UnknownOld int64
	// Unchanged, Skipped and Failed are the rows the sync would not write.
	Unchanged, Skipped, Failed int64
	// SumUp and SumDown are how much the Up rows rise and the Down rows
	// fall, in sum (VND for spend, units for stock).
	SumUp, SumDown int64
}

// SyncDiffTotals sums up the rows of a diff matching f (paging ignored).
func (s *Store) SyncDiffTotals(ctx context.Context, q Querier, f DiffFilter) (DiffTotals, error) {
	where, args := f.where(false)
	const w = "action = 'write'"
	const known = w + " AND old_value IS NOT NULL"
	count := func(cond string) string { return "COALESCE(SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END), 0)" }
	sum := func(cond, expr string) string {
		return "CAST(COALESCE(SUM(CASE WHEN " + cond + " THEN " + expr + " ELSE 0 END), 0) AS BIGINT)"
	}
	cols := []string{"COUNT(*)", "COUNT(DISTINCT mapping_id)", count(w),
		count(known + " AND new_value > old_value"), count(known + " AND new_value < old_value"),
		count(known + " AND new_value < old_value AND new_value <= 0"), count(known + " AND new_value = old_value"),
		count(w + " AND old_value IS NULL"),
		count("action = 'unchanged'"), count("action = 'skipped'"), count("action = 'failed'"),
		sum(known+" AND new_value > old_value", "new_value - old_value"),
		sum(known+" AND new_value < old_value", "old_value - new_value")}
	var t DiffTotals
	err := q.QueryRowContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM sync_diffs"+where, args...).Scan(
		&t.Rows, &t.Items, &t.Writes, &t.Up, &t.Down, &t.ToZero, &t.Same, &t.UnknownOld,
		&t.Unchanged, &t.Skipped, &t.Failed, &t.SumUp, &t.SumDown)
	if err != nil {
		return DiffTotals{}, fmt.Errorf("diff totals: %w", err)
	}
	return t, nil
}
