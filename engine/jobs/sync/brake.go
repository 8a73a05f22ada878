package sync

import (
	"context"
	"fmt"

	"syncops/engine"
	"syncops/store"
)

// The drop brake (issue 11 item 7): bad data at the source (a data set
// whose totals collapse, an export that lost a column) shows as many values
// falling at once. A sync that would lower a large share of what it writes
// sharply stops before its first write, FAILED with the counts, unless the
// operator started it with acceptDrop (the job's parameters are audited with
// its start).
//
// It guards both sides: customer spend (a value per customer) and stock (a
// value per item and location). The caller plans every write of the run
// first (valueChange per planned write: the value Shopify holds or was last
// given, and the value to write) and asks applyBrake.

// Defaults of the drop brake.
const (
	// DefaultDropShare is the share of a run's writes that may drop sharply
	// before the run is stopped: 20%.
	DefaultDropShare = 0.2
	// brakeMinDrops is the fewest sharp drops that can stop a run: one
	// customer returning their only order is a sharp drop, and a run that
	// writes a handful of values should not need acceptDrop for it.
	brakeMinDrops = 5
)

// acceptDropParam lets an operator write a run that the brake would stop.
const acceptDropParam = "acceptDrop"

// valueChange is one planned write: the value the other side holds now (or
// was last given), when known, and the value to write.
type valueChange struct {
	old   int64
	known bool // old is known; an unknown old value cannot drop
	new   int64
}

// sharpDrop reports whether the change lowers a positive value by more
// than half, or to 0 (or below).
func (c valueChange) sharpDrop() bool {
	if !c.known || c.old <= 0 {
		return false
	}
	return c.new <= 0 || c.new*2 < c.old
}

// dropCounts is what the brake counted over a run's planned writes.
type dropCounts struct {
	Writes int // planned writes
	Drops  int // of which drop sharply
	ToZero int // of which drop to 0
}

// checkDrops counts the sharp drops among changes and returns a
// *dropBrakeError when they exceed share of the writes (and number at
// least brakeMinDrops).
func checkDrops(changes []valueChange, share float64, what string) (dropCounts, error) {
	c := dropCounts{Writes: len(changes)}
	for _, ch := range changes {
		if ch.sharpDrop() {
			c.Drops++
			if ch.new <= 0 {
				c.ToZero++
			}
		}
	}
	if c.Drops >= brakeMinDrops && float64(c.Drops) > share*float64(c.Writes) {
		return c, &dropBrakeError{What: what, Counts: c, Share: share}
	}
	return c, nil
}

// dropBrakeError stops a run whose writes would drop too many values.
type dropBrakeError struct {
	What   string // what the values are ("customer spend")
	Counts dropCounts
	Share  float64
}

func (e *dropBrakeError) Error() string {
	return fmt.Sprintf("drop brake: %d of the %d %s values this run would write drop by more than half (%d of them to 0), "+
		"over the %.0f%% allowed; nothing was written. Check the Nhanh data; if the drop is real, start the job again with %s=true",
		e.Counts.Drops, e.Counts.Writes, e.What, e.Counts.ToZero, e.Share*100, acceptDropParam)
}

// applyBrake checks the run's planned changes and records what the brake
// counted in the job's metadata (dropBrake). It returns the
// *dropBrakeError that stops the run, or nil: nothing dropped too much, the
// operator accepted the drop (logged, and audited with the job's start
// parameters), or the run is a preview (which reports wouldStop and goes on
// to its diff).
func (d Deps) applyBrake(ctx context.Context, r *engine.Run, changes []valueChange, what string, accept bool) error {
	share, err := d.dropShare(ctx)
	if err != nil {
		return err
	}
	counts, err := checkDrops(changes, share, what)
	meta := map[string]any{"what": what, "writes": counts.Writes, "drops": counts.Drops, "toZero": counts.ToZero,
		"share": share}
	if r.DryRun() {
		meta["wouldStop"] = err != nil && !accept
		r.SetMeta("dropBrake", meta)
		return nil
	}
	meta["accepted"] = accept && err != nil
	r.SetMeta("dropBrake", meta)
	if err != nil && accept {
		r.Logger().WarnContext(ctx, "drop brake overridden by acceptDrop", "what", what, "drops", counts.Drops, "writes", counts.Writes)
		return nil
	}
	return err
}

// planChanges plans every batch of scope as the push would (the same
// cursor, the same push limit) and returns the value changes of every
// planned write: what the drop brake weighs before the first write.
func planChanges[P any](ctx context.Context, d Deps, kind store.MappingKind, scope syncScope,
	plan func(context.Context, batchCursor) (*syncBatch, []P, error), changesOf func(P) []valueChange) ([]valueChange, error) {
	size, err := d.sizeScope(ctx, kind, scope)
	if err != nil {
		return nil, err
	}
	cur := batchCursor{upToID: size.upTo, pushBudget: -1}
	if scope.pushLimit > 0 {
		cur.pushBudget = scope.pushLimit
	}
	var changes []valueChange
	for {
		b, pushes, err := plan(ctx, cur)
		if err != nil {
			return nil, fmt.Errorf("drop brake: plan: %w", err)
		}
		if b == nil {
			return changes, nil
		}
		cur.afterID = b.lastID
		if cur.pushBudget >= 0 {
			cur.pushBudget -= b.pushes
		}
		for _, p := range pushes {
			changes = append(changes, changesOf(p)...)
		}
	}
}
