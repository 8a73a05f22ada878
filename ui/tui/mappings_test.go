package tui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
)

// seedWorkbench stores the fixed workbench (enginetest.SeedWorkbench) and
// the two jobs its sync log and match reasons name.
func seedWorkbench(t testing.TB, b *bundle) {
	insertJobs(t, b.store, manyJobs(2))
	b.store.SeedWorkbench(t, t0)
}

// TestMappingsPage: the customer mappings with their counts and state tabs,
// an unmatched customer with why and its candidates, and mapping it by hand
// after a confirmation: it becomes a manual mapping and leaves the
// unmatched tab.
func TestMappingsPage(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{seed: seedWorkbench})
			b.waitSettled(t, "Stepped import")
			b.press("9")
			b.waitSettled(t, "Customer mappings", "4 mapped", "unmatched 2 Nhanh, 2 Shopify", "[All 4]",
				"Nguyễn Thị Lan", "SYNCED", "FAILED", "orphaned", "1,500,000")
			b.golden(t, "list")

			// The failed mapping's error under the list.
			b.press("down")
			b.waitSettled(t, "last error: metafieldsSet: customer not found")

			// The unmatched tab says why.
			for range 6 {
				b.press("right")
			}
			b.waitSettled(t, "[Unmatched Nhanh 2]", "Phạm Thu Hà", "ambiguous", "no-phone",
				"why not matched: its phone 0977000111 is on 2 Shopify customers")
			b.golden(t, "unmatched")

			b.press("enter")
			b.waitSettled(t, "Nhanh customer 1004", "Why not matched: ambiguous", "#8004", "#8005", "free")
			b.golden(t, "detail")

			b.press("down", "enter")
			b.waitSettled(t, "Map Nhanh customer 1004 to gid://shopify/Customer/8005?")
			b.press("y")
			b.waitSettled(t, "mapped Nhanh customer 1004 to gid://shopify/Customer/8005 as mapping #", "manual", "PENDING")
			b.golden(t, "mapped")

			b.press("esc")
			b.waitSettled(t, "[Unmatched Nhanh 1]", "Đặng Quốc Việt")
			require.NotContains(t, b.rec.current(), "Phạm Thu Hà", "a mapped customer leaves the unmatched tab")
		})
	}
}

// TestMappingsSearchAnyPhoneForm: a customer is found by its phone written
// another way than it was typed at the till, and by words of a Vietnamese
// name in lower case; products are one key away.
func TestMappingsSearchAnyPhoneForm(t *testing.T) {
	t.Parallel()
	b := setup(t, 120, 40, world{seed: seedWorkbench})
	b.waitSettled(t, "Stepped import")
	b.press("9")
	b.waitSettled(t, "Customer mappings", "Trần Văn Bình")

	b.press("/")
	b.press(strings.Split("+84912345678", "")...)
	b.waitView(t, func(v string) bool {
		return strings.Contains(v, "Nguyễn Thị Lan") && !strings.Contains(v, "Trần Văn Bình")
	})
	b.press("enter")
	b.waitSettled(t, "search: +84912345678", "1 matches")

	b.press("/", "esc")
	b.waitSettled(t, "no search", "Trần Văn Bình")
	b.press("/")
	b.press(strings.Split("trần văn", "")...)
	b.waitView(t, func(v string) bool {
		return strings.Contains(v, "Trần Văn Bình") && !strings.Contains(v, "Nguyễn Thị Lan")
	})
	b.press("enter", "t")
	b.waitSettled(t, "Product mappings", "no search", "0 mapped")
}

