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

	"syncops/clients/shopify"
	"syncops/store"
)

// A customer sync above the bulk threshold writes each batch with one
// bulk mutation. The operation is recorded in the shop's bulk mutation
// lane (store.BulkLane under "<shop> mutation") with the digest of the
// inputs it carries, in the database, before it is polled: an attempt
// that stops while Shopify runs it (time budget, crash) plans the same
// batch again and, when the planned inputs have the same digest, polls
// that operation and reads its results instead of starting another. One
// bulk mutation runs per shop at a time across jobs and instances; a
// batch waits for the lane while another job holds it.

// bulkMutationLaneWait is how long a batch waits before looking at a busy
// bulk mutation lane again.
const bulkMutationLaneWait = time.Second

// bulkMutationLane names the shop's bulk mutation lane.
func bulkMutationLane(shop string) string { return shop + " mutation" }

// inputsDigest identifies a batch's planned inputs.
func inputsDigest(inputs []shopify.MetafieldInput) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, in := range inputs {
		_ = enc.Encode(in) // a struct of strings always encodes
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// writeMetafieldsInBulk writes inputs with one bulk mutation of this
// job's, resuming the operation the lane names for the same inputs.
func (s *customerSource) writeMetafieldsInBulk(ctx context.Context, inputs []shopify.MetafieldInput) ([]shopify.ItemResult, error) {
	lane, digest := bulkMutationLane(s.d.Shopify.ShopDomain()), inputsDigest(inputs)
	id, err := s.takeMutationLane(ctx, lane, digest)
	if err != nil {
		return nil, err
	}
	if id == "" {
		if id, err = s.d.Shopify.StartBulkMetafields(ctx, inputs); err != nil {
			s.releaseMutationLane(ctx, lane)
			return nil, err
		}
		if err := s.d.Store.SetBulkLane(ctx, s.d.Store.DB(), store.BulkLane{Shop: lane, JobID: s.jobID,
			OperationID: id + " " + digest, UpdatedAt: s.d.Clock.Now()}); err != nil {
			return nil, fmt.Errorf("record bulk mutation %s: %w", id, err)
		}
	}
	op, err := s.d.Shopify.AwaitBulk(ctx, id, nil)
	if err != nil {
		if ctx.Err() == nil && op.ID != "" && !op.Running() {
			s.releaseMutationLane(ctx, lane) // ended without results: the next try starts anew
		}
		return nil, err
	}
	results, err := s.d.Shopify.BulkMetafieldResults(ctx, op.URL, len(inputs))
	if err != nil {
		return nil, err
	}
	s.releaseMutationLane(ctx, lane)
	return results, nil
}

// takeMutationLane waits until the lane is free or this job's, takes it,
// and returns the operation it names for digest ("" when there is none).
func (s *customerSource) takeMutationLane(ctx context.Context, lane, digest string) (string, error) {
	for {
		var holder int64
		var resume, abandoned string
		err := s.d.Store.InTx(ctx, func(tx *sql.Tx) error {
			holder, resume, abandoned = 0, "", ""
			l, err := s.d.Store.LockBulkLane(ctx, tx, lane)
			if err != nil {
				return err
			}
			if l.JobID != 0 && l.JobID != s.jobID {
				rec, err := s.d.Store.Job(ctx, tx, l.JobID)
				if err == nil && !rec.Status.Terminal() {
					holder = l.JobID
					return nil
				}
			}
			opID, d, _ := strings.Cut(l.OperationID, " ")
			if l.JobID == s.jobID && opID != "" && d == digest {
				resume = opID
				return nil
			}
			abandoned = opID // another batch's, or an ended job's: nobody will read it
			return s.d.Store.SetBulkLane(ctx, tx, store.BulkLane{Shop: lane, JobID: s.jobID, UpdatedAt: s.d.Clock.Now()})
		})
		if err != nil {
			return "", fmt.Errorf("take the bulk mutation lane: %w", err)
		}
		if holder == 0 {
			if abandoned != "" {
				// Shopify runs one bulk mutation at a time: stop the old one.
				if err := s.d.Shopify.CancelBulk(ctx, abandoned); err != nil && ctx.Err() == nil {
					return "", fmt.Errorf("cancel abandoned bulk mutation %s: %w", abandoned, err)
				}
			}
			return resume, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-s.d.Clock.After(bulkMutationLaneWait):
		}
	}
}

// releaseMutationLane frees the lane if this job holds it.
func (s *customerSource) releaseMutationLane(ctx context.Context, lane string) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = s.d.Store.ReleaseBulkLane(wctx, s.d.Store.DB(), lane, s.jobID, s.d.Clock.Now())
}
