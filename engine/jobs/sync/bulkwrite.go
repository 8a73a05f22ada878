package sync

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"

	"syncops/clients/shopify"
	"syncops/store"
)

// A sync above its bulk threshold (customer spend: metafieldsSet; product
// stock: inventorySetQuantities) writes each batch with one bulk mutation.
// The operation is recorded in the shop's bulk mutation lane
// (store.BulkLane under "<shop> mutation") with the digest of the inputs it
// carries, in the database, before it is polled: an attempt that stops
// while Shopify runs it (time budget, crash) plans the same batch again
// and, when the planned inputs have the same digest, polls that operation
// and reads its results instead of starting another. One bulk mutation
// runs per shop at a time across jobs and instances; a batch waits for the
// lane while another job holds it, and the batches of one job take their
// turns (the next batch is planned while the previous one's operation
// runs, and must not take the lane from it).
//
//	turn ──> lane (wait while another job holds it; cancel what an ended
//	  job or another batch left) ──> same digest? poll it : start, record
//	  ──> AwaitBulk ──> results ──> release lane ──> next batch's turn

// bulkMutationLaneWait is how long a batch waits before looking at a busy
// bulk mutation lane again.
const bulkMutationLaneWait = time.Second

// bulkMutationLane names the shop's bulk mutation lane.
func bulkMutationLane(shop string) string { return shop + " mutation" }

// inputsDigest identifies a batch's planned inputs: one JSON value a line.
func inputsDigest[T any](inputs []T) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, in := range inputs {
		_ = enc.Encode(in) // structs of strings and numbers always encode
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// bulkMutation is one batch's bulk write: how to start it and how to read
// its results.
type bulkMutation struct {
	// digest identifies the planned inputs (inputsDigest): an operation in
	// the lane with the same digest is this batch's and is resumed.
	digest string
	// lines is the number of inputs, one a line.
	lines int
	// start uploads the inputs, starts the operation and returns its id.
	start func(ctx context.Context) (string, error)
	// results reads a completed operation's result file into one result
	// per input, in order.
	results func(ctx context.Context, url string, n int) ([]shopify.ItemResult, error)
}

// bulkMutator writes one job's batches through bulk mutations, one batch
// at a time.
type bulkMutator struct {
	d     Deps
	jobID int64
	// turn lets one batch of the job at a time hold the lane.
	turn *semaphore.Weighted
}

func newBulkMutator(d Deps, jobID int64) *bulkMutator {
	return &bulkMutator{d: d, jobID: jobID, turn: semaphore.NewWeighted(1)}
}

// takes reports whether a batch of lines writes through a bulk mutation:
// the source writes in bulk (b is set) and the lines are more than one
// paced call carries. A batch that fits one call gains nothing from an
// operation (a staged upload, a start and polls for what one call of 10
// points does): an auto-sync above the threshold whose batches changed
// little writes them paced.
func (b *bulkMutator) takes(lines, perCall int) bool { return b != nil && lines > perCall }

// write runs m with one bulk mutation of this job's, resuming the
// operation the lane names for the same digest, and returns one result per
// input.
func (b *bulkMutator) write(ctx context.Context, m bulkMutation) ([]shopify.ItemResult, error) {
	if err := b.turn.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	defer b.turn.Release(1)
	lane := bulkMutationLane(b.d.Shopify.ShopDomain())
	id, err := b.takeLane(ctx, lane, m.digest)
	if err != nil {
		return nil, err
	}
	if id == "" {
		if id, err = m.start(ctx); err != nil {
			b.releaseLane(ctx, lane)
			return nil, err
		}
		// The operation runs on Shopify from here: it is recorded even when
		// the attempt's time ran out meanwhile, or the next attempt would
		// start a second one instead of polling it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err := b.d.Store.SetBulkLane(rctx, b.d.Store.DB(), store.BulkLane{Shop: lane, JobID: b.jobID,
			OperationID: id + " " + m.digest, UpdatedAt: b.d.Clock.Now()})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("record bulk mutation %s: %w", id, err)
		}
	}
	op, err := b.d.Shopify.AwaitBulk(ctx, id, nil)
	if err != nil {
		if ctx.Err() == nil && op.ID != "" && !op.Running() {
			b.releaseLane(ctx, lane) // ended without results: the next try starts anew
		}
		return nil, err
	}
	results, err := m.results(ctx, op.URL, m.lines)
	if err != nil {
		return nil, err
	}
	b.releaseLane(ctx, lane)
	return results, nil
}

// takeLane waits until the lane is free or this job's, takes it, and
// returns the operation it names for digest ("" when there is none).
func (b *bulkMutator) takeLane(ctx context.Context, lane, digest string) (string, error) {
	for {
		var holder int64
		var resume, abandoned string
		err := b.d.Store.InTx(ctx, func(tx *sql.Tx) error {
			holder, resume, abandoned = 0, "", ""
			l, err := b.d.Store.LockBulkLane(ctx, tx, lane)
			if err != nil {
				return err
			}
			if l.JobID != 0 && l.JobID != b.jobID {
				rec, err := b.d.Store.Job(ctx, tx, l.JobID)
				if err == nil && !rec.Status.Terminal() {
					holder = l.JobID
					return nil
				}
			}
			opID, d, _ := strings.Cut(l.OperationID, " ")
			if l.JobID == b.jobID && opID != "" && d == digest {
				resume = opID
				return nil
			}
			abandoned = opID // another batch's, or an ended job's: nobody will read it
			return b.d.Store.SetBulkLane(ctx, tx, store.BulkLane{Shop: lane, JobID: b.jobID, UpdatedAt: b.d.Clock.Now()})
		})
		if err != nil {
			return "", fmt.Errorf("take the bulk mutation lane: %w", err)
		}
		if holder == 0 {
			if abandoned != "" {
				// Shopify runs one bulk mutation at a time: stop the old one.
				if err := b.d.Shopify.CancelBulk(ctx, abandoned); err != nil && ctx.Err() == nil {
					return "", fmt.Errorf("cancel abandoned bulk mutation %s: %w", abandoned, err)
				}
			}
			return resume, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-b.d.Clock.After(bulkMutationLaneWait):
		}
	}
}

// releaseLane frees the lane if this job holds it.
func (b *bulkMutator) releaseLane(ctx context.Context, lane string) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = b.d.Store.ReleaseBulkLane(wctx, b.d.Store.DB(), lane, b.jobID, b.d.Clock.Now())
}
