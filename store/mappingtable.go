package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// mappingTable is what customer and product mappings share: a local id, a
// Nhanh side unique and required, a Shopify side unique when set, and sync
// state. Products add the inventory item id.
type mappingTable struct {
	kind         MappingKind
	table        string
	nhanhCol     string
	shopifyCol   string
	nhanhLabel   string // for messages
	shopifyLabel string
	withItem     bool // has inventory_item_gid
	// versioned says the table keeps input_version and synced_version
	// (customers: migration 0020), so Unsettled can select mappings.
	versioned bool
}

// unsettledKinds are the customer mappings whose write may differ from
// their last, each kind read from its own index in id order: PENDING and
// FAILED by the status index, SYNCED ones whose inputs changed since their
// last write by the partial index customer_mappings_changed (its predicate
// written as the migration has it, so both planners use it). The kinds are
// apart. SYNCED is compared as an expression so that SQLite does not take
// the status index instead and read every SYNCED mapping after the cursor.
var unsettledKinds = []string{"status = 'PENDING'", "status = 'FAILED'",
	"input_version <> synced_version AND (status || '') = 'SYNCED'"}

// unsettledIDs is a query of the ids above after of the unsettled customer
// mappings, up to limit of each kind (0: all): the union's first limit ids
// in id order are then exactly the first limit unsettled mappings. One
// condition with OR would be planned as a union too, but sorted whole:
// every page would sort what is left.
func unsettledIDs(b *binder, after int64, limit int) string {
	parts := make([]string, len(unsettledKinds))
	for i, kind := range unsettledKinds {
		q := "SELECT id FROM customer_mappings WHERE " + kind + " AND id > " + b.bind(after) + " ORDER BY id"
		if limit > 0 {
			q += " LIMIT " + b.bind(limit)
		}
		parts[i] = "SELECT id FROM (" + q + ") k" + strconv.Itoa(i)
	}
	return strings.Join(parts, " UNION ALL ")
}

// mappingRow is a mapping of either kind with plain ids and the last synced
// value in its stored text form.
type mappingRow struct {
	ID              int64
	NhanhID         int64
	ShopifyID       string
	InventoryItemID string
	Status          MappingStatus
	MatchMethod     string
	LastSyncedValue sql.NullString
	LastSyncedAt    time.Time
	SyncError       string
	SyncAttempts    int
	CreatedByJob    int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
	InputVersion    int64 // versioned tables only
}

func (t *mappingTable) selectList() string {
	cols := "id, " + t.nhanhCol + ", " + t.shopifyCol
	if t.withItem {
		cols += ", inventory_item_gid"
	}
	cols += ", status, match_method, last_synced_value, last_synced_at, sync_error, sync_attempts, created_by_job, created_at, updated_at"
	if t.versioned {
		cols += ", input_version"
	}
	return cols
}

func (t *mappingTable) scan(sc scanner) (mappingRow, error) {
	var r mappingRow
	var shopify sql.NullString
	var synced, createdBy sql.NullInt64
	var created, updated int64
	dest := []any{&r.ID, &r.NhanhID, &shopify}
	if t.withItem {
		dest = append(dest, &r.InventoryItemID)
	}
	dest = append(dest, &r.Status, &r.MatchMethod, &r.LastSyncedValue, &synced, &r.SyncError,
		&r.SyncAttempts, &createdBy, &created, &updated)
	if t.versioned {
		dest = append(dest, &r.InputVersion)
	}
	if err := sc.Scan(dest...); err != nil {
		return r, err
	}
	r.ShopifyID, r.LastSyncedAt, r.CreatedByJob = shopify.String, fromNullMillis(synced), createdBy.Int64
	r.CreatedAt, r.UpdatedAt = FromMillis(created), FromMillis(updated)
	return r, nil
}

