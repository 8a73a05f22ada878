package sync

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"syncops/clients/apierr"
	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs/mirror"
	"syncops/store"
)

// The customer metafield a sync writes (reference §8.1).
const (
	totalSpentNamespace = "custom"
	totalSpentKey       = "total_spent"
	totalSpentType      = "number_integer"
)

// autoSyncCustomersWatermark is the Nhanh updatedAt (unix seconds) up to
// which an auto-sync has read changed customers.
const autoSyncCustomersWatermark = "autosync:nhanh_customers"

// roundSpend turns Nhanh's lifetime spend into the integer Shopify stores:
// to the nearest VND, halves away from zero, as dataset.Truth's
// ExpectedTotalSpent (the reference rounded for the same reason: Shopify
// refuses decimals in a number_integer).
func roundSpend(v float64) int64 { return int64(math.Round(v)) }

// customerSource plans batches of customer mappings.
type customerSource struct {
	d         Deps
	jobID     int64
	scope     syncScope
	threshold int64 // syncChanged: smallest change of spend worth a write
	// writes bounds the job's metafieldsSet calls in flight, across the
	// batch being written and the next one, which starts while the last
	// calls of the first are still out.
	writes *semaphore.Weighted
}

func (d Deps) newCustomerSource(r *engine.Run, scope syncScope, threshold int64) *customerSource {
	return &customerSource{d: d, jobID: int64(r.ID()), scope: scope, threshold: threshold,
		writes: semaphore.NewWeighted(shopifyWriteConcurrency)}
}

func (s *customerSource) kind() store.MappingKind { return store.MappingKindCustomer }
func (s *customerSource) batchSize() int          { return customerBatchSize }

// customerPush is one planned metafield write.
type customerPush struct {
	item  *syncItem
	nhanh extid.NhanhCustomerID
	owner extid.ShopifyCustomerGID
	value int64
}

func (s *customerSource) nextBatch(ctx context.Context, cur batchCursor) (*syncBatch, error) {
	ms, missing, lastID, err := mappingPage(ctx, s.d.Store.Reader(), s.scope, cur.afterID, cur.upToID, customerBatchSize,
		s.d.Store.CustomerMappings, func(m store.CustomerMapping) int64 { return m.ID })
	if err != nil || lastID == 0 {
		return nil, err
	}
	nhanhIDs := make([]extid.NhanhCustomerID, 0, len(ms))
	shopifyIDs := make([]extid.ShopifyCustomerGID, 0, len(ms))
	for _, m := range ms {
		nhanhIDs = append(nhanhIDs, m.NhanhID)
		if m.ShopifyID != "" {
			shopifyIDs = append(shopifyIDs, m.ShopifyID)
		}
	}
	nhanhRows, err := s.d.Store.NhanhCustomerSpends(ctx, s.d.Store.DB(), nhanhIDs)
	if err != nil {
		return nil, err
	}
	gone, err := s.d.Store.DeletedShopifyCustomers(ctx, s.d.Store.DB(), shopifyIDs)
	if err != nil {
		return nil, err
	}
	b := &syncBatch{lastID: lastID}
	for _, id := range missing {
		b.items = append(b.items, missingItem(store.MappingKindCustomer, id))
	}
	var pushes []*customerPush
	budget := cur.pushBudget
	for _, m := range ms {
		it, push := s.plan(m, nhanhRows, gone, &budget)
		b.items = append(b.items, it)
		if push != nil {
			pushes = append(pushes, push)
		}
	}
	slices.SortFunc(b.items, func(x, y *syncItem) int { return cmp.Compare(x.mappingID, y.mappingID) })
	b.pushes = int64(len(pushes))
	b.send = func(ctx context.Context) error { return s.send(ctx, pushes) }
	b.record = func(ctx context.Context, tx *sql.Tx, at time.Time) error {
		return s.record(ctx, tx, b.items, pushes, at)
	}
	return b, nil
}

