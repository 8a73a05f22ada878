package store_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/store"
	"syncops/store/storetest"
)

// workbenchSetup stores three Nhanh and three Shopify customers: 1 -> A by
// phone, 2 unmatched with a reason, 3 mapped to C which is deleted at
// Shopify; B is not a target.
func workbenchSetup(t *testing.T, s *store.Store) (mapped, orphan int64) {
	t.Helper()
	ctx := t.Context()
	_, err := s.UpsertNhanhCustomers(ctx, s.DB(), []store.NhanhCustomer{
		{ID: 1, Name: "Nguyễn Thị Lan", Mobile: "0912 345 678", Email: "Lan@Example.com", TotalAmount: 1500000},
		{ID: 2, Name: "ĐẶNG VĂN HÙNG", Mobile: "0987.654.321"},
		{ID: 3, Name: "Trần Minh", Mobile: "0911111111"},
	}, at(1))
	require.NoError(t, err)
	_, err = s.UpsertShopifyCustomers(ctx, s.DB(), []store.ShopifyCustomer{
		{ID: gidA, LastName: "Nguyễn Thị", FirstName: "Lan", Phone: "+84912345678"},
		{ID: gidB, LastName: "Đặng", FirstName: "Hùng", Phone: "+84987654321"},
		{ID: gidC, LastName: "Trần", FirstName: "Minh"},
	}, at(1))
	require.NoError(t, err)
	require.NoError(t, s.CreateCustomerMappings(ctx, s.DB(), []store.CustomerMapping{
		{NhanhID: 1, ShopifyID: gidA, MatchMethod: store.MatchPhone},
		{NhanhID: 3, ShopifyID: gidC, MatchMethod: store.MatchPhone},
	}, at(1)))
	// C is not seen by the next pull and is marked deleted.
	_, err = s.UpsertShopifyCustomers(ctx, s.DB(), []store.ShopifyCustomer{
		{ID: gidA, LastName: "Nguyễn Thị", FirstName: "Lan", Phone: "+84912345678"},
		{ID: gidB, LastName: "Đặng", FirstName: "Hùng", Phone: "+84987654321"},
	}, at(2))
	require.NoError(t, err)
	_, err = s.MarkShopifyCustomersDeleted(ctx, s.DB(), at(2), at(3))
	require.NoError(t, err)
	require.NoError(t, s.SaveMatchReasons(ctx, s.DB(), store.MappingKindCustomer, []store.MatchReason{
		{NhanhID: 2, Code: "ambiguous", Message: "on 2 Shopify customers", Candidates: []string{string(gidB), "gid://shopify/Customer/9"}, JobID: 0, At: at(4)},
	}))
	ms, err := s.CustomerMappings(ctx, s.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	require.Len(t, ms, 2)
	return ms[0].ID, ms[1].ID
}

func search(words ...string) store.SearchQuery {
	var q store.SearchQuery
	for _, w := range words {
		q.Words = append(q.Words, []string{w})
	}
	return q
}

func TestMappingListTabsSearchAndCounts(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		mapped, orphan := workbenchSetup(t, s)
		ctx := t.Context()
		c, err := s.MappingCounts(ctx, s.Reader(), store.MappingKindCustomer)
		require.NoError(t, err)
		require.Equal(t, store.MappingCounts{Mappings: 2, Pending: 2, Orphaned: 1, UnmatchedNhanh: 1, UnmatchedShopify: 1}, c)

		tests := []struct {
			name   string
			tab    store.MappingTab
			search store.SearchQuery
			want   []string // Nhanh ids of the rows
		}{
			{"all", store.TabAll, store.SearchQuery{}, []string{"1", "3"}},
			{"orphaned", store.TabOrphaned, store.SearchQuery{}, []string{"3"}},
			{"unmatched", store.TabUnmatched, store.SearchQuery{}, []string{"2"}},
			{"unmatched Shopify", store.TabUnmatchedShopify, store.SearchQuery{}, []string{""}},
			{"Vietnamese name folded", store.TabAll, search("nguyễn", "lan"), []string{"1"}},
			{"capital Đ folded", store.TabUnmatched, search("đặng"), []string{"2"}},
			{"typed without marks", store.TabAll, search("nguyen", "lan"), []string{"1"}},
			{"đ typed as d", store.TabUnmatched, search("dang"), []string{"2"}},
			{"other marks miss", store.TabAll, search("nguyên"), nil},
			{"e-mail any case", store.TabAll, search("lan@example"), []string{"1"}},
			{"phone digits", store.TabUnmatched, search("0987654321"), []string{"2"}},
			{"id", store.TabAll, search("3"), []string{"3"}},
			{"no hit", store.TabAll, search("zzz"), nil},
			{"manual none", store.TabManual, store.SearchQuery{}, nil},
		}
		for _, tt := range tests {
			page, err := s.MappingList(ctx, s.Reader(), store.MappingListFilter{Kind: store.MappingKindCustomer, Tab: tt.tab, Search: tt.search})
			require.NoError(t, err, tt.name)
			var got []string
			for _, r := range page.Rows {
				got = append(got, r.Nhanh.ID)
			}
			require.Equal(t, tt.want, got, tt.name)
			if len(tt.search.Words) > 0 {
				require.Equal(t, int64(len(tt.want)), page.Total, tt.name)
			}
		}

		page, err := s.MappingList(ctx, s.Reader(), store.MappingListFilter{Kind: store.MappingKindCustomer, Tab: store.TabUnmatched})
		require.NoError(t, err)
		require.NotNil(t, page.Rows[0].Reason)
		require.Equal(t, "ambiguous", page.Rows[0].Reason.Code)
		require.Equal(t, []string{string(gidB), "gid://shopify/Customer/9"}, page.Rows[0].Reason.Candidates)

		// Paging: one row a page.
		p1, err := s.MappingList(ctx, s.Reader(), store.MappingListFilter{Kind: store.MappingKindCustomer, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, []int64{mapped}, []int64{p1.Rows[0].MappingID})
		p2, err := s.MappingList(ctx, s.Reader(), store.MappingListFilter{Kind: store.MappingKindCustomer, Limit: 1, After: p1.Next})
		require.NoError(t, err)
		require.Equal(t, orphan, p2.Rows[0].MappingID)
		require.True(t, p2.Rows[0].Shopify.Deleted)
		require.Empty(t, p2.Next)
	})
}

