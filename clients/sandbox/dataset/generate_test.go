package dataset_test

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
)

// world is a generated dataset with its answer key. Tests must not mutate it:
// the default-sized one is shared to save the machine's two cores.
type world struct {
	ds    *dataset.Dataset
	truth *dataset.Truth
}

var defaultWorld = sync.OnceValue(func() world {
	ds, truth := dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: 42})
	return world{ds, truth}
})

func setup(t *testing.T, cfg *dataset.GenerateConfig) world {
	t.Helper()
	if cfg == nil {
		return defaultWorld()
	}
	ds, truth := dataset.GenerateWithTruth(*cfg)
	return world{ds, truth}
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  dataset.GenerateConfig
	}{
		{"default sizes", dataset.GenerateConfig{Seed: 7}},
		{"small", dataset.GenerateConfig{Seed: 1, Customers: 50, Products: 30, Depots: 2, Locations: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := setup(t, &tt.cfg)
			b := setup(t, &tt.cfg)
			require.Equal(t, a.ds, b.ds)
			require.Equal(t, a.truth, b.truth)

			other := tt.cfg
			other.Seed++
			c := setup(t, &other)
			require.NotEqual(t, a.ds.NhanhCustomers, c.ds.NhanhCustomers)
			require.NotEqual(t, a.ds.ShopifyVariants, c.ds.ShopifyVariants)
		})
	}
}

func TestGenerateHonoursSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                                   string
		cfg                                    dataset.GenerateConfig
		customers, products, depots, locations int
	}{
		{"defaults", dataset.GenerateConfig{}, dataset.DefaultCustomers, dataset.DefaultProducts, dataset.DefaultDepots, dataset.DefaultLocations},
		{"one of each", dataset.GenerateConfig{Customers: 1, Products: 1, Depots: 1, Locations: 1}, 1, 1, 1, 1},
		{"tiny", dataset.GenerateConfig{Seed: 3, Customers: 10, Products: 10}, 10, 10, dataset.DefaultDepots, dataset.DefaultLocations},
		{"odd", dataset.GenerateConfig{Seed: 9, Customers: 137, Products: 53, Depots: 7, Locations: 6}, 137, 53, 7, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t, &tt.cfg)
			ds := w.ds
			require.Len(t, ds.NhanhCustomers, tt.customers)
			require.Len(t, ds.NhanhProducts, tt.products)
			require.Len(t, ds.NhanhDepots, tt.depots)
			require.Len(t, ds.ShopifyLocations, tt.locations)

			primaries := 0
			for _, l := range ds.ShopifyLocations {
				requireGID(t, string(l.ID), extid.ResourceLocation)
				if l.Primary {
					primaries++
					require.Equal(t, w.truth.PrimaryLocation, l.ID)
				}
			}
			require.Equal(t, 1, primaries)

			requireUniquePositive(t, ds.NhanhCustomers, func(c dataset.NhanhCustomer) int64 { return int64(c.ID) })
			requireUniquePositive(t, ds.NhanhProducts, func(p dataset.NhanhProduct) int64 { return int64(p.ID) })
			requireUniquePositive(t, ds.NhanhDepots, func(d dataset.NhanhDepot) int64 { return int64(d.ID) })
			requireUniquePositive(t, ds.ShopifyCustomers, func(c dataset.ShopifyCustomer) int64 {
				return requireGID(t, string(c.ID), extid.ResourceCustomer)
			})
			requireUniquePositive(t, ds.ShopifyVariants, func(v dataset.ShopifyVariant) int64 {
				return requireGID(t, string(v.ID), extid.ResourceVariant)
			})
			requireUniquePositive(t, ds.ShopifyVariants, func(v dataset.ShopifyVariant) int64 {
				return requireGID(t, string(v.InventoryItemID), extid.ResourceInventoryItem)
			})

			depots := map[extid.NhanhDepotID]bool{}
			for _, d := range ds.NhanhDepots {
				depots[d.ID] = true
			}
			for _, p := range ds.NhanhProducts {
				for d := range p.Available {
					require.True(t, depots[d], "product %d stocked at unknown depot %d", p.ID, d)
				}
			}
			for _, v := range ds.ShopifyVariants {
				requireGID(t, string(v.ProductID), extid.ResourceProduct)
				require.Len(t, v.Available, tt.locations, "variant %s must be stocked at every location", v.ID)
			}
		})
	}
}

