package tui_test

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
	"syncops/ui/tui"
)

// TestSandboxStartWatchCancelRetry drives the console with keys against the
// real job types and the sandbox at the published rate limits: it starts a
// pull, watches its progress bar move through engine events (the pull gets
// 150 of its 200 pages, then waits for Nhanh's window), cancels it after
// confirming, opens its detail, then runs a customer sync with one bad
// mapping, opens the failed item and retries it as a new job.
func TestSandboxStartWatchCancelRetry(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the real job types against the sandbox")
	}
	ctx := context.Background()
	w := enginetest.StartWorld(t, enginetest.StartShop(t, enginetest.ShopOptions{Seed: 3, Customers: 40000, Products: 20,
		Scale: 2}), 100*time.Millisecond)
	e := w.Engine
	b := sandboxConsole(t, w)

	// Start the pull from the overview's first row.
	b.waitFor(t, "Pull Nhanh customers", "Never run. Press s to start it.")
	b.press("s")
	b.waitFor(t, "Start Pull Nhanh customers (PULL_NHANH_CUSTOMERS)")
	b.press("enter")
	b.waitFor(t, "started PULL_NHANH_CUSTOMERS as job #")

	// The count moves (a pull's total is not known ahead, so it reads
	// "N so far"): the pull gets 150 pages of 400, waits for Nhanh's
	// window (15 s at this scale), gets 150 more, and waits again.
	processed := regexp.MustCompile(`Running .*\n([\d,]+)(?:/[\d,]+| so far) processed`)
	count := func(v string) int {
		m := processed.FindStringSubmatch(v)
		if m == nil {
			return -1
		}
		n, _ := strconv.Atoi(regexp.MustCompile(`,`).ReplaceAllString(m[1], ""))
		return n
	}
	var first int
	b.waitView(t, func(v string) bool { first = count(v); return first > 0 })
	b.waitView(t, func(v string) bool { n := count(v); return n > first && n < 40000 })

	// Cancel it, after confirming.
	b.press("c")
	b.waitFor(t, "Cancel job #")
	b.press("y")
	b.waitFor(t, "Cancelled")
	b.press("enter")
	b.waitFor(t, "CANCELLED  Pull Nhanh customers", "cancelled by local:ops")

	// A customer sync over one good and one bad mapping.
	mapped := w.MapPulledCustomers(t, "", "gid://shopify/Customer/999999999")
	b.press("1")
	b.waitFor(t, "TYPE")
	b.press("down", "down", "down", "down", "down", "down", "down", "s")
	b.waitFor(t, "Start Customer sync (CUSTOMER_SYNC)")
	b.press("enter")
	b.waitFor(t, "started CUSTOMER_SYNC as job #", "1 failed")
	b.press("enter")
	b.waitFor(t, "COMPLETED  Customer sync", "Failed items (1)")
	b.press("right")
	b.waitFor(t, "[Failed items (1)]", "1 failed items")
	b.press("enter")
	b.waitFor(t, "Nhanh customer "+strconv.FormatInt(mapped[1].NhanhID, 10), "Owner does not",
		"Request   metafieldsSet owner=gid://shopify/Customer/999999999")

	// Retry the failed item: a new job, and the console jumps to it.
	b.press("esc", "r")
	b.waitFor(t, "retry of #", "Customer sync")
	// Every operator action from the console is in the audit log, as the
	// local operator.
	b.waitFor(t, "Job #")
	var actions []string
	require.Eventually(t, func() bool {
		entries, err := e.Audit(ctx, engine.AuditFilter{})
		require.NoError(t, err)
		actions = actions[:0]
		for _, en := range entries {
			require.Equal(t, engine.ActorLocal, en.ActorKind)
			require.Equal(t, operator.Name, en.Actor)
			actions = append(actions, en.Action)
		}
		return len(actions) == 4
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"job.retry", "job.start", "job.cancel", "job.start"}, actions)

	v, ok := w.Shop.CustomerMetafield(mapped[0].ShopifyID, "custom.total_spent")
	require.True(t, ok, "the good mapping was written")
	require.NotEmpty(t, v)
}

// sandboxConsole is a 120x40 console on the real clock over a world of the
// real job types and the sandbox, as an operator at the sandbox sees it.
func sandboxConsole(t *testing.T, w *enginetest.World) *bundle {
	t.Helper()
	model := tui.New(tui.Options{Engine: w.Engine, Actor: operator, DatabaseName: "syncops.db", Sandbox: true,
		Clock: clockwork.NewRealClock(), Location: zone})
	t.Cleanup(model.Close)
	b := &bundle{store: w.DB, engine: w.Engine, rec: &recorder{Model: model}}
	b.tm = teatest.NewTestModel(t, b.rec, teatest.WithInitialTermSize(120, 40))
	t.Cleanup(func() { _ = b.tm.Quit() })
	return b
}
