package sync

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"syncops/clients/apierr"
	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs/mirror"
	"syncops/store"
)

// Product sync modes, as the reference named them in its metadata.
const (
	modeMultiLocation = "multi-location-sum" // location mappings: sum of the mapped depots per location
	modePrimary       = "primary-location"   // no location mappings: the total at the primary location
)

// locationPlan says where a product's stock goes.
type locationPlan struct {
	mode      string
	depotsOf  map[extid.ShopifyLocationGID][]extid.NhanhDepotID // multi-location only
	locations []extid.ShopifyLocationGID                        // sorted
	names     map[extid.ShopifyLocationGID]string
}

// planLocations reads the location mappings; without any, the product's
// total goes to the shop's primary location.
func (d Deps) planLocations(ctx context.Context) (locationPlan, error) {
	lms, err := d.Store.LocationMappings(ctx, d.Store.Reader())
	if err != nil {
		return locationPlan{}, err
	}
	p := locationPlan{names: map[extid.ShopifyLocationGID]string{}}
	if len(lms) > 0 {
		p.mode = modeMultiLocation
		p.depotsOf = map[extid.ShopifyLocationGID][]extid.NhanhDepotID{}
		for _, lm := range lms {
			p.depotsOf[lm.LocationID] = append(p.depotsOf[lm.LocationID], lm.DepotID)
			p.names[lm.LocationID] = lm.LocationName
		}
		p.locations = slices.Sorted(maps.Keys(p.depotsOf))
		return p, nil
	}
	locs, err := d.Shopify.Locations(ctx)
	if err != nil {
		return locationPlan{}, fmt.Errorf("read Shopify locations to find the primary one: %w", err)
	}
	for _, l := range locs {
		if l.Primary {
			p.mode = modePrimary
			p.locations = []extid.ShopifyLocationGID{l.ID}
			p.names[l.ID] = l.Name
			return p, nil
		}
	}
	return locationPlan{}, fmt.Errorf("the shop has no active location to write stock to")
}

// quantities is the stock to write at each location. A depot with negative
// stock (sold ahead of what it holds) counts as 0 in its location's sum:
// its shortfall is not taken from the other depots of the location, whose
// stock is really there. Without location mappings the primary location
// takes the sum over every depot Nhanh lists, the same way (or Nhanh's
// total, at least 0, when it lists none).
func (p locationPlan) quantities(available int64, depots map[extid.NhanhDepotID]int64) map[extid.ShopifyLocationGID]int64 {
	out := make(map[extid.ShopifyLocationGID]int64, len(p.locations))
	if p.mode == modePrimary {
		// The primary location's sum is every depot's.
		if len(depots) == 0 {
			out[p.locations[0]] = max(available, 0)
			return out
		}
		var sum int64
		for _, n := range depots {
			sum += max(n, 0)
		}
		out[p.locations[0]] = sum
		return out
	}
	for _, loc := range p.locations {
		var sum int64
		for _, depot := range p.depotsOf[loc] {
			sum += max(depots[depot], 0)
		}
		out[loc] = sum
	}
	return out
}

func (p locationPlan) describe(loc extid.ShopifyLocationGID) string {
	if name := p.names[loc]; name != "" {
		return fmt.Sprintf("location %s (%s)", name, loc)
	}
	return "location " + string(loc)
}

// locationNames lists the locations written to, for metadata.
func (p locationPlan) locationNames() []string {
	out := make([]string, 0, len(p.locations))
	for _, loc := range p.locations {
		out = append(out, cmp.Or(p.names[loc], string(loc)))
	}
	return out
}

// productSource plans batches of product mappings.
type productSource struct {
	sourceJob
	scope syncScope
	locs  locationPlan
	// activate stocks an item at a mapped location where Shopify does not
	// stock it (inventoryActivate) instead of skipping that location
	// (setting SettingInventoryActivate).
	activate bool
	// ahead reads the next batches while one is planned and written.
	ahead *readAhead
}

