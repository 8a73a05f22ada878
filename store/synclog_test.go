package store_test

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestSyncLogPerMapping(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		entries := []store.SyncLogEntry{
			{MappingKind: store.MappingKindCustomer, MappingID: 1, Target: "gid://shopify/Customer/1", NewValue: "10", Status: store.MappingSynced, CreatedAt: at(1)},
			{MappingKind: store.MappingKindCustomer, MappingID: 1, Target: "gid://shopify/Customer/1", OldValue: ptr("10"), NewValue: "20", Status: store.MappingSynced, Message: "bulk", JobID: 3, CreatedAt: at(2)},
			{MappingKind: store.MappingKindCustomer, MappingID: 2, NewValue: "5", Status: store.MappingSynced, CreatedAt: at(2)},
			{MappingKind: store.MappingKindProduct, MappingID: 1, NewValue: "{}", Status: store.MappingFailed, CreatedAt: at(3)},
		}
		inTx(t, s, func(tx *sql.Tx) error {
			for _, e := range entries {
				if err := s.AddSyncLog(ctx, tx, e); err != nil {
					return err
				}
			}
			return nil
		})
		tests := []struct {
			name  string
			kind  store.MappingKind
			id    int64
			limit int
			want  []store.SyncLogEntry
		}{
			{"newest first", store.MappingKindCustomer, 1, 0, []store.SyncLogEntry{entries[1], entries[0]}},
			{"limited", store.MappingKindCustomer, 1, 1, []store.SyncLogEntry{entries[1]}},
			{"kinds apart", store.MappingKindProduct, 1, 10, []store.SyncLogEntry{entries[3]}},
			{"none", store.MappingKindProduct, 2, 10, nil},
		}
		for _, tt := range tests {
			got, err := s.SyncLog(ctx, s.Reader(), tt.kind, tt.id, tt.limit)
			require.NoError(t, err, tt.name)
			for i := range got {
				require.Positive(t, got[i].ID)
				got[i].ID = 0
			}
			require.Equal(t, tt.want, got, tt.name)
		}

		for name, e := range map[string]store.SyncLogEntry{
			"bad kind":   {MappingKind: "order", MappingID: 1, Status: store.MappingSynced, CreatedAt: at(1)},
			"no mapping": {MappingKind: store.MappingKindProduct, Status: store.MappingSynced, CreatedAt: at(1)},
			"bad status": {MappingKind: store.MappingKindProduct, MappingID: 1, Status: "OK", CreatedAt: at(1)},
			"no time":    {MappingKind: store.MappingKindProduct, MappingID: 1, Status: store.MappingSynced},
		} {
			require.Error(t, s.AddSyncLog(ctx, s.DB(), e), name)
		}
	})
}
