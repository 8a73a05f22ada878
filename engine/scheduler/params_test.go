package scheduler_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/scheduler"
	"syncops/store"
)

// TestScheduledLargeIDsReachTheJob: a schedule of CUSTOMER_SYNC over mapping
// ids of a million and more starts its job with exactly those ids, whether
// it was set through Set (stored typed) or stored by an older syncops (ids as
// text) or by hand (typed).
func TestScheduledLargeIDsReachTheJob(t *testing.T) {
	t.Parallel()
	const want = `{"ids":[12,1000000,9007199254740993]}`
	tests := []struct {
		name   string
		stored string // "" means set through Set
	}{
		{name: "set", stored: ""},
		{name: "stored as text", stored: `{"ids":"12,1000000,9007199254740993"}`},
		{name: "stored typed", stored: want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, store.SQLite)
			ctx := context.Background()
			if tt.stored == "" {
				v, err := b.sched.Set(ctx, customerSync, "0 */2 * * * *",
					engine.Params{"ids": "1000000,12,9007199254740993"}, operator)
				require.NoError(t, err)
				require.JSONEq(t, want, string(v.Params))
			} else {
				require.NoError(t, b.store.UpsertSchedule(ctx, b.store.DB(), store.Schedule{JobType: customerSync, Cron: "0 */2 * * * *",
					Enabled: true, Params: []byte(tt.stored), UpdatedAt: b.clock.Now()}))
			}
			v, err := b.sched.Schedule(ctx, customerSync)
			require.NoError(t, err)
			require.Empty(t, v.Problem)

			require.NoError(t, b.sched.Start(ctx))
			b.advanceTo(t, local(1, 22, 2, 0), 2)
			tk := b.nextTick(t)
			require.Equal(t, scheduler.OutcomeStarted, tk.Outcome, "%v", tk.Err)
			job, err := b.engine.Get(ctx, tk.JobID)
			require.NoError(t, err)
			require.JSONEq(t, want, string(job.Params))
		})
	}
}
