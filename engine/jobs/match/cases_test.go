package match_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
)

// The generated world holds only the hard cases Truth describes; these
// small hand-built worlds pin the rules it cannot show: mappings made
// before the run, deleted records, odd phone fields.

func matchCustomerGID(n int64) extid.ShopifyCustomerGID {
	return extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, n))
}

func matchVariantGID(n int64) extid.ShopifyVariantGID {
	return extid.ShopifyVariantGID(extid.FormatGID(extid.ResourceVariant, n))
}

// matchCaseOutcome is what a hand-built case expects of one run.
type matchCaseOutcome struct {
	pairs    map[int64]string   // Nhanh id -> Shopify GID and method, "gid by method"
	failures map[int64][]string // Nhanh id -> strings its message must contain
	skipped  int64
}

func TestAutoMatchCustomersCases(t *testing.T) {
	t.Parallel()
	type shopify = store.ShopifyCustomer
	type nhanh = store.NhanhCustomer
	s1, s2 := matchCustomerGID(1001), matchCustomerGID(1002)
	tests := []struct {
		name     string
		nhanh    []nhanh
		shopify  []shopify
		deleted  []shopify // pulled once, then gone from Shopify
		mappings []store.CustomerMapping
		want     matchCaseOutcome
	}{
		{
			name:     "target mapped before the run",
			nhanh:    []nhanh{{ID: 1, Mobile: "0912345678"}, {ID: 2, Mobile: "0912 345 678"}},
			shopify:  []shopify{{ID: s1, Phone: "+84912345678", FirstName: "Lan", LastName: "Nguyễn Thị"}},
			mappings: []store.CustomerMapping{{NhanhID: 1, ShopifyID: s1, MatchMethod: store.MatchManual}},
			want: matchCaseOutcome{failures: map[int64][]string{
				2: {string(s1), "Nguyễn Thị Lan", "already mapped to Nhanh customer 1", "0912345678"}}},
		},
		{
			name:     "a mapped customer is not a candidate",
			nhanh:    []nhanh{{ID: 1, Mobile: "0912345678"}, {ID: 2, Mobile: "0912345678"}},
			shopify:  []shopify{{ID: s1, Phone: "0912345678"}, {ID: s2, DefaultAddressPhone: "0912.345.678"}},
			mappings: []store.CustomerMapping{{NhanhID: 1, ShopifyID: s1, MatchMethod: store.MatchManual}},
			want:     matchCaseOutcome{pairs: map[int64]string{2: string(s2) + " by phone"}},
		},
		{
			name:    "a mobile without a number falls back to the e-mail",
			nhanh:   []nhanh{{ID: 1, Mobile: "không có", Email: " Lan@Gmail.com"}},
			shopify: []shopify{{ID: s1, Email: "lan@gmail.com"}},
			want:    matchCaseOutcome{pairs: map[int64]string{1: string(s1) + " by email"}},
		},
		{
			name:    "a number that reaches nobody does not fall back",
			nhanh:   []nhanh{{ID: 1, Mobile: "0912345678", Email: "lan@gmail.com"}},
			shopify: []shopify{{ID: s1, Phone: "0987654321", Email: "lan@gmail.com"}},
			want:    matchCaseOutcome{skipped: 1},
		},
		{
			name:    "a deleted Shopify customer is not a candidate",
			nhanh:   []nhanh{{ID: 1, Mobile: "0912345678"}},
			deleted: []shopify{{ID: s1, Phone: "0912345678"}},
			want:    matchCaseOutcome{skipped: 1},
		},
		{
			name:    "three claimants",
			nhanh:   []nhanh{{ID: 1, Mobile: "0912345678"}, {ID: 2, Mobile: "84912345678"}, {ID: 3, Mobile: "912345678"}},
			shopify: []shopify{{ID: s1, Phone: "0912345678"}},
			want: matchCaseOutcome{failures: map[int64][]string{
				1: {string(s1), "2 other Nhanh customers: 2 (phone", "3 (phone"}, 2: {string(s1), "1 (phone", "3 (phone"},
				3: {string(s1), "1 (phone", "2 (phone"}}},
		},
		{
			name:    "one Shopify customer carrying two Nhanh customers' numbers",
			nhanh:   []nhanh{{ID: 1, Mobile: "0912345678"}, {ID: 2, Mobile: "0987654321"}},
			shopify: []shopify{{ID: s1, Phone: "0912345678", Note: "vợ: 0987 654 321"}},
			want: matchCaseOutcome{failures: map[int64][]string{
				1: {string(s1), "2 (phone 0987654321)"}, 2: {string(s1), "1 (phone 0912345678)"}}},
		},
		{
			name:    "two e-mail claimants",
			nhanh:   []nhanh{{ID: 1, Email: "lan@gmail.com"}, {ID: 2, Email: "LAN@gmail.com"}},
			shopify: []shopify{{ID: s1, Email: "Lan@Gmail.com"}},
			want: matchCaseOutcome{failures: map[int64][]string{
				1: {string(s1), "e-mail lan@gmail.com"}, 2: {string(s1), "e-mail lan@gmail.com"}}},
		},
		{
			name:    "several numbers in one mobile",
			nhanh:   []nhanh{{ID: 1, Mobile: "0912345678 / 0987654321"}},
			shopify: []shopify{{ID: s1, Phone: "+84987654321"}},
			want:    matchCaseOutcome{pairs: map[int64]string{1: string(s1) + " by phone"}},
		},
		{
			name:    "ambiguous names every candidate",
			nhanh:   []nhanh{{ID: 1, Mobile: "0912345678"}},
			shopify: []shopify{{ID: s1, Phone: "0912345678"}, {ID: s2, Note: "SĐT: 0912.345.678"}},
			want: matchCaseOutcome{failures: map[int64][]string{
				1: {"phone 0912345678 is on 2 Shopify customers", string(s1), string(s2)}}},
		},
		{
			name:    "a long note is not searched",
			nhanh:   []nhanh{{ID: 1, Mobile: "0912345678"}},
			shopify: []shopify{{ID: s1, Note: "0912345678 " + strings.Repeat("x", 2000)}},
			want:    matchCaseOutcome{skipped: 1},
		},
		{
			name:    "a bare 84x subscriber number is not read as a country code",
			nhanh:   []nhanh{{ID: 1, Mobile: "0841234567"}},
			shopify: []shopify{{ID: s1, Phone: "841234567"}},
			want:    matchCaseOutcome{pairs: map[int64]string{1: string(s1) + " by phone"}},
		},
		{
			name:  "no key",
			nhanh: []nhanh{{ID: 1}, {ID: 2, Mobile: "   ", Email: " "}},
			want:  matchCaseOutcome{skipped: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := jobstest.New(t, jobstest.Options{})
			before, now := time.Now().Add(-time.Hour), time.Now()
			require.NoError(t, b.Store.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := b.Store.UpsertShopifyCustomers(ctx, tx, tt.deleted, before); err != nil {
					return err
				}
				if _, err := b.Store.MarkShopifyCustomersDeleted(ctx, tx, now, now); err != nil {
					return err
				}
				if _, err := b.Store.UpsertShopifyCustomers(ctx, tx, tt.shopify, now); err != nil {
					return err
				}
				if _, err := b.Store.UpsertNhanhCustomers(ctx, tx, tt.nhanh, now); err != nil {
					return err
				}
				return b.Store.CreateCustomerMappings(ctx, tx, tt.mappings, now)
			}))

			j := b.Run(t, jobs.AutoMatchCustomers, nil)
			ms, err := b.Store.CustomerMappings(ctx, b.Store.Reader(), store.MappingFilter{})
			require.NoError(t, err)
			got := map[int64]string{}
			for _, m := range ms[len(tt.mappings):] {
				got[int64(m.NhanhID)] = string(m.ShopifyID) + " by " + m.MatchMethod
			}
			checkMatchCase(t, b, j, tt.want, got, int64(len(tt.nhanh)-len(tt.mappings)))
		})
	}
}

