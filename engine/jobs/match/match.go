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
// Resuming. The outcomes are written in batches of Nhanh records in id
// order, each batch's mappings, failed items, counters, metadata and
// checkpoint ("every record up to id N is decided") in one transaction
// (engine.Run.CheckpointTx), so an attempt that ends (its time budget, a
// shutdown, a crash) leaves either all of a batch or none of it. A batch
// commits on its own goroutine while the next is decided, one commit at a
// time and in order (batchWriter.start). The next
// attempt of the same job reads the mirrors again and decides again, but
// takes the mappings the job itself created as not made yet (they record
// the job that made them): with the mirrors unchanged it reaches exactly the
// decisions of the attempt before, skips the records up to the checkpoint,
// and ends with the counters and failed items of an uninterrupted run. Every
// record is decided once, by the attempt that commits its batch:
//   - a mapping created by an earlier attempt is counted once, by the batch
//     that created it, and never found "in the way" later;
//   - a failed item is written with its batch, so an attempt that ends
//     before committing leaves none behind; the attempt that redoes the
//     batch decides the record again (it may pair it, if a mirror changed
//     meanwhile) and only its decision is kept;
//   - if a mirror changed between attempts, records after the checkpoint
//     are decided on the new data, those before it keep their outcome.
//
// A new job (a rerun) is different: it leaves mapped Nhanh records alone,
// and since mapped Shopify records are not candidates, it may pair a record
// whose other candidates have been taken since.
//
// Conflicts are found in memory: matching has read every mapping, so a pair
// it decides has both sides free. The unique constraints remain the safety
// net against a mapping made meanwhile by someone else; a batch they refuse
// is written again with the mappings in the way looked up and named.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"syncops/clients/apierr"
	"syncops/engine"
	"syncops/store"
)

// matchBatch is how many Nhanh records are decided per checkpoint. SQLite
// writes every page a transaction dirtied once per commit, and new mappings
// land all over the unique index of Shopify ids, so fewer, larger batches
// write less; a batch of this size still commits in well under a second on
// either database, so an attempt's time budget is never overrun by much.
const matchBatch = 50_000

// matchParams are the parameters of both auto-match kinds.
type matchParams struct {
	DryRun bool `json:"dryRun"`
}

func (p *matchParams) dryRun() bool { return p.DryRun }

// matchState is an auto-match checkpoint.
type matchState struct {
	// Done is the id of the last Nhanh record decided: every record up to it
	// has its outcome committed.
	Done int64 `json:"done"`
	// Tally is the outcome so far.
	Tally matchTally `json:"tally"`
}

// matchTally counts the outcome of every Nhanh record considered.
type matchTally struct {
	Matched       map[string]int64 `json:"matched"` // by match method
	NoCandidate   int64            `json:"noCandidate"`
	NoKey         int64            `json:"noKey"`
	Ambiguous     int64            `json:"ambiguous"`
	Conflicts     int64            `json:"conflicts"`
	AlreadyMapped int64            `json:"alreadyMapped"`
	Created       int64            `json:"created"`
}

// report writes the tally into the job's metadata under stable keys;
// methods names the match methods of the kind (each gets matchedBy<Method>).
func (t *matchTally) report(r *engine.Run, methods map[string]string) {
	for method, key := range methods {
		r.SetMeta(key, t.Matched[method])
	}
	r.SetMeta("noCandidate", t.NoCandidate)
	r.SetMeta("noKey", t.NoKey)
	r.SetMeta("ambiguous", t.Ambiguous)
	r.SetMeta("conflicts", t.Conflicts)
	r.SetMeta("alreadyMapped", t.AlreadyMapped)
	r.SetMeta("created", t.Created)
}

func (t matchTally) clone() matchTally {
	c := t
	c.Matched = make(map[string]int64, len(t.Matched))
	for k, v := range t.Matched {
		c.Matched[k] = v
	}
	return c
}

// startMatch reads an auto-match run's parameters into params and returns
// its checkpoint, and whether it resumes one.
func startMatch(r *engine.Run, params interface{ dryRun() bool }) (matchState, bool, error) {
	if err := r.Params(params); err != nil {
		return matchState{}, false, err
	}
	r.SetMeta("dryRun", params.dryRun())
	var state matchState
	resumed, err := r.Resume(&state)
	if err != nil {
		return state, false, err
	}
	if state.Tally.Matched == nil {
		state.Tally.Matched = map[string]int64{}
	}
	return state, resumed, nil
}

