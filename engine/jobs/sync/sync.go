package sync

// The sync jobs write Nhanh's values to Shopify: each customer mapping's
// lifetime spend to the customer metafield custom.total_spent, each product
// mapping's available stock to Shopify inventory (per location). They share
// one driver (driver.go):
//
//	scope ──> SetTotal ──> [plan batch k+1 | write batch k+1 ] ──> ...
//	                        [record batch k + checkpoint      ]
//
// Mappings are taken in id order, a batch at a time; a batch is planned from
// the local mirror (or, for auto-sync products, from Nhanh's live stock),
// written to Shopify, then recorded on its mappings in the transaction of
// the checkpoint that moves the cursor past it. A resumed attempt starts
// after the last recorded batch; the writes are absolute values (and
// inventory writes carry idempotency keys), so a batch written again after
// a crash cannot double-apply.
//
// Every item ends as exactly one of: written (Succeeded), left alone as
// unchanged or deferred by a limit (Skipped), or a failed item whose key is
// the mapping id, so `syncops retry` and the RetryItems path write exactly
// those mappings again.

import (
	"context"
	"database/sql"
	"fmt"

	"syncops/engine"
	"syncops/store"
)

// customerSync writes custom.total_spent for the chosen customer mappings
// (param ids; default every mapped customer, whatever its status), from the
// local mirror of Nhanh customers, forced.
func (d Deps) customerSync(ctx context.Context, r *engine.Run) error {
	var p customerSyncParams
	if err := r.Params(&p); err != nil {
		return err
	}
	scope, err := syncScopeOf(ctx, r, p.IDs, mappedStatuses, syncForced)
	if err != nil {
		return err
	}
	st, err := resumeSync(r)
	if err != nil {
		return err
	}
	return d.runCustomerSync(ctx, r, d.newCustomerSource(r, scope, 0), scope, st, p.AcceptDrop, nil)
}

// productSync writes the available stock of the chosen product mappings
// (param ids; default every mapped product), read live from Nhanh at write
// time, forced.
func (d Deps) productSync(ctx context.Context, r *engine.Run) error {
	var p productSyncParams
	if err := r.Params(&p); err != nil {
		return err
	}
	scope, err := syncScopeOf(ctx, r, p.IDs, mappedStatuses, syncForced)
	if err != nil {
		return err
	}
	return d.runProductSync(ctx, r, scope, p.AcceptDrop)
}

// autoSyncCustomers is what the scheduler runs. It finds the customers
// whose spend may have changed two ways, into the mirror: those whose
// updatedAt moved since its watermark (edits of any field), and the buyers
// of the orders created or updated since its orders watermark, re-read by
// id (a customer's updatedAt is not known to move with its spend). With
// param reconcile it then reads Shopify's current metafields. Then it
// writes every mapped customer whose spend differs from Shopify's value
// (corrected whatever the threshold when Shopify's value drifted from the
// last write), or moved by at least the threshold since it was last
// written, or that was never written or is not SYNCED (PENDING and FAILED
// mappings included: the reference auto-synced only SYNCED ones, §14.11).
// It visits only the unsettled mappings (store.CustomerMapping
// InputVersion: the database marks every mapping whose inputs change, so
// no mirror writer can forget); the settled ones count as skipped, and
// metadata unchanged says how many.
// Param limit caps the writes; the drop brake may stop the run before it
// writes (param acceptDrop overrides). The watermarks move, when the run
// completes, to the newest source timestamps seen.
func (d Deps) autoSyncCustomers(ctx context.Context, r *engine.Run) error {
	var p customerSyncParams
	if err := r.Params(&p); err != nil {
		return err
	}
	threshold, err := d.customerThreshold(ctx)
	if err != nil {
		return err
	}
	scope, err := syncScopeOf(ctx, r, nil, mappedStatuses, syncChanged)
	if err != nil {
		return err
	}
	if r.RetryOf() == 0 { // a retry writes every failed item
		scope.pushLimit = p.Limit
		scope.unsettled = true
	}
	r.SetMeta("limit", limitMeta(p.Limit))
	r.SetMeta("thresholdVnd", threshold)
	st, err := resumeSync(r)
	if err != nil {
		return err
	}
	src := d.newCustomerSource(r, scope, threshold)
	if r.RetryOf() != 0 {
		// A retry writes the failed items from the mirror the original run
		// refreshed; it does not move the watermarks.
		return d.runCustomerSync(ctx, r, src, scope, st, p.AcceptDrop, nil)
	}
	if st.Phase == "" {
		st.Phase = phaseRefresh
		st.Spend.Reconcile = p.Reconcile
	}
	if st.Phase == phaseRefresh {
		if err := d.refreshNhanhCustomers(ctx, r, st); err != nil {
			return err
		}
	}
	if st.Phase == phaseOrders {
		if err := d.refreshSpendFromOrders(ctx, r, st); err != nil {
			return err
		}
		st.Phase = phaseSize
		if st.Spend.Reconcile {
			st.Phase = phaseReconcile
		}
	}
	if st.Phase == phaseReconcile {
		if err := d.reconcileShopifySpend(ctx, r, st); err != nil {
			return err
		}
	}
	return d.runCustomerSync(ctx, r, src, scope, st, p.AcceptDrop, func(ctx context.Context, tx *sql.Tx) error {
		return d.setSpendWatermarks(ctx, tx, st.Spend)
	})
}

