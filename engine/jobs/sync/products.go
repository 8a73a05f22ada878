package sync

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

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

// quantities is the stock to write at each location.
func (p locationPlan) quantities(available int64, depots map[extid.NhanhDepotID]int64) map[extid.ShopifyLocationGID]int64 {
	out := make(map[extid.ShopifyLocationGID]int64, len(p.locations))
	if p.mode == modePrimary {
		out[p.locations[0]] = available
		return out
	}
	for _, loc := range p.locations {
		var sum int64
		for _, depot := range p.depotsOf[loc] {
			sum += depots[depot]
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
	d     Deps
	jobID int64
	scope syncScope
	locs  locationPlan
	// live reads stock from Nhanh's product/inventory for every batch
	// (auto-sync: Nhanh's updatedAt ignores stock changes, so the mirror may
	// be stale); otherwise the mirror's stock is written.
	live bool
	// preview reads Shopify's current levels for the diff (preview.go).
	preview bool
}

func (d Deps) newProductSource(r *engine.Run, scope syncScope, locs locationPlan, live bool) *productSource {
	return &productSource{d: d, jobID: int64(r.ID()), scope: scope, locs: locs, live: live, preview: r.DryRun()}
}

func (s *productSource) kind() store.MappingKind { return store.MappingKindProduct }
func (s *productSource) batchSize() int          { return productBatchSize }

// productPush is one planned inventory write: a mapping's quantity at every
// location.
type productPush struct {
	it            *syncItem
	nhanh         extid.NhanhProductID
	inventoryItem extid.ShopifyInventoryItemGID
	quantities    map[extid.ShopifyLocationGID]int64
	cacheItem     bool // the item id came from the variant mirror: store it on the mapping
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
}

func (s *productSource) nextBatch(ctx context.Context, cur batchCursor) (*syncBatch, error) {
	ms, missing, lastID, err := mappingPage(ctx, s.d.Store.Reader(), s.scope, cur.afterID, cur.upToID, productBatchSize,
		s.d.Store.ProductMappings, func(m store.ProductMapping) int64 { return m.ID })
	if err != nil || lastID == 0 {
		return nil, err
	}
	nhanhIDs := make([]extid.NhanhProductID, 0, len(ms))
	variantIDs := make([]extid.ShopifyVariantGID, 0, len(ms))
	for _, m := range ms {
		nhanhIDs = append(nhanhIDs, m.NhanhID)
		if m.ShopifyID != "" {
			variantIDs = append(variantIDs, m.ShopifyID)
		}
	}
	snaps, err := s.mirrorSnapshots(ctx, nhanhIDs)
	if err != nil {
		return nil, err
	}
	variants, err := s.d.Store.ShopifyVariantItems(ctx, s.d.Store.DB(), variantIDs)
	if err != nil {
		return nil, err
	}
	var refreshed map[extid.NhanhProductID]store.Stock
	var stockErr error
	if s.live && len(nhanhIDs) > 0 {
		refreshed, stockErr = s.refreshStock(ctx, nhanhIDs, snaps)
		if c := apierr.ClassOf(stockErr); c == apierr.ClassAuth || c == apierr.ClassCanceled {
			return nil, stockErr
		}
	}
	b := &syncBatch{lastID: lastID}
	for _, id := range missing {
		b.items = append(b.items, missingItem(store.MappingKindProduct, id))
	}
	var pushes []*productPush
	budget := cur.pushBudget
	for _, m := range ms {
		it, push := s.plan(m, snaps[m.NhanhID], variants, stockErr, &budget)
		b.items = append(b.items, it)
		if push != nil {
			pushes = append(pushes, push)
		}
	}
	slices.SortFunc(b.items, func(x, y *syncItem) int { return cmp.Compare(x.mappingID, y.mappingID) })
	if s.preview {
		if err := s.readCurrentLevels(ctx, ms, variants, b.items); err != nil {
			return nil, err
		}
	}
	b.pushes = int64(len(pushes))
	// The key prefix names the job and the batch; the client adds a hash of
	// each call's content, so a resumed attempt that sends this batch again
	// reuses the keys and Shopify applies it at most once.
	keyPrefix := fmt.Sprintf("syncops-job-%d-after-%d", s.jobID, cur.afterID)
	b.send = func(ctx context.Context) error { return s.send(ctx, pushes, keyPrefix) }
	b.record = func(ctx context.Context, tx *sql.Tx, at time.Time) error {
		return s.record(ctx, tx, b.items, pushes, refreshed, at)
	}
	return b, nil
}

// mirrorSnapshots reads the batch's products from the local mirror.
func (s *productSource) mirrorSnapshots(ctx context.Context, ids []extid.NhanhProductID) (map[extid.NhanhProductID]productSnapshot, error) {
	rows, err := s.d.Store.NhanhProductStocks(ctx, s.d.Store.DB(), ids)
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

// refreshStock reads the batch's stock from Nhanh and puts it into snaps.
// product/inventory leaves out products without stock, so an absent
// product is looked up in product/list: if Nhanh still lists it, its stock
// there (zero, normally) is taken; if not, it was deleted in Nhanh and
// nothing is written for it. Absence alone never becomes a write of zero.
func (s *productSource) refreshStock(ctx context.Context, ids []extid.NhanhProductID,
	snaps map[extid.NhanhProductID]productSnapshot) (map[extid.NhanhProductID]store.Stock, error) {
	stock, err := s.d.Nhanh.Inventory(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read stock from Nhanh product/inventory: %w", err)
	}
	out := make(map[extid.NhanhProductID]store.Stock, len(ids))
	for id, st := range stock {
		out[id] = mirror.NhanhStock(st)
	}
	var absent []extid.NhanhProductID
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			absent = append(absent, id)
		}
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
			out[id] = mirror.NhanhProductStock(p)
		}
	}
	for id, st := range out {
		snap := snaps[id]
		// Live stock wins over the mirror, whatever the mirror said.
		snaps[id] = productSnapshot{name: snap.name, available: st.Available, depots: st.Depots}
	}
	return out, nil
}