func requireGID(t *testing.T, gid, resource string) int64 {
	t.Helper()
	n, err := extid.ParseTypedGID(gid, resource)
	require.NoError(t, err)
	return n
}

func requireUniquePositive[T any](t *testing.T, xs []T, id func(T) int64) {
	t.Helper()
	seen := map[int64]bool{}
	for _, x := range xs {
		n := id(x)
		require.Positive(t, n)
		require.False(t, seen[n], "duplicate id %d", n)
		seen[n] = true
	}
}

func TestTruthAgreesWithReferee(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  *dataset.GenerateConfig
	}{
		{"default sizes", nil},
		{"one of each", &dataset.GenerateConfig{Customers: 1, Products: 1, Depots: 1, Locations: 1}},
		{"tiny", &dataset.GenerateConfig{Seed: 5, Customers: 10, Products: 10}},
		{"small", &dataset.GenerateConfig{Seed: 11, Customers: 800, Products: 400}},
		{"phone cases", &dataset.GenerateConfig{Seed: 12, Customers: 2000, Products: 10, PhoneCases: true}},
		{"phone cases, one of each", &dataset.GenerateConfig{Seed: 13, Customers: 30, Products: 1, PhoneCases: true}},
	}
	// Many seeds at a small size: no seed may produce an accidental collision.
	for seed := range uint64(20) {
		tests = append(tests, struct {
			name string
			cfg  *dataset.GenerateConfig
		}{fmt.Sprintf("seed %d", seed), &dataset.GenerateConfig{Seed: 100 + seed, Customers: 300, Products: 150, Depots: 3, Locations: 2,
			PhoneCases: seed%2 == 1}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t, tt.cfg)
			ds, truth := w.ds, w.truth

			cv := refereeCustomers(ds)
			want := maps.Clone(truth.CustomerMatches)
			for id, m := range want {
				m.PhoneFormat = "" // the referee cannot tell formats; checked elsewhere
				want[id] = m
			}
			require.Equal(t, want, cv.matches)
			require.Equal(t, truth.UnmatchedNhanhCustomers, cv.unmatchedNhanh)
			require.Equal(t, truth.UnmatchedShopifyCustomers, cv.unmatchedShopfy)
			require.Len(t, truth.ExpectedTotalSpent, len(ds.NhanhCustomers))

			pv := refereeProducts(ds)
			require.Equal(t, truth.ProductMatches, pv.matches)
			require.Equal(t, truth.UnmatchedNhanhProducts, pv.unmatchedNhanh)
			require.Equal(t, truth.UnmatchedShopifyVariants, pv.unmatchedVariant)
			require.Equal(t, len(ds.NhanhProducts),
				len(truth.ProductMatches)+len(truth.UnmatchedNhanhProducts)+len(truth.DeletedProducts))

			products := map[extid.NhanhProductID]dataset.NhanhProduct{}
			for _, p := range ds.NhanhProducts {
				products[p.ID] = p
			}
			variants := map[extid.ShopifyVariantGID]dataset.ShopifyVariant{}
			for _, v := range ds.ShopifyVariants {
				variants[v.ID] = v
			}
			for pid, vid := range truth.DeletedProducts {
				require.True(t, products[pid].Deleted)
				require.Equal(t, skuKey(products[pid].Code), skuKey(variants[vid].SKU), "deleted product %d was mapped by SKU", pid)
			}
		})
	}
}

func TestPhoneFormatsAreWhatTruthSays(t *testing.T) {
	t.Parallel()
	w := setup(t, nil)
	nhanh := map[extid.NhanhCustomerID]dataset.NhanhCustomer{}
	for _, c := range w.ds.NhanhCustomers {
		nhanh[c.ID] = c
	}
	shopify := map[extid.ShopifyCustomerGID]dataset.ShopifyCustomer{}
	for _, c := range w.ds.ShopifyCustomers {
		shopify[c.ID] = c
	}
	for nid, m := range w.truth.CustomerMatches {
		n, s := nhanh[nid], shopify[m.Shopify]
		if m.By == dataset.MatchEmail {
			require.Empty(t, n.Mobile)
			require.NotEqual(t, s.Email, n.Email, "the fallback e-mail must differ in case or spaces")
			require.True(t, strings.EqualFold(s.Email, strings.TrimSpace(n.Email)))
			continue
		}
		require.Equal(t, m.PhoneFormat, classifyPhone(n.Mobile, s), "customer %d", nid)
	}
}

