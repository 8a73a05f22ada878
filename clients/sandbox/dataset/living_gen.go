package dataset

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"

	"syncops/clients/extid"
)

// LivingCases switches on the hard cases of a shop that keeps trading (issue
// 11). Every field is off at its zero value, and the cases are applied after
// the rest of the world is generated with their own random stream, so a
// config without them generates exactly the world it did before.
type LivingCases struct {
	// NullTotalRate is the share of Nhanh customers whose totalAmount is
	// null. They stay in CustomerMatches but leave ExpectedTotalSpent.
	NullTotalRate float64
	// NullStockRate is the share of listed Nhanh products whose stock is null.
	NullStockRate float64
	// UntrackedRate is the share of Shopify variants whose inventory item
	// is not tracked.
	UntrackedRate float64
	// NotStockedRate is the share of Shopify variants not stocked at one
	// location (not the primary one, chosen at random).
	NotStockedRate float64
	// ParentsAndCombos adds this many Nhanh parent products (each with two
	// children) and as many combo products. Each parent and combo has a
	// Shopify variant with the same SKU, which a matcher must not pair.
	ParentsAndCombos int
}

// Reasons for the living cases.
const (
	// ReasonParentProduct: a Nhanh parent product is not a sellable unit.
	ReasonParentProduct Reason = "parent-product"
	// ReasonComboProduct: a Nhanh combo product is a bundle of others.
	ReasonComboProduct Reason = "combo-product"
	// ReasonPartnerNotSellable: the variant's SKU belongs to a Nhanh parent
	// or combo product.
	ReasonPartnerNotSellable Reason = "partner-not-sellable"
)

func (g *generator) applyLiving() {
	lc := g.cfg.Living
	rng := rand.New(rand.NewPCG(g.cfg.Seed^0x11a1e, g.cfg.Seed+0x5ca1e))
	chance := func(p float64) bool { return p > 0 && rng.Float64() < p }
	for i := range g.ds.NhanhCustomers {
		if c := &g.ds.NhanhCustomers[i]; chance(lc.NullTotalRate) {
			c.TotalAmountNull = true
			delete(g.truth.ExpectedTotalSpent, c.ID)
		}
	}
	for i := range g.ds.NhanhProducts {
		if p := &g.ds.NhanhProducts[i]; !p.Deleted && chance(lc.NullStockRate) {
			p.StockNull = true
		}
	}
	for i := range g.ds.ShopifyVariants {
		v := &g.ds.ShopifyVariants[i]
		if chance(lc.UntrackedRate) {
			v.Untracked = true
		}
		if len(g.ds.ShopifyLocations) > 1 && chance(lc.NotStockedRate) {
			loc := g.ds.ShopifyLocations[rng.IntN(len(g.ds.ShopifyLocations))]
			if loc.Primary {
				loc = g.ds.ShopifyLocations[(slices.Index(g.ds.ShopifyLocations, loc)+1)%len(g.ds.ShopifyLocations)]
			}
			v.NotStockedAt = []extid.ShopifyLocationGID{loc.ID}
			delete(v.Available, loc.ID)
		}
	}
	g.addParentsAndCombos(rng, lc.ParentsAndCombos)
}

// addParentsAndCombos appends n parents (with two children each) and n
// combos of two existing products, with ids after every generated one.
func (g *generator) addParentsAndCombos(rng *rand.Rand, n int) {
	if n <= 0 {
		return
	}
	var plain []extid.NhanhProductID
	nextP := int64(firstNhanhProductID)
	for _, p := range g.ds.NhanhProducts {
		nextP = max(nextP, int64(p.ID))
		if !p.Deleted {
			plain = append(plain, p.ID)
		}
	}
	nextV, nextI, nextProduct := int64(firstShopifyVariantID), int64(firstShopifyInventoryID), int64(firstShopifyProductID)
	for _, v := range g.ds.ShopifyVariants {
		nextV = max(nextV, gidNum(string(v.ID)))
		nextI = max(nextI, gidNum(string(v.InventoryItemID)))
		nextProduct = max(nextProduct, gidNum(string(v.ProductID)))
	}
	product := func(code string, parent int64, combos []NhanhComboItem) NhanhProduct {
		nextP++
		p := NhanhProduct{ID: extid.NhanhProductID(nextP), Code: code, Name: "Sản phẩm " + code, Price: 150000, Status: 1,
			Available: map[extid.NhanhDepotID]int64{}, UpdatedAt: g.cfg.BaseTime.Unix() - 86400, ParentID: parent, Combos: combos}
		for _, d := range g.ds.NhanhDepots {
			p.Available[d.ID] = int64(1 + rng.IntN(40))
		}
		return p
	}
	twin := func(p NhanhProduct, reason Reason) {
		nextV++
		nextI++
		nextProduct++
		v := ShopifyVariant{
			ID:           extid.ShopifyVariantGID(extid.FormatGID(extid.ResourceVariant, nextV)),
			ProductID:    extid.ShopifyProductGID(extid.FormatGID(extid.ResourceProduct, nextProduct)),
			ProductTitle: p.Name, Title: "Default Title", SKU: p.Code, ProductStatus: "ACTIVE",
			InventoryItemID: extid.ShopifyInventoryItemGID(extid.FormatGID(extid.ResourceInventoryItem, nextI)),
			Available:       map[extid.ShopifyLocationGID]int64{}, UpdatedAt: p.UpdatedAt,
		}
		for _, l := range g.ds.ShopifyLocations {
			v.Available[l.ID] = 7
		}
		g.ds.ShopifyVariants = append(g.ds.ShopifyVariants, v)
		g.truth.UnmatchedNhanhProducts[p.ID] = reason
		g.truth.UnmatchedShopifyVariants[v.ID] = ReasonPartnerNotSellable
	}
	for i := range n {
		parent := product("CHA-"+strconv.Itoa(i), -2, nil)
		g.ds.NhanhProducts = append(g.ds.NhanhProducts, parent)
		twin(parent, ReasonParentProduct)
		for k := range 2 {
			child := product("CHA-"+strconv.Itoa(i)+"-"+strconv.Itoa(k), int64(parent.ID), nil)
			g.ds.NhanhProducts = append(g.ds.NhanhProducts, child)
			g.truth.UnmatchedNhanhProducts[child.ID] = ReasonNoCandidate
		}
		var parts []NhanhComboItem
		if len(plain) >= 2 {
			a := rng.IntN(len(plain))
			b := (a + 1 + rng.IntN(len(plain)-1)) % len(plain)
			parts = []NhanhComboItem{{ProductID: plain[a], Quantity: 1}, {ProductID: plain[b], Quantity: 2}}
			slices.SortFunc(parts, func(x, y NhanhComboItem) int { return cmp.Compare(x.ProductID, y.ProductID) })
		}
		combo := product("COMBO-"+strconv.Itoa(i), 0, parts)
		g.ds.NhanhProducts = append(g.ds.NhanhProducts, combo)
		twin(combo, ReasonComboProduct)
	}
}

func gidNum(gid string) int64 {
	_, n, err := extid.ParseGID(gid)
	if err != nil {
		return 0
	}
	return n
}
