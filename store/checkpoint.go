package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"
)

// SQLite's WAL is copied into the database file (a checkpoint) mostly by a
// connection of the store's own, every walCheckpointEvery, instead of by
// the writer. By default the transaction whose commit takes the WAL past
// 1,000 pages runs the checkpoint before its commit returns, copying and
// syncing everything written since the last one while every other write
// waits: a bulk write (a match creating 450,000 mappings, a pull storing
// pages) paid for it on its one writer. A PASSIVE checkpoint takes no lock
// a writer or a reader waits on and copies what no open read still needs.
//
// The WAL starts over from its beginning only when a write begins with all
// of it copied, which a checkpoint beside a busy writer never sees (new
// commits land while it copies): the writer still checkpoints, past
// writerCheckpointPages, copying only what the store's checkpoints have not
// yet, and the next write starts the WAL over (its file then cut back to
// walKeepBytes). Without it the WAL grew to 7 GB while a benchmark stored
// 500,000 customers of each side. The threshold is high so that a bulk
// write rarely meets it: at 16 MiB creating 450,000 mappings (120 MB
// written) was barely faster than with SQLite's default. Every process
// that opens the file through Open (the service, a CLI command) runs its
// own checkpoints; two at once are harmless.
const (
	walCheckpointEvery    = 200 * time.Millisecond
	writerCheckpointPages = 65536    // 256 MiB of 4 KiB pages
	walKeepBytes          = 64 << 20 // journal_size_limit
)

// checkpointer runs the WAL checkpoints of one SQLite file.
type checkpointer struct {
	db   *sql.DB
	stop context.CancelFunc
	done chan struct{}
	runs atomic.Int64 // checkpoints run, for tests
}

func startCheckpointer(path string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite checkpointer %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{db: db, stop: stop, done: make(chan struct{})}
	go c.run(ctx)
	return c, nil
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	tick := time.NewTicker(walCheckpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// An error (the disk full, the file gone) is the writer's to
		// report on its next commit; the checkpoint is tried again at the
		// next tick.
		_, _ = c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		c.runs.Add(1)
	}
}

// close stops the checkpoints and closes their connection.
func (c *checkpointer) close() error {
	c.stop()
	<-c.done
	return c.db.Close()
}