// TestPhoneCases checks the world of GenerateConfig.PhoneCases: every phone
// case is present and rare, each match is in the format Truth says, and the
// cases that must stay apart are there: landline and mobile sharing their
// last 9 digits, and a Nhanh customer's number in a Shopify note as a bank
// account or an unlabelled digit run.
func TestPhoneCases(t *testing.T) {
	t.Parallel()
	w := setup(t, &dataset.GenerateConfig{Seed: 42, Customers: 4000, Products: 10, PhoneCases: true})
	nhanh := map[extid.NhanhCustomerID]dataset.NhanhCustomer{}
	for _, c := range w.ds.NhanhCustomers {
		nhanh[c.ID] = c
	}
	shopify := map[extid.ShopifyCustomerGID]dataset.ShopifyCustomer{}
	for _, c := range w.ds.ShopifyCustomers {
		shopify[c.ID] = c
	}
	formats := map[dataset.PhoneFormat]int{}
	for nid, m := range w.truth.CustomerMatches {
		formats[m.PhoneFormat]++
		if m.By == dataset.MatchPhone {
			require.Equal(t, m.PhoneFormat, classifyPhone(nhanh[nid].Mobile, shopify[m.Shopify]), "customer %d", nid)
		}
	}
	for _, f := range append(slices.Clone(dataset.PhoneFormats), dataset.PhoneCaseFormats...) {
		require.Positive(t, formats[f], "phone format %s", f)
		require.Less(t, formats[f], len(w.ds.NhanhCustomers)/2, "phone format %s", f)
	}

	// Unmatched pairs that share digits: found from the records alone.
	last9 := func(s string) string {
		d := nonDigits.ReplaceAllString(s, "")
		return d[max(0, len(d)-9):]
	}
	var lookalikes, bankNotes, bareNotes int
	mobiles := map[string]extid.NhanhCustomerID{}
	for _, n := range w.ds.NhanhCustomers {
		if n.Mobile != "" {
			mobiles[last9(n.Mobile)] = n.ID
		}
	}
	for _, c := range w.ds.ShopifyCustomers {
		if w.truth.UnmatchedShopifyCustomers[c.ID] != dataset.ReasonNoCandidate {
			continue
		}
		if nid, ok := mobiles[last9(c.Phone)]; ok && c.Phone != "" {
			require.Equal(t, dataset.ReasonNoCandidate, w.truth.UnmatchedNhanhCustomers[nid])
			require.NotEqual(t, landlineNational.MatchString(subscriber(c.Phone)), landlineNational.MatchString(subscriber(nhanh[nid].Mobile)),
				"one side of %s / %s is a landline", c.Phone, nhanh[nid].Mobile)
			lookalikes++
		}
		for _, m := range regexp.MustCompile(`\d{9,10}`).FindAllString(c.Note, -1) {
			nid, ok := mobiles[last9(m)]
			if !ok {
				continue
			}
			require.Equal(t, dataset.ReasonNoCandidate, w.truth.UnmatchedNhanhCustomers[nid], "note %q", c.Note)
			if strings.Contains(folded(c.Note), "tk") || strings.Contains(folded(c.Note), "bank") {
				bankNotes++
			} else {
				bareNotes++
			}
		}
	}
	require.Positive(t, lookalikes)
	require.Positive(t, bankNotes)
	require.Positive(t, bareNotes)
}

var (
	nhanhMobile = regexp.MustCompile(`^0[35789]\d{8}$`)
	diacritics  = regexp.MustCompile(`[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵĐ]`)
	plainEmail  = regexp.MustCompile(`^[a-z0-9.]+@[a-z.]+$`)
)

