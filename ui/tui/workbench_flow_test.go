package tui_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
)

// TestSandboxWorkbenchFlow is the operator's workbench end to end in the
// console, on the real job types against the sandbox: match; open a
// customer the match left ambiguous from its failed item (m); see its
// candidates; map it by hand; preview a sync of that mapping from the start
// form and see exactly its change in the diff; sync it now; the mapping
// shows the value written; match again and the manual mapping stays. The
// CLI twin is ui/cli's TestWorkbenchFlow.
func TestSandboxWorkbenchFlow(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the real job types against the sandbox")
	}
	ctx := context.Background()
	w := enginetest.StartWorld(t, enginetest.StartShop(t, enginetest.ShopOptions{Seed: 12, Customers: 120, Products: 20,
		Scale: 100}), 100*time.Millisecond)
	e := w.Engine
	for _, typ := range []string{"PULL_NHANH_CUSTOMERS", "PULL_SHOPIFY_CUSTOMERS"} {
		runToEnd(t, e, typ, nil)
	}
	ambiguous := slices.Sorted(func(yield func(int64) bool) {
		for id := range w.Shop.AmbiguousPhoneCustomers() {
			if !yield(id) {
				return
			}
		}
	})
	require.NotEmpty(t, ambiguous, "the sandbox has customers sharing a phone")
	nhanhID := strconv.FormatInt(ambiguous[0], 10)

	b := sandboxConsole(t, w)

	// Match from the overview, then open its failed items.
	b.startFromOverview(t, "Auto-match customers")
	b.waitFor(t, "COMPLETED  Auto-match customers", "Failed items (")
	b.press("right", "/")
	b.press(strings.Split(nhanhID, "")...)
	b.press("enter")
	b.waitFor(t, "search: "+nhanhID, "1 failed items")

	// m opens it on the mappings page: why, and its candidates.
	b.press("m")
	b.waitFor(t, "Nhanh customer "+nhanhID, "Why not matched: ambiguous", "Map to (candidates", "free")
	detail, err := e.RecordDetail(ctx, engine.MappingCustomers, ambiguous[0])
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(detail.Candidates), 2)
	for _, c := range detail.Candidates {
		require.Contains(t, b.rec.current(), "#"+c.ID[strings.LastIndexByte(c.ID, '/')+1:], "every candidate is listed")
	}
	target := detail.Candidates[0].ID

	// Map it by hand to the first candidate.
	b.press("enter")
	b.waitFor(t, "Map Nhanh customer "+nhanhID+" to "+target+"?")
	b.press("y")
	b.waitFor(t, "mapped Nhanh customer "+nhanhID+" to "+target+" as mapping #", "manual", "PENDING")
	row, err := e.RecordDetail(ctx, engine.MappingCustomers, ambiguous[0])
	require.NoError(t, err)
	require.True(t, row.Row.Manual)
	mid := strconv.FormatInt(row.Row.MappingID, 10)
	want := row.Row.Nhanh.Value

	// Preview a sync of that mapping from the start form: the diff holds
	// exactly its change, and nothing reached Shopify.
	mutations := w.Shop.Shopify().Record().Mutations
	b.startFromOverview(t, "Customer sync", append(strings.Split(mid, ""), "down", "down", "space")...)
	b.waitFor(t, "COMPLETED  Customer sync", "Diff (d)")
	b.press("d")
	b.waitFor(t, "[Diff (d)]", "1 would write", "1 of 1 lines", nhanhID+" → #")
	require.Contains(t, b.rec.current(), "-> "+number(want), "the line shows the value the sync would write")
	require.Equal(t, mutations, w.Shop.Shopify().Record().Mutations, "the preview sent no mutation")

	// Sync it now from the mapping: a tracked job; back on the mapping, the
	// value written.
	b.press("9")
	b.waitFor(t, "Customer mapping #"+mid, "nothing written yet")
	b.press("s")
	b.waitFor(t, "COMPLETED  Customer sync", "started job #")
	b.press("esc")
	b.waitFor(t, "Customer mapping #"+mid, "SYNCED", "written "+number(want))
	mf, ok := w.Shop.CustomerMetafield(target, "custom.total_spent")
	require.True(t, ok)
	require.Equal(t, want, mf, "Shopify holds what the mapping shows")

	// Match again: the manual mapping stays as it is.
	b.startFromOverview(t, "Auto-match customers")
	b.waitFor(t, "COMPLETED  Auto-match customers")
	b.press("9")
	b.waitFor(t, "Customer mapping #"+mid, "SYNCED · manual", target)
	kept, err := e.MappingDetail(ctx, engine.MappingCustomers, row.Row.MappingID)
	require.NoError(t, err)
	require.True(t, kept.Row.Manual)
	require.Equal(t, target, kept.Row.Shopify.ID)
}

// startFromOverview selects the overview's row of label, opens its start
// form, presses form keys (fields, then the start), waits until the
// overview shows the started job, and opens it.
func (b *bundle) startFromOverview(t *testing.T, label string, form ...string) {
	t.Helper()
	b.press("1")
	b.waitFor(t, label)
	for !strings.Contains(selectedLine(b.rec.current()), label) {
		view := b.rec.current()
		before := selectedLine(view)
		move := "down"
		if strings.Index(view, label) < strings.Index(view, before) {
			move = "up"
		}
		b.press(move)
		b.waitView(t, func(v string) bool { return selectedLine(v) != before })
	}
	b.press("s")
	b.waitFor(t, "Start "+label+" (")
	b.press(form...)
	b.press("enter")
	b.waitFor(t, "as job #")
	id := regexp.MustCompile(`as job #(\d+)`).FindStringSubmatch(b.rec.current())[1]
	b.waitFor(t, "Job #"+id+" ") // the panel of the selected type
	b.press("enter")
	b.waitFor(t, "Job #"+id+"  ")
}

// runToEnd starts a job and waits until it completes.
func runToEnd(t *testing.T, e *engine.Engine, typ string, params engine.Params) {
	t.Helper()
	id, err := e.Start(context.Background(), typ, params, engine.StartOptions{Actor: operator})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		j, err := e.Get(context.Background(), id)
		require.NoError(t, err)
		require.NotEqual(t, engine.StatusFailed, j.Status, j.Error)
		return j.Status == engine.StatusCompleted
	}, 2*time.Minute, 20*time.Millisecond, "a hang guard, not a speed claim")
}

// number writes an integer value as the console does (1,500,000).
func number(v string) string {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return v
	}
	s := strconv.FormatInt(n, 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