// create inserts new mappings after checking both sides are free, among the
// rows given and in the table, so a conflict names the mapping in the way.
// The unique constraints remain the last word against a concurrent writer.
func (t *mappingTable) create(ctx context.Context, d Dialect, q Querier, rows []mappingRow, now time.Time) error {
	if err := t.checkFree(ctx, d, q, rows); err != nil {
		return err
	}
	return t.insert(ctx, d, q, rows, now)
}

// insert writes rows with multi-row statements, turning a unique violation
// into ErrConflict naming the side.
func (t *mappingTable) insert(ctx context.Context, d Dialect, q Querier, rows []mappingRow, now time.Time) error {
	return t.insertRows(ctx, d, q, rows, now, false)
}

// insertRows is insert; with skipTaken, a row a unique index refuses is
// skipped (skipRefused) and a short count is ErrConflict, without the side
// (see insertFree).
func (t *mappingTable) insertRows(ctx context.Context, d Dialect, q Querier, rows []mappingRow, now time.Time, skipTaken bool) error {
	perStatement := rowsPerStatement(d)
	var full *sql.Stmt // the statement for a full chunk, prepared once per call
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	for chunk := range slices.Chunk(rows, perStatement) {
		query, args := t.insertStatement(d, chunk, now, skipTaken)
		var res sql.Result
		var err error
		switch p, ok := q.(preparer); {
		case d == SQLite && ok && len(chunk) == perStatement:
			// As in mirror.write: SQLite would otherwise spend a third of a
			// bulk insert parsing the same statement again.
			if full == nil {
				if full, err = p.PrepareContext(ctx, query); err != nil {
					return fmt.Errorf("prepare %s mapping insert: %w", t.kind, err)
				}
			}
			res, err = full.ExecContext(ctx, args...)
		default:
			res, err = q.ExecContext(ctx, query, args...)
		}
		if err != nil {
			if isUniqueViolation(err) {
				side := t.shopifyLabel
				if violatesColumn(err, t.nhanhCol) {
					side = t.nhanhLabel
				}
				return fmt.Errorf("create %s mapping: a %s in this batch is already mapped: %w", t.kind, side, ErrConflict)
			}
			return fmt.Errorf("create %s mapping: %w", t.kind, err)
		}
		if skipTaken {
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("create %s mapping: %w", t.kind, err)
			}
			if n != int64(len(chunk)) {
				return fmt.Errorf("create %s mapping: %d of %d in this batch already mapped: %w", t.kind, int64(len(chunk))-n, len(chunk), ErrConflict)
			}
		}
	}
	return nil
}

// insertStatement builds the multi-row insert of rows.
func (t *mappingTable) insertStatement(d Dialect, rows []mappingRow, now time.Time, skipTaken bool) (string, []any) {
	cols := []string{t.nhanhCol, t.shopifyCol, "status", "match_method", "created_by_job", "created_at", "updated_at"}
	if t.withItem {
		cols = append(cols, "inventory_item_gid")
	}
	var sb strings.Builder
	verb, tail := "INSERT INTO ", ""
	if skipTaken {
		verb, tail = skipRefused(d)
	}
	sb.WriteString(verb + t.table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	b := binder{dialect: d, args: make([]any, 0, len(rows)*len(cols))}
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		vals := []any{r.NhanhID, sql.NullString{String: r.ShopifyID, Valid: r.ShopifyID != ""},
			string(r.Status), r.MatchMethod, sql.NullInt64{Int64: r.CreatedByJob, Valid: r.CreatedByJob != 0},
			Millis(now), Millis(now)}
		if t.withItem {
			vals = append(vals, r.InventoryItemID)
		}
		sb.WriteString("(" + b.list(vals) + ")")
	}
	sb.WriteString(tail)
	return sb.String(), b.args
}

