package match_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
	"syncops/store/storetest"
)

// sellableWorldConfig has parent and combo products (each with a Shopify
// variant of its SKU) among the generated catalogue, whose variants belong
// to ACTIVE, DRAFT and ARCHIVED products.
var sellableWorldConfig = dataset.GenerateConfig{Seed: 7, Customers: 40, Products: 500,
	Living: dataset.LivingCases{ParentsAndCombos: 4}}

// TestAutoMatchProductsLeavesOutWhatIsNotSellable: parent and combo products
// are never paired with their same-SKU variants (the run says why), and
// variants of draft and archived products are candidates only with
// includeArchived. Either way the mappings are exactly the answer key of
// that rule.
func TestAutoMatchProductsLeavesOutWhatIsNotSellable(t *testing.T) {
	t.Parallel()
	ds, full := dataset.GenerateWithTruth(sellableWorldConfig)
	inactive := map[string]int64{}
	for _, v := range ds.ShopifyVariants {
		if v.ProductStatus != "ACTIVE" {
			inactive[v.ProductStatus]++
		}
	}
	require.Positive(t, inactive["DRAFT"])
	require.Positive(t, inactive["ARCHIVED"])
	tests := []struct {
		name     string
		params   engine.Params
		truth    *dataset.Truth
		excluded map[string]int64
	}{
		{"default", nil, full.ActiveVariantsOnly(ds), inactive},
		{"includeArchived", engine.Params{"includeArchived": "true"}, full, map[string]int64{}},
	}
	for _, dialect := range storetest.Backends(t) {
		for _, tt := range tests {
			t.Run(string(dialect)+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				b := jobstest.New(t, jobstest.Options{Dialect: dialect, Sandbox: sandbox.Options{Dataset: ds}})
				jobstest.FillMirrors(t, b.Store, ds)
				require.NotEqual(t, len(full.ProductMatches), len(tt.truth.ProductMatches)+len(inactive)-len(tt.excluded),
					"the rule must change the answer, or this test proves nothing")

				want := matchExpectedProductRun(ds, tt.truth)
				notSellable := map[string]int64{}
				for _, reason := range tt.truth.UnmatchedNhanhProducts {
					switch reason {
					case dataset.ReasonParentProduct:
						notSellable["parent product: map by hand"]++
					case dataset.ReasonComboProduct:
						notSellable["combo product: map by hand"]++
					}
				}
				require.Equal(t, int64(sellableWorldConfig.Living.ParentsAndCombos), notSellable["parent product: map by hand"])
				require.Equal(t, int64(sellableWorldConfig.Living.ParentsAndCombos), notSellable["combo product: map by hand"])
				want.counters.Skipped += 2 * int64(sellableWorldConfig.Living.ParentsAndCombos)

				j := b.Run(t, jobs.AutoMatchProducts, tt.params)
				want.check(t, b, j, false)
				var meta struct {
					NotSellable      map[string]int64 `json:"notSellableNhanh"`
					ExcludedVariants map[string]int64 `json:"excludedVariants"`
				}
				require.NoError(t, json.Unmarshal(j.Metadata, &meta))
				require.Equal(t, notSellable, meta.NotSellable)
				require.Equal(t, tt.excluded, meta.ExcludedVariants)

				mappings, err := b.Store.ProductMappings(context.Background(), b.Store.Reader(), store.MappingFilter{})
				require.NoError(t, err)
				got := map[extid.NhanhProductID]dataset.ProductMatch{}
				for _, m := range mappings {
					got[m.NhanhID] = dataset.ProductMatch{Variant: m.ShopifyID, By: dataset.MatchKey(m.MatchMethod)}
				}
				wantPairs := map[extid.NhanhProductID]dataset.ProductMatch{}
				for id, m := range tt.truth.ProductMatches {
					wantPairs[id] = dataset.ProductMatch{Variant: m.Variant, By: m.By}
				}
				require.Equal(t, wantPairs, got)
			})
		}
	}
}

// TestAutoMatchProductsKeepsAHandMappedParent: an operator may map a parent
// product by hand; auto-match leaves that mapping alone.
func TestAutoMatchProductsKeepsAHandMappedParent(t *testing.T) {
	t.Parallel()
	ds, truth := dataset.GenerateWithTruth(sellableWorldConfig)
	b := jobstest.New(t, jobstest.Options{Sandbox: sandbox.Options{Dataset: ds}})
	jobstest.FillMirrors(t, b.Store, ds)
	var parent extid.NhanhProductID
	for id, reason := range truth.UnmatchedNhanhProducts {
		if reason == dataset.ReasonParentProduct {
			parent = id
			break
		}
	}
	var code string
	for _, p := range ds.NhanhProducts {
		if p.ID == parent {
			code = p.Code
		}
	}
	var twin dataset.ShopifyVariant
	for _, v := range ds.ShopifyVariants {
		if v.SKU == code {
			twin = v
		}
	}
	require.NotEmpty(t, twin.ID)
	ctx := context.Background()
	hand := store.ProductMapping{NhanhID: parent, ShopifyID: twin.ID, InventoryItemID: twin.InventoryItemID,
		Status: store.MappingPending, MatchMethod: "manual"}
	require.NoError(t, b.Store.CreateProductMappings(ctx, b.Store.DB(), []store.ProductMapping{hand}, time.Now()))

	j := b.Run(t, jobs.AutoMatchProducts, nil)
	require.Equal(t, engine.StatusCompleted, j.Status, j.Error)
	mappings, err := b.Store.ProductMappings(ctx, b.Store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	found := false
	for _, m := range mappings {
		if m.NhanhID == parent {
			found = true
			require.Equal(t, twin.ID, m.ShopifyID)
			require.Equal(t, "manual", m.MatchMethod)
		}
	}
	require.True(t, found, "the hand-made mapping of the parent is kept")
}
