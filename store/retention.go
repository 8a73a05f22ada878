package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Defaults of PruneOptions.
const (
	// DefaultPruneBatchSize is how many rows one pruning batch deletes. A
	// batch of 1,000 failed items held SQLite's writer for a few
	// milliseconds in BenchmarkPruneFailedItems1M.
	DefaultPruneBatchSize = 1000
	// DefaultPruneBatchTimeout bounds one batch's statements. A batch that
	// runs out of it is rolled back and the pass goes on with half the batch
	// size (as River's cleaner drops to its reduced batch size), down to
	// minPruneBatchSize.
	DefaultPruneBatchTimeout = time.Second
	// minPruneBatchSize is the smallest batch size a timed-out pass shrinks
	// to; a batch of it that still times out ends the pass with the error.
	minPruneBatchSize = 50
)

// PruneOptions says what a pruning pass removes and in what steps.
type PruneOptions struct {
	// Before is the cut: finished jobs completed before it (with their
	// attempts, failed items and preview diffs), sync log entries written before it and
	// scheduled ticks due before it are removed. The newest job of each type
	// is kept whatever its age, so the console can still show each type's
	// last run.
	Before time.Time
	// BatchSize is the most rows one batch deletes; zero means
	// DefaultPruneBatchSize.
	BatchSize int
	// BatchTimeout bounds one batch; zero means DefaultPruneBatchTimeout.
	BatchTimeout time.Duration
	// OnBatch, when set, is told of every batch that committed: the table,
	// how many rows it deleted and how long it held the write transaction.
	OnBatch func(table string, deleted int64, held time.Duration)
}

// PruneResult is what a pruning pass removed.
type PruneResult struct {
	Jobs, Attempts, FailedItems, SyncDiffs, SyncLog, ScheduledTicks int64
	// WebhookDeliveries are processed deliveries (pending ones are kept).
	WebhookDeliveries int64
	// Batches is how many write transactions the pass committed, and
	// LongestHold the longest of them, from BEGIN to COMMIT.
	Batches     int
	LongestHold time.Duration
}

// PruneHistory removes history older than opts.Before in batches, each its
// own short write transaction (River's cleaner does the same), so a pass over
// a million failed items never holds SQLite's single writer for long: a job,
// a worker or an operator waiting to write waits for one batch at most, not
// for the pass. It stops at a batch that deletes fewer rows than the batch
// size. A pass cut short (an error, a cancelled context) keeps what it
// committed; the next pass goes on from there. It takes no handle because it
// commits on its own.
func (s *Store) PruneHistory(ctx context.Context, opts PruneOptions) (PruneResult, error) {
	p := pruner{s: s, opts: opts, size: opts.BatchSize}
	if p.size <= 0 {
		p.size = DefaultPruneBatchSize
	}
	if p.opts.BatchTimeout <= 0 {
		p.opts.BatchTimeout = DefaultPruneBatchTimeout
	}
	if opts.Before.IsZero() {
		return PruneResult{}, errors.New("prune history: no cut")
	}
	if err := p.jobs(ctx); err != nil {
		return p.res, fmt.Errorf("prune jobs: %w", err)
	}
	cut := Millis(opts.Before)
	n, err := p.drain(ctx, "sync_log", `DELETE FROM sync_log WHERE id IN
		(SELECT id FROM sync_log WHERE created_at < $1 LIMIT $2)`, cut)
	p.res.SyncLog += n
	if err != nil {
		return p.res, fmt.Errorf("prune sync log: %w", err)
	}
	n, err = p.drain(ctx, "scheduled_ticks", `DELETE FROM scheduled_ticks WHERE (job_type, tick_at) IN
		(SELECT job_type, tick_at FROM scheduled_ticks WHERE tick_at < $1 LIMIT $2)`, cut)
	p.res.ScheduledTicks += n
	if err != nil {
		return p.res, fmt.Errorf("prune scheduled ticks: %w", err)
	}
	n, err = p.drain(ctx, "webhook_deliveries", `DELETE FROM webhook_deliveries WHERE id IN
		(SELECT id FROM webhook_deliveries WHERE processed_at IS NOT NULL AND received_at < $1 LIMIT $2)`, cut)
	p.res.WebhookDeliveries += n
	if err != nil {
		return p.res, fmt.Errorf("prune webhook deliveries: %w", err)
	}
	return p.res, nil
}

// pruner is one pruning pass.
type pruner struct {
	s    *Store
	opts PruneOptions
	size int // the batch size now; halved when a batch times out
	res  PruneResult
}