func TestMapByHandRemapAndOrphans(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		mapped, orphan := workbenchSetup(t, s)
		ctx := t.Context()
		k := store.MappingKindCustomer

		_, err := s.MapByHand(ctx, s.DB(), k, 2, string(gidA), at(5))
		require.ErrorIs(t, err, store.ErrConflict)
		require.ErrorContains(t, err, "already mapped to Nhanh customer 1")
		id, err := s.MapByHand(ctx, s.DB(), k, 2, string(gidB), at(5))
		require.NoError(t, err)
		m, err := s.CustomerMapping(ctx, s.Reader(), id)
		require.NoError(t, err)
		require.Equal(t, store.MatchManual, m.MatchMethod)
		require.Equal(t, store.MappingPending, m.Status)
		_, err = s.MatchReasonOf(ctx, s.Reader(), k, 2)
		require.ErrorIs(t, err, store.ErrNotFound, "mapping by hand clears the reason")
		_, err = s.MapByHand(ctx, s.DB(), k, 2, string(gidC), at(5))
		require.ErrorIs(t, err, store.ErrConflict, "a mapped record is remapped, not mapped again")

		require.NoError(t, s.RecordCustomerSync(ctx, s.DB(), mapped, 1500000, 0, at(6), 0))
		require.ErrorIs(t, s.Remap(ctx, s.DB(), k, mapped, string(gidB), at(7)), store.ErrConflict)
		require.NoError(t, s.Remap(ctx, s.DB(), k, orphan, "gid://shopify/Customer/104", at(7)))
		m, err = s.CustomerMapping(ctx, s.Reader(), orphan)
		require.NoError(t, err)
		require.Equal(t, extid.ShopifyCustomerGID("gid://shopify/Customer/104"), m.ShopifyID)
		require.Equal(t, store.MatchManual, m.MatchMethod)
		require.Nil(t, m.LastSyncedValue)

		ids, err := s.OrphanedMappingIDs(ctx, s.Reader(), k)
		require.NoError(t, err)
		require.Empty(t, ids, "the remapped orphan is no longer one")
		require.NoError(t, s.Remap(ctx, s.DB(), k, orphan, string(gidC), at(8)))
		ids, err = s.OrphanedMappingIDs(ctx, s.Reader(), k)
		require.NoError(t, err)
		require.Equal(t, []int64{orphan}, ids)
		require.NoError(t, s.DeleteMapping(ctx, s.DB(), k, orphan))
		require.ErrorIs(t, s.DeleteMapping(ctx, s.DB(), k, orphan), store.ErrNotFound)

		jobs, err := s.JobsTouchingMapping(ctx, s.Reader(), k, mapped, 10)
		require.NoError(t, err)
		require.Empty(t, jobs)
	})
}

// TestReindexSearch: records stored before their terms (as after the
// migration that added search) are found once reindexed, with the phone
// keys the engine sets.
func TestReindexSearch(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		workbenchSetup(t, s)
		ctx := t.Context()
		_, err := s.DB().ExecContext(ctx, "DELETE FROM search_terms")
		require.NoError(t, err)
		find := func(words ...string) []string {
			page, err := s.MappingList(ctx, s.Reader(), store.MappingListFilter{Kind: store.MappingKindCustomer,
				Tab: store.TabUnmatched, Search: search(words...)})
			require.NoError(t, err)
			var ids []string
			for _, r := range page.Rows {
				ids = append(ids, r.Nhanh.ID)
			}
			return ids
		}
		require.Empty(t, find("đặng"))
		s.SetPhoneKeys(func(field string) []string { return []string{"key:" + strings.TrimSpace(field)} })
		require.NoError(t, s.ReindexSearch(ctx))
		require.Equal(t, []string{"2"}, find("đặng"))
		require.Equal(t, []string{"2"}, find("key:0987.654.321"), "phone fields are indexed by the keys set")
	})
}
