package sync

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"syncops/clients/apierr"
	"syncops/engine"
	"syncops/store"
)

// mappedStatuses are the statuses of mappings that have a Shopify side.
var mappedStatuses = []store.MappingStatus{store.MappingPending, store.MappingSynced, store.MappingFailed}

// syncScope says which mappings a sync job works on.
type syncScope struct {
	// ids are explicit mapping ids, sorted and unique; nil means every
	// mapping in one of statuses.
	ids      []int64
	statuses []store.MappingStatus
	// limit caps the mappings in scope (the first ones in id order); 0 = all.
	limit int64
	// pushLimit caps the writes; mappings that need one past it are skipped
	// as deferred and picked up by the next run. 0 = no cap.
	pushLimit int64
	mode      syncMode
	// unsettled narrows statuses to the mappings whose write may differ
	// from their last (store.MappingFilter Unsettled): a customer auto-sync
	// passes the settled ones by, counted as skipped when the scope is
	// sized. Customers only.
	unsettled bool
}

// syncParams are the parameters every sync kind may take.
type syncParams struct {
	IDs   []int64 `json:"ids"`
	Limit int64   `json:"limit"`
}

// syncScopeOf builds a job's scope: the failed items of the job it retries,
// else the given ids, else every mapping in statuses.
func syncScopeOf(ctx context.Context, r *engine.Run, ids []int64, statuses []store.MappingStatus, mode syncMode) (syncScope, error) {
	scope := syncScope{statuses: statuses, mode: mode}
	if r.RetryOf() != 0 {
		keys, err := r.RetryKeys(ctx)
		if err != nil {
			return scope, fmt.Errorf("read the failed items of job %d: %w", r.RetryOf(), err)
		}
		ids = ids[:0:0]
		for _, k := range keys {
			id, err := strconv.ParseInt(k, 10, 64)
			if err != nil || id <= 0 {
				return scope, fmt.Errorf("job %d has a failed item %q that is not a mapping id", r.RetryOf(), k)
			}
			ids = append(ids, id)
		}
		// A retry writes exactly the items that failed, whatever their state.
		scope.mode = syncForced
		scope.ids = sortedUnique(ids)
		if scope.ids == nil {
			scope.ids = []int64{}
		}
		return scope, nil
	}
	if len(ids) > 0 {
		scope.ids = sortedUnique(ids)
	}
	return scope, nil
}

func sortedUnique(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// scopeSize is a scope as sizing found it.
type scopeSize struct {
	// total counts the mappings in scope; upTo is the highest id the run
	// covers, so mappings created meanwhile neither join nor push processed
	// past total.
	total, upTo int64
	// passed counts the settled mappings of total an unsettled scope passes
	// by: their inputs did not change since they were last written.
	passed int64
}

// visited is how many mappings of the scope are read and planned.
func (z scopeSize) visited() int64 { return z.total - z.passed }

// sizeScope counts the mappings in scope.
func (d Deps) sizeScope(ctx context.Context, kind store.MappingKind, scope syncScope) (scopeSize, error) {
	if scope.ids != nil {
		if len(scope.ids) == 0 {
			return scopeSize{}, nil
		}
		return scopeSize{total: int64(len(scope.ids)), upTo: scope.ids[len(scope.ids)-1]}, nil
	}
	n, maxID, err := d.Store.CountMappings(ctx, d.Store.DB(), kind, scope.statuses)
	if err != nil {
		return scopeSize{}, err
	}
	switch {
	case scope.unsettled:
		unsettled, err := d.Store.CountUnsettledCustomerMappings(ctx, d.Store.DB(), maxID)
		if err != nil {
			return scopeSize{}, err
		}
		return scopeSize{total: n, upTo: maxID, passed: max(n-unsettled, 0)}, nil
	case scope.limit > 0 && n > scope.limit:
		upTo, err := d.Store.NthMappingID(ctx, d.Store.DB(), kind, scope.statuses, scope.limit)
		return scopeSize{total: scope.limit, upTo: upTo}, err
	}
	return scopeSize{total: n, upTo: maxID}, nil
}

// mappingPage lists the next mappings of scope after afterID. With explicit
// ids it takes the next size ids and also returns those that no longer
// exist; otherwise it lists up to size mappings in scope.statuses (or
// unsettled) with ids up to upTo. lastID is 0 when nothing is left. list reads through q.
func mappingPage[M any](ctx context.Context, q store.Querier, scope syncScope, afterID, upTo int64, size int,
	list func(context.Context, store.Querier, store.MappingFilter) ([]M, error), idOf func(M) int64) (found []M, missing []int64, lastID int64, err error) {
	if scope.ids != nil {
		start := searchAfter(scope.ids, afterID)
		ids := scope.ids[start:min(start+size, len(scope.ids))]
		if len(ids) == 0 {
			return nil, nil, 0, nil
		}
		found, err = list(ctx, q, store.MappingFilter{IDs: ids})
		if err != nil {
			return nil, nil, 0, err
		}
		have := make(map[int64]bool, len(found))
		for _, m := range found {
			have[idOf(m)] = true
		}
		for _, id := range ids {
			if !have[id] {
				missing = append(missing, id)
			}
		}
		return found, missing, ids[len(ids)-1], nil
	}
	if afterID >= upTo {
		return nil, nil, 0, nil
	}
	f := store.MappingFilter{Statuses: scope.statuses, AfterID: afterID, Limit: size}
	if scope.unsettled {
		f.Statuses, f.Unsettled = nil, true
	}
	page, err := list(ctx, q, f)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, m := range page {
		if idOf(m) > upTo {
			break
		}
		found = append(found, m)
	}
	if len(found) == 0 {
		return nil, nil, 0, nil
	}
	return found, nil, idOf(found[len(found)-1]), nil
}

// searchAfter returns the index of the first id above afterID in sorted ids.
func searchAfter(ids []int64, afterID int64) int {
	lo, hi := 0, len(ids)
	for lo < hi {
		mid := (lo + hi) / 2
		if ids[mid] <= afterID {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// missingItem is an explicit mapping id that no longer exists.
func missingItem(kind store.MappingKind, id int64) *syncItem {
	it := &syncItem{mappingID: id, name: fmt.Sprintf("%s mapping %d", kind, id)}
	it.failFound(fmt.Sprintf("%s mapping %d does not exist (deleted since?): nothing written", kind, id), apierr.ClassNotFound)
	return it
}