func TestAutoMatchProductsCases(t *testing.T) {
	t.Parallel()
	type variant = store.ShopifyVariant
	type product = store.NhanhProduct
	v1, v2 := matchVariantGID(2001), matchVariantGID(2002)
	item1 := extid.ShopifyInventoryItemGID(extid.FormatGID(extid.ResourceInventoryItem, 3001))
	tests := []struct {
		name            string
		products        []product
		goneProducts    []product // deleted at Nhanh
		variants        []variant
		goneVariants    []variant // deleted at Shopify
		mappings        []store.ProductMapping
		want            matchCaseOutcome
		wantItemOfFirst extid.ShopifyInventoryItemGID
	}{
		{
			name:            "SKU trimmed and without case, inventory item copied",
			products:        []product{{ID: 1, Code: "AO-THUN-001 "}},
			variants:        []variant{{ID: v1, SKU: " ao-thun-001", InventoryItemID: item1}},
			want:            matchCaseOutcome{pairs: map[int64]string{1: string(v1) + " by sku"}},
			wantItemOfFirst: item1,
		},
		{
			name:     "barcode decides only where a SKU is missing",
			products: []product{{ID: 1, Code: "A-1", Barcode: "8930000000011"}, {ID: 2, Barcode: "8930000000028"}},
			variants: []variant{{ID: v1, SKU: "B-1", Barcode: "8930000000011"}, {ID: v2, SKU: "C-1", Barcode: "8930000000028"}},
			want:     matchCaseOutcome{pairs: map[int64]string{2: string(v2) + " by barcode"}, skipped: 1},
		},
		{
			name:         "a variant mapped to a product Nhanh deleted",
			products:     []product{{ID: 2, Code: "A-1"}},
			goneProducts: []product{{ID: 1, Code: "A-1"}},
			variants:     []variant{{ID: v1, SKU: "A-1", ProductTitle: "Áo thun", Title: "M"}},
			mappings:     []store.ProductMapping{{NhanhID: 1, ShopifyID: v1, MatchMethod: store.MatchSKU}},
			want: matchCaseOutcome{failures: map[int64][]string{
				2: {string(v1), "Áo thun / M", "already mapped to Nhanh product 1", "no longer lists"}}},
		},
		{
			name:         "a deleted variant is not a candidate",
			products:     []product{{ID: 1, Code: "A-1"}},
			variants:     []variant{{ID: v2, SKU: "A-1"}},
			goneVariants: []variant{{ID: v1, SKU: "A-1"}},
			want:         matchCaseOutcome{pairs: map[int64]string{1: string(v2) + " by sku"}},
		},
		{
			name:     "a deleted product claims nothing",
			products: []product{{ID: 2, Code: "a-1"}}, goneProducts: []product{{ID: 1, Code: "A-1"}},
			variants: []variant{{ID: v1, SKU: "A-1"}},
			want:     matchCaseOutcome{pairs: map[int64]string{2: string(v1) + " by sku"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := jobstest.New(t, jobstest.Options{})
			before, now := time.Now().Add(-time.Hour), time.Now()
			require.NoError(t, b.Store.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := b.Store.UpsertShopifyVariants(ctx, tx, tt.goneVariants, before); err != nil {
					return err
				}
				if _, err := b.Store.UpsertNhanhProducts(ctx, tx, tt.goneProducts, before); err != nil {
					return err
				}
				if _, err := b.Store.MarkShopifyVariantsDeleted(ctx, tx, now, now); err != nil {
					return err
				}
				if _, err := b.Store.MarkNhanhProductsDeleted(ctx, tx, now, now); err != nil {
					return err
				}
				if _, err := b.Store.UpsertShopifyVariants(ctx, tx, tt.variants, now); err != nil {
					return err
				}
				if _, err := b.Store.UpsertNhanhProducts(ctx, tx, tt.products, now); err != nil {
					return err
				}
				return b.Store.CreateProductMappings(ctx, tx, tt.mappings, now)
			}))

			j := b.Run(t, jobs.AutoMatchProducts, nil)
			ms, err := b.Store.ProductMappings(ctx, b.Store.Reader(), store.MappingFilter{})
			require.NoError(t, err)
			got := map[int64]string{}
			for _, m := range ms[len(tt.mappings):] {
				got[int64(m.NhanhID)] = string(m.ShopifyID) + " by " + m.MatchMethod
			}
			if tt.wantItemOfFirst != "" {
				require.Equal(t, tt.wantItemOfFirst, ms[0].InventoryItemID)
			}
			checkMatchCase(t, b, j, tt.want, got, int64(len(tt.products)))
		})
	}
}

func checkMatchCase(t *testing.T, b *jobstest.World, j engine.Job, want matchCaseOutcome, got map[int64]string, total int64) {
	t.Helper()
	require.Equal(t, engine.StatusCompleted, j.Status, j.Error)
	if want.pairs == nil {
		want.pairs = map[int64]string{}
	}
	require.Equal(t, want.pairs, got)
	require.Equal(t, engine.Counters{Total: total, Processed: total, Successful: int64(len(want.pairs)),
		Failed: int64(len(want.failures)), Skipped: want.skipped}, j.Counters())
	failed := b.Failures(t, j.ID)
	require.Len(t, failed, len(want.failures))
	for id, mentions := range want.failures {
		it, ok := failed[strconv.FormatInt(id, 10)]
		require.True(t, ok, "no failed item for %d", id)
		for _, m := range mentions {
			require.Contains(t, it.Message, m)
		}
	}
}