// newProductSource returns the source of a product sync; close must follow.
func (d Deps) newProductSource(r *engine.Run, scope syncScope, locs locationPlan, activate bool) *productSource {
	s := &productSource{sourceJob: sourceJob{d: d, jobID: int64(r.ID())}, scope: scope, locs: locs, activate: activate}
	s.ahead = &readAhead{src: s}
	return s
}

// close stops the reads ahead.
func (s *productSource) close() { s.ahead.stop() }

func (s *productSource) kind() store.MappingKind { return store.MappingKindProduct }
func (s *productSource) batchSize() int {
	if s.bulk != nil {
		return productBulkBatchSize
	}
	return productBatchSize
}

// productPush is one planned inventory write: a mapping's quantity at each
// location that is written.
type productPush struct {
	it            *syncItem
	nhanh         extid.NhanhProductID
	inventoryItem extid.ShopifyInventoryItemGID
	// quantities are the locations written, with their quantity; activate
	// are those of them where the item is stocked first.
	quantities map[extid.ShopifyLocationGID]int64
	activate   []extid.ShopifyLocationGID
	// from are the levels Shopify held at the written locations when they
	// were read: a bulk write's compare-and-set (changeFromQuantity).
	from map[extid.ShopifyLocationGID]int64
	// known are the quantities Shopify holds once the write succeeds: the
	// ones written and the ones it already held (recorded as last written).
	known     map[extid.ShopifyLocationGID]int64
	cacheItem bool // the item id came from the variant mirror: store it on the mapping
	// changes are the writes as the drop brake sees them.
	changes []valueChange
}

// productSnapshot is a product's name and stock as the sync sees it.
type productSnapshot struct {
	name      string
	available int64
	depots    map[extid.NhanhDepotID]int64
	// missing says the mirror does not have the product (and no live stock
	// was read for it).
	missing bool
	// gone says why nothing may be written ("" when the product is live).
	gone string
	// unknown says Nhanh sent the product without a stock value.
	unknown bool
}

func (s *productSource) nextBatch(ctx context.Context, cur batchCursor) (*syncBatch, error) {
	b, _, err := s.planBatch(ctx, cur)
	return b, err
}

// planBatch plans the batch after cur from Nhanh's live stock and
// Shopify's current levels, and returns it with its writes, or nil when the
// scope is done. The batch's reads come from the source's read-ahead
// (readahead.go), which reads the next batches' while this one is planned
// and written.
func (s *productSource) planBatch(ctx context.Context, cur batchCursor) (*syncBatch, []*productPush, error) {
	rd, err := s.ahead.next(ctx, cur)
	if err != nil || rd == nil {
		return nil, nil, err
	}
	return s.planReads(rd, cur)
}

// batchReads is what planning one batch reads: its mappings (and the ids
// of its scope without one), the mirror's view of them, Nhanh's live stock
// and Shopify's levels. An error of one of the two API reads is kept for
// the batch's items; the others stop the job.
type batchReads struct {
	ms        []store.ProductMapping
	missing   []int64
	lastID    int64
	snaps     map[extid.NhanhProductID]productSnapshot
	variants  map[extid.ShopifyVariantGID]store.ShopifyVariantItem
	refreshed map[extid.NhanhProductID]store.Stock
	levels    map[extid.ShopifyInventoryItemGID]shopify.ItemInventory
	stockErr  error
	levelErr  error
}

// readPage reads the mappings of the batch after cur, or returns nil when
// the scope is done.
func (s *productSource) readPage(ctx context.Context, cur batchCursor, size int) (*batchReads, error) {
	ms, missing, lastID, err := mappingPage(ctx, s.d.Store.Reader(), s.scope, cur.afterID, cur.upToID, size,
		s.d.Store.ProductMappings, func(m store.ProductMapping) int64 { return m.ID })
	if err != nil || lastID == 0 {
		return nil, err
	}
	return &batchReads{ms: ms, missing: missing, lastID: lastID}, nil
}

