package dataset

import (
	"fmt"
	"strings"

	"syncops/clients/extid"
)

// productRole is what one variant slot is generated to test. Every role
// except prodExact is a hard case; prodShopifyOnly slots have no Nhanh side.
type productRole int

const (
	prodDupNhanh            productRole = iota // 2 Nhanh products share the SKU of 1 variant
	prodDupShopify                             // 1 Nhanh product, 2 variants share its SKU
	prodBarcodeNhanhEmpty                      // Nhanh code empty, barcode pairs them
	prodBarcodeShopifyEmpty                    // Shopify SKU empty, barcode pairs them
	prodOtherCase                              // Shopify SKU in another case
	prodPadded                                 // Shopify SKU with surrounding spaces
	prodDeleted                                // Nhanh product deleted after mapping
	prodNhanhOnly                              // SKU unknown to Shopify
	prodNoKey                                  // Nhanh product with neither code nor barcode
	prodExact                                  // the ordinary case
	prodShopifyOnly                            // variant with no Nhanh product
)

// productRoleCounts returns how many slots each role gets for n Nhanh
// products (the ordinary case absorbing the rest) plus the Shopify-only slots.
func productRoleCounts(n int) []int {
	cost := []int{2, 1, 1, 1, 1, 1, 1, 1, 1}
	want := []int{n / 500, n / 500, n / 200, n / 200, n * 3 / 100, n * 2 / 100, n / 100, n * 5 / 100, n / 200}
	return append(roleCounts(n, cost, want), max(1, n*8/100))
}

// Rates of optional product data.
const (
	barcodeRate        = 0.7  // articles with an EAN-13
	inactiveRate       = 0.05 // Nhanh products with status 2
	depotAbsentRate    = 0.2  // a depot that never stocked the product
	depotZeroRate      = 0.15 // a depot that sold out
	singleVariantRate  = 0.45 // products with only "Default Title"
	shopifyNoSKURate   = 0.1  // Shopify-only variants without SKU
	maxStockPerDepot   = 200
	shopifyStockMargin = 50 // Shopify starts up to this much above Nhanh's total
)

type optionKind int

const (
	optApparel optionKind = iota // sizes, colours, or colour / size
	optShoes                     // shoe sizes
	optColours                   // colours only
)

type category struct {
	code, name         string
	styles             []string
	options            optionKind
	minPrice, maxPrice int // VND, in thousands
}

var categories = []category{
	{"AO-THUN", "Áo thun", []string{"cổ tròn", "cổ tim", "oversize", "basic", "in hình"}, optApparel, 99, 399},
	{"AO-SOMI", "Áo sơ mi", []string{"tay dài", "tay ngắn", "kẻ sọc", "linen"}, optApparel, 199, 699},
	{"QUAN-JEAN", "Quần jean", []string{"ống đứng", "skinny", "ống rộng", "rách gối"}, optApparel, 299, 899},
	{"QUAN-KAKI", "Quần kaki", []string{"slim fit", "túi hộp", "ống suông"}, optApparel, 249, 599},
	{"VAY", "Váy", []string{"midi", "xếp ly", "hoa nhí", "chữ A"}, optApparel, 199, 799},
	{"DAM", "Đầm", []string{"công sở", "maxi", "dự tiệc"}, optApparel, 299, 1499},
	{"GIAY", "Giày", []string{"thể thao", "lười", "cao gót", "sandal"}, optShoes, 299, 1999},
	{"TUI", "Túi xách", []string{"đeo chéo", "tote", "mini"}, optColours, 199, 1299},
	{"MU", "Mũ", []string{"lưỡi trai", "bucket", "len"}, optColours, 79, 249},
}

var (
	apparelSizes = []string{"S", "M", "L", "XL", "XXL"}
	shoeSizes    = []string{"36", "37", "38", "39", "40", "41", "42", "43"}
	colours      = []string{"Đen", "Trắng", "Đỏ", "Xanh navy", "Be", "Hồng", "Xám"}
	statuses     = []string{"ACTIVE", "DRAFT", "ARCHIVED"}
	statusWeight = []int{85, 10, 5}
)

func (g *generator) generateProducts() {
	n := g.cfg.Products
	counts := productRoleCounts(n)
	units := shuffledRoles[productRole](g, counts)
	variantTotal := len(units) + counts[prodDupShopify] - counts[prodNhanhOnly] - counts[prodNoKey]
	pb := &productBuilder{
		g:           g,
		nhanhIDs:    g.idSeq(firstNhanhProductID, n, 9),
		variantIDs:  g.idSeq(firstShopifyVariantID, variantTotal, 300),
		itemIDs:     g.idSeq(firstShopifyInventoryID, variantTotal, 300),
		productNext: firstShopifyProductID,
		styleNo:     map[string]int{},
	}
	g.ds.NhanhProducts = make([]NhanhProduct, 0, n)
	g.ds.ShopifyVariants = make([]ShopifyVariant, 0, variantTotal)
	for len(units) > 0 {
		k := 1
		if !g.chance(singleVariantRate) {
			k = g.between(2, 4)
		}
		k = min(k, len(units))
		pb.style(units[:k])
		units = units[k:]
	}
}

