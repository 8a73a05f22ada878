package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/store"
)

// TestProcessLeaseOnSQLite: a second holder of a SQLite database's job
// lease is refused with a message that names the holder and says what to
// do; once released, the lease can be taken again.
func TestProcessLeaseOnSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := store.Open(t.Context(), "", dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = first.Close() })
	second, err := store.Open(t.Context(), filepath.Join(dir, store.DefaultSQLiteFile), "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = second.Close() })

	release, err := first.TakeProcessLease()
	require.NoError(t, err)
	_, err = second.TakeProcessLease()
	var held *store.ProcessLeaseError
	require.True(t, errors.As(err, &held), "got %v", err)
	require.Equal(t, os.Getpid(), held.PID)
	require.Contains(t, err.Error(), "only one process may call the APIs")
	require.Contains(t, err.Error(), "PostgreSQL")

	release()
	again, err := second.TakeProcessLease()
	require.NoError(t, err)
	again()
}
