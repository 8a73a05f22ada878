package store_test

import (
	"context"
	"fmt"
	"testing"

	"syncops/store"
	"syncops/store/storetest"
)

// BenchmarkSyncDiffs measures a console's reads of a 100,000-line preview:
// a page, a search, and the totals.
func BenchmarkSyncDiffs(b *testing.B) {
	for _, d := range storetest.Backends(b) {
		b.Run(string(d), func(b *testing.B) {
			s := storetest.Open(b, d)
			ctx := context.Background()
			const lines = 100_000
			rows := make([]store.DiffRow, 0, 1000)
			for i := range lines {
				old, next := int64(i%700), int64(i%500)
				rows = append(rows, store.DiffRow{JobID: 1, MappingID: int64(i + 1), Name: fmt.Sprintf("Nguyễn Văn %d", i),
					NhanhID: fmt.Sprint(i), Action: store.DiffWrite, Old: &old, New: &next})
				if len(rows) == cap(rows) {
					if err := s.UpsertSyncDiffs(ctx, s.DB(), rows); err != nil {
						b.Fatal(err)
					}
					rows = rows[:0]
				}
			}
			b.Run("page", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.SyncDiffs(ctx, s.Reader(), store.DiffFilter{JobID: 1, AfterMappingID: 50_000, Limit: 50}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("search", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.SyncDiffs(ctx, s.Reader(), store.DiffFilter{JobID: 1, Search: "văn 9999", Limit: 50}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("totals", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.SyncDiffTotals(ctx, s.Reader(), store.DiffFilter{JobID: 1}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