// listedProducts returns the products among ids that product/list still
// lists (at most nhanh.MaxIDs ids).
func (s *productSource) listedProducts(ctx context.Context, ids []extid.NhanhProductID) (map[extid.NhanhProductID]nhanh.Product, error) {
	out := map[extid.NhanhProductID]nhanh.Product{}
	page, err := s.d.Nhanh.ListProducts(ctx, nhanh.ProductFilter{IDs: ids}, nil)
	for pages := 1; ; pages++ {
		if err != nil {
			return nil, fmt.Errorf("check in Nhanh product/list whether products without stock still exist: %w", err)
		}
		for _, p := range page.Products {
			out[p.ID] = p
		}
		if page.Next == nil || pages >= len(ids) {
			return out, nil
		}
		page, err = s.d.Nhanh.ListProducts(ctx, nhanh.ProductFilter{IDs: ids}, page.Next)
	}
}

// plan decides what to do with one mapping.
func (s *productSource) plan(m store.ProductMapping, snap productSnapshot, variants map[extid.ShopifyVariantGID]store.ShopifyVariantItem,
	stockErr error, budget *int64) (*syncItem, *productPush) {
	it := &syncItem{mappingID: m.ID, name: cmp.Or(snap.name, fmt.Sprintf("Nhanh product %d", m.NhanhID)), recordable: m.ShopifyID != "",
		nhanhID: strconv.FormatInt(int64(m.NhanhID), 10), shopifyID: string(m.ShopifyID)}
	who := fmt.Sprintf("%s (Nhanh product %d)", it.name, m.NhanhID)
	variant, inMirror := variants[m.ShopifyID]
	item := cmp.Or(m.InventoryItemID, variant.InventoryItemID)
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
	case inMirror && variant.Deleted:
		it.failFound(fmt.Sprintf("%s: Shopify variant %s was deleted in Shopify (per the last pull): nothing written; remap or delete mapping %d",
			who, m.ShopifyID, m.ID), apierr.ClassNotFound)
		return it, nil
	case item == "":
		it.failFound(fmt.Sprintf("%s: Shopify variant %s has no inventory item id in the local mirror: pull Shopify products; nothing written",
			who, m.ShopifyID), apierr.ClassNotFound)
		return it, nil
	}
	q := s.locs.quantities(snap.available, snap.depots)
	parts := make([]string, 0, len(s.locs.locations))
	for _, loc := range s.locs.locations {
		parts = append(parts, fmt.Sprintf("%s=%d", loc, q[loc]))
	}
	it.request = fmt.Sprintf("inventorySetQuantities item=%s available %s", item, strings.Join(parts, " "))
	it.lines = s.locs.lines(q, m.LastSyncedValue)
	if s.scope.mode == syncChanged && m.Status == store.MappingSynced && m.LastSyncedValue != nil && maps.Equal(m.LastSyncedValue, q) {
		it.outcome = outcomeSkip
		return it, nil
	}
	if *budget == 0 {
		it.outcome, it.deferred = outcomeSkip, true
		return it, nil
	}
	if *budget > 0 {
		*budget--
	}
	return it, &productPush{it: it, nhanh: m.NhanhID, inventoryItem: item, quantities: q, cacheItem: m.InventoryItemID == ""}
}

// send sets the batch's quantities, every location of every mapping; a
// mapping succeeds only if all its locations did.
func (s *productSource) send(ctx context.Context, pushes []*productPush, keyPrefix string) error {
	type slot struct {
		push *productPush
		loc  extid.ShopifyLocationGID
	}
	var qs []shopify.InventoryQuantity
	var slots []slot
	for _, p := range pushes {
		for _, loc := range s.locs.locations {
			qs = append(qs, shopify.InventoryQuantity{InventoryItemID: p.inventoryItem, LocationID: loc, Quantity: p.quantities[loc]})
			slots = append(slots, slot{p, loc})
		}
	}
	results, err := s.d.Shopify.SetInventory(ctx, qs, shopify.InventoryOptions{
		KeyPrefix: keyPrefix, ReferenceDocumentURI: fmt.Sprintf("gid://syncops/Job/%d", s.jobID)})
	if c := apierr.ClassOf(err); c == apierr.ClassAuth || c == apierr.ClassCanceled {
		return err
	}
	failed := map[*productPush][]string{}
	cause := map[*productPush]error{}
	for i, sl := range slots {
		itemErr := err
		if i < len(results) {
			itemErr = results[i].Err
		}
		if itemErr == nil {
			continue
		}
		failed[sl.push] = append(failed[sl.push], fmt.Sprintf("%s=%d at %s: %v", sl.push.inventoryItem, sl.push.quantities[sl.loc], s.locs.describe(sl.loc), itemErr))
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
			if err := s.d.Store.RecordProductSync(ctx, tx, it.mappingID, p.quantities, at, s.jobID); err != nil {
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
