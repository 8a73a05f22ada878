package sync

import (
	"context"
	gosync "sync"
)

// Read-ahead depths of a product sync: how many batches' reads may be under
// way or waiting beside the batch being planned.
const (
	// pacedReadAhead keeps the Nhanh window busy on the paced path: a
	// batch of 100 mappings reads Nhanh's stock with one or two
	// product/inventory calls in turn, and Shopify's levels with one query,
	// so a single batch at a time leaves the window idle while Shopify
	// answers, the mirror is read and the previous batch is recorded. Four
	// batches ahead is about a second of Nhanh's requests at the published
	// rate; the client's limiters pace them, so more never overdraw.
	pacedReadAhead = 4
	// bulkReadAhead is smaller: a bulk batch is 1,000 mappings written by
	// one operation that takes seconds, and its stock should be read
	// shortly before it is written.
	bulkReadAhead = 1
)

// readAhead reads the batches of a product sync pass ahead of their
// planning. The pages of mappings are read in order (each starts after the
// last id of the one before, so a batch's page never depends on another's
// writes), and the slow part of each, what the mirrors, Nhanh and Shopify
// say of its mappings, runs for several batches at once; next hands the
// results out in page order. A next whose cursor is not where the reads
// stand (the first call, a second pass, a resumed job) starts them again
// from that cursor.
type readAhead struct {
	src *productSource

	cur     batchCursor // where the reads under way continue
	size    int         // the batch size they read at
	results chan chan readResult
	stopRun func() // stops the reads under way and waits for them
}

type readResult struct {
	rd  *batchReads // nil when the scope is done
	err error
}

// next returns the reads of the batch after cur, or nil when the scope is
// done.
func (a *readAhead) next(ctx context.Context, cur batchCursor) (*batchReads, error) {
	size := a.src.batchSize()
	if a.results == nil || a.cur.afterID != cur.afterID || a.cur.upToID != cur.upToID || a.size != size {
		a.stop()
		a.start(ctx, cur, size)
	}
	var res readResult
	select {
	case f := <-a.results:
		select {
		case res = <-f:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if res.err != nil || res.rd == nil {
		a.stop()
		return nil, res.err
	}
	a.cur.afterID = res.rd.lastID
	return res.rd, nil
}

// start reads from cur on: one goroutine reads the pages and starts each
// page's reads, queueing one result a batch; the queue's length bounds the
// batches read ahead.
func (a *readAhead) start(ctx context.Context, cur batchCursor, size int) {
	depth := pacedReadAhead
	if a.src.bulk != nil {
		depth = bulkReadAhead
	}
	ctx, cancel := context.WithCancel(ctx)
	results := make(chan chan readResult, depth)
	var running gosync.WaitGroup
	running.Go(func() {
		after := cur.afterID
		for {
			f := make(chan readResult, 1)
			select {
			case results <- f:
			case <-ctx.Done():
				return
			}
			rd, err := a.src.readPage(ctx, batchCursor{afterID: after, upToID: cur.upToID}, size)
			if err != nil || rd == nil {
				f <- readResult{err: err}
				return
			}
			after = rd.lastID
			running.Go(func() { f <- readResult{rd: rd, err: a.src.readSides(ctx, rd)} })
		}
	})
	a.cur, a.size, a.results = cur, size, results
	a.stopRun = func() {
		cancel()
		running.Wait()
	}
}

// stop stops the reads under way, if any, and waits for them to end.
func (a *readAhead) stop() {
	if a.stopRun != nil {
		a.stopRun()
	}
	a.results, a.stopRun = nil, nil
}
