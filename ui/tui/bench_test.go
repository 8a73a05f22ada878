package tui_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"syncops/engine"
)

// benchSizes are the history sizes the benchmarks compare: what a frame
// costs must not grow with them.
var benchSizes = []int{1_000, 100_000}

// BenchmarkView measures one frame (View) of each page with a history of
// n jobs, the newest finished job holding n failed items. Run with
// -benchmem: time and allocations per frame are the same at both sizes,
// because pages hold one screenful of rows, read by keyset.
func BenchmarkView(b *testing.B) {
	type step struct {
		keys []string
		wait string
	}
	pages := []struct {
		name  string
		steps []step
	}{
		{name: "overview", steps: []step{{wait: "Next run"}}},
		{name: "jobs", steps: []step{{keys: []string{"2"}, wait: "rows 1–33"}}},
		{name: "detail", steps: []step{{keys: []string{"2"}, wait: "rows 1–33"},
			{keys: []string{"down", "down", "enter"}, wait: "[Info]"},
			{keys: []string{"right"}, wait: "sku-000030"}}},
		{name: "schedules", steps: []step{{keys: []string{"4"}, wait: "Next runs ("}}},
	}
	for _, n := range benchSizes {
		for _, pg := range pages {
			w := setup(b, 120, 40, world{seed: bigHistory(n), schedules: realScheduler(b)})
			w.waitFor(b, "Stepped import")
			for _, st := range pg.steps {
				w.press(st.keys...)
				w.waitFor(b, st.wait)
			}
			w.press("ctrl+c")
			final := w.tm.FinalModel(b, teatest.WithFinalTimeout(waitTimeout))
			b.Run(fmt.Sprintf("jobs=%d/%s", n, pg.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_ = final.View()
				}
			})
		}
	}
}

// bigHistory seeds n jobs; job n-2 (finished) has n failed items.
func bigHistory(n int) func(t testing.TB, b *bundle) {
	return func(t testing.TB, b *bundle) {
		jobs := manyJobs(n)
		jobs[n-3].Failed, jobs[n-3].OK = int64(n), 0
		insertJobs(t, b.store, jobs)
		insertFailures(t, b.store, int64(n-2), n, t0)
	}
}

// BenchmarkPageQueries measures the engine calls a page makes when it loads
// or pages: the first and a deep page of the history and of the failed
// items, the state counts, and the latest job of each type.
func BenchmarkPageQueries(b *testing.B) {
	for _, n := range benchSizes {
		w := setup(b, 120, 40, world{seed: bigHistory(n)})
		e, ctx := w.engine, context.Background()
		queries := []struct {
			name string
			run  func() error
		}{
			{"jobs_first_page", func() error { _, err := e.List(ctx, engine.ListFilter{Limit: 33}); return err }},
			{"jobs_deep_page", func() error {
				_, err := e.List(ctx, engine.ListFilter{BeforeID: int64(n / 10), Limit: 33})
				return err
			}},
			{"jobs_counts", func() error { _, err := e.CountByStatus(ctx, engine.ListFilter{}); return err }},
			{"latest_per_type", func() error { _, err := e.Latest(ctx); return err }},
			{"failures_first_page", func() error {
				_, _, err := e.Failures(ctx, engine.FailureFilter{JobID: int64(n - 2), Limit: 33})
				return err
			}},
			{"failures_deep_page", func() error {
				_, _, err := e.Failures(ctx, engine.FailureFilter{JobID: int64(n - 2), AfterID: int64(n - 100), Limit: 33})
				return err
			}},
		}
		for _, q := range queries {
			b.Run(fmt.Sprintf("jobs=%d/%s", n, q.name), func(b *testing.B) {
				for b.Loop() {
					if err := q.run(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