// readSides reads what the mirrors hold of rd's mappings, then Nhanh's live
// stock and Shopify's current levels of them.
func (s *productSource) readSides(ctx context.Context, rd *batchReads) error {
	nhanhIDs := make([]extid.NhanhProductID, 0, len(rd.ms))
	variantIDs := make([]extid.ShopifyVariantGID, 0, len(rd.ms))
	for _, m := range rd.ms {
		nhanhIDs = append(nhanhIDs, m.NhanhID)
		if m.ShopifyID != "" {
			variantIDs = append(variantIDs, m.ShopifyID)
		}
	}
	var err error
	if rd.snaps, err = s.mirrorSnapshots(ctx, nhanhIDs); err != nil {
		return err
	}
	if rd.variants, err = s.d.Store.ShopifyVariantItems(ctx, s.d.Store.Reader(), variantIDs); err != nil {
		return err
	}
	// Nhanh's live stock and Shopify's levels are read at once: they are
	// independent, and reading them in turn left Nhanh's window idle while
	// Shopify answered (and the cost bucket idle while Nhanh did).
	var reads errgroup.Group
	if len(nhanhIDs) > 0 {
		reads.Go(func() error {
			rd.refreshed, rd.stockErr = s.refreshStock(ctx, nhanhIDs, rd.snaps)
			return nil
		})
	}
	reads.Go(func() error {
		rd.levels, rd.levelErr = s.readLevels(ctx, rd.ms, rd.variants)
		return nil
	})
	_ = reads.Wait() // each read's error is its own, judged below
	for _, err := range []error{rd.stockErr, rd.levelErr} {
		if c := apierr.ClassOf(err); c == apierr.ClassAuth || c == apierr.ClassCanceled {
			return err
		}
	}
	return nil
}

// planReads plans the batch of rd: what to write for each mapping, within
// cur's push budget.
func (s *productSource) planReads(rd *batchReads, cur batchCursor) (*syncBatch, []*productPush, error) {
	ms, snaps, variants, refreshed, levels := rd.ms, rd.snaps, rd.variants, rd.refreshed, rd.levels
	stockErr, levelErr := rd.stockErr, rd.levelErr
	b := &syncBatch{lastID: rd.lastID}
	for _, id := range rd.missing {
		b.items = append(b.items, missingItem(store.MappingKindProduct, id))
	}
	var pushes []*productPush
	budget := cur.pushBudget
	for _, m := range ms {
		it, push := s.plan(m, snaps[m.NhanhID], variants, stockErr, levels, levelErr, &budget)
		b.items = append(b.items, it)
		if push != nil {
			pushes = append(pushes, push)
		}
	}
	slices.SortFunc(b.items, func(x, y *syncItem) int { return cmp.Compare(x.mappingID, y.mappingID) })
	b.pushes = int64(len(pushes))
	// The key prefix names the job and the batch; the client adds a hash of
	// each call's content, so a resumed attempt that sends this batch again
	// reuses the keys and Shopify applies it at most once.
	keyPrefix := fmt.Sprintf("syncops-job-%d-after-%d", s.jobID, cur.afterID)
	b.send = func(ctx context.Context) error { return s.send(ctx, pushes, keyPrefix) }
	b.record = func(ctx context.Context, tx *sql.Tx, at time.Time) error {
		return s.record(ctx, tx, b.items, pushes, refreshed, at)
	}
	return b, pushes, nil
}

