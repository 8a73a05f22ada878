package match_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
	"syncops/store/storetest"
)

// TestAutoMatchFollowsTruth runs both auto-match kinds on the generated
// world and checks them against its answer key: a dry run that writes
// nothing, a run whose mappings are exactly Truth's pairs, with a failed item
// naming the candidates of every ambiguous or conflicting record, and a
// rerun that matches nothing new.
func TestAutoMatchFollowsTruth(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			b, ds := matchWorld(t, dialect)
			t.Run("customers", func(t *testing.T) { checkCustomerMatch(t, b, ds) })
			t.Run("products", func(t *testing.T) { checkProductMatch(t, b, ds) })
		})
	}
}

// matchExpectedRun is what one auto-match run must report.
type matchExpectedRun struct {
	counters engine.Counters
	meta     matchMeta
	failures map[string][]string // Nhanh id -> strings its message must contain
}

func (want matchExpectedRun) check(t *testing.T, b *jobstest.World, j engine.Job, dryRun bool) {
	t.Helper()
	require.Equal(t, engine.StatusCompleted, j.Status, j.Error)
	require.Equal(t, want.counters, j.Counters())
	meta := want.meta
	meta.DryRun = dryRun
	if !dryRun {
		meta.Created = want.counters.Successful
	}
	require.Equal(t, meta, decodeMatchMeta(t, j))
	failed := b.Failures(t, j.ID)
	require.Len(t, failed, len(want.failures))
	for key, mentions := range want.failures {
		it, ok := failed[key]
		require.True(t, ok, "no failed item for Nhanh record %s", key)
		require.Equal(t, "validation", it.ErrorClass)
		for _, m := range mentions {
			require.Contains(t, it.Message, m, "failed item %s", key)
		}
	}
}

