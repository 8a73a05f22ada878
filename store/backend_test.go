package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		v, err := s.SchemaVersion(context.Background(), s.Reader())
		require.NoError(t, err)
		require.Positive(t, v)
		require.NoError(t, s.Migrate(context.Background(), nil))
		v2, err := s.SchemaVersion(context.Background(), s.Reader())
		require.NoError(t, err)
		require.Equal(t, v, v2)
	})
}

func TestOpenDefaultsToSQLiteInDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := store.Open(context.Background(), "", dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.Equal(t, store.SQLite, s.Dialect())
	require.FileExists(t, filepath.Join(dir, store.DefaultSQLiteFile))
}

func TestOpenRedactsPassword(t *testing.T) {
	t.Parallel()
	_, err := store.Open(context.Background(), "postgres://u:s3cr3t@127.0.0.1:1/x?connect_timeout=1", "")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cr3t")
}

func TestConcurrentMigrationsTakeTurns(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			dsn := storetest.DSN(t, d)
			errs := make(chan error, 4)
			for range 4 {
				go func() {
					s, err := store.Open(context.Background(), dsn, "")
					if err != nil {
						errs <- err
						return
					}
					defer s.Close()
					errs <- s.Migrate(context.Background(), nil)
				}()
			}
			for range 4 {
				require.NoError(t, <-errs)
			}
		})
	}
}
