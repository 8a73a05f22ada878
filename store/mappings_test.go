package store_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/store"
	"syncops/store/storetest"
)

const (
	gidA = extid.ShopifyCustomerGID("gid://shopify/Customer/101")
	gidB = extid.ShopifyCustomerGID("gid://shopify/Customer/102")
	gidC = extid.ShopifyCustomerGID("gid://shopify/Customer/103")
)

// mappingSetup stores customer mappings 1 -> A (phone) and 2 -> unmapped
// and returns their local ids.
func mappingSetup(t *testing.T, s *store.Store) (mappedID, unmappedID int64) {
	t.Helper()
	require.NoError(t, s.CreateCustomerMappings(t.Context(), s.DB(), []store.CustomerMapping{
		{NhanhID: 1, ShopifyID: gidA, MatchMethod: store.MatchPhone},
		{NhanhID: 2, MatchMethod: store.MatchManual},
	}, at(1)))
	ms, err := s.CustomerMappings(t.Context(), s.Reader(), store.MappingFilter{})
	require.NoError(t, err)
	require.Len(t, ms, 2)
	return ms[0].ID, ms[1].ID
}

func TestCreateCustomerMappingsRefusesEitherSideTwice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		create   []store.CustomerMapping
		wantErr  string // "" = accepted
		wantRows int
	}{
		{"new pair", []store.CustomerMapping{{NhanhID: 3, ShopifyID: gidB}}, "", 3},
		{"Nhanh side already mapped", []store.CustomerMapping{{NhanhID: 1, ShopifyID: gidB}}, "Nhanh customer 1 already has mapping", 2},
		{"unmapped Nhanh side again", []store.CustomerMapping{{NhanhID: 2, ShopifyID: gidB}}, "Nhanh customer 2 already has mapping", 2},
		{"Shopify side already mapped", []store.CustomerMapping{{NhanhID: 3, ShopifyID: gidA}}, "Shopify customer " + string(gidA) + " is already mapped to Nhanh customer 1", 2},
		{"Nhanh side twice in the batch", []store.CustomerMapping{{NhanhID: 3, ShopifyID: gidB}, {NhanhID: 3, ShopifyID: gidC}}, "Nhanh customer 3 given twice", 2},
		{"Shopify side twice in the batch", []store.CustomerMapping{{NhanhID: 3, ShopifyID: gidB}, {NhanhID: 4, ShopifyID: gidB}}, "Shopify customer " + string(gidB) + " given twice", 2},
		{"conflict late in a batch inserts nothing", []store.CustomerMapping{{NhanhID: 3, ShopifyID: gidB}, {NhanhID: 4, ShopifyID: gidA}}, "already mapped", 2},
		{"several unmapped rows", []store.CustomerMapping{{NhanhID: 3}, {NhanhID: 4}}, "", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.ForEach(t, func(t *testing.T, s *store.Store) {
				mappingSetup(t, s)
				err := s.CreateCustomerMappings(t.Context(), s.DB(), tt.create, at(2))
				if tt.wantErr == "" {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, store.ErrConflict)
					require.ErrorContains(t, err, tt.wantErr)
				}
				ms, err := s.CustomerMappings(t.Context(), s.Reader(), store.MappingFilter{})
				require.NoError(t, err)
				require.Len(t, ms, tt.wantRows)
			})
		})
	}
}

func TestCreateCustomerMappingsRejectsBadRows(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		for _, m := range []store.CustomerMapping{
			{NhanhID: 0, ShopifyID: gidA},
			{NhanhID: 1, ShopifyID: gidA, Status: store.MappingUnmapped},
			{NhanhID: 1, Status: store.MappingPending},
			{NhanhID: 1, ShopifyID: gidA, Status: "DONE"},
		} {
			err := s.CreateCustomerMappings(t.Context(), s.DB(), []store.CustomerMapping{m}, at(1))
			require.Error(t, err, "%+v", m)
			require.NotErrorIs(t, err, store.ErrConflict)
		}
	})
}

