package tui_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/ui/tui/page"
)

// benchSizes are the history sizes the benchmarks compare: what a frame
// costs must not grow with them.
var benchSizes = []int{1_000, 100_000}

// viewStep is a key sequence and the text that says its page is loaded.
type viewStep struct {
	keys []string
	wait string
}

// viewSteps bring each page of the registry to the front, loaded, in the
// benchmark's world. A page added to the registry must add its steps here:
// TestViewBenchCoversEveryPage fails until it does.
var viewSteps = map[page.ID]struct {
	name  string
	steps []viewStep
}{
	page.Overview: {"overview", []viewStep{{wait: "Next run"}}},
	page.Jobs:     {"jobs", []viewStep{{keys: []string{"2"}, wait: "rows 1–33"}}},
	page.Detail: {"detail", []viewStep{{keys: []string{"2"}, wait: "rows 1–33"},
		{keys: []string{"down", "down", "enter"}, wait: "[Info]"},
		{keys: []string{"right"}, wait: "sku-000030"}}},
	page.Schedules: {"schedules", []viewStep{{keys: []string{"4"}, wait: "Next runs ("}}},
	page.Locations: {"locations", []viewStep{{keys: []string{"5"}, wait: "1001 Kho Hà Nội → Hanoi Store"}}},
	page.Doctor:    {"doctor", []viewStep{{keys: []string{"6"}, wait: "nhanh.token"}}},
	page.Streams:   {"streams", []viewStep{{keys: []string{"7"}, wait: "No full pull has run yet"}}},
	page.Settings:  {"settings", []viewStep{{keys: []string{"8"}, wait: "SETTING"}}},
	page.Mappings:  {"mappings", []viewStep{{keys: []string{"9"}, wait: "1006 Võ Ngọc Anh"}}},
}

// TestViewBenchCoversEveryPage: BenchmarkView knows how to open every page
// of the registry.
func TestViewBenchCoversEveryPage(t *testing.T) {
	t.Parallel()
	for id := range page.ID(page.Count) {
		require.NotEmpty(t, viewSteps[id].steps, "BenchmarkView has no steps for page %d", id)
	}
}

// BenchmarkView measures one frame (View) of every page of the registry
// with a history of n jobs, the newest finished job holding n failed
// items. Run with -benchmem: time and allocations per frame are the same
// at both sizes, because pages hold one screenful of rows, read by keyset.
//
//	go test ./ui/tui/ -run '^$' -bench View -benchmem
func BenchmarkView(b *testing.B) {
	for _, n := range benchSizes {
		for id := range page.ID(page.Count) {
			var runs atomic.Int32
			w := setup(b, 120, 40, world{seed: bigHistory(n), schedules: realScheduler(b),
				locations: newFakeLocations(), doctor: fixedDoctor(checkedReport(t0), &runs)})
			w.waitFor(b, "Stepped import")
			for _, st := range viewSteps[id].steps {
				w.press(st.keys...)
				w.waitFor(b, st.wait)
			}
			w.press("ctrl+c")
			final := w.tm.FinalModel(b, teatest.WithFinalTimeout(waitTimeout))
			b.Run(fmt.Sprintf("jobs=%d/%s", n, viewSteps[id].name), func(b *testing.B) {
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
		b.store.SeedWorkbench(t, t0)
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
