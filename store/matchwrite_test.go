package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/store"
	"syncops/store/storetest"
)

func TestInsertMatchedMappingsAndTheMappingsInTheWay(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		mappingSetup(t, s) // 1 -> A, 2 unmapped
		// As matching does: a refused batch's transaction is rolled back.
		insertCustomers := func(ms []store.CustomerMapping, now time.Time) error {
			return s.InTx(ctx, func(tx *sql.Tx) error { return s.InsertMatchedCustomerMappings(ctx, tx, ms, now) })
		}
		insertProducts := func(ms []store.ProductMapping, now time.Time) error {
			return s.InTx(ctx, func(tx *sql.Tx) error { return s.InsertMatchedProductMappings(ctx, tx, ms, now) })
		}
		require.NoError(t, insertCustomers([]store.CustomerMapping{
			{NhanhID: 3, ShopifyID: gidB, MatchMethod: store.MatchPhone, CreatedByJob: 42}}, at(2)))
		ms, err := s.CustomerMappings(ctx, s.Reader(), store.MappingFilter{})
		require.NoError(t, err)
		require.Len(t, ms, 3)
		require.Equal(t, int64(42), ms[2].CreatedByJob)
		require.Equal(t, store.MappingPending, ms[2].Status)
		require.Zero(t, ms[0].CreatedByJob, "made without a job")

		tests := []struct {
			name    string
			insert  []store.CustomerMapping
			wantErr string
			inWay   []extid.NhanhCustomerID // Nhanh sides of the mappings in the way
		}{
			{"Shopify side taken", []store.CustomerMapping{{NhanhID: 4, ShopifyID: gidC}, {NhanhID: 5, ShopifyID: gidA}},
				"1 of 2 in this batch already mapped", []extid.NhanhCustomerID{1}},
			{"Nhanh side taken", []store.CustomerMapping{{NhanhID: 2, ShopifyID: gidC}},
				"1 of 1 in this batch already mapped", []extid.NhanhCustomerID{2}},
			{"both", []store.CustomerMapping{{NhanhID: 3, ShopifyID: gidA}},
				"already mapped", []extid.NhanhCustomerID{1, 3}},
			{"given twice", []store.CustomerMapping{{NhanhID: 4, ShopifyID: gidC}, {NhanhID: 5, ShopifyID: gidC}},
				"given twice", nil},
		}
		for _, tt := range tests {
			err := insertCustomers(tt.insert, at(3))
			require.ErrorIs(t, err, store.ErrConflict, tt.name)
			require.ErrorContains(t, err, tt.wantErr, tt.name)
			inWay, err := s.CustomerMappingsInTheWay(ctx, s.Reader(), tt.insert)
			require.NoError(t, err, tt.name)
			var got []extid.NhanhCustomerID
			for _, m := range inWay {
				got = append(got, m.NhanhID)
			}
			require.Equal(t, tt.inWay, got, tt.name)
		}
		ms, err = s.CustomerMappings(ctx, s.Reader(), store.MappingFilter{})
		require.NoError(t, err)
		require.Len(t, ms, 3, "a refused batch inserts nothing")

		// Products: the same rules, and the sides with their job.
		v1, v2 := extid.ShopifyVariantGID("gid://shopify/ProductVariant/1"), extid.ShopifyVariantGID("gid://shopify/ProductVariant/2")
		require.NoError(t, s.CreateProductMappings(ctx, s.DB(), []store.ProductMapping{{NhanhID: 10, ShopifyID: v1}}, at(1)))
		require.NoError(t, insertProducts([]store.ProductMapping{
			{NhanhID: 11, ShopifyID: v2, InventoryItemID: "gid://shopify/InventoryItem/2", MatchMethod: store.MatchSKU, CreatedByJob: 42},
			{NhanhID: 12}}, at(2)))
		err = insertProducts([]store.ProductMapping{{NhanhID: 13, ShopifyID: v1}}, at(3))
		require.ErrorIs(t, err, store.ErrConflict)
		inWay, err := s.ProductMappingsInTheWay(ctx, s.Reader(), []store.ProductMapping{{NhanhID: 12, ShopifyID: v1}})
		require.NoError(t, err)
		require.Len(t, inWay, 2)
		require.Equal(t, extid.NhanhProductID(10), inWay[0].NhanhID)
		require.Equal(t, extid.NhanhProductID(12), inWay[1].NhanhID)
		for _, own := range []int64{0, 42} {
			got := map[extid.NhanhProductID]store.ProductMappingSides{}
			require.NoError(t, s.EachProductMappingSides(ctx, s.Reader(), own, func(m store.ProductMappingSides) {
				got[m.NhanhID] = m
			}))
			require.Equal(t, map[extid.NhanhProductID]store.ProductMappingSides{
				10: {NhanhID: 10, ShopifyID: v1},
				11: {NhanhID: 11, ShopifyID: v2, Own: own == 42},
				12: {NhanhID: 12},
			}, got, "job %d", own)
		}
	})
}

