package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Querier is what both *sql.DB and *sql.Tx offer. Functions that take one
// run inside the caller's transaction when given a *sql.Tx.
type Querier = querier

// Batch sizes. SQLite allows 32,766 parameters per statement and PostgreSQL
// 65,535; we stay far below both.
const (
	// maxInParams caps the ids in one IN list.
	maxInParams = 500
	// maxArrayParams caps the ids in one PostgreSQL array parameter.
	maxArrayParams = 10_000
	// sqliteRowsPerStatement and postgresRowsPerStatement are the rows per
	// multi-row INSERT. Measured with 100,000 customers: SQLite is flat from
	// 50 to 200 rows once the statement is prepared; PostgreSQL is bound by
	// the server from 100 rows up, and larger statements save round trips
	// when the server is not local.
	sqliteRowsPerStatement   = 100
	postgresRowsPerStatement = 500
)

// rowsPerStatement is the multi-row INSERT size for d.
func rowsPerStatement(d Dialect) int {
	if d == SQLite {
		return sqliteRowsPerStatement
	}
	return postgresRowsPerStatement
}

// skipRefused returns how a multi-row insert on d skips a row that a unique
// index refuses: the statement's start up to the table name, and its end.
// On SQLite that is INSERT OR IGNORE rather than ON CONFLICT DO NOTHING:
// under the latter another constraint may still abort the statement
// halfway, so SQLite keeps a statement journal for it, a copy of every page
// the statement is about to change.
func skipRefused(d Dialect) (verb, tail string) {
	if d == SQLite {
		return "INSERT OR IGNORE INTO ", ""
	}
	return "INSERT INTO ", " ON CONFLICT DO NOTHING"
}

// binder collects a statement's arguments and writes their placeholders.
// Statements with a fixed text use $N everywhere; bulk statements, whose
// parameter count grows with the batch, are built through a binder, which
// writes $N on PostgreSQL but a bare ? on SQLite: SQLite's parser and
// modernc's binder look each $N up in a linear list, so a 1,000-parameter
// statement spent 80% of its time there (27,000 rows/s against 100,000+).
// Placeholders must be written in the order bind is called.
type binder struct {
	dialect Dialect
	args    []any
}

// bind appends v and returns its placeholder.
func (b *binder) bind(v any) string {
	b.args = append(b.args, v)
	if b.dialect == SQLite {
		return "?"
	}
	return "$" + strconv.Itoa(len(b.args))
}

// in returns the condition that col is one of vs and binds them. On
// PostgreSQL that is "col = ANY($n)" with the values as one array: one
// statement text whatever the count, which the driver prepares and the server
// plans once per connection. IN lists of every length seen were each
// prepared and planned anew, and planned while a freshly filled table still
// looked empty, as sequential scans: upserts into a fresh table slowed down
// as it grew. SQLite gets "col IN (?, ...)", which it plans as index lookups
// whatever its statistics say. vs must all be int64 or all be strings.
func (b *binder) in(col string, vs []any) string {
	if b.dialect == SQLite {
		return col + " IN (" + b.list(vs) + ")"
	}
	return col + " = ANY(" + b.bind(pgArray(vs)) + ")"
}

// pgArray turns values of one type into the typed slice pgx sends as a
// PostgreSQL array.
func pgArray(vs []any) any {
	if len(vs) > 0 {
		if _, ok := vs[0].(string); ok {
			out := make([]string, len(vs))
			for i, v := range vs {
				out[i], _ = v.(string)
			}
			return out
		}
	}
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i], _ = v.(int64)
	}
	return out
}

// inChunk is how many values one in condition takes: SQLite binds each as
// a parameter, PostgreSQL sends one array.
func inChunk(d Dialect) int {
	if d == SQLite {
		return maxInParams
	}
	return maxArrayParams
}

// list binds every value and returns the placeholders joined by commas.
func (b *binder) list(vs []any) string {
	var sb strings.Builder
	for i, v := range vs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(b.bind(v))
	}
	return sb.String()
}

// UpsertCounts says what an upsert did with each distinct row it was given.
type UpsertCounts struct {
	Created   int // rows that were not stored before
	Updated   int // rows whose stored fields changed, or that were marked deleted
	Unchanged int // rows stored exactly as given (only their pulled time moved)
}

// Add returns the sum of two counts, for callers that total over pages.
func (c UpsertCounts) Add(o UpsertCounts) UpsertCounts {
	return UpsertCounts{Created: c.Created + o.Created, Updated: c.Updated + o.Updated, Unchanged: c.Unchanged + o.Unchanged}
}

// ListOpts pages through a mirror of remote records in key order.
type ListOpts[K comparable] struct {
	AfterID        K    // start after this id; the zero value starts at the beginning
	Limit          int  // at most this many rows; <= 0 means no limit
	IncludeDeleted bool // also return rows marked deleted at the source
}

