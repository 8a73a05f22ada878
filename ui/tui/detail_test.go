package tui_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/jobs/match"
)

// failedJob seeds history plus job #4, which failed after two attempts
// with 60 failed items and nested metadata.
func failedJob(t testing.TB, b *bundle) {
	history(t, b)
	insertJobs(t, b.store, []seedJob{{ID: 4, Type: "FAILING_ITEMS", Status: engine.StatusFailed, Params: `{"n":60}`,
		Total: 60, Processed: 60, Failed: 60, By: "local:ops", Attempt: 2,
		Metadata: `{"batches":[{"ok":false,"size":25},{"size":25}],"itemsPerSecond":3.2,"phase":"sync","skipped":["a","b","c","d","e","f","g"]}`,
		Error:    "shopify inventorySetQuantities: 401 Unauthorized: invalid API key or access token; check the Shopify token in the configuration",
		Created:  t0.Add(-10 * time.Minute), Started: t0.Add(-10 * time.Minute), Completed: t0.Add(-5 * time.Minute)}})
	insertAttempt(t, b.store, 4, 1, t0.Add(-10*time.Minute), t0.Add(-8*time.Minute), "continued", "")
	insertAttempt(t, b.store, 4, 2, t0.Add(-8*time.Minute), t0.Add(-5*time.Minute), "failed", "shopify: 401 Unauthorized")
	insertFailures(t, b.store, 4, 60, t0.Add(-6*time.Minute))
}

// TestJobDetail reads a failed job: its metadata and timeline, its failed
// items page by page and by search, then force-restarts it.
func TestJobDetail(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{seed: failedJob})
			b.waitFor(t, "Stepped import")
			b.press("2")
			b.waitFor(t, "#4 ", "[All 4]")
			b.press("enter")
			b.waitFor(t, "Job #4  FAILED", "Error", "shopify inventorySetQuantities: 401", "batches[0].ok: false")
			b.golden(t, "info")
			b.press("down", "down", "down", "down", "down", "down", "down", "down")
			b.waitFor(t, "attempt 2 failed: shopify: 401 Unauthorized", "finished Failed")
			b.golden(t, "info_scrolled")

			b.press("right")
			b.waitFor(t, "no search · 60 failed items · page 1 of", "sku-000001")
			b.press("n")
			b.waitFor(t, "no search · 60 failed items · page 2 of")
			b.golden(t, "failures_page2")

			b.press("/", "l", "i", "m", "i", "t", "enter")
			b.waitFor(t, "search: limit · 15 failed items · page 1 of", "sku-000002")
			b.golden(t, "search")

			b.press("f")
			b.waitFor(t, "Force restart job #4?")
			b.golden(t, "force_confirm")
			b.press("y")
			b.waitFor(t, "Job #5  PENDING", "restarted FAILING_ITEMS as job #5")
			b.finish(t)

			restarted, err := b.engine.Get(t.Context(), 5)
			require.NoError(t, err)
			require.JSONEq(t, `{"n":60}`, string(restarted.Params))
			require.Equal(t, engine.StatusPending, restarted.Status)
			require.Equal(t, "local:ops", restarted.RequestedBy)
		})
	}
}

// TestMatchFailuresOfferHandWork: a failed item of a matching job offers
// mapping it by hand (m, and the workbench's commands named with the item's
// key), not a retry that cannot help; r says the same instead of retrying.
func TestMatchFailuresOfferHandWork(t *testing.T) {
	t.Parallel()
	kinds := []engine.Kind{{Type: match.AutoMatchCustomers, Label: "Auto-match customers",
		Description: "Pairs Nhanh customers with Shopify customers.",
		Run:         func(context.Context, *engine.Run) error { return nil }}}
	seed := func(t testing.TB, b *bundle) {
		insertJobs(t, b.store, []seedJob{{ID: 1, Type: match.AutoMatchCustomers, Status: engine.StatusCompleted,
			Params: `{}`, Total: 3, Processed: 3, OK: 0, Failed: 3, By: "local:ops", Attempt: 1,
			Created: t0.Add(-time.Hour), Started: t0.Add(-time.Hour), Completed: t0.Add(-50 * time.Minute)}})
		insertFailures(t, b.store, 1, 3, t0.Add(-55*time.Minute))
	}
	b := setup(t, 120, 40, world{seed: seed, kinds: kinds})
	b.waitFor(t, "Auto-match customers")
	b.press("2")
	b.waitFor(t, "#1 ", "[All 1]")
	b.press("enter")
	b.waitFor(t, "[Info]  Failed items (3)")
	b.press("right")
	b.waitFor(t, "3 failed items", "sku-000001")
	require.NotContains(t, b.rec.current(), "r retry", "no retry is offered")
	b.press("enter")
	b.waitFor(t, "Failed item sku-000001", "syncops mapping customers --nhanh sku-000001",
		"syncops map customers sku-000001 SHOPIFY_GID")
	require.NotContains(t, b.rec.current(), "r retries")
	b.press("esc", "down", "r")
	b.waitFor(t, "✗ retry job #1: Auto-match customers cannot retry single items: map by hand: m on an item opens it on the mappings page")
	jobs, err := b.engine.List(t.Context(), engine.ListFilter{})
	require.NoError(t, err)
	require.Len(t, jobs, 1, "nothing was retried")
	b.golden(t, "refused")
}