// jobs removes expired jobs a page of ids at a time: first their failed
// items, in batches, then their attempts and the jobs themselves in one
// batch. Deleting a job with its failed items left to the cascade would
// delete them all in one statement.
func (p *pruner) jobs(ctx context.Context) error {
	cut := Millis(p.opts.Before)
	var after int64
	for {
		ids, err := p.expiredJobs(ctx, cut, after)
		if err != nil || len(ids) == 0 {
			return err
		}
		after = ids[len(ids)-1].(int64)
		b := binder{dialect: p.s.dialect}
		inJobs := b.in("job_id", ids)
		n, err := p.drain(ctx, "job_failed_items", `DELETE FROM job_failed_items WHERE id IN
			(SELECT id FROM job_failed_items WHERE `+inJobs+` LIMIT `+b.bind(0)+`)`, b.args[:len(b.args)-1]...)
		p.res.FailedItems += n
		if err != nil {
			return err
		}
		b = binder{dialect: p.s.dialect}
		inJobs = b.in("job_id", ids)
		n, err = p.drain(ctx, "sync_diffs", `DELETE FROM sync_diffs WHERE (job_id, mapping_id, location_gid) IN
			(SELECT job_id, mapping_id, location_gid FROM sync_diffs WHERE `+inJobs+` LIMIT `+b.bind(0)+`)`,
			b.args[:len(b.args)-1]...)
		p.res.SyncDiffs += n
		if err != nil {
			return err
		}
		var attempts, jobs int64
		err = p.batch(ctx, "jobs", func(ctx context.Context, tx *sql.Tx) (int64, error) {
			b := binder{dialect: p.s.dialect}
			res, err := tx.ExecContext(ctx, `DELETE FROM job_attempts WHERE `+b.in("job_id", ids), b.args...)
			if err != nil {
				return 0, err
			}
			attempts, _ = res.RowsAffected()
			b = binder{dialect: p.s.dialect}
			res, err = tx.ExecContext(ctx, `DELETE FROM jobs WHERE `+b.in("id", ids), b.args...)
			if err != nil {
				return 0, err
			}
			jobs, _ = res.RowsAffected()
			return jobs, nil
		})
		if err != nil {
			return err
		}
		p.res.Attempts += attempts
		p.res.Jobs += jobs
		if len(ids) < p.size {
			return nil
		}
	}
}

// expiredJobs reads, on the read handle, the next page of ids (after
// after) of jobs finished before cut, leaving out the newest job of each
// type. The ids are []any for binder.in.
func (p *pruner) expiredJobs(ctx context.Context, cut, after int64) ([]any, error) {
	rows, err := p.s.Reader().QueryContext(ctx, `SELECT id FROM jobs
		WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND completed_at < $1 AND id > $2
		AND id NOT IN (SELECT MAX(id) FROM jobs GROUP BY type)
		ORDER BY id LIMIT $3`, cut, after, p.size)
	if err != nil {
		return nil, fmt.Errorf("expired jobs: %w", err)
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("expired jobs: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// drain runs a batch delete until a batch deletes fewer rows than the batch
// size. stmt's last placeholder is the batch size; args are the others.
func (p *pruner) drain(ctx context.Context, table, stmt string, args ...any) (int64, error) {
	var total int64
	for {
		var n int64
		size := p.size
		err := p.batch(ctx, table, func(ctx context.Context, tx *sql.Tx) (int64, error) {
			res, err := tx.ExecContext(ctx, stmt, append(args[:len(args):len(args)], size)...)
			if err != nil {
				return 0, err
			}
			n, err = res.RowsAffected()
			return n, err
		})
		total += n
		if err != nil {
			return total, err
		}
		if n < int64(size) {
			return total, nil
		}
	}
}

// batch runs fn as one write transaction whose statements must finish within
// the batch timeout. A batch that times out is rolled back and retried at
// half the batch size, until the size reaches minPruneBatchSize.
func (p *pruner) batch(ctx context.Context, table string, fn func(context.Context, *sql.Tx) (int64, error)) error {
	for {
		held, n, err := p.try(ctx, fn)
		if err == nil {
			p.res.Batches++
			p.res.LongestHold = max(p.res.LongestHold, held)
			if p.opts.OnBatch != nil {
				p.opts.OnBatch(table, n, held)
			}
			return nil
		}
		if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || p.size <= minPruneBatchSize {
			return err
		}
		p.size = max(p.size/2, minPruneBatchSize)
	}
}

// try runs one batch. The timeout starts once the transaction has begun, so
// waiting for the writer behind other work does not count against it.
func (p *pruner) try(ctx context.Context, fn func(context.Context, *sql.Tx) (int64, error)) (time.Duration, int64, error) {
	tx, err := p.s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("begin: %w", err)
	}
	start := time.Now()
	bctx, cancel := context.WithTimeout(ctx, p.opts.BatchTimeout)
	defer cancel()
	n, err := fn(bctx, tx)
	if bctx.Err() != nil && ctx.Err() == nil {
		// The driver reports an interrupted statement in its own words.
		err = fmt.Errorf("batch ran past %s: %w", p.opts.BatchTimeout, context.DeadlineExceeded)
	}
	if err != nil {
		_ = tx.Rollback()
		return 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("commit: %w", err)
	}
	return time.Since(start), n, nil
}
