package match

import (
	"context"
	"fmt"
	"strings"

	"syncops/clients/extid"
	"syncops/engine"
	"syncops/store"
)

// Reasons a record is left out of product matching, as the job reports them.
const (
	reasonParentProduct = "parent product: map by hand"
	reasonComboProduct  = "combo product: map by hand"
)

// productMatchParams are AUTO_MATCH_PRODUCTS' parameters.
type productMatchParams struct {
	matchParams
	// IncludeArchived lets variants of DRAFT and ARCHIVED Shopify products
	// be candidates too.
	IncludeArchived bool `json:"includeArchived"`
}

var includeArchivedParam = engine.ParamSpec{Name: "includeArchived", Kind: engine.ParamBool,
	Help: "also match variants of draft and archived Shopify products"}

// sellable decides which mirror rows are sellable units that automatic
// matching may pair. A Nhanh parent product (it groups its children, which
// are what is sold) and a combo product (a bundle of other products) are
// not: pairing one with a variant of the same SKU would sync a stock that
// is not the variant's. An operator who knows better maps them by hand. A
// variant of a draft or archived Shopify product is not for sale either,
// and is usually a copy of a live one; includeArchived lets them in.
//
// autoMatchProducts builds one per run (newSellable) and indexProducts asks
// it about every row it reads (nhanh, variant) before keying the row.
type sellable struct {
	parents         map[extid.NhanhProductID]bool
	includeArchived bool
	// Counts of what was left out, for the job's metadata.
	excludedNhanh    map[string]int64 // by reason
	excludedVariants map[string]int64 // by product status
	// reasons say why each Nhanh product left out was.
	reasons []store.MatchReason
}

// newSellable reads the set of parent products (a child may be listed after
// its parent, so the set is read before the products are).
func (d Deps) newSellable(ctx context.Context, includeArchived bool) (*sellable, error) {
	parents, err := d.Store.NhanhParentProductIDs(ctx, d.Store.Reader())
	if err != nil {
		return nil, fmt.Errorf("read Nhanh parent products: %w", err)
	}
	return &sellable{parents: parents, includeArchived: includeArchived,
		excludedNhanh: map[string]int64{}, excludedVariants: map[string]int64{}}, nil
}

// nhanh reports whether p may be matched, counting it when not.
func (s *sellable) nhanh(p store.NhanhProduct) bool {
	reason := ""
	switch {
	case s.parents[p.ID]:
		reason = reasonParentProduct
	case p.Combo:
		reason = reasonComboProduct
	default:
		return true
	}
	s.excludedNhanh[reason]++
	s.reasons = append(s.reasons, store.MatchReason{NhanhID: int64(p.ID), Code: engine.ReasonExcluded,
		Message: "not a sellable unit: " + reason})
	return false
}

// variant reports whether v may be a candidate, counting it when not. A
// status the mirror does not know (empty: pulled before it was kept) is
// taken as active, so an upgrade does not empty the candidates.
func (s *sellable) variant(v store.ShopifyVariant) bool {
	status := strings.ToUpper(v.ProductStatus)
	if s.includeArchived || status == "" || status == "ACTIVE" {
		return true
	}
	s.excludedVariants[status]++
	return false
}

// excluded is how many Nhanh products were left out.
func (s *sellable) excluded() int64 {
	var n int64
	for _, c := range s.excludedNhanh {
		n += c
	}
	return n
}

// report writes what was left out into the job's metadata.
func (s *sellable) report(r *engine.Run) {
	r.SetMeta("includeArchived", s.includeArchived)
	r.SetMeta("notSellableNhanh", s.excludedNhanh)
	r.SetMeta("excludedVariants", s.excludedVariants)
}