// plan decides what to do with one mapping.
func (s *customerSource) plan(m store.CustomerMapping, nhanhRows map[extid.NhanhCustomerID]store.NhanhCustomerSpend,
	gone map[extid.ShopifyCustomerGID]bool, budget *int64) (*syncItem, *customerPush) {
	it := &syncItem{mappingID: m.ID, name: fmt.Sprintf("Nhanh customer %d", m.NhanhID), recordable: m.ShopifyID != ""}
	row, inMirror := nhanhRows[m.NhanhID]
	if inMirror && row.Name != "" {
		it.name = row.Name
	}
	who := fmt.Sprintf("%s (Nhanh customer %d)", it.name, m.NhanhID)
	switch {
	case m.ShopifyID == "":
		it.failFound(fmt.Sprintf("%s: mapping %d has no Shopify customer: map it first; nothing written", who, m.ID), apierr.ClassValidation)
		return it, nil
	case !inMirror:
		it.failFound(fmt.Sprintf("Nhanh customer %d is not in the local mirror: pull Nhanh customers; nothing written", m.NhanhID), apierr.ClassNotFound)
		return it, nil
	case row.Deleted:
		it.failFound(fmt.Sprintf("%s was deleted in Nhanh: nothing written; delete mapping %d if the customer is gone for good", who, m.ID), apierr.ClassNotFound)
		return it, nil
	case gone[m.ShopifyID]:
		it.failFound(fmt.Sprintf("%s: Shopify customer %s was deleted in Shopify (per the last pull): nothing written; remap or delete mapping %d",
			who, m.ShopifyID, m.ID), apierr.ClassNotFound)
		return it, nil
	}
	value := roundSpend(row.TotalAmount)
	it.request = fmt.Sprintf("metafieldsSet owner=%s %s.%s=%d", m.ShopifyID, totalSpentNamespace, totalSpentKey, value)
	if s.scope.mode == syncChanged && m.Status == store.MappingSynced && m.LastSyncedValue != nil {
		diff := value - *m.LastSyncedValue
		if diff < 0 {
			diff = -diff
		}
		if diff == 0 || diff < s.threshold {
			it.outcome = outcomeSkip
			return it, nil
		}
	}
	if *budget == 0 {
		it.outcome, it.deferred = outcomeSkip, true
		return it, nil
	}
	if *budget > 0 {
		*budget--
	}
	return it, &customerPush{item: it, nhanh: m.NhanhID, owner: m.ShopifyID, value: value}
}