// insertFree inserts, in tx, rows that the caller has seen free on both
// sides: rows are validated as create does, but no stored mapping is looked
// up, so the unique constraints alone refuse one in the way: the insert
// skips it (skipRefused: it saved SQLite 0.45 s of CPU in creating 450,000
// mappings), and a short count is ErrConflict (inTheWay names the
// mapping), with the rest possibly written.
func (t *mappingTable) insertFree(ctx context.Context, d Dialect, tx *sql.Tx, rows []mappingRow, now time.Time) error {
	if err := t.validate(rows); err != nil {
		return err
	}
	return t.insertRows(ctx, d, tx, rows, now, true)
}

// inTheWay returns the stored mappings that share a Nhanh or a Shopify side
// with one of rows, in id order.
func (t *mappingTable) inTheWay(ctx context.Context, d Dialect, q Querier, rows []mappingRow) ([]mappingRow, error) {
	nhanhIDs, shopifyIDs := sideIDs(rows)
	found := map[int64]mappingRow{}
	for _, side := range []struct {
		col string
		ids []any
	}{{t.nhanhCol, nhanhIDs}, {t.shopifyCol, shopifyIDs}} {
		err := selectIn(ctx, d, q, t.selectList(), t.table, side.col, side.ids, func(sc scanner) error {
			r, err := t.scan(sc)
			found[r.ID] = r
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("find %s mappings in the way: %w", t.kind, err)
		}
	}
	out := make([]mappingRow, 0, len(found))
	for _, r := range found {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b mappingRow) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// validate checks rows in memory: ids set, statuses that fit, and no side
// given twice.
func (t *mappingTable) validate(rows []mappingRow) error {
	nhanh := make(map[int64]bool, len(rows))
	shopify := make(map[string]bool, len(rows))
	for _, r := range rows {
		if r.NhanhID <= 0 {
			return fmt.Errorf("create %s mapping: no %s id", t.kind, t.nhanhLabel)
		}
		if !r.Status.Valid() || (r.ShopifyID == "") != (r.Status == MappingUnmapped) {
			return fmt.Errorf("create %s mapping for %s %d: status %q does not fit Shopify side %q",
				t.kind, t.nhanhLabel, r.NhanhID, r.Status, r.ShopifyID)
		}
		if nhanh[r.NhanhID] {
			return fmt.Errorf("create %s mapping: %s %d given twice: %w", t.kind, t.nhanhLabel, r.NhanhID, ErrConflict)
		}
		nhanh[r.NhanhID] = true
		if r.ShopifyID == "" {
			continue
		}
		if shopify[r.ShopifyID] {
			return fmt.Errorf("create %s mapping: %s %s given twice: %w", t.kind, t.shopifyLabel, r.ShopifyID, ErrConflict)
		}
		shopify[r.ShopifyID] = true
	}
	return nil
}

// sideIDs returns the Nhanh ids of rows and their Shopify ids (of those
// that have one), as query arguments.
func sideIDs(rows []mappingRow) (nhanhIDs, shopifyIDs []any) {
	nhanhIDs = make([]any, 0, len(rows))
	shopifyIDs = make([]any, 0, len(rows))
	for _, r := range rows {
		nhanhIDs = append(nhanhIDs, r.NhanhID)
		if r.ShopifyID != "" {
			shopifyIDs = append(shopifyIDs, r.ShopifyID)
		}
	}
	return nhanhIDs, shopifyIDs
}

// checkFree validates rows and looks up the stored mappings in their way,
// naming the first one found.
func (t *mappingTable) checkFree(ctx context.Context, d Dialect, q Querier, rows []mappingRow) error {
	if err := t.validate(rows); err != nil {
		return err
	}
	nhanhIDs, shopifyIDs := sideIDs(rows)
	for _, side := range []struct {
		col string
		ids []any
	}{{t.nhanhCol, nhanhIDs}, {t.shopifyCol, shopifyIDs}} {
		for chunk := range slices.Chunk(side.ids, maxInParams) {
			var id, nhanhID int64
			var shopifyID sql.NullString
			b := binder{dialect: d}
			err := q.QueryRowContext(ctx, "SELECT id, "+t.nhanhCol+", "+t.shopifyCol+" FROM "+t.table+
				" WHERE "+side.col+" IN ("+b.list(chunk)+") ORDER BY id LIMIT 1", b.args...).
				Scan(&id, &nhanhID, &shopifyID)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return fmt.Errorf("create %s mapping: check existing: %w", t.kind, err)
			case side.col == t.nhanhCol:
				return fmt.Errorf("create %s mapping: %s %d already has mapping %d: %w",
					t.kind, t.nhanhLabel, nhanhID, id, ErrConflict)
			default:
				return fmt.Errorf("create %s mapping: %s %s is already mapped to %s %d (mapping %d): %w",
					t.kind, t.shopifyLabel, shopifyID.String, t.nhanhLabel, nhanhID, id, ErrConflict)
			}
		}
	}
	return nil
}

// list returns mappings matching f. An IDs filter is run in ascending
// chunks so that paging with AfterID and Limit stays exact.
func (t *mappingTable) list(ctx context.Context, d Dialect, q Querier, f MappingFilter) ([]mappingRow, error) {
	if len(f.IDs) == 0 {
		return t.query(ctx, d, q, f, nil, f.Limit)
	}
	ids := slices.Clone(f.IDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out []mappingRow
	for chunk := range slices.Chunk(ids, maxInParams) {
		limit := 0
		if f.Limit > 0 {
			limit = f.Limit - len(out)
			if limit <= 0 {
				break
			}
		}
		rows, err := t.query(ctx, d, q, f, chunk, limit)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// statusWhere is " WHERE status IN (...)" for statuses, or "" when there
// are none.
func (t *mappingTable) statusWhere(b *binder, statuses []MappingStatus) string {
	if len(statuses) == 0 {
		return ""
	}
	vals := make([]any, len(statuses))
	for i, st := range statuses {
		vals[i] = string(st)
	}
	return " WHERE status IN (" + b.list(vals) + ")"
}

// query runs one listing: f's AfterID and Statuses, ids when not nil.
func (t *mappingTable) query(ctx context.Context, d Dialect, q Querier, f MappingFilter, ids []int64, limit int) ([]mappingRow, error) {
	b := binder{dialect: d}
	query := "SELECT " + t.selectList() + " FROM " + t.table + " WHERE id > " + b.bind(f.AfterID)
	if f.Unsettled {
		if !t.versioned || len(f.Statuses) > 0 || ids != nil {
			return nil, fmt.Errorf("list %s mappings: Unsettled selects customer mappings and takes no statuses or ids", t.kind)
		}
		query += " AND id IN (" + unsettledIDs(&b, f.AfterID, limit) + ")"
	}
	if len(f.Statuses) > 0 {
		statuses := make([]any, len(f.Statuses))
		for i, st := range f.Statuses {
			statuses[i] = string(st)
		}
		query += " AND status IN (" + b.list(statuses) + ")"
	}
	if ids != nil {
		vals := make([]any, len(ids))
		for i, id := range ids {
			vals[i] = id
		}
		query += " AND id IN (" + b.list(vals) + ")"
	}
	query += " ORDER BY id"
	if limit > 0 {
		query += " LIMIT " + b.bind(limit)
	}
	rows, err := q.QueryContext(ctx, query, b.args...)
	if err != nil {
		return nil, fmt.Errorf("list %s mappings: %w", t.kind, err)
	}
	defer func() { _ = rows.Close() }()
	var out []mappingRow
	for rows.Next() {
		r, err := t.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan %s mapping: %w", t.kind, err)
		}
		out = append(out, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list %s mappings: %w", t.kind, err)
	}
	return out, nil
}

// pairs calls fn with the Nhanh and Shopify side of every mapping; the
// Shopify side is "" for unmapped rows.
func (t *mappingTable) pairs(ctx context.Context, q Querier, fn func(nhanhID int64, shopifyID string)) error {
	rows, err := q.QueryContext(ctx, "SELECT "+t.nhanhCol+", "+t.shopifyCol+" FROM "+t.table)
	if err != nil {
		return fmt.Errorf("read %s mappings: %w", t.kind, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var nhanhID int64
		var shopifyID sql.NullString
		if err := rows.Scan(&nhanhID, &shopifyID); err != nil {
			return fmt.Errorf("scan %s mapping: %w", t.kind, err)
		}
		fn(nhanhID, shopifyID.String)
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("read %s mappings: %w", t.kind, err)
	}
	return nil
}

// syncOutcome is one attempt to push a mapping's value.
type syncOutcome struct {
	valueArg  any    // the new last_synced_value as stored (success only)
	valueText string // the same as text, for the sync log
	seen      int64  // versioned tables: the input_version the write was planned from
	errMsg    string // failure only
	at        time.Time
	jobID     int64
}

// record stores the outcome of a sync attempt on the mapping and appends the
// matching sync log row, both in q.
func (t *mappingTable) record(ctx context.Context, q Querier, mappingID int64, o syncOutcome, failed bool) error {
	if o.at.IsZero() {
		return fmt.Errorf("record %s sync: no time", t.kind)
	}
	var old sql.NullString
	var target sql.NullString
	err := q.QueryRowContext(ctx, "SELECT last_synced_value, "+t.shopifyCol+" FROM "+t.table+" WHERE id = $1", mappingID).
		Scan(&old, &target)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s mapping %d: %w", t.kind, mappingID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("record %s sync %d: %w", t.kind, mappingID, err)
	}
	if !target.Valid {
		return fmt.Errorf("record %s sync %d: the mapping has no Shopify side", t.kind, mappingID)
	}
	entry := SyncLogEntry{JobID: o.jobID, MappingKind: t.kind, MappingID: mappingID, Target: target.String, CreatedAt: o.at}
	if old.Valid {
		entry.OldValue = &old.String
	}
	if failed {
		msg := truncateUTF8(o.errMsg, maxSyncErrorBytes)
		_, err = q.ExecContext(ctx, "UPDATE "+t.table+` SET status = $1, sync_error = $2,
			sync_attempts = sync_attempts + 1, updated_at = $3 WHERE id = $4`,
			string(MappingFailed), msg, Millis(o.at), mappingID)
		entry.Status, entry.Message = MappingFailed, msg
	} else {
		set := "status = $1, sync_error = '', last_synced_value = $2, last_synced_at = $3, sync_attempts = sync_attempts + 1, updated_at = $3"
		args := []any{string(MappingSynced), o.valueArg, Millis(o.at), mappingID}
		if t.versioned {
			set += ", synced_version = $5"
			args = append(args, o.seen)
		}
		_, err = q.ExecContext(ctx, "UPDATE "+t.table+" SET "+set+" WHERE id = $4", args...)
		entry.Status, entry.NewValue = MappingSynced, o.valueText
	}
	if err != nil {
		return fmt.Errorf("record %s sync %d: %w", t.kind, mappingID, err)
	}
	return addSyncLog(ctx, q, entry)
}

// delete removes a mapping and its sync log (SQLite may reuse a deleted
// row's id, and the log must not attach itself to a new mapping).
func (t *mappingTable) delete(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM "+t.table+" WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete %s mapping %d: %w", t.kind, id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete %s mapping %d: %w", t.kind, id, err)
	} else if n == 0 {
		return fmt.Errorf("%s mapping %d: %w", t.kind, id, ErrNotFound)
	}
	if _, err := q.ExecContext(ctx, "DELETE FROM sync_log WHERE mapping_kind = $1 AND mapping_id = $2",
		string(t.kind), id); err != nil {
		return fmt.Errorf("delete %s mapping %d log: %w", t.kind, id, err)
	}
	return nil
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
