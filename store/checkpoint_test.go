package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
)

// The writer does not checkpoint (wal_autocheckpoint is off on its
// connection); the store's checkpointer does, so the WAL stays about the
// size of what is written between two checkpoints instead of growing with
// everything written. Without the checkpointer this test's WAL ends near
// 6 MB.
func TestCheckpointerKeepsTheWALSmall(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "wal.db")
	s, err := store.Open(ctx, path, "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	_, err = s.DB().ExecContext(ctx, "CREATE TABLE filler (v TEXT NOT NULL)")
	require.NoError(t, err)

	const writes, perWrite = 6, 1 << 20 // 6 MB in all
	for range writes {
		_, err := s.DB().ExecContext(ctx, "INSERT INTO filler (v) VALUES ($1)", strings.Repeat("x", perWrite))
		require.NoError(t, err)
		// Wait for a checkpoint that started after this write committed.
		seen := s.WALCheckpoints()
		require.Eventually(t, func() bool { return s.WALCheckpoints() >= seen+2 }, 30*time.Second, 5*time.Millisecond)
	}
	info, err := os.Stat(path + "-wal")
	require.NoError(t, err)
	require.Less(t, info.Size(), int64(4*perWrite), "the WAL grew with all that was written")
}
