package sync

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"syncops/clients/extid"
	"syncops/engine"
	"syncops/store"
)

// A preview (engine.DryRunParam) runs a sync's kind as it would run: the
// same scope, the same reads (the auto-syncs' refresh from Nhanh, live
// stock, Shopify's current levels), the same plan. Only the sink of each
// batch differs (previewBatch): instead of writing to Shopify and recording
// on the mappings, every item's planned write is kept in the job's diff,
// in the checkpoint that moves past its batch, so a resumed preview neither
// loses nor doubles a line. A preview moves no watermark and never takes a
// write lane; a customer auto-sync's refresh still updates the Nhanh
// mirror, as an incremental pull would, since the plan is made from it.

// dryRunSpec is the preview parameter of every sync kind.
var dryRunSpec = engine.ParamSpec{Name: engine.DryRunParam, Kind: engine.ParamBool,
	Help: "preview: compute every write and keep the diff (syncops diff JOB_ID), writing nothing"}

// deferredReason is the diff's reason for an item a limit deferred.
const deferredReason = "deferred: the run's limit of writes was reached; the next run takes it"

// diffLine is one value an item's write sets: the spend of a customer, or
// the stock of a product at one location. old is Shopify's current value
// when known (oldSource says where it came from).
type diffLine struct {
	location, locationName string
	old                    *int64
	oldSource              string
	new                    int64
	note                   string // why old is not known, when it matters
	skipped                string // why this location is not written ("": it is)
}

// previewBatch turns a planned batch into a preview of itself: its writes
// only settle their items, and recording keeps the diff instead of
// touching the mappings.
func (d Deps) previewBatch(jobID int64, b *syncBatch) {
	b.send = func(context.Context) error {
		for _, it := range b.items {
			if it.outcome == outcomePush {
				it.outcome = outcomeDone
			}
		}
		return nil
	}
	b.record = func(ctx context.Context, tx *sql.Tx, _ time.Time) error {
		rows := make([]store.DiffRow, 0, len(b.items))
		for _, it := range b.items {
			rows = append(rows, it.diffRows(jobID)...)
		}
		return d.Store.UpsertSyncDiffs(ctx, tx, rows)
	}
}

// diffRows are the item's lines of the diff as it settled.
func (it *syncItem) diffRows(jobID int64) []store.DiffRow {
	base := store.DiffRow{JobID: jobID, MappingID: it.mappingID, Name: it.name, NhanhID: it.nhanhID, ShopifyID: it.shopifyID}
	switch {
	case it.outcome == outcomeFail:
		base.Action, base.Reason = store.DiffFailed, it.message
		return []store.DiffRow{base}
	case it.deferred:
		base.Action, base.Reason = store.DiffSkipped, deferredReason
		return []store.DiffRow{base}
	}
	action := store.DiffWrite
	if it.outcome == outcomeSkip {
		action = store.DiffUnchanged
	}
	rows := make([]store.DiffRow, 0, len(it.lines))
	for _, l := range it.lines {
		r := base
		r.Action, r.Location, r.LocationName = action, l.location, l.locationName
		if l.skipped != "" {
			r.Action, r.Reason = store.DiffSkipped, "skipped: "+l.skipped
			r.New = nil
			rows = append(rows, r)
			continue
		}
		r.Old, r.OldSource, r.Reason = l.old, l.oldSource, l.note
		r.New = &l.new
		rows = append(rows, r)
	}
	return rows
}

// publishPreviewTotals sums up the diff into the job's metadata, in the
// transaction of the final checkpoint.
func (d Deps) publishPreviewTotals(ctx context.Context, r *engine.Run, tx *sql.Tx) error {
	t, err := d.Store.SyncDiffTotals(ctx, tx, store.DiffFilter{JobID: int64(r.ID())})
	if err != nil {
		return fmt.Errorf("sum up the preview: %w", err)
	}
	r.SetMeta("preview", map[string]any{"lines": t.Rows, "items": t.Items, "writes": t.Writes, "up": t.Up,
		"down": t.Down, "toZero": t.ToZero, "same": t.Same, "unknownOld": t.UnknownOld, "unchanged": t.Unchanged,
		"skipped": t.Skipped, "failed": t.Failed, "sumUp": t.SumUp, "sumDown": t.SumDown, "net": t.SumUp - t.SumDown})
	return nil
}

// lines are a product's lines of a preview's diff, a line per location:
// the quantity to write, over the one last written there until the
// preview reads Shopify's (readCurrentLevels).
func (p locationPlan) lines(q, lastWritten map[extid.ShopifyLocationGID]int64) []diffLine {
	out := make([]diffLine, 0, len(p.locations))
	for _, loc := range p.locations {
		l := diffLine{location: string(loc), locationName: p.names[loc], new: q[loc]}
		if last, ok := lastWritten[loc]; ok {
			l.old, l.oldSource = &last, engine.OldFromLastWrite
		}
		out = append(out, l)
	}
	return out
}