// scanner is what *sql.Row and *sql.Rows offer.
type scanner interface{ Scan(dest ...any) error }

// mirror describes one local copy of a remote list (customers, products,
// variants on either side) so that upserting, listing and marking deletions
// are written once. Its table has a key column, data columns, deleted_at and
// pulled_at.
type mirror[K comparable, R any] struct {
	table   string
	key     string
	columns []string // data columns, in the order values returns them
	keyArg  func(K) any
	keyOf   func(*R) K
	// values returns the data columns as plain driver values (int64, float64,
	// string) so that a stored row and a new one compare with ==.
	values    func(*R) []any
	deletedAt func(*R) time.Time
	// scan reads key, columns..., deleted_at, pulled_at.
	scan func(scanner) (R, error)
	// side names the mirror in search_terms; terms adds a row's search
	// terms (see search.go).
	side  string
	terms func(*R, *termSet)
}

func (m *mirror[K, R]) selectList() string {
	return m.key + ", " + strings.Join(m.columns, ", ") + ", deleted_at, pulled_at"
}

// upsert stores rows (the last one wins when an id repeats), touching
// pulled_at on every row and writing only those that changed.
func (m *mirror[K, R]) upsert(ctx context.Context, s *Store, q Querier, rows []R, now time.Time) (UpsertCounts, error) {
	d := s.dialect
	var counts UpsertCounts
	last := make(map[K]int, len(rows))
	ids := make([]K, 0, len(rows))
	for i := range rows {
		k := m.keyOf(&rows[i])
		if _, seen := last[k]; !seen {
			ids = append(ids, k)
		}
		last[k] = i
	}
	stored, err := m.load(ctx, d, q, ids)
	if err != nil {
		return counts, err
	}
	var write []*R
	var touch []K
	var was []*R // per written row, the stored one (nil: new)
	for _, k := range ids {
		row := &rows[last[k]]
		old, ok := stored[k]
		switch {
		case !ok:
			counts.Created++
			write, was = append(write, row), append(was, nil)
		case !m.deletedAt(&old).IsZero() || !sameValues(m.values(&old), m.values(row)):
			counts.Updated++
			write, was = append(write, row), append(was, &old)
		default:
			counts.Unchanged++
			touch = append(touch, k)
		}
	}
	if err := m.write(ctx, d, q, write, now); err != nil {
		return counts, err
	}
	if err := m.index(ctx, s, q, write, was); err != nil {
		return counts, err
	}
	if err := m.touch(ctx, d, q, touch, now); err != nil {
		return counts, err
	}
	return counts, nil
}

// load reads the stored rows among ids (see binder.in).
func (m *mirror[K, R]) load(ctx context.Context, d Dialect, q Querier, ids []K) (map[K]R, error) {
	out := make(map[K]R, len(ids))
	for chunk := range slices.Chunk(ids, inChunk(d)) {
		b := binder{dialect: d}
		query := "SELECT " + m.selectList() + " FROM " + m.table + " WHERE " + b.in(m.key, m.keyArgs(chunk))
		rows, err := q.QueryContext(ctx, query, b.args...)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", m.table, err)
		}
		for rows.Next() {
			r, err := m.scan(rows)
			if err != nil {
				_ = rows.Close()
				return nil, fmt.Errorf("scan %s: %w", m.table, err)
			}
			out[m.keyOf(&r)] = r
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("load %s: %w", m.table, err)
		}
	}
	return out, nil
}

// selectIn runs "SELECT cols FROM table WHERE key IN (...)" over args (see
// binder.in) and hands every row to scan. It serves the
// projections that read a few columns of one batch of rows at once.
func selectIn(ctx context.Context, d Dialect, q Querier, cols, table, key string, args []any, scan func(scanner) error) error {
	for chunk := range slices.Chunk(args, inChunk(d)) {
		b := binder{dialect: d}
		rows, err := q.QueryContext(ctx, "SELECT "+cols+" FROM "+table+" WHERE "+b.in(key, chunk), b.args...)
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				_ = rows.Close()
				return fmt.Errorf("scan %s: %w", table, err)
			}
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
	}
	return nil
}

func (m *mirror[K, R]) keyArgs(ids []K) []any {
	out := make([]any, len(ids))
	for i, k := range ids {
		out[i] = m.keyArg(k)
	}
	return out
}

// write inserts or overwrites rows with multi-row statements, clearing
// deleted_at so a row that reappears at the source is live again.
func (m *mirror[K, R]) write(ctx context.Context, d Dialect, q Querier, rows []*R, now time.Time) error {
	perStatement := rowsPerStatement(d)
	var full *sql.Stmt // the statement for a full chunk, prepared once per call
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	for chunk := range slices.Chunk(rows, perStatement) {
		query, args := m.writeStatement(d, chunk, Millis(now))
		var err error
		switch p, ok := q.(preparer); {
		case d == SQLite && ok && len(chunk) == perStatement:
			// SQLite spends a third of a bulk write parsing; PostgreSQL's
			// driver already caches prepared statements by text.
			if full == nil {
				if full, err = p.PrepareContext(ctx, query); err != nil {
					return fmt.Errorf("prepare upsert %s: %w", m.table, err)
				}
			}
			_, err = full.ExecContext(ctx, args...)
		default:
			_, err = q.ExecContext(ctx, query, args...)
		}
		if err != nil {
			return fmt.Errorf("upsert %s: %w", m.table, err)
		}
	}
	return nil
}

