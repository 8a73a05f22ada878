package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestSyncDiffsPageSearchAndTotals(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rows := []store.DiffRow{
			{JobID: 7, MappingID: 1, Name: "Đặng Thị Lan", NhanhID: "11", ShopifyID: "gid://shopify/Customer/1",
				Action: store.DiffWrite, Old: ptr(int64(100_000)), OldSource: "shopify", New: ptr(int64(250_000))},
			{JobID: 7, MappingID: 2, Name: "ĐƠN HÀNG Minh", NhanhID: "12", Action: store.DiffWrite,
				Old: ptr(int64(90_000)), OldSource: "shopify", New: ptr(int64(0))},
			{JobID: 7, MappingID: 3, Name: "Lê Văn Tám", Action: store.DiffWrite, Old: ptr(int64(5)), New: ptr(int64(2))},
			{JobID: 7, MappingID: 4, Name: "Phạm Hoa", Action: store.DiffWrite, New: ptr(int64(70))},
			{JobID: 7, MappingID: 5, Name: "Trần An", Action: store.DiffWrite, Old: ptr(int64(8)), New: ptr(int64(8))},
			{JobID: 7, MappingID: 6, Name: "Vũ Bình", Action: store.DiffUnchanged, Old: ptr(int64(1)), New: ptr(int64(1))},
			{JobID: 7, MappingID: 7, Name: "Hồ Cúc", Action: store.DiffSkipped, Reason: "deferred: the limit of 5 writes was reached"},
			{JobID: 7, MappingID: 8, Name: "Ngô Dũng", Action: store.DiffFailed, Reason: "not in the local mirror"},
			// Two locations of one product.
			{JobID: 7, MappingID: 9, Location: "gid://shopify/Location/1", LocationName: "Kho Hà Nội", Name: "Áo thun",
				Action: store.DiffWrite, Old: ptr(int64(3)), New: ptr(int64(10))},
			{JobID: 7, MappingID: 9, Location: "gid://shopify/Location/2", LocationName: "Kho Sài Gòn", Name: "Áo thun",
				Action: store.DiffWrite, Old: ptr(int64(4)), New: ptr(int64(4))},
			// Another job's row stays out.
			{JobID: 8, MappingID: 1, Name: "Đặng Thị Lan", Action: store.DiffWrite, Old: ptr(int64(1)), New: ptr(int64(2))},
		}
		require.NoError(t, s.UpsertSyncDiffs(ctx, s.DB(), rows))
		// A redone batch replaces its rows.
		require.NoError(t, s.UpsertSyncDiffs(ctx, s.DB(), rows[:1]))

		tot, err := s.SyncDiffTotals(ctx, s.Reader(), store.DiffFilter{JobID: 7})
		require.NoError(t, err)
		require.Equal(t, store.DiffTotals{Rows: 10, Items: 9, Writes: 7, Up: 2, Down: 2, ToZero: 1, Same: 2, UnknownOld: 1,
			Unchanged: 1, Skipped: 1, Failed: 1, SumUp: 150_000 + 7, SumDown: 90_000 + 3}, tot)

		tests := []struct {
			name string
			f    store.DiffFilter
			want []string // mapping id/location of each row
		}{
			{"first page", store.DiffFilter{JobID: 7, Limit: 3}, []string{"1/", "2/", "3/"}},
			{"next page", store.DiffFilter{JobID: 7, AfterMappingID: 8, Limit: 5},
				[]string{"9/gid://shopify/Location/1", "9/gid://shopify/Location/2"}},
			{"inside a mapping's locations", store.DiffFilter{JobID: 7, AfterMappingID: 9, AfterLocation: "gid://shopify/Location/1"},
				[]string{"9/gid://shopify/Location/2"}},
			{"Vietnamese lower case finds upper case", store.DiffFilter{JobID: 7, Search: "đơn"}, []string{"2/"}},
			{"Vietnamese any case", store.DiffFilter{JobID: 7, Search: "ĐẶNG"}, []string{"1/"}},
			{"location name", store.DiffFilter{JobID: 7, Search: "sài gòn"}, []string{"9/gid://shopify/Location/2"}},
			{"reason", store.DiffFilter{JobID: 7, Search: "MIRROR"}, []string{"8/"}},
			{"wildcards are literal", store.DiffFilter{JobID: 7, Search: "%"}, nil},
			{"by action", store.DiffFilter{JobID: 7, Actions: []store.DiffAction{store.DiffSkipped, store.DiffFailed}},
				[]string{"7/", "8/"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.SyncDiffs(ctx, s.Reader(), tt.f)
				require.NoError(t, err)
				var keys []string
				for _, r := range got {
					keys = append(keys, fmt.Sprintf("%d/%s", r.MappingID, r.Location))
				}
				require.Equal(t, tt.want, keys)
			})
		}

		got, err := s.SyncDiffs(ctx, s.Reader(), store.DiffFilter{JobID: 7, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, rows[:2], got, "every field comes back")
		got, err = s.SyncDiffs(ctx, s.Reader(), store.DiffFilter{JobID: 7, Search: "phạm"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Nil(t, got[0].Old, "an unknown old value stays unknown")

		// Totals follow a search.
		tot, err = s.SyncDiffTotals(ctx, s.Reader(), store.DiffFilter{JobID: 7, Search: "áo thun"})
		require.NoError(t, err)
		require.Equal(t, store.DiffTotals{Rows: 2, Items: 1, Writes: 2, Up: 1, Same: 1, SumUp: 7}, tot)

		// Retention removes a finished job's diff with it.
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		insertJob(t, s, 7, "CUSTOMER_SYNC", "CUSTOMER_SYNC {\"dryRun\":true}", t0)
		require.NoError(t, s.FinishJob(ctx, s.DB(), 7, store.JobCompleted, store.Counters{}, nil, "", t0.Add(time.Minute)))
		before, err := s.SyncDiffTotals(ctx, s.Reader(), store.DiffFilter{JobID: 7})
		require.NoError(t, err)
		// A newer job of its type: retention keeps each type's newest job.
		insertJob(t, s, 9, "CUSTOMER_SYNC", "CUSTOMER_SYNC {}", t0.Add(2*time.Hour))
		res, err := s.PruneHistory(ctx, store.PruneOptions{Before: t0.Add(time.Hour), BatchSize: 1})
		require.NoError(t, err)
		require.EqualValues(t, 1, res.Jobs)
		require.EqualValues(t, before.Rows, res.SyncDiffs, "every line of the job, a batch of one each")
		tot, err = s.SyncDiffTotals(ctx, s.Reader(), store.DiffFilter{JobID: 7})
		require.NoError(t, err)
		require.Zero(t, tot.Rows)
		tot, err = s.SyncDiffTotals(ctx, s.Reader(), store.DiffFilter{JobID: 8})
		require.NoError(t, err)
		require.EqualValues(t, 1, tot.Rows, "another job's diff stays")
	})
}
