package match

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"syncops/clients/extid"
	"syncops/engine"
	"syncops/store"
)

// matchBarcode is the match method of product mappings paired by barcode
// (the store names the others).
const matchBarcode = "barcode"

// productMatchMethods are the metadata keys of product matches by method.
var productMatchMethods = map[string]string{store.MatchSKU: "matchedBySKU", matchBarcode: "matchedByBarcode"}

// autoMatchProducts maps unmapped Nhanh products to Shopify variants.
//
// The key is the SKU (Nhanh's code), trimmed and compared without case, when
// both sides have one; when either side's SKU is empty the barcode is
// compared instead. A variant that is already mapped is not a candidate, and
// records deleted at their source are never read. The mapping copies the
// variant's inventory item id, so the first sync needs no lookup (the
// reference system left it empty).
func (d Deps) autoMatchProducts(ctx context.Context, r *engine.Run) error {
	var params productMatchParams
	state, resumed, err := startMatch(r, &params)
	if err != nil {
		return err
	}
	sell, err := d.newSellable(ctx, params.IncludeArchived)
	if err != nil {
		return err
	}
	m, err := d.indexProducts(ctx, int64(r.ID()), sell)
	if err != nil {
		return err
	}
	sell.report(r)
	r.SetTotal(int64(len(m.nhanh)) + m.noKey + sell.excluded())
	r.SetMeta("nhanhProducts", int64(len(m.nhanh))+m.noKey+sell.excluded())
	r.SetMeta("shopifyVariants", m.scanned)
	if !resumed {
		state.Tally.NoKey = m.noKey
		r.Skipped(m.noKey + sell.excluded())
	}
	state.Tally.report(r, productMatchMethods)

	if err := saveUnkeyedReasons(ctx, d.Store, r, store.MappingKindProduct, append(m.unkeyed, sell.reasons...), params.DryRun); err != nil {
		return err
	}
	hadReason, err := d.Store.MatchReasonIDs(ctx, d.Store.Reader(), store.MappingKindProduct)
	if err != nil {
		return err
	}
	w := &batchWriter[store.ProductMapping]{r: r, store: d.Store, kind: store.MappingKindProduct, hadReason: hadReason, dryRun: params.DryRun, methods: productMatchMethods,
		state: &state, checkpointed: d.Checkpointed,
		insert: func(ctx context.Context, tx *sql.Tx, ms []store.ProductMapping) error {
			return d.Store.InsertMatchedProductMappings(ctx, tx, ms, d.Clock.Now())
		},
		inTheWay: d.Store.ProductMappingsInTheWay,
		nhanhID:  func(pm store.ProductMapping) int64 { return int64(pm.NhanhID) },
		method:   func(pm store.ProductMapping) string { return pm.MatchMethod },
		describeWay: func(pm, way store.ProductMapping) string {
			switch {
			case way.NhanhID == pm.NhanhID:
				return fmt.Sprintf("Nhanh product %d has mapping %d", pm.NhanhID, way.ID)
			case way.ShopifyID == pm.ShopifyID:
				return fmt.Sprintf("Shopify variant %s is already mapped to Nhanh product %d (mapping %d)",
					pm.ShopifyID, way.NhanhID, way.ID)
			}
			return ""
		},
	}
	b := &batch[store.ProductMapping]{}
	size := cmp.Or(d.BatchSize, matchBatch)
	decided := 0
	flush := func() error {
		if decided == 0 {
			return nil
		}
		if err := timeUp(ctx); err != nil {
			return err
		}
		if err := w.start(ctx, b); err != nil {
			return err
		}
		b, decided = &batch[store.ProductMapping]{}, 0
		return nil
	}
	resumedAt := state.Done // state moves as the batches commit
	err = m.pairs.decide(func(v verdict) error {
		left := m.nhanh[v.left]
		if int64(left.id) <= resumedAt || left.own {
			return nil // decided by an earlier attempt of this job
		}
		b.last, decided = int64(left.id), decided+1
		if err := d.decideProduct(ctx, m, b, v, int64(r.ID())); err != nil {
			return err
		}
		if decided >= size {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return errors.Join(err, w.wait())
}

// decideProduct adds the outcome of verdict v to batch b.
func (d Deps) decideProduct(ctx context.Context, m *productMatch, b *batch[store.ProductMapping], v verdict, job int64) error {
	left := m.nhanh[v.left]
	if v.kind != verdictPaired {
		f, ok, err := d.unmatchedProduct(ctx, &b.tally, m, v)
		switch {
		case err != nil:
			return err
		case ok:
			b.failures = append(b.failures, f)
			b.reasons = append(b.reasons, reasonOf(int64(left.id), v.kind, f.Message, m.candidates(v)))
		default:
			b.skipped++
			b.reasons = append(b.reasons, reasonOf(int64(left.id), v.kind, "no Shopify variant has "+m.key(v.left), nil))
		}
		return nil
	}
	right := m.variants[v.right]
	if right.own != 0 {
		// Mapped by an earlier attempt of this job to another product: a
		// mirror changed between the attempts.
		b.tally.AlreadyMapped++
		f := matchFailure(int64(left.id), "match by "+m.key(v.left),
			fmt.Sprintf("no unmapped Shopify variant matches %s: %s is already mapped to Nhanh product %d",
				m.key(v.left), m.describe([]int32{v.right})[0], right.own))
		b.failures = append(b.failures, f)
		b.reasons = append(b.reasons, reasonOf(int64(left.id), v.kind, f.Message, []string{string(right.id)}))
		return nil
	}
	method := store.MatchSKU
	if left.sku == "" || right.sku == "" {
		method = matchBarcode
	}
	b.mappings = append(b.mappings, store.ProductMapping{NhanhID: left.id, ShopifyID: right.id,
		InventoryItemID: right.item, Status: store.MappingPending, MatchMethod: method, CreatedByJob: job})
	return nil
}

// productMatch is the in-memory state of one product match. Catalogues are
// tens of thousands of rows, so both sides keep their keys and labels.
type productMatch struct {
	pairs     *pairSet
	nhanh     []nhanhProductKeys // per left
	variants  []variantRef       // per right
	bySKU     *keyIndex[string]
	byBarcode *keyIndex[string]
	noKey     int64
	unkeyed   []store.MatchReason // the reasons of the products without a key
	scanned   int64

	lefts, viaBarcode []int32 // scratch
}

type nhanhProductKeys struct {
	id           extid.NhanhProductID
	sku, barcode string // as compared
	own          bool   // mapped by an earlier attempt of the running job
}

type variantRef struct {
	id       extid.ShopifyVariantGID
	item     extid.ShopifyInventoryItemGID
	sku      string // as compared
	label    string
	mappedTo extid.NhanhProductID // mapped by someone else than the running job
	own      extid.NhanhProductID // mapped by an earlier attempt of the running job
}

// indexProducts reads the unmapped Nhanh products' keys, then streams the
// Shopify variants and links each to the products it reaches; only the
// rows sell takes for sellable units are keyed. Mappings made by job (an
// earlier attempt of the running one) count as not made yet.
func (d Deps) indexProducts(ctx context.Context, job int64, sell *sellable) (*productMatch, error) {
	m := &productMatch{pairs: newPairSet(), bySKU: newKeyIndex[string](), byBarcode: newKeyIndex[string]()}
	mappedNhanh := map[extid.NhanhProductID]bool{} // true: by the running job
	mappedVariants := map[extid.ShopifyVariantGID]store.ProductMappingSides{}
	err := d.Store.EachProductMappingSides(ctx, d.Store.Reader(), job, func(pm store.ProductMappingSides) {
		mappedNhanh[pm.NhanhID] = pm.Own
		if pm.ShopifyID != "" {
			mappedVariants[pm.ShopifyID] = pm
		}
	})
	if err != nil {
		return nil, err
	}
	err = d.Store.EachNhanhProduct(ctx, d.Store.Reader(), func(p store.NhanhProduct) error {
		if own, mapped := mappedNhanh[p.ID]; (!mapped || own) && sell.nhanh(p) {
			m.addNhanh(p, own)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read Nhanh products: %w", err)
	}
	err = d.Store.EachShopifyVariant(ctx, d.Store.Reader(), func(v store.ShopifyVariant) error {
		if sell.variant(v) {
			m.addVariant(v, mappedVariants[v.ID])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read Shopify variants: %w", err)
	}
	return m, nil
}

func (m *productMatch) addNhanh(p store.NhanhProduct, own bool) {
	k := nhanhProductKeys{id: p.ID, sku: productKey(p.Code), barcode: productKey(p.Barcode), own: own}
	if k.sku == "" && k.barcode == "" {
		m.noKey++
		m.unkeyed = append(m.unkeyed, store.MatchReason{NhanhID: int64(p.ID), Code: engine.ReasonNoCandidate,
			Message: "no SKU and no barcode to match by"})
		return
	}
	l := m.pairs.addLeft()
	m.nhanh = append(m.nhanh, k)
	if k.sku != "" {
		m.bySKU.add(k.sku, l)
	}
	if k.barcode != "" {
		m.byBarcode.add(k.barcode, l)
	}
}

func (m *productMatch) addVariant(v store.ShopifyVariant, mapping store.ProductMappingSides) {
	m.scanned++
	sku, barcode := productKey(v.SKU), productKey(v.Barcode)
	m.lefts = m.lefts[:0]
	if sku != "" {
		m.lefts = m.bySKU.appendLefts(m.lefts, sku)
	}
	if barcode != "" {
		// The barcode decides only where a SKU is missing on either side.
		m.viaBarcode = m.byBarcode.appendLefts(m.viaBarcode[:0], barcode)
		for _, l := range m.viaBarcode {
			if sku == "" || m.nhanh[l].sku == "" {
				m.lefts = append(m.lefts, l)
			}
		}
	}
	if len(m.lefts) == 0 {
		return
	}
	r := int32(len(m.variants))
	ref := variantRef{id: v.ID, item: v.InventoryItemID, sku: sku, label: variantLabel(v)}
	if mapping.Own {
		ref.own = mapping.NhanhID
	} else {
		ref.mappedTo = mapping.NhanhID
	}
	m.variants = append(m.variants, ref)
	for _, l := range distinct(m.lefts) {
		m.pairs.link(l, r, ref.mappedTo != 0)
	}
}

// key describes left l's match key for an operator.
func (m *productMatch) key(l int32) string {
	k := m.nhanh[l]
	switch {
	case k.sku == "":
		return "barcode " + strconv.Quote(k.barcode)
	case k.barcode == "":
		return "SKU " + strconv.Quote(k.sku)
	}
	return "SKU " + strconv.Quote(k.sku) + " (barcode " + strconv.Quote(k.barcode) + ")"
}

// candidates are the Shopify variants an unmatched verdict names.
func (m *productMatch) candidates(v verdict) []string {
	rights := v.named
	if v.kind == verdictConflict {
		rights = []int32{v.right}
	}
	out := make([]string, len(rights))
	for i, rt := range rights {
		out[i] = string(m.variants[rt].id)
	}
	return out
}

func (m *productMatch) describe(rights []int32) []string {
	out := make([]string, len(rights))
	for i, rt := range rights {
		out[i] = string(m.variants[rt].id) + " (" + m.variants[rt].label + ")"
	}
	return out
}

// unmatchedProduct counts a Nhanh product left without a mapping and, when
// an operator can resolve it, returns the failed item saying how.
func (d Deps) unmatchedProduct(ctx context.Context, t *matchTally, m *productMatch, v verdict) (engine.Failure, bool, error) {
	key := m.key(v.left)
	var msg string
	switch v.kind {
	case verdictNone:
		t.NoCandidate++
		return engine.Failure{}, false, nil
	case verdictAmbiguous:
		t.Ambiguous++
		msg = fmt.Sprintf("%s matches %s: %s; map this product by hand or make the SKUs unique", key,
			plural(v.count, "Shopify variant", "Shopify variants"), listNamed(m.describe(v.named), v.count))
	case verdictConflict:
		t.Conflicts++
		rivals := make([]string, len(v.rivals))
		for i, l := range v.rivals {
			rivals[i] = fmt.Sprintf("%d (%s)", m.nhanh[l].id, m.key(l))
		}
		msg = fmt.Sprintf("Shopify variant %s, found by %s, is also the only match of %s: %s; "+
			"none of them was mapped: map the right one by hand", m.describe([]int32{v.right})[0], key,
			plural(v.count, "other Nhanh product", "other Nhanh products"), listNamed(rivals, v.count))
	case verdictTakenAlready:
		t.AlreadyMapped++
		described := m.describe(v.named)
		for i, rt := range v.named {
			owner := m.variants[rt].mappedTo
			described[i] += fmt.Sprintf(" is already mapped to Nhanh product %d", owner)
			gone, err := d.nhanhProductGone(ctx, owner)
			if err != nil {
				return engine.Failure{}, false, err
			}
			if gone {
				described[i] += ", which Nhanh no longer lists: delete that mapping first"
			}
		}
		msg = fmt.Sprintf("no unmapped Shopify variant matches %s: %s", key, strings.Join(described, "; "))
	default:
		return engine.Failure{}, false, fmt.Errorf("product match: unexpected verdict %d", v.kind)
	}
	return matchFailure(int64(m.nhanh[v.left].id), "match by "+key, msg), true, nil
}

// nhanhProductGone reports whether the Nhanh product is deleted at Nhanh
// (or was never pulled), so a mapping to it is stale.
func (d Deps) nhanhProductGone(ctx context.Context, id extid.NhanhProductID) (bool, error) {
	p, err := d.Store.NhanhProduct(ctx, d.Store.Reader(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("read Nhanh product %d: %w", id, err)
	}
	return !p.DeletedAt.IsZero(), nil
}

// productKey is a SKU or barcode as compared: trimmed, without case.
func productKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// variantLabel names a variant for an operator: "Áo thun basic / M, SKU AO-THUN-001-M".
func variantLabel(v store.ShopifyVariant) string {
	label := v.ProductTitle
	if v.Title != "" && v.Title != "Default Title" {
		label += " / " + v.Title
	}
	if sku := strings.TrimSpace(v.SKU); sku != "" {
		label += ", SKU " + sku
	}
	return label
}