// preparer is offered by *sql.Tx and *sql.DB.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// writeStatement builds the multi-row upsert of rows.
func (m *mirror[K, R]) writeStatement(d Dialect, rows []*R, pulled int64) (string, []any) {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + m.table + " (" + m.key + ", " + strings.Join(m.columns, ", ") +
		", deleted_at, pulled_at) VALUES ")
	b := binder{dialect: d, args: make([]any, 0, len(rows)*(len(m.columns)+2))}
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(" + b.bind(m.keyArg(m.keyOf(r))) + ", " + b.list(m.values(r)) + ", NULL, " + b.bind(pulled) + ")")
	}
	sb.WriteString(" ON CONFLICT (" + m.key + ") DO UPDATE SET ")
	for _, c := range m.columns {
		sb.WriteString(c + " = excluded." + c + ", ")
	}
	sb.WriteString("deleted_at = NULL, pulled_at = excluded.pulled_at")
	return sb.String(), b.args
}

// touch records that unchanged rows were seen by this pull.
func (m *mirror[K, R]) touch(ctx context.Context, d Dialect, q Querier, ids []K, now time.Time) error {
	for chunk := range slices.Chunk(ids, inChunk(d)) {
		b := binder{dialect: d}
		query := "UPDATE " + m.table + " SET pulled_at = " + b.bind(Millis(now)) +
			" WHERE " + b.in(m.key, m.keyArgs(chunk))
		if _, err := q.ExecContext(ctx, query, b.args...); err != nil {
			return fmt.Errorf("touch %s: %w", m.table, err)
		}
	}
	return nil
}

// markDeleted marks live rows not pulled since the given time as deleted.
func (m *mirror[K, R]) markDeleted(ctx context.Context, q Querier, notPulledSince, now time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, "UPDATE "+m.table+" SET deleted_at = $1 WHERE deleted_at IS NULL AND pulled_at < $2",
		Millis(now), Millis(notPulledSince))
	if err != nil {
		return 0, fmt.Errorf("mark deleted %s: %w", m.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("mark deleted %s: %w", m.table, err)
	}
	return n, nil
}

func (m *mirror[K, R]) get(ctx context.Context, q Querier, id K) (R, error) {
	row := q.QueryRowContext(ctx, "SELECT "+m.selectList()+" FROM "+m.table+" WHERE "+m.key+" = $1", m.keyArg(id))
	r, err := m.scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%s %v: %w", m.table, id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("get %s %v: %w", m.table, id, err)
	}
	return r, nil
}

func (m *mirror[K, R]) list(ctx context.Context, q Querier, opts ListOpts[K]) ([]R, error) {
	query := "SELECT " + m.selectList() + " FROM " + m.table + " WHERE " + m.key + " > $1"
	if !opts.IncludeDeleted {
		query += " AND deleted_at IS NULL"
	}
	query += " ORDER BY " + m.key
	args := []any{m.keyArg(opts.AfterID)}
	if opts.Limit > 0 {
		query += " LIMIT $2"
		args = append(args, opts.Limit)
	}
	var out []R
	err := m.stream(ctx, q, query, args, func(r R) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

func (m *mirror[K, R]) count(ctx context.Context, q Querier) (int64, error) {
	var n int64
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+m.table+" WHERE deleted_at IS NULL").Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", m.table, err)
	}
	return n, nil
}

func (m *mirror[K, R]) each(ctx context.Context, q Querier, fn func(R) error) error {
	query := "SELECT " + m.selectList() + " FROM " + m.table + " WHERE deleted_at IS NULL ORDER BY " + m.key
	return m.stream(ctx, q, query, nil, fn)
}

// stream runs query and hands each row to fn; fn's error is returned as is.
func (m *mirror[K, R]) stream(ctx context.Context, q Querier, query string, args []any, fn func(R) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", m.table, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		r, err := m.scan(rows)
		if err != nil {
			return fmt.Errorf("scan %s: %w", m.table, err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("read %s: %w", m.table, err)
	}
	return nil
}

// sameValues compares two rows' column values; they are plain comparable
// driver values by construction.
func sameValues(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// closeRows closes rows and reports the first error of iteration or close.
func closeRows(rows *sql.Rows) error {
	if err := rows.Err(); err != nil {
		_ = rows.Close()
		return err
	}
	return rows.Close()
}