// readLevels reads Shopify's current tracking and available quantity of the
// batch's items at the planned locations (one query per
// shopify.MaxInventoryItemsPerCall items, no write), so a sync writes what
// differs (a restock on Shopify's side is drift to correct) and knows
// which items Shopify cannot take (untracked, not stocked at a location).
func (s *productSource) readLevels(ctx context.Context, ms []store.ProductMapping,
	variants map[extid.ShopifyVariantGID]store.ShopifyVariantItem) (map[extid.ShopifyInventoryItemGID]shopify.ItemInventory, error) {
	var wanted []extid.ShopifyInventoryItemGID
	for _, m := range ms {
		if item := cmp.Or(m.InventoryItemID, variants[m.ShopifyID].InventoryItemID); item != "" {
			wanted = append(wanted, item)
		}
	}
	if len(wanted) == 0 {
		return nil, nil
	}
	return s.d.Shopify.InventoryLevels(ctx, wanted, s.locs.locations)
}

// mirrorSnapshots reads the batch's products from the local mirror.
func (s *productSource) mirrorSnapshots(ctx context.Context, ids []extid.NhanhProductID) (map[extid.NhanhProductID]productSnapshot, error) {
	rows, err := s.d.Store.NhanhProductStocks(ctx, s.d.Store.Reader(), ids)
	if err != nil {
		return nil, err
	}
	out := make(map[extid.NhanhProductID]productSnapshot, len(ids))
	for _, id := range ids {
		row, ok := rows[id]
		switch {
		case !ok:
			out[id] = productSnapshot{missing: true}
		case row.Deleted:
			out[id] = productSnapshot{name: row.Name, gone: "was deleted in Nhanh: nothing written; delete the mapping if the product is gone for good"}
		default:
			out[id] = productSnapshot{name: row.Name, available: row.Available, depots: row.Depots}
		}
	}
	return out, nil
}

// refreshStock reads the batch's live stock from Nhanh and puts it into
// snaps. Every product status is asked for explicitly (whether a missing
// status filter means "all" is not documented): product/inventory with
// status active, then inactive for the ids still absent. product/inventory
// leaves out products without stock, so a product absent from both is
// looked up in product/list, status by status: if Nhanh still lists it,
// its stock there (zero, normally) is taken; if not, it was deleted in
// Nhanh and nothing is written for it. Absence alone never becomes a write
// of zero, and neither does a product Nhanh sends without a stock value
// (unknown: a failed item). The stock read goes into the mirror, except
// the unknown.
func (s *productSource) refreshStock(ctx context.Context, ids []extid.NhanhProductID,
	snaps map[extid.NhanhProductID]productSnapshot) (map[extid.NhanhProductID]store.Stock, error) {
	read := make(map[extid.NhanhProductID]nhanh.Stock, len(ids))
	absent := ids
	for _, status := range nhanh.ProductStatuses {
		if len(absent) == 0 {
			break
		}
		stock, err := s.d.Nhanh.InventoryOf(ctx, absent, status)
		if err != nil {
			return nil, fmt.Errorf("read stock from Nhanh product/inventory: %w", err)
		}
		maps.Copy(read, stock)
		absent = absentFrom(absent, read)
	}
	if len(absent) > 0 {
		listed, err := s.listedProducts(ctx, absent)
		if err != nil {
			return nil, err
		}
		for _, id := range absent {
			p, ok := listed[id]
			if !ok {
				snap := snaps[id]
				snap.missing = false
				snap.gone = "is no longer listed by Nhanh (deleted in Nhanh): nothing written; pull Nhanh products, then delete the mapping"
				snaps[id] = snap
				continue
			}
			read[id] = nhanh.Stock{Available: p.Available, Depots: p.Depots, HasAvailable: p.HasAvailable}
		}
	}
	out := make(map[extid.NhanhProductID]store.Stock, len(read))
	for id, st := range read {
		snap := snaps[id]
		// Live stock wins over the mirror, whatever the mirror said.
		if !st.HasAvailable {
			snaps[id] = productSnapshot{name: snap.name, unknown: true}
			continue
		}
		snaps[id] = productSnapshot{name: snap.name, available: st.Available, depots: st.Depots}
		out[id] = mirror.NhanhStock(st)
	}
	return out, nil
}