// TestMappingsActions: unmap after a confirmation, clean up the orphaned
// mapping, each audited with the operator.
func TestMappingsActions(t *testing.T) {
	t.Parallel()
	b := setup(t, 120, 40, world{seed: seedWorkbench})
	b.waitSettled(t, "Stepped import")
	b.press("9")
	b.waitSettled(t, "Customer mappings", "Võ Ngọc Anh")

	// Unmap the pending mapping (the last row).
	b.press("down", "down", "down", "enter")
	b.waitSettled(t, "Customer mapping #", "Võ Ngọc Anh", "matched by email")
	b.press("u")
	b.waitSettled(t, "Delete mapping #")
	b.press("y")
	b.waitSettled(t, "deleted mapping #", "3 mapped", "unmatched 3 Nhanh, 3 Shopify")

	// Clean up the orphan.
	b.press("C")
	b.waitSettled(t, "Delete 1 orphaned customer mappings?")
	b.press("y")
	b.waitSettled(t, "deleted 1 orphaned customer mappings", "2 mapped", "[All 2]")
	require.NotContains(t, b.rec.current(), "Lê Hoàng Minh")
	b.press("C")
	b.waitSettled(t, "no orphaned customer mappings to clean up")

	entries, err := b.engine.Audit(context.Background(), engine.AuditFilter{})
	require.NoError(t, err)
	var actions []string
	for _, e := range entries {
		require.Equal(t, operator.Name, e.Actor, e.Action)
		require.Equal(t, operator.Kind, e.ActorKind, e.Action)
		actions = append(actions, e.Action)
	}
	require.Subset(t, actions, []string{"mapping.unmap", "mapping.clean-orphans"})
}

// TestMappingsRefuseAViewer: a viewer sees the mappings, their detail and
// candidates, and every change is refused with nothing stored.
func TestMappingsRefuseAViewer(t *testing.T) {
	t.Parallel()
	b := setup(t, 120, 40, world{seed: seedWorkbench, readOnly: true})
	before := dbState(t, b)
	b.waitSettled(t, "READ-ONLY")
	b.press("9")
	b.waitSettled(t, "Customer mappings", "Nguyễn Thị Lan")
	b.press("C")
	b.waitSettled(t, "✗ clean up orphaned customer mappings refused: this is a read-only session")
	b.press("enter")
	b.waitSettled(t, "Customer mapping #", "Nguyễn Thị Lan")
	for _, k := range []string{"u", "s"} {
		b.press(k)
		b.waitSettled(t, "refused: this is a read-only session")
	}
	b.press("esc")
	for range 6 {
		b.press("right")
	}
	b.waitSettled(t, "[Unmatched Nhanh 2]")
	b.press("enter")
	b.waitSettled(t, "Why not matched: ambiguous", "#8004")
	b.press("enter")
	b.waitSettled(t, "✗ map customer 1004 refused: this is a read-only session")
	require.Equal(t, before, dbState(t, b), "a viewer changed nothing")
}

// TestPreviewDiffSection: a finished preview is marked as one in the jobs
// list and its page's header, and its diff section shows the totals and
// each line (up, down, to zero, unchanged, skipped, failed).
func TestPreviewDiffSection(t *testing.T) {
	t.Parallel()
	kinds := []engine.Kind{{Type: "CUSTOMER_SYNC", Label: "Customer sync", Diff: true,
		Description: "Writes each mapped customer's spend to Shopify.",
		Params:      []engine.ParamSpec{{Name: engine.DryRunParam, Kind: engine.ParamBool, Help: "preview only"}},
		Run:         func(context.Context, *engine.Run) error { return nil }}}
	seed := func(t testing.TB, b *bundle) {
		insertJobs(t, b.store, []seedJob{{ID: 1, Type: "CUSTOMER_SYNC", Status: engine.StatusCompleted,
			Params: `{"dryRun":true}`, Total: 6, Processed: 6, OK: 4, Skipped: 1, Failed: 1, By: "local:ops", Attempt: 1,
			Created: t0.Add(-time.Hour), Started: t0.Add(-time.Hour), Completed: t0.Add(-59 * time.Minute)}})
		b.store.SeedPreviewDiff(t, 1)
	}
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{seed: seed, kinds: kinds})
			b.waitSettled(t, "Customer sync")
			b.press("2")
			b.waitSettled(t, "Customer sync", "[All 1]")
			b.press("enter")
			b.waitSettled(t, "preview: nothing written", "Diff (d)")
			b.press("d")
			b.waitSettled(t, "[Diff (d)]", "Nguyễn Thị Lan", "of 6 lines")
			b.golden(t, "diff")
		})
	}
}