// TestHardCasesPresentAtDefaultSizes counts every deliberate hard case in
// the default world: each must be there, and rare.
func TestHardCasesPresentAtDefaultSizes(t *testing.T) {
	t.Parallel()
	w := setup(t, nil)
	ds, truth := w.ds, w.truth
	count := func(n int, pred func(i int) bool) int {
		c := 0
		for i := range n {
			if pred(i) {
				c++
			}
		}
		return c
	}
	nc, sc, np, sv := ds.NhanhCustomers, ds.ShopifyCustomers, ds.NhanhProducts, ds.ShopifyVariants
	formats := map[dataset.PhoneFormat]int{}
	byKey := map[dataset.MatchKey]int{}
	for _, m := range truth.CustomerMatches {
		formats[m.PhoneFormat]++
		byKey[m.By]++
	}
	forms := map[dataset.SKUForm]int{}
	for _, m := range truth.ProductMatches {
		forms[m.Form]++
	}
	nhanhReasons := countReasons(truth.UnmatchedNhanhCustomers)
	shopifyReasons := countReasons(truth.UnmatchedShopifyCustomers)
	productReasons := countReasons(truth.UnmatchedNhanhProducts)
	variantReasons := countReasons(truth.UnmatchedShopifyVariants)
	variantsPerProduct := map[extid.ShopifyProductGID]int{}
	for _, v := range sv {
		variantsPerProduct[v.ProductID]++
	}
	base := dataset.DefaultBaseTime

	cases := []struct {
		name      string
		got, rare int // rare: the case must stay below this count
	}{
		{"email fallback matches", byKey[dataset.MatchEmail], len(nc) / 50},
		{"nhanh customer without partner", nhanhReasons[dataset.ReasonNoCandidate], len(nc) / 10},
		{"nhanh customer without phone or email", nhanhReasons[dataset.ReasonNoKey], len(nc) / 50},
		{"phone shared by two shopify customers", nhanhReasons[dataset.ReasonAmbiguousPhone], len(nc) / 100},
		{"email shared by two shopify customers", nhanhReasons[dataset.ReasonAmbiguousEmail], len(nc) / 100},
		{"two nhanh customers, one phone", nhanhReasons[dataset.ReasonConflict], len(nc) / 100},
		{"shopify customer without partner", shopifyReasons[dataset.ReasonNoCandidate], len(sc) / 5},
		{"retail", count(len(nc), func(i int) bool { return nc[i].Type == dataset.NhanhRetail }), len(nc) + 1},
		{"wholesale", count(len(nc), func(i int) bool { return nc[i].Type == dataset.NhanhWholesale }), len(nc) / 5},
		{"agent", count(len(nc), func(i int) bool { return nc[i].Type == dataset.NhanhAgent }), len(nc) / 10},
		{"zero spend", count(len(nc), func(i int) bool { return nc[i].TotalAmount == 0 }), len(nc) / 10},
		{"spend ending in .5", count(len(nc), func(i int) bool { return math.Mod(nc[i].TotalAmount, 1) == 0.5 }), len(nc) / 10},
		{"spend rounding down", count(len(nc), func(i int) bool {
			return math.Mod(nc[i].TotalAmount, 1) != 0 && float64(truth.ExpectedTotalSpent[nc[i].ID]) < nc[i].TotalAmount
		}), len(nc) / 10},
		{"names with diacritics", count(len(nc), func(i int) bool { return diacritics.MatchString(nc[i].Name) }), len(nc) + 1},
		{"nhanh customers with email", count(len(nc), func(i int) bool { return nc[i].Email != "" }), len(nc) / 2},
		{"stale total_spent metafield", count(len(sc), func(i int) bool { _, ok := sc[i].Metafields["custom.total_spent"]; return ok }), len(sc) / 10},
		{"sku in other case", forms[dataset.SKUOtherCase], len(np) / 10},
		{"sku with spaces", forms[dataset.SKUPadded], len(np) / 10},
		{"barcode only, nhanh sku empty", forms[dataset.SKUEmptyOnNhanh], len(np) / 50},
		{"barcode only, shopify sku empty", forms[dataset.SKUEmptyOnShopify], len(np) / 50},
		{"duplicate nhanh sku", productReasons[dataset.ReasonDuplicateNhanhSKU], len(np) / 50},
		{"duplicate shopify sku", variantReasons[dataset.ReasonDuplicateShopifySKU], len(sv) / 50},
		{"nhanh product without partner", productReasons[dataset.ReasonNoCandidate], len(np) / 10},
		{"nhanh product without sku or barcode", productReasons[dataset.ReasonNoKey], len(np) / 50},
		{"deleted after mapping", len(truth.DeletedProducts), len(np) / 50},
		{"shopify variant without partner", variantReasons[dataset.ReasonNoCandidate], len(sv) / 5},
		{"inactive nhanh product", count(len(np), func(i int) bool { return np[i].Status == 2 }), len(np) / 10},
		{"depot with zero stock", count(len(np), func(i int) bool { return hasZeroDepot(np[i]) }), len(np) + 1},
		{"depot never stocked", count(len(np), func(i int) bool { return len(np[i].Available) < len(ds.NhanhDepots) }), len(np) + 1},
		{"product with several variants", count(len(sv), func(i int) bool { return variantsPerProduct[sv[i].ProductID] > 1 }), len(sv) + 1},
		{"draft product", count(len(sv), func(i int) bool { return sv[i].ProductStatus == "DRAFT" }), len(sv) / 5},
		{"archived product", count(len(sv), func(i int) bool { return sv[i].ProductStatus == "ARCHIVED" }), len(sv) / 10},
	}
	for _, f := range dataset.PhoneFormats {
		cases = append(cases, struct {
			name      string
			got, rare int
		}{"phone format " + string(f), formats[f], len(nc) / 2})
	}
	for _, c := range cases {
		require.Positive(t, c.got, c.name)
		require.Less(t, c.got, c.rare, c.name)
	}

	for _, c := range nc {
		// custom.total_spent is an integer: the nearest one, halves up.
		got := float64(truth.ExpectedTotalSpent[c.ID])
		require.LessOrEqual(t, math.Abs(got-c.TotalAmount), 0.5, "customer %d", c.ID)
		if math.Mod(c.TotalAmount, 1) == 0.5 {
			require.Greater(t, got, c.TotalAmount, "customer %d", c.ID)
		}
		if c.Mobile != "" {
			require.Regexp(t, nhanhMobile, c.Mobile)
		}
		if c.LastBoughtDate != "" {
			d, err := time.Parse(time.DateOnly, c.LastBoughtDate)
			require.NoError(t, err)
			require.WithinRange(t, d, base.AddDate(-2, 0, -1), base)
		}
		require.WithinRange(t, time.Unix(c.UpdatedAt, 0), base.AddDate(-2, 0, -1), base)
	}
	for _, c := range sc {
		if c.Email != "" {
			require.Regexp(t, plainEmail, strings.ToLower(c.Email))
		}
	}
}