// matchFailure is the failed item of one Nhanh record an operator must
// look at.
func matchFailure(nhanhID int64, request, message string) engine.Failure {
	return engine.Failure{Key: strconv.FormatInt(nhanhID, 10), Message: message,
		Class: apierr.ClassValidation, Request: request}
}

// batchWriter commits the outcome of a batch of Nhanh records with a
// checkpoint. M is the mapping type.
type batchWriter[M any] struct {
	r     *engine.Run
	store *store.Store
	kind  store.MappingKind
	// hadReason are the records with a reason from an earlier run: the
	// only ones whose reason a new mapping must clear.
	hadReason map[int64]bool
	dryRun    bool
	methods   map[string]string
	state     *matchState
	// insert writes mappings the match saw free (a refusal leaves tx to
	// roll back); inTheWay finds the stored mappings that refused them.
	insert   func(ctx context.Context, tx *sql.Tx, ms []M) error
	inTheWay func(ctx context.Context, q store.Querier, ms []M) ([]M, error)
	nhanhID  func(M) int64
	method   func(M) string
	// describeWay says why m cannot be created because of mapping way.
	describeWay func(m, way M) string
	// checkpointed, when set, is called after each batch commits.
	checkpointed func(ctx context.Context, done int64)
	// committing answers the commit of the batch started last, if any.
	committing chan error
}

// batch is the outcome of one batch of Nhanh records.
type batch[M any] struct {
	last     int64 // the last Nhanh id decided
	mappings []M
	failures []engine.Failure
	// reasons say why each record left unmatched was (kept for the mapping
	// list until the next match decides the record again).
	reasons []store.MatchReason
	skipped int64
	tally   matchTally // the batch's own counts (no Matched, no Created: counted as written)
}

// start commits b on another goroutine once the batch started before it
// has committed, and returns that batch's error. The commits stay in order,
// one at a time; the next batch is decided and prepared (Go work) while
// this one is written (the database's work, on the write connection), so
// the two overlap. wait must follow the last start.
func (w *batchWriter[M]) start(ctx context.Context, b *batch[M]) error {
	if err := w.wait(); err != nil {
		return err
	}
	done := make(chan error, 1)
	w.committing = done
	go func() { done <- w.commit(ctx, b) }()
	return nil
}

// wait waits for the commit started last and returns its error.
func (w *batchWriter[M]) wait() error {
	if w.committing == nil {
		return nil
	}
	err := <-w.committing
	w.committing = nil
	return err
}

// commit writes b with its checkpoint. When the unique constraints refuse
// the mappings (a mapping made meanwhile by someone else), the transaction
// is rolled back and the batch written again with the mappings in the way
// looked up: only the records they block fail, saying which mapping blocks.
func (w *batchWriter[M]) commit(ctx context.Context, b *batch[M]) error {
	err := w.commitChecked(ctx, b, false)
	if errors.Is(err, store.ErrConflict) {
		err = w.commitChecked(ctx, b, true)
	}
	if err != nil {
		return err
	}
	if w.checkpointed != nil {
		w.checkpointed(ctx, b.last)
	}
	return nil
}

func (w *batchWriter[M]) commitChecked(ctx context.Context, b *batch[M], lookUp bool) error {
	state := &matchState{Done: b.last}
	return w.r.CheckpointTx(ctx, state, func(tx *sql.Tx, t *engine.Tally) error {
		tally := w.state.Tally.clone()
		addTally(&tally, b.tally)
		mappings, failures := b.mappings, b.failures
		if !w.dryRun && lookUp {
			var blocked []engine.Failure
			var err error
			mappings, blocked, err = w.setAsideBlocked(ctx, tx, mappings)
			if err != nil {
				return err
			}
			tally.AlreadyMapped += int64(len(blocked))
			failures = append(append([]engine.Failure(nil), failures...), blocked...)
		}
		if !w.dryRun && len(mappings) > 0 {
			if err := w.insert(ctx, tx, mappings); err != nil {
				return err
			}
			tally.Created += int64(len(mappings))
		}
		if !w.dryRun {
			if err := w.saveReasons(ctx, tx, b.reasons, failures[len(b.failures):], mappings); err != nil {
				return err
			}
		}
		for _, m := range mappings {
			tally.Matched[w.method(m)]++
		}
		if err := t.FailAll(failures); err != nil {
			return err
		}
		t.Succeeded(int64(len(mappings)))
		t.Skipped(b.skipped)
		state.Tally = tally
		tally.report(w.r, w.methods)
		w.state.Done, w.state.Tally = state.Done, tally
		return nil
	})
}

