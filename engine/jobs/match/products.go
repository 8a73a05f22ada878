package match

import (
	"context"
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
	if err := r.Params(&params); err != nil {
		return err
	}
	r.SetMeta("dryRun", params.DryRun)
	sell, err := d.newSellable(ctx, params.IncludeArchived)
	if err != nil {
		return err
	}
	m, err := d.indexProducts(ctx, sell)
	if err != nil {
		return err
	}
	sell.report(r)
	r.SetTotal(int64(len(m.nhanh)) + m.noKey + sell.excluded())
	r.SetMeta("nhanhProducts", int64(len(m.nhanh))+m.noKey+sell.excluded())
	r.SetMeta("shopifyVariants", m.scanned)

	tally := newMatchTally()
	tally.noKey = m.noKey
	r.Skipped(m.noKey + sell.excluded())
	w := &mappingWriter[store.ProductMapping]{d: d, r: r, tally: tally, dryRun: params.DryRun,
		create:  d.Store.CreateProductMappings,
		nhanhID: func(pm store.ProductMapping) int64 { return int64(pm.NhanhID) },
		method:  func(pm store.ProductMapping) string { return pm.MatchMethod },
	}
	err = m.pairs.decide(func(v verdict) error {
		if v.kind == verdictPaired {
			left, right := m.nhanh[v.left], m.variants[v.right]
			method := store.MatchSKU
			if left.sku == "" || right.sku == "" {
				method = matchBarcode
			}
			return w.add(ctx, store.ProductMapping{NhanhID: left.id, ShopifyID: right.id,
				InventoryItemID: right.item, Status: store.MappingPending, MatchMethod: method})
		}
		return d.reportUnmatchedProduct(ctx, r, tally, m, v)
	})
	if err == nil {
		err = w.flush(ctx)
	}
	tally.report(r, productMatchMethods)
	return err
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
	scanned   int64

	lefts, viaBarcode []int32 // scratch
}

type nhanhProductKeys struct {
	id           extid.NhanhProductID
	sku, barcode string // as compared
}

type variantRef struct {
	id       extid.ShopifyVariantGID
	item     extid.ShopifyInventoryItemGID
	sku      string // as compared
	label    string
	mappedTo extid.NhanhProductID
}

// indexProducts reads the unmapped Nhanh products' keys, then streams the
// Shopify variants and links each to the products it reaches; only the
// rows sell takes for sellable units are keyed.
func (d Deps) indexProducts(ctx context.Context, sell *sellable) (*productMatch, error) {
	m := &productMatch{pairs: newPairSet(), bySKU: newKeyIndex[string](), byBarcode: newKeyIndex[string]()}
	mappedNhanh, err := d.Store.MappedNhanhProducts(ctx, d.Store.Reader())
	if err != nil {
		return nil, fmt.Errorf("read product mappings: %w", err)
	}
	err = d.Store.EachNhanhProduct(ctx, d.Store.Reader(), func(p store.NhanhProduct) error {
		if _, mapped := mappedNhanh[p.ID]; !mapped && sell.nhanh(p) {
			m.addNhanh(p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read Nhanh products: %w", err)
	}
	mappedVariants, err := d.Store.MappedShopifyVariants(ctx, d.Store.Reader())
	if err != nil {
		return nil, fmt.Errorf("read product mappings: %w", err)
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

func (m *productMatch) addNhanh(p store.NhanhProduct) {
	k := nhanhProductKeys{id: p.ID, sku: productKey(p.Code), barcode: productKey(p.Barcode)}
	if k.sku == "" && k.barcode == "" {
		m.noKey++
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

func (m *productMatch) addVariant(v store.ShopifyVariant, mappedTo extid.NhanhProductID) {
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
	m.variants = append(m.variants, variantRef{id: v.ID, item: v.InventoryItemID, sku: sku,
		label: variantLabel(v), mappedTo: mappedTo})
	for _, l := range distinct(m.lefts) {
		m.pairs.link(l, r, mappedTo != 0)
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

func (m *productMatch) describe(rights []int32) []string {
	out := make([]string, len(rights))
	for i, rt := range rights {
		out[i] = string(m.variants[rt].id) + " (" + m.variants[rt].label + ")"
	}
	return out
}

// reportUnmatchedProduct counts a Nhanh product left without a mapping and,
// when an operator can resolve it, records a failed item saying how.
func (d Deps) reportUnmatchedProduct(ctx context.Context, r *engine.Run, t *matchTally, m *productMatch, v verdict) error {
	key := m.key(v.left)
	var msg string
	switch v.kind {
	case verdictNone:
		t.noCandidate++
		r.Skipped(1)
		return nil
	case verdictAmbiguous:
		t.ambiguous++
		msg = fmt.Sprintf("%s matches %s: %s; map this product by hand or make the SKUs unique", key,
			plural(v.count, "Shopify variant", "Shopify variants"), listNamed(m.describe(v.named), v.count))
	case verdictConflict:
		t.conflicts++
		rivals := make([]string, len(v.rivals))
		for i, l := range v.rivals {
			rivals[i] = fmt.Sprintf("%d (%s)", m.nhanh[l].id, m.key(l))
		}
		msg = fmt.Sprintf("Shopify variant %s, found by %s, is also the only match of %s: %s; "+
			"none of them was mapped: map the right one by hand", m.describe([]int32{v.right})[0], key,
			plural(v.count, "other Nhanh product", "other Nhanh products"), listNamed(rivals, v.count))
	case verdictTakenAlready:
		t.alreadyMapped++
		described := m.describe(v.named)
		for i, rt := range v.named {
			owner := m.variants[rt].mappedTo
			described[i] += fmt.Sprintf(" is already mapped to Nhanh product %d", owner)
			gone, err := d.nhanhProductGone(ctx, owner)
			if err != nil {
				return err
			}
			if gone {
				described[i] += ", which Nhanh no longer lists: delete that mapping first"
			}
		}
		msg = fmt.Sprintf("no unmapped Shopify variant matches %s: %s", key, strings.Join(described, "; "))
	default:
		return fmt.Errorf("product match: unexpected verdict %d", v.kind)
	}
	return matchFailure(ctx, r, int64(m.nhanh[v.left].id), "match by "+key, msg)
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