// productBuilder hands out ids in creation order (products and their
// variants are created together, as a merchant does) and names styles.
type productBuilder struct {
	g                     *generator
	nhanhIDs              []int64
	variantIDs, itemIDs   []int64
	productNext           int64
	styleNo               map[string]int
	nhanhNext, variantNxt int
}

// article is one sellable item: a style in one option (size, colour).
type article struct {
	title, variantTitle, sku string
	price                    float64
	product                  extid.ShopifyProductGID // lazily created
	status                   string
}

// style builds one product with len(roles) variants, one per role.
func (pb *productBuilder) style(roles []productRole) {
	g := pb.g
	c := pick(g, categories)
	pb.styleNo[c.code]++
	base := fmt.Sprintf("%s-%03d", c.code, pb.styleNo[c.code])
	title := c.name + " " + pick(g, c.styles)
	price := float64(g.between(c.minPrice/10, c.maxPrice/10)*10000 - 1000)
	status := pb.status()
	var product extid.ShopifyProductGID
	for i, opt := range pb.options(c, len(roles)) {
		a := article{title: title, variantTitle: opt, sku: base, price: price, status: status, product: product}
		if opt != "Default Title" {
			a.sku = base + "-" + skuPart(opt)
		}
		pb.article(&a, roles[i])
		product = a.product
	}
}

func (pb *productBuilder) status() string {
	x := pb.g.rng.IntN(100)
	for i, w := range statusWeight {
		if x < w {
			return statuses[i]
		}
		x -= w
	}
	return statuses[0]
}

// options returns k distinct variant titles fitting the category.
func (pb *productBuilder) options(c category, k int) []string {
	g := pb.g
	if k == 1 {
		return []string{"Default Title"}
	}
	choose := func(from []string) []string {
		var out []string
		for _, i := range g.rng.Perm(len(from))[:k] {
			out = append(out, from[i])
		}
		return out
	}
	switch {
	case c.options == optShoes:
		return choose(shoeSizes)
	case c.options == optColours:
		return choose(colours)
	case g.chance(0.4):
		return choose(apparelSizes)
	case g.chance(0.5):
		return choose(colours)
	default:
		colour := pick(g, colours)
		sizes := choose(apparelSizes)
		for i, s := range sizes {
			sizes[i] = colour + " / " + s
		}
		return sizes
	}
}

// article creates the records of one variant slot for its role.
func (pb *productBuilder) article(a *article, role productRole) {
	g := pb.g
	t := g.truth
	switch role {
	case prodExact, prodOtherCase, prodPadded, prodBarcodeNhanhEmpty, prodBarcodeShopifyEmpty:
		barcode := ""
		if g.chance(barcodeRate) || role == prodBarcodeNhanhEmpty || role == prodBarcodeShopifyEmpty {
			barcode = g.freshBarcode()
		}
		np := pb.nhanh(a, a.sku, barcode)
		sku, form, by := a.sku, SKUExact, MatchSKU
		switch role {
		case prodOtherCase:
			sku, form = otherCase(g, a.sku), SKUOtherCase
		case prodPadded:
			sku, form = pick(g, []string{" " + a.sku, a.sku + " ", "  " + a.sku + " "}), SKUPadded
		case prodBarcodeNhanhEmpty:
			np.Code, form, by = "", SKUEmptyOnNhanh, MatchBarcode
		case prodBarcodeShopifyEmpty:
			sku, form, by = "", SKUEmptyOnShopify, MatchBarcode
		}
		v := pb.variant(a, sku, barcode, totalAvailable(np))
		t.ProductMatches[np.ID] = ProductMatch{Variant: v.ID, By: by, Form: form}
	case prodDupNhanh:
		first := pb.nhanh(a, a.sku, pb.maybeBarcode())
		second := pb.nhanh(a, pick(g, []string{otherCase(g, a.sku), a.sku + " "}), pb.maybeBarcode())
		v := pb.variant(a, a.sku, pb.maybeBarcode(), totalAvailable(first))
		t.UnmatchedNhanhProducts[first.ID] = ReasonDuplicateNhanhSKU
		t.UnmatchedNhanhProducts[second.ID] = ReasonDuplicateNhanhSKU
		t.UnmatchedShopifyVariants[v.ID] = ReasonDuplicateNhanhSKU
	case prodDupShopify:
		np := pb.nhanh(a, a.sku, pb.maybeBarcode())
		v := pb.variant(a, a.sku, pb.maybeBarcode(), totalAvailable(np))
		// The merchant duplicated the product: a second product, same title,
		// usually left as a draft, carrying the same SKU.
		copied := *a
		copied.product, copied.status = "", "DRAFT"
		dup := pb.variant(&copied, pick(g, []string{a.sku, otherCase(g, a.sku)}), pb.maybeBarcode(), totalAvailable(np))
		t.UnmatchedNhanhProducts[np.ID] = ReasonDuplicateShopifySKU
		t.UnmatchedShopifyVariants[v.ID] = ReasonDuplicateShopifySKU
		t.UnmatchedShopifyVariants[dup.ID] = ReasonDuplicateShopifySKU
	case prodDeleted:
		barcode := pb.maybeBarcode()
		np := pb.nhanh(a, a.sku, barcode)
		np.Deleted = true
		v := pb.variant(a, a.sku, barcode, totalAvailable(np))
		t.DeletedProducts[np.ID] = v.ID
		t.UnmatchedShopifyVariants[v.ID] = ReasonNhanhDeleted
	case prodNhanhOnly:
		np := pb.nhanh(a, a.sku, pb.maybeBarcode())
		t.UnmatchedNhanhProducts[np.ID] = ReasonNoCandidate
	case prodNoKey:
		np := pb.nhanh(a, "", "")
		t.UnmatchedNhanhProducts[np.ID] = ReasonNoKey
	case prodShopifyOnly:
		sku := a.sku
		if g.chance(shopifyNoSKURate) {
			sku = ""
		}
		v := pb.variant(a, sku, pb.maybeBarcode(), 0)
		t.UnmatchedShopifyVariants[v.ID] = ReasonNoCandidate
		if sku == "" && v.Barcode == "" {
			t.UnmatchedShopifyVariants[v.ID] = ReasonNoKey
		}
	}
}

