package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

// BenchmarkPruneFailedItems1M runs the retention pass over a SQLite file
// database holding 1,000,000 failed items of expired jobs (10 jobs of
// 100,000), while another goroutine keeps writing a running job's counters
// as a worker does. It reports how long pruning batches held the write
// transaction (median, 99th percentile and longest: max-hold-ms), the longest the concurrent writer waited
// for one write (max-writer-wait-ms), the batches and the pass's wall time.
// SQLite only: its single writer is what a long pass would stall.
//
//	go test ./store/ -run '^$' -bench PruneFailedItems1M -benchtime 1x
func BenchmarkPruneFailedItems1M(b *testing.B) {
	const (
		jobs        = 10
		itemsPerJob = 100_000
	)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for range b.N {
		b.StopTimer()
		s := storetest.Open(b, store.SQLite)
		seedFailedItems(b, s, t0, jobs, itemsPerJob)
		// The writer: a running job (not pruned) whose counters are saved
		// in a loop, each save timed.
		require.NoError(b, s.InsertJob(ctx, s.DB(), store.JobRecord{ID: 1_000_000, Type: "SYNC",
			Params: json.RawMessage(`{}`), UniqueKey: "writer", CreatedAt: t0}))
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var maxWait time.Duration
		var writes int
		wg.Go(func() {
			for i := int64(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				err := s.SaveJobProgress(ctx, s.DB(), 1_000_000, store.Counters{Processed: i}, json.RawMessage(`{}`), t0)
				maxWait = max(maxWait, time.Since(start))
				writes++
				if err != nil {
					b.Error(err)
					return
				}
				time.Sleep(time.Millisecond) // a worker writes now and then, not in a hot loop
			}
		})
		b.StartTimer()
		start := time.Now()
		var holds []time.Duration
		res, err := s.PruneHistory(ctx, store.PruneOptions{Before: t0.Add(time.Hour),
			OnBatch: func(_ string, _ int64, held time.Duration) { holds = append(holds, held) }})
		pass := time.Since(start)
		b.StopTimer()
		close(stop)
		wg.Wait()
		require.NoError(b, err)
		require.Equal(b, int64(jobs*itemsPerJob), res.FailedItems)
		require.Equal(b, int64(jobs), res.Jobs)
		slices.Sort(holds)
		b.ReportMetric(float64(holds[len(holds)/2].Microseconds())/1000, "p50-hold-ms")
		b.ReportMetric(float64(holds[len(holds)*99/100].Microseconds())/1000, "p99-hold-ms")
		b.ReportMetric(float64(res.LongestHold.Microseconds())/1000, "max-hold-ms")
		b.ReportMetric(float64(maxWait.Microseconds())/1000, "max-writer-wait-ms")
		b.ReportMetric(float64(res.Batches), "batches")
		b.ReportMetric(float64(writes), "writer-writes")
		b.ReportMetric(pass.Seconds(), "pass-s")
		b.StartTimer()
	}
}

// seedFailedItems writes jobs expired jobs with perJob failed items each,
// plus a newer job of the same type (so none is its type's newest), in a
// few large transactions.
func seedFailedItems(b *testing.B, s *store.Store, t0 time.Time, jobs, perJob int) {
	b.Helper()
	ctx := context.Background()
	const chunk = 20_000
	for j := range jobs {
		id := int64(j + 1)
		require.NoError(b, s.InsertJob(ctx, s.DB(), store.JobRecord{ID: id, Type: "CUSTOMER_SYNC",
			Params: json.RawMessage(`{}`), UniqueKey: fmt.Sprint("old ", id), CreatedAt: t0}))
		items := make([]store.FailedItem, 0, chunk)
		for i := 0; i < perJob; i += chunk {
			items = items[:0]
			for k := i; k < min(i+chunk, perJob); k++ {
				items = append(items, store.FailedItem{JobID: id, ItemKey: fmt.Sprint(k),
					Message:    fmt.Sprintf("Shopify refused customer %d: phone has already been taken", k),
					ErrorClass: "validation", CreatedAt: t0})
			}
			require.NoError(b, s.InTx(ctx, func(tx *sql.Tx) error { return s.UpsertFailedItems(ctx, tx, items) }))
		}
		require.NoError(b, s.FinishJob(ctx, s.DB(), id, store.JobCompleted, store.Counters{Failed: int64(perJob)},
			json.RawMessage(`{}`), "", t0.Add(time.Minute)))
	}
	require.NoError(b, s.InsertJob(ctx, s.DB(), store.JobRecord{ID: int64(jobs + 1), Type: "CUSTOMER_SYNC",
		Params: json.RawMessage(`{}`), UniqueKey: "newest", CreatedAt: t0.Add(2 * time.Hour)}))
}
