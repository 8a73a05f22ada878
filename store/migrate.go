package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river/rivermigrate"
)

// migrationLockKey is the PostgreSQL advisory lock key of migrations.
const migrationLockKey = 0x5f5c0f5 // "syncops"

// migrationLock serialises migrations between processes.
func (s *Store) migrationLock(ctx context.Context) (func(), error) {
	if s.dialect == Postgres {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		return func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockKey)
			_ = conn.Close()
		}, nil
	}
	return lockFile(s.dsn + ".migrate-lock")
}

// migrationFills are the parts of migrations that SQL cannot do, by
// version: run in the migration's transaction right after its SQL.
var migrationFills = map[int]func(context.Context, *Store, *sql.Tx) error{
	7: func(ctx context.Context, _ *Store, tx *sql.Tx) error { return refoldSearchColumns(ctx, tx) },
	// Search terms of the records stored before search existed.
	10: func(ctx context.Context, s *Store, tx *sql.Tx) error { return s.reindexSearch(ctx, tx) },
	// Unmarked copies of the search columns and terms stored before them.
	19: func(ctx context.Context, s *Store, tx *sql.Tx) error {
		if err := refoldSearchColumns(ctx, tx); err != nil {
			return err
		}
		return s.reindexSearch(ctx, tx)
	},
}

//go:embed migrations
var migrationFiles embed.FS

// Migration is one versioned schema change of ours.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// migrations lists this dialect's migrations in version order. Files are
// named NNNN_name.sql.
func (s *Store) migrations() ([]Migration, error) {
	dir := path.Join("migrations", string(s.dialect))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %q: want NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: version, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate brings River's tables and ours up to date. It is idempotent and safe
// to run from several processes at once: runners take turns under a lock
// (a PostgreSQL advisory lock, or an exclusive lock on a file beside the
// SQLite database), because River's migrator is not safe to race.
func (s *Store) Migrate(ctx context.Context, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	unlock, err := s.migrationLock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	migrator, err := rivermigrate.New(s.RiverDriver(), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river tables: %w", err)
	}
	return s.migrateOurs(ctx, logger)
}

func (s *Store) migrateOurs(ctx context.Context, logger *slog.Logger) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS syncops_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at BIGINT  NOT NULL
	)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	all, err := s.migrations()
	if err != nil {
		return err
	}
	for _, m := range all {
		err := s.InTx(ctx, func(tx *sql.Tx) error {
			var applied int
			if err := tx.QueryRowContext(ctx,
				`SELECT COUNT(*) FROM syncops_migrations WHERE version = $1`, m.Version).Scan(&applied); err != nil {
				return fmt.Errorf("check migration %d: %w", m.Version, err)
			}
			if applied > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if fill := migrationFills[m.Version]; fill != nil {
				if err := fill(ctx, s, tx); err != nil {
					return fmt.Errorf("apply migration %04d_%s: %w", m.Version, m.Name, err)
				}
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO syncops_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, Millis(time.Now())); err != nil {
				return fmt.Errorf("record migration %d: %w", m.Version, err)
			}
			logger.InfoContext(ctx, "applied migration", slog.Int("version", m.Version), slog.String("name", m.Name))
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion is the highest of our migrations applied.
func (s *Store) SchemaVersion(ctx context.Context, q Querier) (int, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM syncops_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return int(v.Int64), nil
}
