package tui_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
	"syncops/engine/jobs"
	jobsync "syncops/engine/jobs/sync"
)

// seedStreams stores three pull streams: one running (moved by job 3),
// one paused mid-pass, one done.
func seedStreams(t testing.TB, b *bundle) {
	insertJobs(t, b.store, manyJobs(3))
	b.store.SeedStreams(t, []enginetest.Stream{
		{Name: "PULL_NHANH_CUSTOMERS", State: "running", Rows: 12_500, JobID: 3,
			Started: t0.Add(-4 * time.Minute), Updated: t0.Add(-2 * time.Second), LastCompleted: t0.Add(-26 * time.Hour)},
		{Name: "PULL_SHOPIFY_CUSTOMERS", State: "paused", Rows: 4_000, JobID: 2,
			Started: t0.Add(-3 * time.Hour), Updated: t0.Add(-2 * time.Hour)},
		{Name: "PULL_NHANH_PRODUCTS", State: "done", Rows: 5_012, JobID: 1,
			Started: t0.Add(-50 * time.Minute), Updated: t0.Add(-45 * time.Minute), LastCompleted: t0.Add(-45 * time.Minute)},
	})
}

// TestStreamsPage: every pull stream with its state, the rows of its pass,
// how long ago its cursor moved and when a pass last completed; ages move
// with the console's clock; enter opens the job that moved the stream.
func TestStreamsPage(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{seed: seedStreams})
			b.waitSettled(t, "Stepped import")
			b.press("7")
			b.waitSettled(t, "Pull streams", "1 running, 1 paused, 1 done", "PULL_SHOPIFY_CUSTOMERS", "12,500",
				"paused", "2s ago", "2h ago", "never")
			b.golden(t, "streams")

			b.clock.Advance(3 * time.Minute)
			b.waitSettled(t, "3m ago") // the running stream's cursor, on the next tick

			b.press("enter")
			b.waitSettled(t, "Job #3")
		})
	}
}

// TestStreamsPageWithoutPulls says what the page will show.
func TestStreamsPageWithoutPulls(t *testing.T) {
	t.Parallel()
	b := setup(t, 80, 24, world{})
	b.waitSettled(t, "Stepped import")
	b.press("7")
	b.waitSettled(t, "No full pull has run yet")
}

// TestSettingsPage changes a setting from the console: a value the engine
// refuses is shown with its reason and nothing changes; a good one is
// stored, shown as set, and audited with the operator.
func TestSettingsPage(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{settings: jobs.Settings()})
			b.waitSettled(t, "Stepped import")
			b.press("8")
			b.waitSettled(t, "Settings", "SETTING", jobsync.SettingDropBrakePercent, jobsync.SettingInventoryActivate)
			b.golden(t, "list")

			// Select the drop brake and try a value out of range.
			row := rowOf(t, b, jobsync.SettingDropBrakePercent)
			for range row {
				b.press("down")
			}
			b.press("enter", "ctrl+u", "1", "5", "0", "enter")
			b.waitSettled(t, "must be a whole number from 0 to 100", "nothing was changed")
			b.golden(t, "refused")
			ctx := context.Background()
			require.False(t, settingOf(t, b, jobsync.SettingDropBrakePercent).Set, "a refused value is not stored")

			b.press("backspace", "backspace", "backspace", "2", "5", "enter")
			b.waitSettled(t, jobsync.SettingDropBrakePercent+" set to 25")
			st := settingOf(t, b, jobsync.SettingDropBrakePercent)
			require.True(t, st.Set)
			require.Equal(t, "25", st.Value)
			audit, err := b.engine.Audit(ctx, engine.AuditFilter{})
			require.NoError(t, err)
			require.NotEmpty(t, audit)
			require.Equal(t, "ops", audit[0].Actor)
			require.Contains(t, audit[0].Detail, "25")
		})
	}
}

// TestSettingsPageRefusesAViewer: a viewer sees the settings and cannot
// open one for a change.
func TestSettingsPageRefusesAViewer(t *testing.T) {
	t.Parallel()
	b := setup(t, 120, 40, world{settings: jobs.Settings(), readOnly: true})
	b.waitSettled(t, "Stepped import")
	b.press("8")
	b.waitSettled(t, jobsync.SettingDropBrakePercent)
	b.press("enter")
	b.waitSettled(t, "refused", "read-only")
	require.NotContains(t, b.rec.current(), "enter save")
}

// settingOf is a setting as the engine reads it.
func settingOf(t *testing.T, b *bundle, key string) engine.Setting {
	t.Helper()
	settings, err := b.engine.Settings(context.Background())
	require.NoError(t, err)
	return settings[rowOf(t, b, key)]
}

// rowOf is the position of a setting among the listed ones.
func rowOf(t *testing.T, b *bundle, key string) int {
	t.Helper()
	settings, err := b.engine.Settings(context.Background())
	require.NoError(t, err)
	for i, s := range settings {
		if s.Key == key {
			return i
		}
	}
	t.Fatalf("no setting %s", key)
	return 0
}
