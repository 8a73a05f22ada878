package match

// Automatic matching pairs unmapped Nhanh records with Shopify records from
// the local mirrors and creates PENDING mappings for the pairs that are
// one-to-one on both sides. Both bodies read each mirror once, keep only
// compact keys in memory, and decide every Nhanh record in id order:
//
//	matched          -> mapping created (or, with dryRun, counted only): Succeeded
//	no key, no match -> Skipped, counted in metadata (noKey, noCandidate)
//	several matches  -> failed item naming them ("ambiguous")
//	shared match     -> failed item on each claimant ("conflicts")
//	target mapped    -> failed item naming the mapping in the way ("alreadyMapped")
//
// A rerun leaves mapped Nhanh records alone, so it needs no checkpoint: an
// interrupted run is simply started again. Since mapped Shopify records are
// not candidates, a rerun after mappings were made (by hand or by the run
// before) may pair a record whose other candidates have been taken since.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"syncops/clients/apierr"
	"syncops/engine"
	"syncops/store"
)

// mappingWriteBatch is how many mappings are created per transaction.
// SQLite writes every page a transaction dirtied once per commit, and new
// mappings land all over the unique index of Shopify ids: measured with
// 450,000 mappings, 1,000 per transaction took 17 s, 10,000 took 8 s and
// 50,000 took 6.5 s. A batch of this size holds the single writer for well
// under a second.
const mappingWriteBatch = 25_000

// matchParams are the parameters of both auto-match kinds.
type matchParams struct {
	DryRun bool `json:"dryRun"`
}

// matchTally counts the outcome of every Nhanh record considered.
type matchTally struct {
	matched       map[string]int64 // by match method
	noCandidate   int64
	noKey         int64
	ambiguous     int64
	conflicts     int64
	alreadyMapped int64
	created       int64
}

func newMatchTally() *matchTally { return &matchTally{matched: map[string]int64{}} }

// report writes the tally into the job's metadata under stable keys;
// methods names the match methods of the kind (each gets matchedBy<Method>).
func (t *matchTally) report(r *engine.Run, methods map[string]string) {
	for method, key := range methods {
		r.SetMeta(key, t.matched[method])
	}
	r.SetMeta("noCandidate", t.noCandidate)
	r.SetMeta("noKey", t.noKey)
	r.SetMeta("ambiguous", t.ambiguous)
	r.SetMeta("conflicts", t.conflicts)
	r.SetMeta("alreadyMapped", t.alreadyMapped)
	r.SetMeta("created", t.created)
}

// matchFailure records one Nhanh record an operator must look at.
func matchFailure(ctx context.Context, r *engine.Run, nhanhID int64, request, message string) error {
	return r.Fail(ctx, engine.Failure{Key: strconv.FormatInt(nhanhID, 10), Message: message,
		Class: apierr.ClassValidation, Request: request})
}

// mappingWriter creates mappings in batches, one transaction each, and
// counts them as they commit. With dryRun it only counts.
type mappingWriter[M any] struct {
	d       Deps
	r       *engine.Run
	tally   *matchTally
	dryRun  bool
	create  func(ctx context.Context, q store.Querier, ms []M, now time.Time) error
	nhanhID func(M) int64
	method  func(M) string
	pending []M
}

func (w *mappingWriter[M]) add(ctx context.Context, m M) error {
	w.pending = append(w.pending, m)
	if len(w.pending) >= mappingWriteBatch {
		return w.flush(ctx)
	}
	return nil
}

// flush writes the pending mappings.
func (w *mappingWriter[M]) flush(ctx context.Context) error {
	batch := w.pending
	w.pending = w.pending[:0]
	if len(batch) == 0 {
		return nil
	}
	if w.dryRun {
		w.counted(batch)
		return nil
	}
	return w.write(ctx, batch)
}

// write creates ms in one transaction. When they meet a mapping created
// meanwhile by someone else (an operator mapping by hand while the job ran),
// the halves are written apart until the mappings in the way are found;
// only those fail.
func (w *mappingWriter[M]) write(ctx context.Context, ms []M) error {
	now := w.d.Clock.Now()
	err := w.d.Store.InTx(ctx, func(tx *sql.Tx) error { return w.create(ctx, tx, ms, now) })
	switch {
	case err == nil:
		w.counted(ms)
		w.tally.created += int64(len(ms))
		return nil
	case !errors.Is(err, store.ErrConflict):
		return err
	case len(ms) > 1:
		half := len(ms) / 2
		if err := w.write(ctx, ms[:half]); err != nil {
			return err
		}
		return w.write(ctx, ms[half:])
	}
	w.tally.alreadyMapped++
	msg := "mapped meanwhile by someone else, so it was not matched automatically: " + err.Error()
	return matchFailure(ctx, w.r, w.nhanhID(ms[0]), "create mapping", msg)
}

func (w *mappingWriter[M]) counted(ms []M) {
	for _, m := range ms {
		w.tally.matched[w.method(m)]++
	}
	w.r.Succeeded(int64(len(ms)))
}

// listNamed joins up to maxNamed descriptions and says how many more there
// were: "a, b, c and 4 more".
func listNamed(names []string, total int) string {
	s := strings.Join(names, ", ")
	if more := total - len(names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// plural returns "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