// saveReasons stores why the batch's unmatched records were not matched
// (the records that mappings made meanwhile blocked among them) and drops
// the stale reasons of the records it mapped.
func (w *batchWriter[M]) saveReasons(ctx context.Context, tx *sql.Tx, reasons []store.MatchReason, blocked []engine.Failure, mapped []M) error {
	s := w.store
	now := w.r.Clock().Now()
	for _, f := range blocked {
		id, _ := strconv.ParseInt(f.Key, 10, 64)
		reasons = append(reasons, store.MatchReason{NhanhID: id, Code: engine.ReasonTargetMapped, Message: f.Message})
	}
	for i := range reasons {
		reasons[i].JobID, reasons[i].At = int64(w.r.ID()), now
	}
	if err := s.SaveMatchReasons(ctx, tx, w.kind, reasons); err != nil {
		return err
	}
	var ids []int64
	for _, m := range mapped {
		if id := w.nhanhID(m); w.hadReason[id] {
			ids = append(ids, id)
		}
	}
	return s.ClearMatchReasons(ctx, tx, w.kind, ids)
}

// reasonOf is the match reason of an unmatched record: its failed item's
// message (or msg when it has none) and the code of its verdict.
func reasonOf(nhanhID int64, kind verdictKind, msg string, candidates []string) store.MatchReason {
	code := engine.ReasonNoCandidate
	switch kind {
	case verdictAmbiguous:
		code = engine.ReasonAmbiguous
	case verdictConflict:
		code = engine.ReasonConflict
	case verdictTakenAlready, verdictPaired: // paired: taken by an earlier attempt
		code = engine.ReasonTargetMapped
	}
	return store.MatchReason{NhanhID: nhanhID, Code: code, Message: msg, Candidates: candidates}
}

// saveUnkeyedReasons stores the reasons of records matching never
// considered (no key, not a sellable unit), in their own transaction: they
// do not depend on the batches, and storing them again is harmless.
func saveUnkeyedReasons(ctx context.Context, s *store.Store, r *engine.Run, kind store.MappingKind, reasons []store.MatchReason, dryRun bool) error {
	if dryRun || len(reasons) == 0 {
		return nil
	}
	now := r.Clock().Now()
	for i := range reasons {
		reasons[i].JobID, reasons[i].At = int64(r.ID()), now
	}
	return s.InTx(ctx, func(tx *sql.Tx) error { return s.SaveMatchReasons(ctx, tx, kind, reasons) })
}

// setAsideBlocked splits ms into those still free and failures for those a
// stored mapping blocks.
func (w *batchWriter[M]) setAsideBlocked(ctx context.Context, q store.Querier, ms []M) ([]M, []engine.Failure, error) {
	way, err := w.inTheWay(ctx, q, ms)
	if err != nil {
		return nil, nil, err
	}
	var free []M
	var blocked []engine.Failure
	for _, m := range ms {
		var reasons []string
		for _, o := range way {
			if why := w.describeWay(m, o); why != "" {
				reasons = append(reasons, why)
			}
		}
		if len(reasons) == 0 {
			free = append(free, m)
			continue
		}
		msg := "mapped meanwhile by someone else, so it was not matched automatically: " + strings.Join(reasons, "; ")
		blocked = append(blocked, matchFailure(w.nhanhID(m), "create mapping", msg))
	}
	return free, blocked, nil
}

// timeUp returns the context's error once it is done: the attempt's time
// is up (or the job is stopping), and the next attempt continues from the
// checkpoint. It asks Done, not Err, which a fake clock's context answers
// only once done.
func timeUp(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	default:
		return nil
	}
}

func addTally(t *matchTally, b matchTally) {
	t.NoCandidate += b.NoCandidate
	t.NoKey += b.NoKey
	t.Ambiguous += b.Ambiguous
	t.Conflicts += b.Conflicts
	t.AlreadyMapped += b.AlreadyMapped
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
