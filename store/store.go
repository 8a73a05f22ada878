// Package store is syncops' database: it opens SQLite (the embedded default,
// through modernc.org/sqlite) or PostgreSQL (through pgx, for several
// instances on one database), runs the versioned migrations for River's tables
// and ours, and offers typed queries for the whole domain.
//
// Every query is written once, with $N placeholders, and runs on both
// databases; only the DDL differs (migrations/sqlite, migrations/postgres).
// Times are stored as unix milliseconds so that they compare and sort the same
// way on both.
//
// SQLite is opened with WAL, a busy timeout, immediate write transactions and
// a single writer connection (River's driver and our writes share it); reads
// that need not see a transaction in flight go through a separate pool of
// reader connections so a long read never waits behind the writer.
//
// # Handles
//
// Every query is a method on *Store whose first arguments are the context and
// the handle it runs on: (ctx, q Querier, ...). The Store supplies the
// dialect (statement sizes, locking clauses); the handle decides the
// transaction. There are three kinds of handle:
//
//   - the *sql.Tx of InTx, so that a write joins the caller's transaction
//     (a change and its audit entry, a page of rows and its checkpoint);
//   - DB, the write handle, for a write that stands alone;
//   - Reader, the read handle, for reads outside a transaction. Streaming
//     reads of a whole mirror (EachNhanhCustomer, the matching projections)
//     must use it, so they never hold SQLite's single writer connection.
//
// Only lifecycle calls (Open, Migrate, Close, InTx) and passes that commit in
// batches of their own (PruneHistory) take no handle.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect names the database behind a Store.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DefaultSQLiteFile is the database file created in the data directory when
// no DSN is configured.
const DefaultSQLiteFile = "syncops.db"

// sqliteReaders is the size of the SQLite reader pool.
const sqliteReaders = 4

// Sentinel errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// Store is an open database.
type Store struct {
	dialect Dialect
	dsn     string // for display only; never contains a password (see Describe)
	db      *sql.DB
	readDB  *sql.DB
	pool    *pgxpool.Pool // PostgreSQL only: backs db and River's listener
	// checkpoints copies the WAL into the file (SQLite only).
	checkpoints *checkpointer
	// phoneKeys reads the phone numbers of a phone field as search terms
	// (see SetPhoneKeys); nil reads runs of digits.
	phoneKeys func(field string) []string
}

// Open opens the database named by dsn: empty means a SQLite file in dataDir;
// "postgres://" or "postgresql://" means PostgreSQL; anything else is taken as
// a SQLite file path (or a "file:" URI). It does not migrate; call Migrate.
func Open(ctx context.Context, dsn, dataDir string) (*Store, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	case dsn == "":
		if dataDir == "" {
			return nil, errors.New("open database: neither SYNCOPS_DB nor a data directory is set")
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		return openSQLite(ctx, filepath.Join(dataDir, DefaultSQLiteFile))
	default:
		return openSQLite(ctx, strings.TrimPrefix(dsn, "file:"))
	}
}

func sqliteDSN(path string, immediate bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	if immediate {
		q.Set("_txlock", "immediate")
		// The writer's statement journals (every multi-row insert inside a
		// transaction keeps one) stay in memory instead of a temporary file:
		// writing them took a third of AUTO_MATCH_CUSTOMERS' insert time at
		// 500,000 mappings. Its page cache is 64 MiB (default 2 MiB) so the
		// unique indexes a bulk write fills in random order stay cached.
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Add("_pragma", "cache_size(-65536)")
		// See checkpointer.
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", writerCheckpointPages))
		q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walKeepBytes))
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	db, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// One writer: River's SQLite driver asks for it, and it makes every write
	// transaction take the lock in turn instead of failing with SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	readDB, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite readers %s: %w", path, err)
	}
	readDB.SetMaxOpenConns(sqliteReaders)
	cp, err := startCheckpointer(path)
	if err != nil {
		_ = db.Close()
		_ = readDB.Close()
		return nil, err
	}
	return &Store{dialect: SQLite, dsn: path, db: db, readDB: readDB, checkpoints: cp}, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres DSN: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s: %w", DisplayDSN(dsn), err)
	}
	db := stdlib.OpenDBFromPool(pool)
	return &Store{dialect: Postgres, dsn: DisplayDSN(dsn), db: db, readDB: db, pool: pool}, nil
}

// DisplayDSN is a database name safe to show: a PostgreSQL URL without its
// password, or a SQLite path as it is.
func DisplayDSN(dsn string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparseable DSN)"
	}
	return u.Redacted()
}

// Dialect reports which database this is.
func (s *Store) Dialect() Dialect { return s.dialect }

// Describe is a human-readable name of the database, without secrets.
func (s *Store) Describe() string { return string(s.dialect) + " " + s.dsn }

// DB is the write handle. On SQLite it has a single connection, shared with
// River: never use it while holding a transaction from it, and do not stream
// long reads through it (they would hold the only writer).
func (s *Store) DB() *sql.DB { return s.db }

// Reader is the read handle: on SQLite a pool of reader connections that see
// what has committed and neither wait for nor block the writer; on
// PostgreSQL the same pool as DB. Reads outside a transaction use it, and
// streaming reads of a whole mirror must.
func (s *Store) Reader() Querier { return s.readDB }

// RiverDriver returns the River driver for this database. Both are
// riverdriver.Driver[*sql.Tx], so one river.Client type serves both.
func (s *Store) RiverDriver() riverdriver.Driver[*sql.Tx] {
	if s.dialect == Postgres {
		return riverdatabasesql.NewWithPgxListener(s.db, s.pool)
	}
	return riversqlite.New(s.db)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.readDB.PingContext(ctx)
}

// Close closes every connection.
func (s *Store) Close() error {
	var errs []error
	if s.checkpoints != nil {
		errs = append(errs, s.checkpoints.close())
	}
	if s.readDB != s.db {
		errs = append(errs, s.readDB.Close())
	}
	errs = append(errs, s.db.Close())
	if s.pool != nil {
		s.pool.Close()
	}
	return errors.Join(errs...)
}

// InTx runs fn in a write transaction and commits it when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// querier is what both *sql.DB and *sql.Tx offer; queries that may run inside
// a caller's transaction take one (exported as Querier).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Millis converts a time to the stored form.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// FromMillis converts the stored form back to a time (UTC).
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromNullMillis(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return FromMillis(n.Int64)
}