// otherCase returns sku in another letter case: all lower, or lower after
// the first dash ("AO-thun-001").
func otherCase(g *generator, sku string) string {
	if head, tail, ok := strings.Cut(sku, "-"); ok && g.chance(0.5) {
		// A tail without letters ("MU-012") would come back unchanged.
		if partial := head + "-" + strings.ToLower(tail); partial != sku {
			return partial
		}
	}
	return strings.ToLower(sku)
}

func (pb *productBuilder) maybeBarcode() string {
	if !pb.g.chance(barcodeRate) {
		return ""
	}
	return pb.g.freshBarcode()
}

// nhanh appends a Nhanh product and returns it; the slice was allocated at
// its final size, so the pointer stays valid.
func (pb *productBuilder) nhanh(a *article, code, barcode string) *NhanhProduct {
	g := pb.g
	name := a.title
	if a.variantTitle != "Default Title" {
		name += " - " + a.variantTitle
	}
	p := NhanhProduct{
		ID:        extid.NhanhProductID(pb.nhanhIDs[pb.nhanhNext]),
		Code:      code,
		Barcode:   barcode,
		Name:      name,
		Price:     a.price,
		Status:    1,
		Available: map[extid.NhanhDepotID]int64{},
		UpdatedAt: g.pastTime().Unix(),
	}
	pb.nhanhNext++
	if g.chance(inactiveRate) {
		p.Status = 2
	}
	for _, d := range g.ds.NhanhDepots {
		switch x := g.rng.Float64(); {
		case x < depotAbsentRate:
		case x < depotAbsentRate+depotZeroRate:
			p.Available[d.ID] = 0
		default:
			p.Available[d.ID] = int64(g.between(1, maxStockPerDepot))
		}
	}
	g.ds.NhanhProducts = append(g.ds.NhanhProducts, p)
	return &g.ds.NhanhProducts[len(g.ds.NhanhProducts)-1]
}

func totalAvailable(p *NhanhProduct) int64 {
	var sum int64
	for _, q := range p.Available {
		sum += q
	}
	return sum
}

// variant appends a Shopify variant. Its stock at every location is above
// nhanhTotal, so it differs from any sum of the partner's depots and a sync
// visibly changes it.
func (pb *productBuilder) variant(a *article, sku, barcode string, nhanhTotal int64) *ShopifyVariant {
	g := pb.g
	if a.product == "" {
		pb.productNext += 1 + int64(g.rng.IntN(5000))
		a.product = extid.ShopifyProductGID(extid.FormatGID(extid.ResourceProduct, pb.productNext))
	}
	v := ShopifyVariant{
		ID:              extid.ShopifyVariantGID(extid.FormatGID(extid.ResourceVariant, pb.variantIDs[pb.variantNxt])),
		ProductID:       a.product,
		ProductTitle:    a.title,
		Title:           a.variantTitle,
		SKU:             sku,
		Barcode:         barcode,
		ProductStatus:   a.status,
		InventoryItemID: extid.ShopifyInventoryItemGID(extid.FormatGID(extid.ResourceInventoryItem, pb.itemIDs[pb.variantNxt])),
		Available:       map[extid.ShopifyLocationGID]int64{},
		UpdatedAt:       g.pastTime().Unix(),
	}
	pb.variantNxt++
	for _, loc := range g.ds.ShopifyLocations {
		v.Available[loc.ID] = nhanhTotal + int64(g.between(1, shopifyStockMargin))
	}
	g.ds.ShopifyVariants = append(g.ds.ShopifyVariants, v)
	return &g.ds.ShopifyVariants[len(g.ds.ShopifyVariants)-1]
}