// TestFailedItemsKeptCount: the unfiltered count of a job's failed items is
// the job's kept count, and it agrees with counting the rows after single and
// batched upserts (new keys counted once, repeated keys not at all), a
// search, and retention; a job that does not exist has none.
func TestFailedItemsKeptCount(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		insertJob(t, s, 1, "MATCH", "MATCH 1", t0)
		insertJob(t, s, 2, "MATCH", "MATCH 2", t0)
		item := func(job int64, key, msg string) store.FailedItem {
			return store.FailedItem{JobID: job, ItemKey: key, Message: msg, ErrorClass: "validation", CreatedAt: t0}
		}
		requireCount := func(job, want int64, search string) {
			t.Helper()
			n, err := s.CountFailedItems(ctx, s.Reader(), store.FailedItemFilter{JobID: job, Search: search})
			require.NoError(t, err)
			require.Equal(t, want, n, "job %d search %q", job, search)
		}

		require.NoError(t, s.UpsertFailedItem(ctx, s.DB(), item(1, "a", "ambiguous")))
		require.NoError(t, s.UpsertFailedItem(ctx, s.DB(), item(1, "a", "ambiguous again")))
		batch := []store.FailedItem{item(1, "a", "still ambiguous"), item(2, "x", "conflict")}
		for i := range 250 { // several statements
			batch = append(batch, item(1, fmt.Sprintf("k%03d", i), "no candidate"))
		}
		batch = append(batch, item(1, "k000", "conflict with 7"))
		inTx(t, s, func(tx *sql.Tx) error { return s.UpsertFailedItems(ctx, tx, batch) })
		requireCount(1, 251, "")
		requireCount(2, 1, "")
		requireCount(1, 250, "k")
		requireCount(1, 1, "conflict")
		requireCount(3, 0, "")

		items, err := s.FailedItems(ctx, s.Reader(), store.FailedItemFilter{JobID: 1, Limit: 1000})
		require.NoError(t, err)
		require.Len(t, items, 251)
		byKey := map[string]store.FailedItem{}
		for _, it := range items {
			byKey[it.ItemKey] = it
		}
		require.Equal(t, 3, byKey["a"].Attempts)
		require.Equal(t, "still ambiguous", byKey["a"].Message)
		require.Equal(t, 2, byKey["k000"].Attempts, "a key given twice in a batch counts both")
		require.Equal(t, "conflict with 7", byKey["k000"].Message, "the last one given wins")
		require.True(t, strings.HasPrefix(byKey["k249"].Message, "no candidate"))

		// A batch rolled back counts nothing.
		err = s.InTx(ctx, func(tx *sql.Tx) error {
			if err := s.UpsertFailedItems(ctx, tx, []store.FailedItem{item(1, "z", "rolled back")}); err != nil {
				return err
			}
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		requireCount(1, 251, "")

		require.NoError(t, s.FinishJob(ctx, s.DB(), 1, store.JobCompleted, store.Counters{}, json.RawMessage(`{}`), "", t0))
		res, err := s.PruneHistory(ctx, store.PruneOptions{Before: t0.Add(time.Hour)})
		require.NoError(t, err)
		require.Equal(t, int64(1), res.Jobs)
		requireCount(1, 0, "")
		requireCount(2, 1, "")
	})
}

var errRollback = fmt.Errorf("roll back")

// BenchmarkCountFailedItems100k counts the failed items of a job with
// 100,000 of them, as a job's detail does on every refresh: unfiltered (the
// kept count) and with a search (a query over the items).
//
//	go test ./store/ -run '^$' -bench CountFailedItems100k
func BenchmarkCountFailedItems100k(b *testing.B) {
	const n = 100_000
	for _, d := range storetest.Backends(b) {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			s := storetest.Open(b, d)
			t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			require.NoError(b, s.InsertJob(ctx, s.DB(), store.JobRecord{ID: 1, Type: "MATCH", Params: json.RawMessage(`{}`),
				UniqueKey: "MATCH", CreatedAt: t0}))
			items := make([]store.FailedItem, n)
			for i := range items {
				items[i] = store.FailedItem{JobID: 1, ItemKey: fmt.Sprint(142_400_000 + i), ErrorClass: "validation",
					Message: fmt.Sprintf("phone 09%08d is on 2 Shopify customers", i), CreatedAt: t0}
			}
			start := time.Now()
			require.NoError(b, s.InTx(ctx, func(tx *sql.Tx) error { return s.UpsertFailedItems(ctx, tx, items) }))
			b.Logf("%s: %d failed items inserted in %v", d, n, time.Since(start))
			for _, search := range []string{"", "09000123"} {
				name := "kept"
				if search != "" {
					name = "search"
				}
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						got, err := s.CountFailedItems(ctx, s.Reader(), store.FailedItemFilter{JobID: 1, Search: search})
						if err != nil || (search == "" && got != n) {
							b.Fatalf("count %d: %v", got, err)
						}
					}
				})
			}
		})
	}
}