// The database's unique constraints back the friendly pre-check up when a
// concurrent writer slips in between.
func TestCustomerMappingUniqueConstraintsAreConflicts(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		mappingSetup(t, s)
		for _, tt := range []struct {
			m    store.CustomerMapping
			side string
		}{
			{store.CustomerMapping{NhanhID: 1, ShopifyID: gidC}, "a Nhanh customer"},
			{store.CustomerMapping{NhanhID: 7, ShopifyID: gidA}, "a Shopify customer"},
		} {
			err := s.InsertCustomerMappingsUnchecked(t.Context(), s.DB(), []store.CustomerMapping{tt.m}, at(2))
			require.ErrorIs(t, err, store.ErrConflict)
			require.ErrorContains(t, err, tt.side)
		}
	})
}

func TestCustomerMappingsFilterAndSets(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		var batch []store.CustomerMapping
		for n := 1; n <= 1200; n++ { // IDs lists beyond one IN chunk
			m := store.CustomerMapping{NhanhID: extid.NhanhCustomerID(n), MatchMethod: store.MatchPhone}
			if n%3 != 0 {
				m.ShopifyID = extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, int64(n)))
			}
			batch = append(batch, m)
		}
		inTx(t, s, func(tx *sql.Tx) error { return s.CreateCustomerMappings(ctx, tx, batch, at(1)) })
		all, err := s.CustomerMappings(ctx, s.Reader(), store.MappingFilter{})
		require.NoError(t, err)
		require.Len(t, all, 1200)
		idOf := make(map[extid.NhanhCustomerID]int64)
		for _, m := range all {
			idOf[m.NhanhID] = m.ID
			require.Equal(t, at(1), m.CreatedAt)
			require.Nil(t, m.LastSyncedValue)
		}

		unmapped, err := s.CustomerMappings(ctx, s.Reader(), store.MappingFilter{Statuses: []store.MappingStatus{store.MappingUnmapped}})
		require.NoError(t, err)
		require.Len(t, unmapped, 400)
		for _, m := range unmapped {
			require.Empty(t, m.ShopifyID)
		}

		var ids []int64
		for n := 1200; n >= 1; n -= 2 { // every other mapping, given in reverse
			ids = append(ids, idOf[extid.NhanhCustomerID(n)])
		}
		tests := []struct {
			name string
			f    store.MappingFilter
			want int
		}{
			{"ids", store.MappingFilter{IDs: ids}, 600},
			{"ids limited", store.MappingFilter{IDs: ids, Limit: 550}, 550},
			{"ids after", store.MappingFilter{IDs: ids, AfterID: idOf[600]}, 300},
			{"ids and status", store.MappingFilter{IDs: ids, Statuses: []store.MappingStatus{store.MappingPending}}, 400},
			{"page", store.MappingFilter{AfterID: idOf[1000], Limit: 500}, 200},
		}
		for _, tt := range tests {
			got, err := s.CustomerMappings(ctx, s.Reader(), tt.f)
			require.NoError(t, err, tt.name)
			require.Len(t, got, tt.want, tt.name)
			for i := 1; i < len(got); i++ {
				require.Less(t, got[i-1].ID, got[i].ID, tt.name)
			}
		}
		limited, err := s.CustomerMappings(ctx, s.Reader(), store.MappingFilter{IDs: ids, Limit: 550})
		require.NoError(t, err)
		require.Equal(t, idOf[2], limited[0].ID, "the lowest ids come first")

		shopify, err := s.MappedShopifyCustomers(ctx, s.Reader())
		require.NoError(t, err)
		require.Len(t, shopify, 800)
		require.Equal(t, extid.NhanhCustomerID(4), shopify[extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, 4))])
		nhanh, err := s.MappedNhanhCustomers(ctx, s.Reader())
		require.NoError(t, err)
		require.Len(t, nhanh, 1200)

		one, err := s.CustomerMapping(ctx, s.Reader(), idOf[5])
		require.NoError(t, err)
		require.Equal(t, store.MappingPending, one.Status)
		_, err = s.CustomerMapping(ctx, s.Reader(), 999_999)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestRecordCustomerSyncWritesLog(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		mapped, unmapped := mappingSetup(t, s)
		steps := []struct {
			name       string
			record     func(tx *sql.Tx) error
			wantStatus store.MappingStatus
			wantValue  int64
			wantError  string
			wantLog    store.SyncLogEntry
		}{
			{
				name:       "first sync",
				record:     func(tx *sql.Tx) error { return s.RecordCustomerSync(ctx, tx, mapped, 1_500_000, 0, at(10), 7) },
				wantStatus: store.MappingSynced, wantValue: 1_500_000,
				wantLog: store.SyncLogEntry{JobID: 7, NewValue: "1500000", Status: store.MappingSynced, CreatedAt: at(10)},
			},
			{
				name:       "second sync",
				record:     func(tx *sql.Tx) error { return s.RecordCustomerSync(ctx, tx, mapped, 2_600_000, 0, at(20), 0) },
				wantStatus: store.MappingSynced, wantValue: 2_600_000,
				wantLog: store.SyncLogEntry{OldValue: ptr("1500000"), NewValue: "2600000", Status: store.MappingSynced, CreatedAt: at(20)},
			},
			{
				name: "failure keeps the baseline",
				record: func(tx *sql.Tx) error {
					return s.RecordCustomerSyncFailure(ctx, tx, mapped, "shopify: customer not found", at(30), 8)
				},
				wantStatus: store.MappingFailed, wantValue: 2_600_000, wantError: "shopify: customer not found",
				wantLog: store.SyncLogEntry{JobID: 8, OldValue: ptr("2600000"), Status: store.MappingFailed,
					Message: "shopify: customer not found", CreatedAt: at(30)},
			},
			{
				name:       "success clears the error",
				record:     func(tx *sql.Tx) error { return s.RecordCustomerSync(ctx, tx, mapped, 2_600_000, 0, at(40), 9) },
				wantStatus: store.MappingSynced, wantValue: 2_600_000,
				wantLog: store.SyncLogEntry{JobID: 9, OldValue: ptr("2600000"), NewValue: "2600000", Status: store.MappingSynced, CreatedAt: at(40)},
			},
		}
		for i, step := range steps {
			inTx(t, s, step.record)
			m, err := s.CustomerMapping(ctx, s.Reader(), mapped)
			require.NoError(t, err, step.name)
			require.Equal(t, step.wantStatus, m.Status, step.name)
			require.Equal(t, step.wantValue, *m.LastSyncedValue, step.name)
			require.Equal(t, step.wantError, m.SyncError, step.name)
			require.Equal(t, i+1, m.SyncAttempts, step.name)
			log, err := s.SyncLog(ctx, s.Reader(), store.MappingKindCustomer, mapped, 1)
			require.NoError(t, err)
			require.Len(t, log, 1)
			want := step.wantLog
			want.ID, want.MappingKind, want.MappingID, want.Target = log[0].ID, store.MappingKindCustomer, mapped, string(gidA)
			require.Equal(t, want, log[0], step.name)
		}
		m, err := s.CustomerMapping(ctx, s.Reader(), mapped)
		require.NoError(t, err)
		require.Equal(t, at(40), m.LastSyncedAt)
		require.Equal(t, at(40), m.UpdatedAt)

		err = s.RecordCustomerSync(ctx, s.DB(), unmapped, 1, 0, at(50), 0)
		require.ErrorContains(t, err, "no Shopify side")
		require.ErrorIs(t, s.RecordCustomerSync(ctx, s.DB(), 424242, 1, 0, at(50), 0), store.ErrNotFound)

		long := strings.Repeat("ồ", 3000) // 9,000 bytes
		require.NoError(t, s.RecordCustomerSyncFailure(ctx, s.DB(), mapped, long, at(60), 0))
		m, err = s.CustomerMapping(ctx, s.Reader(), mapped)
		require.NoError(t, err)
		require.Less(t, len(m.SyncError), len(long))
		require.True(t, strings.HasPrefix(long, m.SyncError), "cut on a character boundary")

		require.NoError(t, s.DeleteCustomerMapping(ctx, s.DB(), mapped))
		log, err := s.SyncLog(ctx, s.Reader(), store.MappingKindCustomer, mapped, 0)
		require.NoError(t, err)
		require.Empty(t, log, "the log goes with the mapping")
		require.ErrorIs(t, s.DeleteCustomerMapping(ctx, s.DB(), mapped), store.ErrNotFound)
	})
}

