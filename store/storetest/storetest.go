// Package storetest opens fresh, migrated databases for tests of any package:
// SQLite always, PostgreSQL when SYNCOPS_TEST_POSTGRES holds a DSN.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syncops/store"
	"testing"
)

// Open opens a fresh, migrated database of dialect d for a test and
// closes it at cleanup. SQLite uses a file in t.TempDir(); PostgreSQL uses a
// new schema in the database named by SYNCOPS_TEST_POSTGRES (the test is
// skipped, saying so, when it is unset), dropped at cleanup.
func Open(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	dsn := DSN(t, d)
	s, err := store.Open(context.Background(), dsn, "")
	if err != nil {
		t.Fatalf("open test store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background(), nil); err != nil {
		t.Fatalf("migrate test store: %v", err)
	}
	return s
}

// DSN returns a DSN for a fresh, empty database of dialect d, for tests
// that open it more than once (several processes, several connections).
func DSN(t testing.TB, d store.Dialect) string {
	t.Helper()
	switch d {
	case store.SQLite:
		return filepath.Join(t.TempDir(), "test.db")
	case store.Postgres:
		base := os.Getenv("SYNCOPS_TEST_POSTGRES")
		if base == "" {
			t.Skip("PostgreSQL test skipped: SYNCOPS_TEST_POSTGRES is not set")
		}
		// store.Open takes anything else for a SQLite path: a stray "1"
		// would create a SQLite file named 1 in the package directory and
		// fail later with a confusing error.
		if err := CheckPostgresDSN(base); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 6)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		schema := "t_" + hex.EncodeToString(b)
		admin, err := store.Open(context.Background(), base, "")
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		if _, err := admin.DB().Exec(`CREATE SCHEMA ` + schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() {
			_, _ = admin.DB().Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			_ = admin.Close()
		})
		return withSearchPath(t, base, schema)
	default:
		t.Fatalf("unknown dialect %q", d)
		return ""
	}
}

func withSearchPath(t testing.TB, dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse SYNCOPS_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// CheckPostgresDSN reports whether dsn is a PostgreSQL URL, as
// SYNCOPS_TEST_POSTGRES must be; the error says what was expected without
// repeating the value (it may hold a password).
func CheckPostgresDSN(dsn string) error {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return nil
	}
	return errors.New("SYNCOPS_TEST_POSTGRES must be a postgres:// or postgresql:// URL " +
		"(e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable); unset it to skip the PostgreSQL tests")
}

// Backends lists the dialects tests run on: SQLite and PostgreSQL. A
// PostgreSQL subtest is skipped, saying why, when SYNCOPS_TEST_POSTGRES is
// unset (Open and DSN do that), so a run without it still shows which tests
// did not run on PostgreSQL.
func Backends(testing.TB) []store.Dialect {
	return []store.Dialect{store.SQLite, store.Postgres}
}

// ForEach runs fn as a parallel subtest against a fresh, migrated database of
// every backend.
func ForEach(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, d))
		})
	}
}
