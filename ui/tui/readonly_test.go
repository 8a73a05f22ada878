package tui_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// dbState is what an operator's action could change.
func dbState(t *testing.T, b *bundle) string {
	t.Helper()
	return b.store.ChangeState(t)
}

// TestReadOnlyRefusesEveryAction: a viewer pressing any action key sees
// why it is refused, and nothing changes in the database.
func TestReadOnlyRefusesEveryAction(t *testing.T) {
	t.Parallel()
	locs := newFakeLocations()
	b := setup(t, 80, 24, world{readOnly: true, seed: history, schedules: realScheduler(t), locations: locs})
	before := dbState(t, b)
	b.waitFor(t, "READ-ONLY", "Job #3 Running")

	steps := []struct {
		keys    []string
		ready   string // shown before the action key is pressed
		refusal string
	}{
		{keys: []string{"s"}, ready: "Stepped import", refusal: "starting STEPPED refused"},
		{keys: []string{"c"}, ready: "Stepped import", refusal: "cancelling STEPPED refused"},
		{keys: []string{"down", "r"}, ready: "Stepped import", refusal: "retrying FAILING_ITEMS refused"},
		{keys: []string{"up", "enter"}, ready: "Stepped import", refusal: ""},
		{keys: []string{"c"}, ready: "Job #3  RUNNING", refusal: "cancelling job #3 refused"},
		{keys: []string{"r"}, ready: "Job #3  RUNNING", refusal: "retrying job #3 refused"},
		{keys: []string{"f"}, ready: "Job #3  RUNNING", refusal: "restarting job #3 refused"},
		{keys: []string{"4"}, ready: "Job #3  RUNNING", refusal: ""},
		{keys: []string{"space"}, ready: "cron 0 * * * *", refusal: "changing the schedule of STEPPED refused"},
		{keys: []string{"enter"}, ready: "cron 0 * * * *", refusal: "editing the schedule of STEPPED refused"},
		{keys: []string{"5"}, ready: "cron 0 * * * *", refusal: ""},
		{keys: []string{"enter"}, ready: "Kho Hà Nội", refusal: "mapping depot 1001 refused"},
		{keys: []string{"u"}, ready: "Kho Hà Nội", refusal: "unmapping depot 1001 refused"},
	}
	for _, st := range steps {
		b.waitFor(t, st.ready)
		b.press(st.keys...)
		if st.refusal != "" {
			b.waitFor(t, "✗ "+st.refusal+": this is a read-only session")
		}
	}
	b.finish(t)
	require.Equal(t, before, dbState(t, b), "a viewer changed the database")
	require.Zero(t, locs.changes(), "a viewer changed location mappings")
}