func ptr[T any](v T) *T { return &v }

func TestProductMappings(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		v1 := extid.ShopifyVariantGID("gid://shopify/ProductVariant/11")
		item := extid.ShopifyInventoryItemGID("gid://shopify/InventoryItem/91")
		require.NoError(t, s.CreateProductMappings(ctx, s.DB(), []store.ProductMapping{
			{NhanhID: 1, ShopifyID: v1, InventoryItemID: item, MatchMethod: store.MatchSKU},
			{NhanhID: 2},
		}, at(1)))
		err := s.CreateProductMappings(ctx, s.DB(), []store.ProductMapping{{NhanhID: 3, ShopifyID: v1}}, at(2))
		require.ErrorIs(t, err, store.ErrConflict)
		require.ErrorContains(t, err, "Shopify variant "+string(v1)+" is already mapped to Nhanh product 1")

		ms, err := s.ProductMappings(ctx, s.Reader(), store.MappingFilter{Statuses: []store.MappingStatus{store.MappingPending}})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		m := ms[0]
		require.Equal(t, item, m.InventoryItemID)
		require.Nil(t, m.LastSyncedValue)

		loc1, loc2 := extid.ShopifyLocationGID("gid://shopify/Location/2"), extid.ShopifyLocationGID("gid://shopify/Location/1")
		inTx(t, s, func(tx *sql.Tx) error {
			return s.RecordProductSync(ctx, tx, m.ID, map[extid.ShopifyLocationGID]int64{loc1: 4, loc2: 0}, at(5), 3)
		})
		inTx(t, s, func(tx *sql.Tx) error {
			return s.RecordProductSync(ctx, tx, m.ID, map[extid.ShopifyLocationGID]int64{loc1: 5, loc2: 0}, at(6), 3)
		})
		got, err := s.ProductMapping(ctx, s.Reader(), m.ID)
		require.NoError(t, err)
		require.Equal(t, map[extid.ShopifyLocationGID]int64{loc1: 5, loc2: 0}, got.LastSyncedValue)
		require.Equal(t, store.MappingSynced, got.Status)
		require.Equal(t, 2, got.SyncAttempts)

		log, err := s.SyncLog(ctx, s.Reader(), store.MappingKindProduct, m.ID, 0)
		require.NoError(t, err)
		require.Len(t, log, 2)
		require.Equal(t, `{"gid://shopify/Location/1":0,"gid://shopify/Location/2":5}`, log[0].NewValue, "newest first, keys sorted")
		require.Equal(t, `{"gid://shopify/Location/1":0,"gid://shopify/Location/2":4}`, *log[0].OldValue)
		require.Nil(t, log[1].OldValue)
		require.Equal(t, string(v1), log[0].Target)

		inTx(t, s, func(tx *sql.Tx) error {
			return s.RecordProductSyncFailure(ctx, tx, m.ID, "inventory item not stocked at location", at(7), 4)
		})
		got, err = s.ProductMapping(ctx, s.Reader(), m.ID)
		require.NoError(t, err)
		require.Equal(t, store.MappingFailed, got.Status)
		require.Equal(t, map[extid.ShopifyLocationGID]int64{loc1: 5, loc2: 0}, got.LastSyncedValue)

		variants, err := s.MappedShopifyVariants(ctx, s.Reader())
		require.NoError(t, err)
		require.Equal(t, map[extid.ShopifyVariantGID]extid.NhanhProductID{v1: 1}, variants)
		nhanh, err := s.MappedNhanhProducts(ctx, s.Reader())
		require.NoError(t, err)
		require.Equal(t, map[extid.NhanhProductID]struct{}{1: {}, 2: {}}, nhanh)

		require.NoError(t, s.DeleteProductMapping(ctx, s.DB(), m.ID))
		_, err = s.ProductMapping(ctx, s.Reader(), m.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, s.CreateProductMappings(ctx, s.DB(), []store.ProductMapping{{NhanhID: 3, ShopifyID: v1}}, at(8)),
			"a deleted mapping frees its variant")
	})
}

