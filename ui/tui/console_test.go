package tui_test

import (
	"cmp"
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/stretchr/testify/require"

	"syncops/engine"
)

// TestHelpAndUnavailablePages shows the help overlay, the pages whose
// services this session lacks, and the refusal to open a job page before
// any job was opened.
func TestHelpAndUnavailablePages(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{seed: history})
			b.waitFor(t, "Job #3 Running")
			b.press("?")
			b.waitFor(t, "Keys · Overview", "go to page")
			b.golden(t, "help")
			b.press("?", "4")
			b.waitFor(t, "Schedules are unavailable")
			b.press("tab")
			b.waitFor(t, "Location mappings are unavailable")
			b.press("3")
			b.waitFor(t, "✗ no job open yet")
			b.press("esc", "esc")
			b.waitFor(t, "Job #3 Running")
			b.finish(t)
		})
	}
}

// TestResizeRelayouts: a console resized from 80x24 to 120x40 shows what
// one started at 120x40 on the same world shows.
func TestResizeRelayouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		world func(t testing.TB) world
		keys  []string
		shown string   // shown after each key (default "#130")
		wait  []string // shown at both sizes once the page has loaded
	}{
		{name: "overview", keys: nil, wait: []string{"Job #3 Running", "Next run", "Nhanh locked"},
			world: func(t testing.TB) world {
				return world{sandbox: true, seed: history, schedules: realScheduler(t), budgets: true}
			}},
		{name: "jobs", keys: []string{"2"}, wait: []string{"[All 130]", "#114", "Cancelled 17"},
			world: func(testing.TB) world {
				return world{seed: func(t testing.TB, b *bundle) { insertJobs(t, b.store, manyJobs(130)) }}
			}},
		{name: "detail", keys: []string{"2", "enter"}, wait: []string{"Job #130  PENDING", "[Info]"},
			world: func(testing.TB) world {
				return world{seed: func(t testing.TB, b *bundle) { insertJobs(t, b.store, manyJobs(130)) }}
			}},
		{name: "mappings", keys: []string{"9"}, shown: "Customer mappings", wait: []string{"[All 4]", "Võ Ngọc Anh"},
			world: func(testing.TB) world { return world{seed: seedWorkbench} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			open := func(w, h int) *bundle {
				b := setup(t, w, h, tt.world(t))
				b.waitFor(t, "Stepped import")
				for _, k := range tt.keys {
					b.press(k)
					b.waitFor(t, cmp.Or(tt.shown, "#130"))
				}
				b.waitFor(t, tt.wait...)
				return b
			}
			direct := open(120, 40)
			resized := open(80, 24)
			resized.tm.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
			want := direct.rec.current()
			resized.waitView(t, func(v string) bool { return v == want })
		})
	}
}

// TestActionErrorsAreShown: refused parameters, a conflicting start (and
// forcing it), and a stopped engine are shown to the operator, and the
// console carries on.
func TestActionErrorsAreShown(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{})
			b.waitFor(t, "Stepped import")
			b.press("s", "a", "b", "c", "enter")
			b.waitFor(t, `✗ STEPPED: parameter "n" must be a whole number, got "abc"`)
			b.press("backspace", "backspace", "backspace", "5", "enter")
			b.waitFor(t, "started STEPPED as job #1", "Job #1 Pending")

			b.press("s", "5", "enter")
			b.waitFor(t, "Stepped import is already pending as job #1 with the same parameters.")
			b.golden(t, "conflict")
			b.press("f")
			b.waitFor(t, "started STEPPED as job #2", "Job #2 Pending")
			old, err := b.engine.Get(context.Background(), 1)
			require.NoError(t, err)
			require.Equal(t, engine.StatusCancelled, old.Status)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, b.engine.Stop(ctx))
			b.waitFor(t, "✗ live updates stopped: the engine is shutting down")
			b.press("down", "s", "enter")
			b.waitFor(t, "✗ start FAILING_ITEMS: engine is stopping")
			b.press("esc", "down")
			b.waitFor(t, "▸ Waiter")
			b.finish(t)
		})
	}
}
