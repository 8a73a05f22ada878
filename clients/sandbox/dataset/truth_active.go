package dataset

import (
	"maps"
	"strings"

	"syncops/clients/extid"
)

// ReasonVariantNotActive: the variant belongs to a DRAFT or ARCHIVED Shopify
// product, which a matcher leaves out unless told to include it.
const ReasonVariantNotActive Reason = "variant-not-active"

// ActiveVariantsOnly returns the answer key of ds (whose Truth t is) for a
// matcher that leaves out variants of DRAFT and ARCHIVED products, the
// default of AUTO_MATCH_PRODUCTS. t itself, the key of a matcher that takes
// every variant, is not changed.
//
// Leaving variants out only removes candidates, so the answers change only
// where one of them was involved:
//   - a pair whose variant is left out: the Nhanh product has no candidate;
//   - a Nhanh product with two variants of its SKU (the merchant's copy is a
//     draft): if exactly one is active it is the match, by SKU; if none is,
//     there is no candidate;
//   - two Nhanh products sharing the SKU of a variant that is left out: no
//     candidate for either.
//
// A left-out variant that had a partner, or was one of several, gets
// ReasonVariantNotActive; other variants keep their reasons.
func (t *Truth) ActiveVariantsOnly(ds *Dataset) *Truth {
	out := *t
	out.ProductMatches = maps.Clone(t.ProductMatches)
	out.UnmatchedNhanhProducts = maps.Clone(t.UnmatchedNhanhProducts)
	out.UnmatchedShopifyVariants = maps.Clone(t.UnmatchedShopifyVariants)

	variants := map[extid.ShopifyVariantGID]ShopifyVariant{}
	bySKU := map[string][]ShopifyVariant{} // variants of the duplicate cases, by key
	for _, v := range ds.ShopifyVariants {
		variants[v.ID] = v
		switch t.UnmatchedShopifyVariants[v.ID] {
		case ReasonDuplicateShopifySKU, ReasonDuplicateNhanhSKU:
			k := skuKey(v.SKU)
			bySKU[k] = append(bySKU[k], v)
		}
	}
	for id, m := range t.ProductMatches {
		if activeVariant(variants[m.Variant]) {
			continue
		}
		delete(out.ProductMatches, id)
		out.UnmatchedNhanhProducts[id] = ReasonNoCandidate
		out.UnmatchedShopifyVariants[m.Variant] = ReasonVariantNotActive
	}
	for _, p := range ds.NhanhProducts {
		reason := t.UnmatchedNhanhProducts[p.ID]
		if p.Deleted || (reason != ReasonDuplicateShopifySKU && reason != ReasonDuplicateNhanhSKU) {
			continue
		}
		var active []ShopifyVariant
		for _, v := range bySKU[skuKey(p.Code)] {
			if activeVariant(v) {
				active = append(active, v)
			} else {
				out.UnmatchedShopifyVariants[v.ID] = ReasonVariantNotActive
			}
		}
		switch {
		case len(active) == 0:
			out.UnmatchedNhanhProducts[p.ID] = ReasonNoCandidate
		case len(active) == 1 && reason == ReasonDuplicateShopifySKU:
			v := active[0]
			form := SKUExact
			if v.SKU != p.Code {
				form = SKUOtherCase
			}
			delete(out.UnmatchedNhanhProducts, p.ID)
			delete(out.UnmatchedShopifyVariants, v.ID)
			out.ProductMatches[p.ID] = ProductMatch{Variant: v.ID, By: MatchSKU, Form: form}
		}
	}
	return &out
}

// activeVariant reports whether v's product is ACTIVE.
func activeVariant(v ShopifyVariant) bool { return v.ProductStatus == "ACTIVE" }

// skuKey is a SKU as the Truth's rules compare it.
func skuKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
