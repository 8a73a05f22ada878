package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"syncops/store/storetest"
)

// BenchmarkProgressCoalescing floods a running job's reporter with progress
// calls and reports how many database writes they caused per second: the
// reporter writes about once per FlushInterval however many calls arrive.
// Run it with -benchtime 3s or more so several intervals pass.
func BenchmarkProgressCoalescing(b *testing.B) {
	for _, d := range storetest.Backends(b) {
		b.Run(string(d), func(b *testing.B) {
			s := storetest.Open(b, d)
			ctx := context.Background()
			e, err := New(Config{Store: s, NoWorkers: true, Kinds: []Kind{{Type: "FLOOD",
				Run: func(context.Context, *Run) error { return nil }}}})
			if err != nil {
				b.Fatal(err)
			}
			id, err := e.Start(ctx, "FLOOD", nil, StartOptions{})
			if err != nil {
				b.Fatal(err)
			}
			rec, err := s.Job(ctx, s.Reader(), int64(id))
			if err != nil {
				b.Fatal(err)
			}
			run, err := newRun(e, e.kinds["FLOOD"], rec, 1)
			if err != nil {
				b.Fatal(err)
			}
			stop := run.startFlusher(ctx, func() {})
			start := time.Now()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				run.Succeeded(1)
			}
			// Keep the flood going for at least a few flush intervals.
			for time.Since(start) < 3*DefaultFlushInterval {
				for range 1000 {
					run.Succeeded(1)
				}
			}
			b.StopTimer()
			elapsed := time.Since(start)
			stop()
			run.mu.Lock()
			writes, calls := run.writes, run.counters.Processed
			run.mu.Unlock()
			b.ReportMetric(float64(writes)/elapsed.Seconds(), "writes/s")
			b.ReportMetric(float64(calls)/elapsed.Seconds(), "calls/s")
			b.ReportMetric(0, "ns/op") // ns/op is misleading here: the flood outlasts b.N
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(calls), "ns/call")
		})
	}
}

// BenchmarkStart measures Start: validate, insert the River job and our row
// in one transaction.
func BenchmarkStart(b *testing.B) {
	for _, d := range storetest.Backends(b) {
		b.Run(string(d), func(b *testing.B) {
			s := storetest.Open(b, d)
			e, err := New(Config{Store: s, NoWorkers: true, Kinds: []Kind{{Type: "NOOP",
				Params: []ParamSpec{{Name: "n", Kind: ParamInt}},
				Run:    func(context.Context, *Run) error { return nil }}}})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Start(ctx, "NOOP", Params{"n": fmt.Sprint(i)}, StartOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
