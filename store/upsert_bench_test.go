package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"syncops/store"
	"syncops/store/storetest"
)

// BenchmarkUpsertNhanhCustomers stores 100,000 new customers in one
// transaction in pages of 1,000, the way a full pull does.
func BenchmarkUpsertNhanhCustomers(b *testing.B) {
	benchmarkUpsert(b, nhanhCustomer, 1_000, false, (*store.Store).UpsertNhanhCustomers)
}

// BenchmarkUpsertNhanhCustomersUnchanged pulls the same 100,000 customers a
// second time: every row is compared and only its pulled time written.
func BenchmarkUpsertNhanhCustomersUnchanged(b *testing.B) {
	benchmarkUpsert(b, nhanhCustomer, 1_000, true, (*store.Store).UpsertNhanhCustomers)
}

// BenchmarkUpsertNhanhProducts stores 100,000 new products with their
// depots in pages of 100, a Nhanh product page. PULL_NHANH_PRODUCTS' scale
// run is bound by it at rate scale 10 (50 pages/s are allowed).
func BenchmarkUpsertNhanhProducts(b *testing.B) {
	benchmarkUpsert(b, nhanhProduct, 100, false, (*store.Store).UpsertNhanhProducts)
}

// benchmarkUpsert stores rows 1..100,000 made by row in one transaction,
// page at a time, through upsert: new rows, or (repull) rows stored once
// before the timer starts. It reports rows per second.
func benchmarkUpsert[R any](b *testing.B, row func(int) R, page int, repull bool,
	upsert func(*store.Store, context.Context, store.Querier, []R, time.Time) (store.UpsertCounts, error)) {
	const total = 100_000
	rows := make([]R, total)
	for i := range rows {
		rows[i] = row(i + 1)
	}
	pull := func(s *store.Store, now time.Time, want func(store.UpsertCounts) bool) error {
		return s.InTx(b.Context(), func(tx *sql.Tx) error {
			for p := 0; p < total; p += page {
				counts, err := upsert(s, b.Context(), tx, rows[p:p+page], now)
				if err != nil {
					return err
				}
				if !want(counts) {
					return fmt.Errorf("page at %d: %+v", p, counts)
				}
			}
			return nil
		})
	}
	fresh := func(c store.UpsertCounts) bool { return c.Created == page }
	same := func(c store.UpsertCounts) bool { return c.Unchanged == page }
	for _, d := range storetest.Backends(b) {
		b.Run(string(d), func(b *testing.B) {
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				s := storetest.Open(b, d)
				if repull {
					if err := pull(s, t0, fresh); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				var err error
				if repull {
					err = pull(s, at(1), same)
				} else {
					err = pull(s, t0, fresh)
				}
				elapsed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}
