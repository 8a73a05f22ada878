package tui_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
)

// TestSandboxPreviewShowsTheDiff: a customer sync started from the start
// form with dryRun ticked is labelled a preview, writes nothing to the
// sandbox, and its diff section (d) shows exactly the mapped customer's
// change, found by search.
func TestSandboxPreviewShowsTheDiff(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the real job types against the sandbox")
	}
	ctx := context.Background()
	w := enginetest.StartWorld(t, enginetest.StartShop(t, enginetest.ShopOptions{Seed: 5, Customers: 300, Products: 5,
		Scale: 20}), 100*time.Millisecond)
	e := w.Engine
	pull, err := e.Start(ctx, "PULL_NHANH_CUSTOMERS", nil, engine.StartOptions{Actor: operator})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		j, err := e.Get(ctx, pull)
		require.NoError(t, err)
		require.NotEqual(t, engine.StatusFailed, j.Status, j.Error)
		return j.Status == engine.StatusCompleted
	}, 2*time.Minute, 20*time.Millisecond, "the pull is a hang guard, not a speed claim")
	mapped := w.MapPulledCustomers(t, "")
	want, ok := w.Shop.ExpectedTotalSpent(mapped[0].NhanhID)
	require.True(t, ok)

	b := sandboxConsole(t, w)

	// The overview has read the latest jobs (the pull's row is filled in)
	// before the selection moves.
	b.waitFor(t, "Customer sync", "300/300")
	b.startFromOverview(t, "Customer sync", "down", "down", "space")
	b.waitFor(t, "COMPLETED  Customer sync", "Diff (d)", "preview: nothing written to Shopify")

	b.press("d")
	b.waitFor(t, "[Diff (d)]", "1 would write", "1 of 1 lines")
	view := b.rec.current()
	require.Contains(t, view, "-> "+number(strconv.FormatInt(want, 10)), "the line shows the value the sync would write")
	require.Contains(t, view, strconv.FormatInt(mapped[0].NhanhID, 10)+" → #", "the line names the mapped customer")

	// Search narrows the lines as it is typed; esc clears it.
	b.press("/", "z", "z", "q")
	b.waitFor(t, "/ zzq", "no lines")
	b.press("enter")
	b.waitFor(t, "search: zzq · 0 of 1 lines")
	b.press("/")
	b.waitFor(t, "/ zzq")
	b.press("esc")
	b.waitFor(t, "no search · 1 of 1 lines")

	_, written := w.Shop.CustomerMetafield(mapped[0].ShopifyID, "custom.total_spent")
	require.False(t, written, "a preview writes nothing to Shopify")
}
