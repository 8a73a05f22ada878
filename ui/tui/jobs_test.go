package tui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
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

// TestJobsListNumbersWhole: ids and counts of a big history are shown
// whole at both sizes (the columns widen and less important ones make
// room), and the filter finds jobs by requester as the BY column shows it.
func TestJobsListNumbersWhole(t *testing.T) {
	t.Parallel()
	big := func(t testing.TB, b *bundle) {
		at := t0.Add(-time.Hour)
		insertJobs(t, b.store, []seedJob{
			{ID: 1234566, Type: "FAILING_ITEMS", Status: engine.StatusCompleted, Params: `{"n":20}`, Total: 200000,
				Processed: 199900, OK: 1, Failed: 199899, Created: at, Started: at, Completed: at.Add(time.Hour),
				By: "ssh:alice", Attempt: 1},
			{ID: 1234567, Type: "STEPPED", Status: engine.StatusRunning, Params: `{"n":10}`, Total: 12345,
				Processed: 12345, OK: 12345, Created: at, Started: at, By: "scheduler:nightly", Attempt: 1},
		})
	}
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{seed: big})
			b.waitSettled(t, "Stepped import")
			b.press("2")
			b.waitSettled(t, "#1234567", "#1234566", "12,345 so far", "199,900/200,000", "199,899", "[All 2]")
			b.golden(t, "numbers")

			b.press("/", "a", "l", "i", "c", "e", "enter")
			b.waitSettled(t, "filter: alice", "#1234566", "rows 1–1")
			require.NotContains(t, b.rec.current(), "#1234567")
		})
	}
}

// TestJobsFilterByIDCountsThatJob: "#77" lists job 77 alone, and the state
// tabs count that one job too (they counted the whole history before: the
// id was a paging bound, which counts ignore).
func TestJobsFilterByIDCountsThatJob(t *testing.T) {
	t.Parallel()
	b := setup(t, 120, 40, world{seed: func(t testing.TB, b *bundle) { insertJobs(t, b.store, manyJobs(130)) }})
	b.waitSettled(t, "Stepped import")
	b.press("2")
	b.waitSettled(t, "[All 130]", "Cancelled 17")
	b.press("/", "#", "7", "7", "enter")
	b.waitSettled(t, "filter: #77", "[All 1]", "Cancelled 1", "Failed 0", "Running 0", "#77", "rows 1–1")
	require.NotContains(t, b.rec.current(), "#78")
	b.press("right", "right", "right", "right")
	b.waitSettled(t, "[Cancelled 1]", "#77")
}

// selectedLine is the line of the view the selection mark is on.
func selectedLine(view string) string {
	for line := range strings.SplitSeq(view, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "▸") {
			return line
		}
	}
	return ""
}

// TestJobsSelectionStaysOnItsJob: a job started while the operator reads
// the list pushes the rows down, and the selection stays on the job it was
// on instead of landing on whatever row now sits there.
func TestJobsSelectionStaysOnItsJob(t *testing.T) {
	t.Parallel()
	b := setup(t, 120, 40, world{seed: func(t testing.TB, b *bundle) { insertJobs(t, b.store, manyJobs(130)) }})
	b.waitSettled(t, "Stepped import")
	b.press("2")
	b.waitSettled(t, "[All 130]")
	b.press("down", "down")
	b.waitView(t, func(v string) bool { return strings.Contains(selectedLine(v), "#128 ") })
	_, err := b.engine.Start(context.Background(), "STEPPED", engine.Params{"n": "3"}, engine.StartOptions{Actor: operator})
	require.NoError(t, err)
	b.waitSettled(t, "#131", "[All 131]")
	require.Contains(t, selectedLine(b.rec.current()), "#128 ", "the selection follows its job")
}

// TestJobsFastPagingKeepsEveryKey: three "next page" keys pressed faster
// than a page loads move three pages, none dropped.
func TestJobsFastPagingKeepsEveryKey(t *testing.T) {
	t.Parallel()
	b := setup(t, 80, 24, world{seed: func(t testing.TB, b *bundle) { insertJobs(t, b.store, manyJobs(130)) }})
	b.waitSettled(t, "Stepped import")
	b.press("2")
	b.waitSettled(t, "[All 130]", "page 1 ·")
	b.press("n", "n", "n")
	b.waitSettled(t, "page 4 ·")
	b.press("p", "p", "p")
	b.waitSettled(t, "page 1 ·", "#130")
}