func countReasons[K comparable](m map[K]dataset.Reason) map[dataset.Reason]int {
	out := map[dataset.Reason]int{}
	for _, r := range m {
		out[r]++
	}
	return out
}

func hasZeroDepot(p dataset.NhanhProduct) bool {
	for _, q := range p.Available {
		if q == 0 {
			return true
		}
	}
	return false
}

// TestShopifyStockDiffersFromNhanh proves a sync has something to change:
// every matched variant starts above any sum of its partner's depots.
func TestShopifyStockDiffersFromNhanh(t *testing.T) {
	t.Parallel()
	w := setup(t, nil)
	variants := map[extid.ShopifyVariantGID]dataset.ShopifyVariant{}
	for _, v := range w.ds.ShopifyVariants {
		variants[v.ID] = v
	}
	for _, p := range w.ds.NhanhProducts {
		m, ok := w.truth.ProductMatches[p.ID]
		if !ok {
			continue
		}
		var total int64
		for _, q := range p.Available {
			total += q
		}
		for loc, q := range variants[m.Variant].Available {
			require.Greater(t, q, total, "variant %s at %s", m.Variant, loc)
		}
	}
}

func TestGenerateConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     dataset.GenerateConfig
		wantErr string
	}{
		{"zero is defaults", dataset.GenerateConfig{}, ""},
		{"negative customers", dataset.GenerateConfig{Customers: -1}, "customers must not be negative"},
		{"negative locations", dataset.GenerateConfig{Locations: -2}, "locations must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.Panics(t, func() { dataset.Generate(tt.cfg) })
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		dataset.Generate(dataset.GenerateConfig{Seed: 1, Customers: 20000, Products: 5000})
	}
}