// send writes the batch's metafields, shopify.MaxMetafieldsPerCall per
// call, several calls at once (bounded by s.writes, shared with the next
// batch). An auth failure or a cancellation stops every call of the batch
// and is returned; any other failure fails the items of its call.
func (s *customerSource) send(ctx context.Context, pushes []*customerPush) error {
	g, gctx := errgroup.WithContext(ctx)
	for chunk := range slices.Chunk(pushes, shopify.MaxMetafieldsPerCall) {
		if s.writes.Acquire(gctx, 1) != nil {
			break // a call failed for good, or the job stops: start no more
		}
		g.Go(func() error {
			defer s.writes.Release(1)
			return s.sendChunk(gctx, chunk)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// sendChunk writes one call's metafields and settles their items; it
// returns only an error that must stop the job (auth, cancellation).
func (s *customerSource) sendChunk(ctx context.Context, chunk []*customerPush) error {
	inputs := make([]shopify.MetafieldInput, len(chunk))
	for k, p := range chunk {
		inputs[k] = shopify.MetafieldInput{OwnerID: string(p.owner), Namespace: totalSpentNamespace,
			Key: totalSpentKey, Type: totalSpentType, Value: strconv.FormatInt(p.value, 10)}
	}
	results, err := s.d.Shopify.SetMetafields(ctx, inputs)
	if c := apierr.ClassOf(err); c == apierr.ClassAuth || c == apierr.ClassCanceled {
		return err
	}
	for k, p := range chunk {
		if k < len(results) && results[k].Err == nil {
			p.item.outcome = outcomeDone
			continue
		}
		itemErr := err
		if k < len(results) {
			itemErr = results[k].Err
		}
		p.item.fail(fmt.Sprintf("%s (Nhanh customer %d, Shopify %s): writing %s.%s=%d failed: %v",
			p.item.name, p.nhanh, p.owner, totalSpentNamespace, totalSpentKey, p.value, itemErr), itemErr)
	}
	return nil
}

// record stores each settled mapping: the value written, or why not.
func (s *customerSource) record(ctx context.Context, tx *sql.Tx, items []*syncItem, pushes []*customerPush, at time.Time) error {
	values := make(map[*syncItem]int64, len(pushes))
	for _, p := range pushes {
		values[p.item] = p.value
	}
	for _, it := range items {
		var err error
		switch {
		case it.outcome == outcomeDone:
			err = s.d.Store.RecordCustomerSync(ctx, tx, it.mappingID, values[it], at, s.jobID)
		case it.outcome == outcomeFail && it.recordable:
			err = s.d.Store.RecordCustomerSyncFailure(ctx, tx, it.mappingID, it.message, at, s.jobID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// customerThreshold reads the auto-sync threshold setting.
func (d Deps) customerThreshold(ctx context.Context) (int64, error) {
	text, ok, err := d.Store.Setting(ctx, d.Store.Reader(), SettingCustomerThreshold)
	if err != nil {
		return 0, err
	}
	if !ok || text == "" {
		return DefaultCustomerThreshold, nil
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("setting %s is %q, not a whole number of VND >= 0: fix it (default %d)",
			SettingCustomerThreshold, text, DefaultCustomerThreshold)
	}
	return v, nil
}

// refreshNhanhCustomers reads the Nhanh customers changed since the
// auto-sync watermark (less mirror.ChangeOverlap) into the mirror, a page per
// checkpoint. Without a watermark it starts at the newest updatedAt the
// mirror holds, so a first auto-sync after a full pull reads only what
// changed since; with an empty mirror it reads everything.
func (d Deps) refreshNhanhCustomers(ctx context.Context, r *engine.Run, st *syncState) error {
	if st.Refresh == nil {
		mark, ok, err := d.Store.Watermark(ctx, d.Store.DB(), autoSyncCustomersWatermark)
		if err != nil {
			return err
		}
		if !ok {
			if mark, err = d.Store.NewestNhanhCustomerUpdate(ctx, d.Store.DB()); err != nil {
				return err
			}
		}
		from := int64(0)
		if mark > 0 {
			from = mirror.ChangedSince(mark)
		}
		st.Refresh = &refreshState{From: from}
		r.SetMeta("refresh", st.Refresh.meta())
		if err := r.Checkpoint(ctx, st); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	rs := st.Refresh
	for st.Phase == phaseRefresh {
		page, err := d.Nhanh.ListCustomers(ctx, nhanh.CustomerFilter{UpdatedAtFrom: rs.From}, rs.Cursor)
		if err != nil {
			return fmt.Errorf("read Nhanh customers changed since %s: %w",
				time.Unix(rs.From, 0).UTC().Format(time.RFC3339), err)
		}
		rows := make([]store.NhanhCustomer, len(page.Customers))
		for i, c := range page.Customers {
			rows[i] = mirror.NhanhCustomer(c)
		}
		// The page, the cursor past it and what it did to the mirror
		// commit together; st changes only if they do.
		after := *rs
		after.Pages++
		after.Read += len(rows)
		after.Cursor = page.Next
		phase := st.Phase
		if page.Next == nil {
			phase = phaseSize
		}
		next := *st
		next.Phase, next.Refresh = phase, &after
		err = r.CheckpointTx(ctx, &next, func(tx *sql.Tx, _ *engine.Tally) error {
			counts, err := d.Store.UpsertNhanhCustomers(ctx, tx, rows, d.Clock.Now())
			if err != nil {
				return err
			}
			after.Created = rs.Created + counts.Created
			after.Updated = rs.Updated + counts.Updated
			after.Unchanged = rs.Unchanged + counts.Unchanged
			return nil
		})
		if err != nil {
			return fmt.Errorf("store changed Nhanh customers: %w", err)
		}
		*st = next
		rs = st.Refresh
		r.SetMeta("refresh", rs.meta())
	}
	return nil
}
