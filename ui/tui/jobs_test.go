package tui_test

import (
	"strings"
	"testing"
)

// TestJobsPage browses a history of 130 jobs: state tabs with counts, a
// filter on error text, paging and sorting.
func TestJobsPage(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{seed: func(t testing.TB, b *bundle) { insertJobs(t, b.store, manyJobs(130)) }})
			b.waitSettled(t, "Stepped import")
			b.press("2")
			b.waitSettled(t, "[All 130]", "Running 2", "Failed 12", "Cancelled 17", "#130", "page 1 · rows 1–", "#114")
			b.golden(t, "all")

			b.press("right")
			b.waitSettled(t, "[Running 2]", "#130", "#129", "rows 1–2")
			b.press("right", "right")
			b.waitSettled(t, "[Failed 12]", "#120", "#10 ", "rows 1–12")
			b.golden(t, "failed")

			b.press("/")
			b.waitSettled(t, "/ ")
			b.press("4", "0", "1", "enter")
			b.waitSettled(t, "filter: 401 · newest first · page 1 · rows 1–6", "[Failed 6]", "All 6", "Completed 0")
			b.golden(t, "filtered")

			// Clear the filter, back to all jobs, oldest first, second page.
			b.press("/", "ctrl+u", "enter", "left", "left", "left")
			b.waitSettled(t, "[All 130]", "no filter · newest first · page 1", "#130")
			b.press("o")
			b.waitSettled(t, "oldest first", "#1 ")
			b.press("n")
			b.waitSettled(t, "oldest first · page 2 · rows ")
			b.press("down", "down")
			b.finish(t)
		})
	}
}

// waitSettled waits until the view contains every text and no load is in
// flight.
func (b *bundle) waitSettled(t *testing.T, texts ...string) {
	t.Helper()
	b.waitView(t, func(v string) bool {
		if strings.Contains(v, "loading…") {
			return false
		}
		for _, s := range texts {
			if !strings.Contains(v, s) {
				return false
			}
		}
		return true
	})
}
