package match_test

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
)

// benchCustomers is the size of each side in BenchmarkAutoMatchCustomers500k.
const benchCustomers = 500_000

// BenchmarkAutoMatchCustomers500k times AUTO_MATCH_CUSTOMERS, through the
// engine, over 500,000 Nhanh and 500,000 Shopify customers in SQLite: a dry
// run (reading and matching only; its failed items are written too) and a
// run that creates the mappings. Besides the time per run it reports the
// job's own duration (body-s) and how far the heap grew above its level
// before the run at its peak (peak-MB); the creating run also reports the
// dry run's body time as match-s and the rest of its own as write-s, the
// time creating the mappings took. Every run starts with no mappings.
//
//	go test ./engine/jobs/match/ -run '^$' -bench AutoMatchCustomers500k -benchtime 1x
func BenchmarkAutoMatchCustomers500k(b *testing.B) {
	w := jobstest.New(b, jobstest.Options{})
	fillBenchCustomers(b, w.Store, benchCustomers)
	var matchSeconds float64
	for _, dryRun := range []bool{true, false} {
		name := "create"
		if dryRun {
			name = "dryRun"
		}
		b.Run(name, func(b *testing.B) {
			body := benchAutoMatch(b, w, dryRun)
			if dryRun {
				matchSeconds = body
				return
			}
			if matchSeconds > 0 {
				b.ReportMetric(matchSeconds, "match-s")
				b.ReportMetric(body-matchSeconds, "write-s")
			}
		})
	}
}

// benchAutoMatch runs the match b.N times and returns the job's mean body
// time in seconds.
func benchAutoMatch(b *testing.B, w *jobstest.World, dryRun bool) float64 {
	ctx := context.Background()
	var peakMB, bodySeconds, allocMB float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		_, err := w.Store.DB().ExecContext(ctx, "DELETE FROM customer_mappings")
		require.NoError(b, err)
		_, err = w.Store.DB().ExecContext(ctx, "DELETE FROM job_failed_items")
		require.NoError(b, err)
		// Copy what the fill or the deletes wrote into the file first: the
		// store's checkpointer would do it during the run, on the core the
		// match reads with.
		_, err = w.Store.DB().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		require.NoError(b, err)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := sampleHeapPeak()
		b.StartTimer()

		j := w.Run(b, jobs.AutoMatchCustomers, engine.Params{"dryRun": strconv.FormatBool(dryRun)})

		b.StopTimer()
		peak := stop()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		require.Equal(b, engine.StatusCompleted, j.Status, j.Error)
		require.Greater(b, j.Successful, int64(benchCustomers*8/10), "the benchmark world should mostly match")
		peakMB = max(peakMB, float64(peak-min(peak, before.HeapAlloc))/(1<<20))
		allocMB += float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)
		bodySeconds += j.CompletedAt.Sub(*j.StartedAt).Seconds()
		b.StartTimer()
	}
	b.ReportMetric(peakMB, "peak-MB")
	b.ReportMetric(allocMB/float64(b.N), "alloc-MB/op")
	b.ReportMetric(bodySeconds/float64(b.N), "body-s/op")
	return bodySeconds / float64(b.N)
}

// sampleHeapPeak samples the live heap every millisecond (runtime/metrics
// does not stop the world) until the returned function is called, which
// returns the highest value seen.
func sampleHeapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done, result := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		ticker := time.NewTicker(time.Millisecond)
		defer ticker.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				result <- peak
				return
			case <-ticker.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-result
	}
}

// benchIDStride is coprime with benchCustomers.
const benchIDStride = 7919

// benchPrefixes are the first two digits of Vietnamese mobile subscriber
// numbers.
var benchPrefixes = []int{32, 33, 34, 35, 36, 37, 38, 39, 52, 56, 58, 59, 70, 76, 77, 78, 79,
	81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 96, 97, 98, 99}

