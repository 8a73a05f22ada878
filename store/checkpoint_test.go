package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
)

// openWALStore opens a SQLite store on a new file with a table to fill.
func openWALStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wal.db")
	s, err := store.Open(t.Context(), path, "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	_, err = s.DB().ExecContext(t.Context(), "CREATE TABLE filler (v TEXT NOT NULL)")
	require.NoError(t, err)
	return s, path + "-wal"
}

func fill(ctx context.Context, t *testing.T, s *store.Store, bytes int) {
	t.Helper()
	_, err := s.DB().ExecContext(ctx, "INSERT INTO filler (v) VALUES ($1)", strings.Repeat("x", bytes))
	require.NoError(t, err)
}

func walSize(t *testing.T, wal string) int64 {
	t.Helper()
	info, err := os.Stat(wal)
	require.NoError(t, err)
	return info.Size()
}

// Between writes, the store's checkpointer copies the WAL, so the next
// write starts it over: it stays the size of one write, far under what the
// writer would checkpoint at. Without the checkpointer this test's WAL ends
// near 6 MB.
func TestCheckpointerCopiesTheWALBetweenWrites(t *testing.T) {
	t.Parallel()
	s, wal := openWALStore(t)
	const writes, perWrite = 6, 1 << 20
	for range writes {
		fill(t.Context(), t, s, perWrite)
		// Wait for a checkpoint that started after this write committed.
		seen := s.WALCheckpoints()
		require.Eventually(t, func() bool { return s.WALCheckpoints() >= seen+2 }, 30*time.Second, 5*time.Millisecond)
	}
	require.Less(t, walSize(t, wal), int64(4*perWrite), "the WAL grew with all that was written")
}

// A writer that never pauses leaves no moment with all of the WAL copied;
// it checkpoints itself past a threshold, and the WAL starts over. The
// store's threshold (256 MiB) is lowered here to 4 MiB so that 40 MB show
// it; without it the WAL holds all 40 MB written.
func TestWALStaysBoundedUnderABusyWriter(t *testing.T) {
	t.Parallel()
	s, wal := openWALStore(t)
	ctx := t.Context()
	var pages int64
	require.NoError(t, s.DB().QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages))
	require.Equal(t, int64(65536), pages, "the writer's threshold")
	// The writer is one connection kept open: the setting stays on it.
	_, err := s.DB().ExecContext(ctx, "PRAGMA wal_autocheckpoint = 1024")
	require.NoError(t, err)
	const writes, perWrite = 40, 1 << 20
	for range writes {
		fill(ctx, t, s, perWrite)
	}
	require.Less(t, walSize(t, wal), int64(24<<20), "the WAL grew with all that was written")
}