// runCustomerSync runs a customer sync of scope, behind the drop brake:
// before the first write of a run (not on a resume past it) every write is
// planned and the run stops if too many drop sharply, unless acceptDrop.
func (d Deps) runCustomerSync(ctx context.Context, r *engine.Run, src *customerSource, scope syncScope, st *syncState,
	acceptDrop bool, finish func(ctx context.Context, tx *sql.Tx) error) error {
	if st.Phase != phasePush && st.Phase != phaseDone {
		if err := d.brakeCustomerSpend(ctx, r, src, scope, acceptDrop); err != nil {
			return err
		}
	}
	return d.runSync(ctx, r, src, scope, st, finish)
}

// autoSyncProducts reads the live stock of the mapped products from Nhanh
// (its updatedAt ignores stock changes, so the mirror cannot tell what
// moved) and Shopify's current levels, stores the stock in the mirror, and
// writes every location whose quantity differs from Shopify's (a restock on
// Shopify's side is corrected), and every mapping never written or not
// SYNCED. Param limit caps the writes.
func (d Deps) autoSyncProducts(ctx context.Context, r *engine.Run) error {
	var p productSyncParams
	if err := r.Params(&p); err != nil {
		return err
	}
	scope, err := syncScopeOf(ctx, r, nil, mappedStatuses, syncChanged)
	if err != nil {
		return err
	}
	if r.RetryOf() == 0 { // a retry writes every failed item
		scope.pushLimit = p.Limit
	}
	r.SetMeta("limit", limitMeta(p.Limit))
	return d.runProductSync(ctx, r, scope, p.AcceptDrop)
}

// retryFailedCustomers writes again the customer mappings whose last sync
// failed (param limit: the first that many), as a tracked job (the
// reference's retry had none, §6.12).
func (d Deps) retryFailedCustomers(ctx context.Context, r *engine.Run) error {
	var p customerSyncParams
	if err := r.Params(&p); err != nil {
		return err
	}
	scope, err := syncScopeOf(ctx, r, nil, []store.MappingStatus{store.MappingFailed}, syncForced)
	if err != nil {
		return err
	}
	if r.RetryOf() == 0 {
		scope.limit = p.Limit
	}
	r.SetMeta("limit", limitMeta(p.Limit))
	st, err := resumeSync(r)
	if err != nil {
		return err
	}
	return d.runCustomerSync(ctx, r, d.newCustomerSource(r, scope, 0), scope, st, p.AcceptDrop, nil)
}

// retryFailedProducts writes again the product mappings whose last sync
// failed (param limit: the first that many), from live stock.
func (d Deps) retryFailedProducts(ctx context.Context, r *engine.Run) error {
	var p productSyncParams
	if err := r.Params(&p); err != nil {
		return err
	}
	scope, err := syncScopeOf(ctx, r, nil, []store.MappingStatus{store.MappingFailed}, syncForced)
	if err != nil {
		return err
	}
	if r.RetryOf() == 0 {
		scope.limit = p.Limit
	}
	r.SetMeta("limit", limitMeta(p.Limit))
	return d.runProductSync(ctx, r, scope, p.AcceptDrop)
}

// runProductSync runs a product sync of scope: every batch reads Nhanh's
// live stock and Shopify's current levels at write time. Before the first
// write of a run (not on a resume past it) the drop brake plans every write
// and stops the run if too many quantities drop sharply, unless acceptDrop.
func (d Deps) runProductSync(ctx context.Context, r *engine.Run, scope syncScope, acceptDrop bool) error {
	st, err := resumeSync(r)
	if err != nil {
		return err
	}
	locs, err := d.planLocations(ctx)
	if err != nil {
		return err
	}
	activate, err := d.inventoryActivate(ctx)
	if err != nil {
		return err
	}
	r.SetMeta("syncMode", locs.mode)
	r.SetMeta("locations", locs.locationNames())
	src := d.newProductSource(r, scope, locs, activate)
	defer src.close()
	if st.Phase != phasePush && st.Phase != phaseDone {
		if err := d.brakeProductStock(ctx, r, src, scope, acceptDrop); err != nil {
			return err
		}
	}
	return d.runSync(ctx, r, src, scope, st, nil)
}

// productSyncParams are the parameters of the product sync kinds.
type productSyncParams struct {
	syncParams
	// AcceptDrop writes a run the drop brake would stop.
	AcceptDrop bool `json:"acceptDrop"`
}

// customerSyncParams are the parameters of the customer sync kinds.
type customerSyncParams struct {
	syncParams
	// AcceptDrop writes a run the drop brake would stop.
	AcceptDrop bool `json:"acceptDrop"`
	// Reconcile (auto-sync) reads Shopify's current metafields first.
	Reconcile bool `json:"reconcile"`
}

// resumeSync returns the checkpointed state, or a fresh one.
func resumeSync(r *engine.Run) (*syncState, error) {
	st := &syncState{}
	if _, err := r.Resume(st); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	return st, nil
}

// limitMeta shows a limit as the reference did: the number, or "all".
func limitMeta(limit int64) any {
	if limit <= 0 {
		return "all"
	}
	return limit
}