func checkCustomerMatch(t *testing.T, b *jobstest.World, ds *dataset.Dataset) {
	ctx := context.Background()
	truth := b.Truth()
	want := matchExpectedCustomerRun(ds, truth)

	dry := b.Run(t, jobs.AutoMatchCustomers, engine.Params{"dryRun": "true"})
	want.check(t, b, dry, true)
	mappings, err := b.Store.CustomerMappings(ctx, b.Store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	require.Empty(t, mappings, "a dry run created mappings")

	j := b.Run(t, jobs.AutoMatchCustomers, nil)
	want.check(t, b, j, false)
	mappings, err = b.Store.CustomerMappings(ctx, b.Store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	got := map[extid.NhanhCustomerID]dataset.CustomerMatch{}
	for _, m := range mappings {
		require.Equal(t, store.MappingPending, m.Status)
		got[m.NhanhID] = dataset.CustomerMatch{Shopify: m.ShopifyID, By: dataset.MatchKey(m.MatchMethod)}
	}
	wantPairs := map[extid.NhanhCustomerID]dataset.CustomerMatch{}
	for id, m := range truth.CustomerMatches {
		wantPairs[id] = dataset.CustomerMatch{Shopify: m.Shopify, By: m.By}
	}
	require.Equal(t, wantPairs, got)

	// A rerun considers only the customers left unmapped and reaches the
	// same verdicts for them.
	again := b.Run(t, jobs.AutoMatchCustomers, nil)
	rerun := want
	rerun.counters.Total -= want.counters.Successful
	rerun.counters.Processed -= want.counters.Successful
	rerun.counters.Successful = 0
	rerun.meta.MatchedByPhone, rerun.meta.MatchedByEmail = 0, 0
	rerun.check(t, b, again, false)
	after, err := b.Store.CustomerMappings(ctx, b.Store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	require.Equal(t, mappings, after)
}

// matchExpectedCustomerRun derives a run's report from the answer key. The
// candidates a failure must name are found from the records themselves:
// the Shopify customers of the same hard case sharing the Nhanh
// customer's subscriber digits or e-mail.
func matchExpectedCustomerRun(ds *dataset.Dataset, truth *dataset.Truth) matchExpectedRun {
	want := matchExpectedRun{failures: map[string][]string{}}
	for _, m := range truth.CustomerMatches {
		if m.By == dataset.MatchPhone {
			want.meta.MatchedByPhone++
		} else {
			want.meta.MatchedByEmail++
		}
	}
	shopifyWith := func(reason dataset.Reason, has func(dataset.ShopifyCustomer) bool) []string {
		var ids []string
		for _, c := range ds.ShopifyCustomers {
			if truth.UnmatchedShopifyCustomers[c.ID] == reason && has(c) {
				ids = append(ids, string(c.ID))
			}
		}
		return ids
	}
	sameNumber := func(mobile string) func(dataset.ShopifyCustomer) bool {
		sub := strings.TrimPrefix(mobile, "0")
		return func(c dataset.ShopifyCustomer) bool {
			return strings.HasSuffix(matchDigitsOf(c.Phone), sub) || strings.HasSuffix(matchDigitsOf(c.DefaultAddressPhone), sub)
		}
	}
	for _, n := range ds.NhanhCustomers {
		key := strconv.FormatInt(int64(n.ID), 10)
		switch truth.UnmatchedNhanhCustomers[n.ID] {
		case dataset.ReasonNoCandidate:
			want.meta.NoCandidate++
		case dataset.ReasonNoKey:
			want.meta.NoKey++
		case dataset.ReasonAmbiguousPhone:
			want.meta.Ambiguous++
			want.failures[key] = shopifyWith(dataset.ReasonAmbiguousPhone, sameNumber(n.Mobile))
		case dataset.ReasonAmbiguousEmail:
			want.meta.Ambiguous++
			want.failures[key] = shopifyWith(dataset.ReasonAmbiguousEmail, func(c dataset.ShopifyCustomer) bool {
				return strings.EqualFold(strings.TrimSpace(c.Email), strings.TrimSpace(n.Email))
			})
		case dataset.ReasonConflict:
			want.meta.Conflicts++
			mentions := shopifyWith(dataset.ReasonConflict, sameNumber(n.Mobile))
			for _, rival := range ds.NhanhCustomers {
				if rival.ID != n.ID && rival.Mobile == n.Mobile {
					mentions = append(mentions, strconv.FormatInt(int64(rival.ID), 10))
				}
			}
			want.failures[key] = mentions
		}
	}
	for _, mentions := range want.failures {
		if len(mentions) < 2 {
			panic("a hard case without its partners: the dataset changed shape")
		}
	}
	want.counters = engine.Counters{
		Total:      int64(len(ds.NhanhCustomers)),
		Processed:  int64(len(ds.NhanhCustomers)),
		Successful: int64(len(truth.CustomerMatches)),
		Failed:     int64(len(want.failures)),
		Skipped:    want.meta.NoCandidate + want.meta.NoKey,
	}
	return want
}

func checkProductMatch(t *testing.T, b *jobstest.World, ds *dataset.Dataset) {
	ctx := context.Background()
	// By default variants of draft and archived products are not candidates.
	truth := b.Truth().ActiveVariantsOnly(ds)
	want := matchExpectedProductRun(ds, truth)

	dry := b.Run(t, jobs.AutoMatchProducts, engine.Params{"dryRun": "true"})
	want.check(t, b, dry, true)
	mappings, err := b.Store.ProductMappings(ctx, b.Store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	require.Empty(t, mappings, "a dry run created mappings")

	j := b.Run(t, jobs.AutoMatchProducts, nil)
	want.check(t, b, j, false)
	mappings, err = b.Store.ProductMappings(ctx, b.Store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	items := map[extid.ShopifyVariantGID]extid.ShopifyInventoryItemGID{}
	for _, v := range ds.ShopifyVariants {
		items[v.ID] = v.InventoryItemID
	}
	got := map[extid.NhanhProductID]dataset.ProductMatch{}
	for _, m := range mappings {
		require.Equal(t, store.MappingPending, m.Status)
		require.Equal(t, items[m.ShopifyID], m.InventoryItemID, "mapping %d lacks the variant's inventory item", m.ID)
		got[m.NhanhID] = dataset.ProductMatch{Variant: m.ShopifyID, By: dataset.MatchKey(m.MatchMethod)}
	}
	wantPairs := map[extid.NhanhProductID]dataset.ProductMatch{}
	for id, m := range truth.ProductMatches {
		wantPairs[id] = dataset.ProductMatch{Variant: m.Variant, By: m.By}
	}
	require.Equal(t, wantPairs, got)

	again := b.Run(t, jobs.AutoMatchProducts, nil)
	rerun := want
	rerun.counters.Total -= want.counters.Successful
	rerun.counters.Processed -= want.counters.Successful
	rerun.counters.Successful = 0
	rerun.meta.MatchedBySKU, rerun.meta.MatchedByBarcode = 0, 0
	rerun.check(t, b, again, false)
	after, err := b.Store.ProductMappings(ctx, b.Store.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	require.Equal(t, mappings, after)
}

// matchExpectedProductRun derives a product run's report from the answer key.
func matchExpectedProductRun(ds *dataset.Dataset, truth *dataset.Truth) matchExpectedRun {
	want := matchExpectedRun{failures: map[string][]string{}}
	for _, m := range truth.ProductMatches {
		if m.By == dataset.MatchSKU {
			want.meta.MatchedBySKU++
		} else {
			want.meta.MatchedByBarcode++
		}
	}
	skuKey := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	variantsWith := func(reason dataset.Reason, sku string) []string {
		var ids []string
		for _, v := range ds.ShopifyVariants {
			if truth.UnmatchedShopifyVariants[v.ID] == reason && skuKey(v.SKU) == skuKey(sku) {
				ids = append(ids, string(v.ID))
			}
		}
		return ids
	}
	live := 0
	for _, p := range ds.NhanhProducts {
		if p.Deleted {
			continue
		}
		live++
		key := strconv.FormatInt(int64(p.ID), 10)
		switch truth.UnmatchedNhanhProducts[p.ID] {
		case dataset.ReasonNoCandidate:
			want.meta.NoCandidate++
		case dataset.ReasonNoKey:
			want.meta.NoKey++
		case dataset.ReasonDuplicateShopifySKU:
			want.meta.Ambiguous++
			want.failures[key] = variantsWith(dataset.ReasonDuplicateShopifySKU, p.Code)
		case dataset.ReasonDuplicateNhanhSKU:
			want.meta.Conflicts++
			mentions := variantsWith(dataset.ReasonDuplicateNhanhSKU, p.Code)
			for _, rival := range ds.NhanhProducts {
				if rival.ID != p.ID && skuKey(rival.Code) == skuKey(p.Code) {
					mentions = append(mentions, strconv.FormatInt(int64(rival.ID), 10))
				}
			}
			want.failures[key] = mentions
		}
	}
	for _, mentions := range want.failures {
		if len(mentions) < 2 {
			panic("a hard case without its partners: the dataset changed shape")
		}
	}
	want.counters = engine.Counters{
		Total:      int64(live),
		Processed:  int64(live),
		Successful: int64(len(truth.ProductMatches)),
		Failed:     int64(len(want.failures)),
		Skipped:    want.meta.NoCandidate + want.meta.NoKey,
	}
	return want
}

func matchDigitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