// benchSubscriber returns the i-th distinct subscriber number.
func benchSubscriber(i int) int {
	p := benchPrefixes[i%len(benchPrefixes)]
	return p*10_000_000 + i/len(benchPrefixes)
}

// fillBenchCustomers stores n Nhanh and n Shopify customers shaped like a
// real shop's: 90% of Nhanh customers have a Shopify partner, whose number
// is written in one of the formats seen in the wild (or only in the address
// or the note); 3% of Nhanh customers have no mobile and match by e-mail; one
// in a thousand numbers is also on a second Shopify customer (ambiguous);
// the other Shopify customers are strangers.
func fillBenchCustomers(tb testing.TB, s *store.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	const chunk = 10_000
	now := time.Now()
	nhanh := make([]store.NhanhCustomer, 0, chunk)
	shopify := make([]store.ShopifyCustomer, 0, chunk)
	flush := func() {
		require.NoError(tb, s.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := s.UpsertNhanhCustomers(ctx, tx, nhanh, now); err != nil {
				return err
			}
			_, err := s.UpsertShopifyCustomers(ctx, tx, shopify, now)
			return err
		}))
		nhanh, shopify = nhanh[:0], shopify[:0]
	}
	for i := range n {
		sub := benchSubscriber(i)
		email := fmt.Sprintf("khach%d@gmail.com", i)
		nc := store.NhanhCustomer{ID: extid.NhanhCustomerID(142_400_000 + i), Type: 1,
			Name: fmt.Sprintf("Khách %d", i), TotalAmount: float64(i%5000) * 1000}
		switch {
		case i%100 < 3:
			nc.Email = fmt.Sprintf("Khach%d@Gmail.com ", i)
		default:
			nc.Mobile = fmt.Sprintf("0%d", sub)
			if i%3 == 0 {
				nc.Email = email
			}
		}
		nhanh = append(nhanh, nc)

		// Shopify numbers its customers in its own order: a partner's id
		// says nothing of the Nhanh id (a stride coprime with n shuffles them).
		sc := store.ShopifyCustomer{ID: extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer,
			7_712_000_000_000+int64(i*benchIDStride%n))),
			FirstName: "Lan", LastName: fmt.Sprintf("Nguyễn %d", i), AmountSpent: "0.00"}
		if i%10 == 9 { // a stranger
			sub = benchSubscriber(n + i)
		}
		switch {
		case nc.Mobile == "" && i%10 != 9:
			sc.Email = email
		case i%1000 == 550: // also carries the next customer's number
			sc.Phone = fmt.Sprintf("+84%d", sub)
			sc.DefaultAddressPhone = fmt.Sprintf("0%d", benchSubscriber(i+1))
		default:
			benchPhoneFormat(&sc, sub, i)
			if i%4 != 0 {
				sc.Email = email
			}
		}
		if i%5 == 0 && sc.Note == "" {
			sc.Note = "Khách VIP, ưu tiên đóng gói cẩn thận, size 39"
		}
		shopify = append(shopify, sc)
		if len(nhanh) == chunk {
			flush()
		}
	}
	if len(nhanh) > 0 {
		flush()
	}
}

// benchPhoneFormat writes sub into sc in the i-th of the formats seen in the wild.
func benchPhoneFormat(sc *store.ShopifyCustomer, sub, i int) {
	s := fmt.Sprintf("%09d", sub)
	switch i % 10 {
	case 0, 1, 2:
		sc.Phone = "+84" + s
	case 3, 4:
		sc.Phone = "0" + s
	case 5:
		sc.Phone = "+84 " + s[:3] + " " + s[3:6] + " " + s[6:]
	case 6:
		sc.Phone = "84" + s
	case 7:
		sc.DefaultAddressPhone = "0" + s[:3] + "." + s[3:6] + "." + s[6:]
	default:
		sc.Note = "Khách quen, SĐT: 0" + s[:3] + " " + s[3:6] + " " + s[6:] + ", giao giờ hành chính"
	}
}