func TestCountMappingsAndNthMappingID(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		// Customer mappings 1..5: 1, 3 and 5 pending, 2 and 4 unmapped; a
		// product mapping shows the kinds are counted apart.
		require.NoError(t, s.CreateCustomerMappings(ctx, s.DB(), []store.CustomerMapping{
			{NhanhID: 1, ShopifyID: gidA}, {NhanhID: 2}, {NhanhID: 3, ShopifyID: gidB}, {NhanhID: 4}, {NhanhID: 5, ShopifyID: gidC},
		}, at(1)))
		require.NoError(t, s.CreateProductMappings(ctx, s.DB(), []store.ProductMapping{{NhanhID: 1}}, at(1)))
		ms, err := s.CustomerMappings(ctx, s.Reader(), store.MappingFilter{})
		require.NoError(t, err)
		id := func(i int) int64 { return ms[i].ID }
		pending := []store.MappingStatus{store.MappingPending}

		tests := []struct {
			name      string
			kind      store.MappingKind
			statuses  []store.MappingStatus
			wantN     int64
			wantMaxID int64
		}{
			{"pending customers", store.MappingKindCustomer, pending, 3, id(4)},
			{"unmapped customers", store.MappingKindCustomer, []store.MappingStatus{store.MappingUnmapped}, 2, id(3)},
			{"any status", store.MappingKindCustomer, nil, 5, id(4)},
			{"none in status", store.MappingKindCustomer, []store.MappingStatus{store.MappingSynced}, 0, 0},
			{"products apart", store.MappingKindProduct, nil, 1, 0},
		}
		for _, tt := range tests {
			n, maxID, err := s.CountMappings(ctx, s.Reader(), tt.kind, tt.statuses)
			require.NoError(t, err, tt.name)
			require.Equal(t, tt.wantN, n, tt.name)
			if tt.wantMaxID != 0 {
				require.Equal(t, tt.wantMaxID, maxID, tt.name)
			}
		}

		nth, err := s.NthMappingID(ctx, s.Reader(), store.MappingKindCustomer, pending, 2)
		require.NoError(t, err)
		require.Equal(t, id(2), nth, "the second pending mapping is Nhanh customer 3's")
		nth, err = s.NthMappingID(ctx, s.Reader(), store.MappingKindCustomer, nil, 4)
		require.NoError(t, err)
		require.Equal(t, id(3), nth)
		_, err = s.NthMappingID(ctx, s.Reader(), store.MappingKindCustomer, pending, 4)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, _, err = s.CountMappings(ctx, s.Reader(), store.MappingKind("order"), nil)
		require.ErrorContains(t, err, "unknown mapping kind")
	})
}

func TestCacheInventoryItemKeepsAKnownItem(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		known := extid.ShopifyInventoryItemGID("gid://shopify/InventoryItem/91")
		found := extid.ShopifyInventoryItemGID("gid://shopify/InventoryItem/92")
		require.NoError(t, s.CreateProductMappings(ctx, s.DB(), []store.ProductMapping{
			{NhanhID: 1, ShopifyID: "gid://shopify/ProductVariant/11"},
			{NhanhID: 2, ShopifyID: "gid://shopify/ProductVariant/12", InventoryItemID: known},
		}, at(1)))
		ms, err := s.ProductMappings(ctx, s.Reader(), store.MappingFilter{})
		require.NoError(t, err)
		inTx(t, s, func(tx *sql.Tx) error {
			for _, m := range ms {
				if err := s.CacheInventoryItem(ctx, tx, m.ID, found); err != nil {
					return err
				}
			}
			return nil
		})
		got, err := s.ProductMappings(ctx, s.Reader(), store.MappingFilter{})
		require.NoError(t, err)
		require.Equal(t, found, got[0].InventoryItemID, "an empty item is filled")
		require.Equal(t, known, got[1].InventoryItemID, "a known item is left alone")
	})
}