// absentFrom returns the ids that have no entry in read.
func absentFrom[V any](ids []extid.NhanhProductID, read map[extid.NhanhProductID]V) []extid.NhanhProductID {
	var out []extid.NhanhProductID
	for _, id := range ids {
		if _, ok := read[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// listedProducts returns the products among ids that product/list still
// lists, nhanh.MaxIDs ids a filter, asking for each product status.
func (s *productSource) listedProducts(ctx context.Context, ids []extid.NhanhProductID) (map[extid.NhanhProductID]nhanh.Product, error) {
	out := map[extid.NhanhProductID]nhanh.Product{}
	for chunk := range slices.Chunk(ids, nhanh.MaxIDs) {
		for _, status := range nhanh.ProductStatuses {
			f := nhanh.ProductFilter{IDs: chunk, Status: status}
			page, err := s.d.Nhanh.ListProducts(ctx, f, nil)
			for pages := 1; ; pages++ {
				if err != nil {
					return nil, fmt.Errorf("check in Nhanh product/list whether products without stock still exist: %w", err)
				}
				for _, p := range page.Products {
					out[p.ID] = p
				}
				if page.Next == nil || pages >= len(chunk) {
					break
				}
				page, err = s.d.Nhanh.ListProducts(ctx, f, page.Next)
			}
		}
	}
	return out, nil
}

// plan decides what to do with one mapping, from Nhanh's live stock and,
// when they could be read, Shopify's current levels (levels; levelErr says
// why not).
func (s *productSource) plan(m store.ProductMapping, snap productSnapshot, variants map[extid.ShopifyVariantGID]store.ShopifyVariantItem,
	stockErr error, levels map[extid.ShopifyInventoryItemGID]shopify.ItemInventory, levelErr error, budget *int64) (*syncItem, *productPush) {
	it := &syncItem{mappingID: m.ID, name: cmp.Or(snap.name, fmt.Sprintf("Nhanh product %d", m.NhanhID)), recordable: m.ShopifyID != "",
		nhanhID: strconv.FormatInt(int64(m.NhanhID), 10), shopifyID: string(m.ShopifyID)}
	who := fmt.Sprintf("%s (Nhanh product %d)", it.name, m.NhanhID)
	variant, inMirror := variants[m.ShopifyID]
	item := cmp.Or(m.InventoryItemID, variant.InventoryItemID)
	inv, itemKnown := levels[item]
	switch {
	case m.ShopifyID == "":
		it.failFound(fmt.Sprintf("%s: mapping %d has no Shopify variant: map it first; nothing written", who, m.ID), apierr.ClassValidation)
		return it, nil
	case stockErr != nil:
		it.fail(fmt.Sprintf("%s: %v; nothing written", who, stockErr), stockErr)
		return it, nil
	case snap.missing:
		it.failFound(fmt.Sprintf("Nhanh product %d is not in the local mirror: pull Nhanh products; nothing written", m.NhanhID), apierr.ClassNotFound)
		return it, nil
	case snap.gone != "":
		it.failFound(who+" "+snap.gone, apierr.ClassNotFound)
		return it, nil
	case snap.unknown:
		it.failFound(fmt.Sprintf("%s: Nhanh returned no stock (available null or missing): the stock is unknown, not 0; nothing written",
			who), apierr.ClassValidation)
		return it, nil
	case inMirror && variant.Deleted:
		it.failFound(fmt.Sprintf("%s: Shopify variant %s was deleted in Shopify (per the last pull): nothing written; remap or delete mapping %d",
			who, m.ShopifyID, m.ID), apierr.ClassNotFound)
		return it, nil
	case item == "":
		it.failFound(fmt.Sprintf("%s: Shopify variant %s has no inventory item id in the local mirror: pull Shopify products; nothing written",
			who, m.ShopifyID), apierr.ClassNotFound)
		return it, nil
	case levelErr == nil && !itemKnown:
		it.failFound(fmt.Sprintf("%s: Shopify does not know inventory item %s of variant %s (deleted in Shopify?): nothing written; pull Shopify products, then remap or delete mapping %d",
			who, item, m.ShopifyID, m.ID), apierr.ClassNotFound)
		return it, nil
	}
	q := s.locs.quantities(snap.available, snap.depots)
	it.lines = s.locs.lines(q, m.LastSyncedValue)
	if levelErr == nil && !inv.Tracked {
		it.outcome = outcomeSkip
		it.skipReason = fmt.Sprintf("%s: Shopify does not track inventory of variant %s (inventory item %s): skipped; turn on \"Track quantity\" in Shopify to sync its stock",
			who, m.ShopifyID, item)
		for i := range it.lines {
			it.lines[i].skipped = "Shopify does not track this item's inventory"
		}
		return it, nil
	}
	// A mapping never written, or not SYNCED, is written whatever Shopify
	// holds (so its state settles); otherwise an auto-sync writes only what
	// differs from Shopify's current level (or, when the levels could not be
	// read, from the last write).
	settled := m.Status == store.MappingSynced && m.LastSyncedValue != nil
	push := &productPush{it: it, nhanh: m.NhanhID, inventoryItem: item, cacheItem: m.InventoryItemID == "",
		quantities: map[extid.ShopifyLocationGID]int64{}, known: map[extid.ShopifyLocationGID]int64{},
		from: map[extid.ShopifyLocationGID]int64{}}
	var notStocked []string
	for i, loc := range s.locs.locations {
		l := &it.lines[i]
		want := q[loc]
		// The brake measures the source's move: against the quantity last
		// written (Nhanh's earlier value), not Shopify's level, which may
		// never have matched Nhanh before a first sync. A first write
		// cannot drop.
		change := valueChange{new: want}
		if last, ok := m.LastSyncedValue[loc]; ok {
			change.old, change.known = last, true
		}
		// What Shopify holds now decides whether to write: Shopify's level
		// when it was read, else the last write.
		current, currentKnown := change.old, change.known
		if levelErr != nil {
			l.note = fmt.Sprintf("Shopify's current level could not be read (%v)", levelErr)
		} else {
			level, stocked := inv.Levels[loc]
			switch {
			case !stocked && !s.activate:
				l.old, l.oldSource = nil, ""
				l.skipped = "not stocked at this location in Shopify"
				notStocked = append(notStocked, s.locs.describe(loc))
				continue
			case !stocked:
				l.old, l.oldSource = nil, ""
				l.note = "not stocked at this location in Shopify: activated there first (inventoryActivate)"
				push.activate = append(push.activate, loc)
				currentKnown = false
			default:
				l.old, l.oldSource = &level, engine.OldFromShopify
				current, currentKnown = level, true
				if last, ok := m.LastSyncedValue[loc]; ok && last != level {
					l.note = fmt.Sprintf("Shopify's level moved %+d since the last write (drift): corrected", level-last)
				}
			}
		}
		if s.scope.mode == syncChanged && settled && currentKnown && current == want {
			push.known[loc] = want // Shopify holds it already
			continue
		}
		push.quantities[loc] = want
		push.known[loc] = want
		if levelErr == nil && currentKnown {
			push.from[loc] = current // Shopify's level, read above
		}
		push.changes = append(push.changes, change)
	}
	if len(notStocked) > 0 {
		it.skipReason = fmt.Sprintf("%s: Shopify variant %s is not stocked at %s: skipped there; stock it there in Shopify, or set %s=true to activate it",
			who, m.ShopifyID, strings.Join(notStocked, ", "), SettingInventoryActivate)
	}
	if len(push.quantities) == 0 {
		it.outcome = outcomeSkip
		return it, nil
	}
	parts := make([]string, 0, len(push.quantities))
	for _, loc := range slices.Sorted(maps.Keys(push.quantities)) {
		parts = append(parts, fmt.Sprintf("%s=%d", loc, push.quantities[loc]))
	}
	it.request = fmt.Sprintf("inventorySetQuantities item=%s available %s", item, strings.Join(parts, " "))
	if *budget == 0 {
		it.outcome, it.deferred = outcomeSkip, true
		return it, nil
	}
	if *budget > 0 {
		*budget--
	}
	return it, push
}

// send stocks the batch's items where they must be activated, then sets
// the quantities, every written location of every mapping, with paced
// calls or, writing in bulk, a batch of more than one call's quantities
// with one bulk mutation (setInventoryInBulk); a mapping succeeds only if
// all its locations did.
func (s *productSource) send(ctx context.Context, pushes []*productPush, keyPrefix string) error {
	type slot struct {
		push *productPush
		loc  extid.ShopifyLocationGID
	}
	failed := map[*productPush][]string{}
	cause := map[*productPush]error{}
	var qs []shopify.InventoryQuantity
	var slots []slot
	lines := 0
	for _, p := range pushes {
		lines += len(p.quantities)
	}
	bulk := s.bulk.takes(lines, shopify.MaxInventoryQuantitiesPerCall)
	for _, p := range pushes {
		for _, loc := range p.activate {
			if _, err := s.d.Shopify.ActivateInventory(ctx, p.inventoryItem, loc); err != nil {
				if c := apierr.ClassOf(err); c == apierr.ClassAuth || c == apierr.ClassCanceled {
					return err
				}
				failed[p] = append(failed[p], fmt.Sprintf("activating %s at %s: %v", p.inventoryItem, s.locs.describe(loc), err))
				cause[p] = cmp.Or(cause[p], err)
			}
		}
		if len(failed[p]) > 0 {
			continue
		}
		for _, loc := range slices.Sorted(maps.Keys(p.quantities)) {
			q := shopify.InventoryQuantity{InventoryItemID: p.inventoryItem, LocationID: loc, Quantity: p.quantities[loc]}
			if from, ok := p.from[loc]; ok && bulk {
				q.ChangeFromQuantity = &from
			}
			qs = append(qs, q)
			slots = append(slots, slot{p, loc})
		}
	}
	var results []shopify.ItemResult
	var err error
	if len(qs) > 0 {
		opts := shopify.InventoryOptions{KeyPrefix: keyPrefix, ReferenceDocumentURI: fmt.Sprintf("gid://syncops/Job/%d", s.jobID)}
		if bulk {
			results, err = s.setInventoryInBulk(ctx, qs, opts)
		} else {
			results, err = s.d.Shopify.SetInventory(ctx, qs, opts)
		}
		if c := apierr.ClassOf(err); c == apierr.ClassAuth || c == apierr.ClassCanceled {
			return err
		}
	}
	for i, sl := range slots {
		itemErr := err
		if i < len(results) {
			itemErr = results[i].Err
		}
		if itemErr == nil {
			continue
		}
		msg := fmt.Sprintf("%s=%d at %s: %v", sl.push.inventoryItem, sl.push.quantities[sl.loc], s.locs.describe(sl.loc), itemErr)
		if ae := (*apierr.Error)(nil); errors.As(itemErr, &ae) && ae.Code == shopify.CodeChangeFromQuantityStale {
			msg += " (Shopify's level moved after it was read: not overwritten; a retry reads both sides again)"
		}
		failed[sl.push] = append(failed[sl.push], msg)
		if cause[sl.push] == nil {
			cause[sl.push] = itemErr
		}
	}
	for _, p := range pushes {
		if msgs := failed[p]; len(msgs) > 0 {
			p.it.fail(fmt.Sprintf("%s (Nhanh product %d): setting available stock failed: %s",
				p.it.name, p.nhanh, strings.Join(msgs, "; ")), cause[p])
			continue
		}
		p.it.outcome = outcomeDone
	}
	return nil
}

// setInventoryInBulk writes the batch's quantities with one bulk mutation
// of inventorySetQuantities (a staged upload, one quantity a line with its
// compare-and-set and idempotency key, then bulkOperationRunMutation,
// polled to its end; bulkwrite.go) and returns one result per quantity.
//
// The operation may run long after the levels were read (it waits for the
// shop's bulk lane and for Shopify), so each line carries the level read as
// its changeFromQuantity: a level that moved meanwhile (a sale in Shopify)
// fails that line instead of being overwritten with a stock read before
// it, and a retry reads both sides again. The digest that resumes the
// operation leaves those levels out: a replanned batch whose levels the
// operation itself has begun to change is still the same batch. An
// auto-sync's replanned batch leaves out what the operation already wrote,
// so its digest differs: the old operation is cancelled and the rest is
// written by a new one (a line the old one applied late then fails its
// compare-and-set, and the next retry finds it written).
func (s *productSource) setInventoryInBulk(ctx context.Context, qs []shopify.InventoryQuantity, opts shopify.InventoryOptions) ([]shopify.ItemResult, error) {
	planned := make([]shopify.InventoryQuantity, len(qs))
	for i, q := range qs {
		q.ChangeFromQuantity = nil
		planned[i] = q
	}
	return s.bulk.write(ctx, bulkMutation{digest: inputsDigest(planned), lines: len(qs),
		start:   func(ctx context.Context) (string, error) { return s.d.Shopify.StartBulkInventory(ctx, qs, opts) },
		results: s.d.Shopify.BulkInventoryResults})
}

// record stores each settled mapping, and the refreshed stock in the
// mirror.
func (s *productSource) record(ctx context.Context, tx *sql.Tx, items []*syncItem, pushes []*productPush,
	refreshed map[extid.NhanhProductID]store.Stock, at time.Time) error {
	byItem := make(map[*syncItem]*productPush, len(pushes))
	for _, p := range pushes {
		byItem[p.it] = p
	}
	for _, it := range items {
		switch {
		case it.outcome == outcomeDone:
			p := byItem[it]
			if p.cacheItem {
				if err := s.d.Store.CacheInventoryItem(ctx, tx, it.mappingID, p.inventoryItem); err != nil {
					return err
				}
			}
			if err := s.d.Store.RecordProductSync(ctx, tx, it.mappingID, p.known, at, s.jobID); err != nil {
				return err
			}
		case it.outcome == outcomeFail && it.recordable:
			if err := s.d.Store.RecordProductSyncFailure(ctx, tx, it.mappingID, it.message, at, s.jobID); err != nil {
				return err
			}
		}
	}
	if len(refreshed) > 0 {
		if _, err := s.d.Store.UpdateNhanhStock(ctx, tx, refreshed); err != nil {
			return err
		}
	}
	return nil
}

// brakeProductStock plans every write of the run (reading Nhanh's live
// stock and Shopify's levels, as the push will again at write time) and
// stops the run before its first write when too many quantities would drop
// sharply (brake.go), unless accept. It runs once, before the push phase.
func (d Deps) brakeProductStock(ctx context.Context, r *engine.Run, src *productSource, scope syncScope, accept bool) error {
	changes, err := planChanges(ctx, d, store.MappingKindProduct, scope, src.planBatch,
		func(p *productPush) []valueChange { return p.changes })
	if err != nil {
		return err
	}
	return d.applyBrake(ctx, r, changes, "stock", accept)
}

// inventoryActivate reads the setting that stocks items at mapped locations
// where Shopify does not stock them.
func (d Deps) inventoryActivate(ctx context.Context) (bool, error) {
	text, ok, err := d.Store.Setting(ctx, d.Store.Reader(), SettingInventoryActivate)
	if err != nil || !ok || text == "" {
		return false, err
	}
	v, err := strconv.ParseBool(text)
	if err != nil {
		return false, fmt.Errorf("setting %s is %q, not true or false: fix it (default false)", SettingInventoryActivate, text)
	}
	return v, nil
}
