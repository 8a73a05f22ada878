package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/scheduler"
	"syncops/store"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite) // the clock reads 22:00 on June 1 in Ho Chi Minh City
	valid := []struct {
		spec string
		want []time.Time
	}{
		{"0 */6 * * *", []time.Time{local(2, 0, 0, 0), local(2, 6, 0, 0), local(2, 12, 0, 0)}},
		{"0 2 * * *", []time.Time{local(2, 2, 0, 0), local(3, 2, 0, 0), local(4, 2, 0, 0)}},
		{"0 */2 * * * *", []time.Time{local(1, 22, 2, 0), local(1, 22, 4, 0), local(1, 22, 6, 0)}},
		{"  @hourly ", []time.Time{local(1, 23, 0, 0), local(2, 0, 0, 0), local(2, 1, 0, 0)}},
		{"@every 90s", []time.Time{local(1, 22, 1, 30), local(1, 22, 3, 0), local(1, 22, 4, 30)}},
		{"@every 2h", []time.Time{local(2, 0, 0, 0), local(2, 2, 0, 0), local(2, 4, 0, 0)}},
		{"CRON_TZ=UTC 0 0 * * *", []time.Time{local(2, 7, 0, 0), local(3, 7, 0, 0), local(4, 7, 0, 0)}},
	}
	for _, tt := range valid {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			got, err := b.sched.Validate(tt.spec)
			require.NoError(t, err)
			requireTimes(t, tt.want, got)
		})
	}

	invalid := []struct {
		name, spec, reason string
	}{
		{"empty", " ", "it is empty"},
		{"off", "off", `"off" disables a schedule`},
		{"minute out of range", "61 * * * *", "above maximum (59)"},
		{"too few fields", "* * *", "found 3"},
		{"never fires", "0 0 30 2 *", "it never fires"},
		{"unknown descriptor", "@fortnightly", "unrecognized descriptor"},
		{"every without duration", "@every soon", "@every needs a duration"},
		{"every below a second", "@every 500ms", "at least one second"},
		{"every in fractions", "@every 1500ms", "whole seconds"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.sched.Validate(tt.spec)
			var cerr *scheduler.CronError
			require.ErrorAs(t, err, &cerr)
			require.Contains(t, cerr.Reason, tt.reason)
			require.Contains(t, err.Error(), "@every 90s", "the error says what is accepted")
		})
	}
}

func TestPresetsAreValid(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	seen := map[string]bool{}
	for _, p := range scheduler.Presets {
		require.NotEmpty(t, p.Name)
		require.False(t, seen[p.Cron], "duplicate preset %s", p.Cron)
		seen[p.Cron] = true
		runs, err := b.sched.Validate(p.Cron)
		require.NoError(t, err, p.Cron)
		require.Len(t, runs, 3)
	}
	require.Len(t, scheduler.Presets, 8)
}

func TestNewInstallListsDefaultTypesDisabled(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()
	views, err := b.sched.Schedules(ctx)
	require.NoError(t, err)
	var types []string
	for _, v := range views {
		types = append(types, v.JobType)
		require.False(t, v.Enabled, v.JobType)
		require.Equal(t, scheduler.DefaultCron, v.Cron)
		require.Empty(t, v.NextRuns)
		require.Nil(t, v.LastRun)
		require.JSONEq(t, `{}`, string(v.Params))
	}
	require.Equal(t, []string{autoSyncCustomers, autoSyncProducts, incrementalPull}, types)

	// Any registered type can be scheduled; it is listed once set.
	v, err := b.sched.Set(ctx, "pull_nhanh_products", "@daily", nil, operator)
	require.NoError(t, err)
	require.Equal(t, pullOther, v.JobType)
	requireTimes(t, []time.Time{local(2, 0, 0, 0), local(3, 0, 0, 0), local(4, 0, 0, 0)}, v.NextRuns)
	views, err = b.sched.Schedules(ctx)
	require.NoError(t, err)
	require.Len(t, views, 4)
	require.True(t, viewOf(t, views, pullOther).Enabled)
}

func TestSetRefusesAndAudits(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()

	_, err := b.sched.Set(ctx, "pull_everything", "@hourly", nil, operator)
	var unknown *engine.UnknownTypeError
	require.ErrorAs(t, err, &unknown)
	_, err = b.sched.Set(ctx, autoSyncCustomers, "every now and then", nil, operator)
	var cerr *scheduler.CronError
	require.ErrorAs(t, err, &cerr)
	_, err = b.sched.Set(ctx, autoSyncCustomers, "@hourly", engine.Params{"lmit": "5"}, operator)
	var perr *engine.ParamError
	require.ErrorAs(t, err, &perr)
	require.Contains(t, perr.Error(), "valid: limit")
	rows, err := b.store.Schedules(ctx, b.store.Reader())
	require.NoError(t, err)
	require.Empty(t, rows, "a refused change saves nothing")

	v, err := b.sched.Set(ctx, autoSyncCustomers, "0 */2 * * *", engine.Params{"limit": "10"}, operator)
	require.NoError(t, err)
	require.True(t, v.Enabled)
	require.Equal(t, "cli:tester", v.UpdatedBy)
	require.True(t, v.UpdatedAt.Equal(start))
	require.JSONEq(t, `{"limit":10}`, string(v.Params), "stored as the engine's canonical parameters")

	v, err = b.sched.Set(ctx, autoSyncCustomers, "OFF", nil, operator)
	require.NoError(t, err)
	require.False(t, v.Enabled)
	require.Equal(t, "0 */2 * * *", v.Cron, "off keeps the expression")
	require.JSONEq(t, `{"limit":10}`, string(v.Params), "nil params keep the stored ones")

	entries, err := b.store.AuditLog(ctx, b.store.Reader(), store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, entries, 2)
	require.Equal(t, "schedule.off", entries[0].Action)
	require.Equal(t, `AUTO_SYNC_CUSTOMERS off (cron "0 */2 * * *" kept)`, entries[0].Detail)
	require.Equal(t, "schedule.set", entries[1].Action)
	require.Equal(t, `AUTO_SYNC_CUSTOMERS "0 */2 * * *" params={"limit":10}`, entries[1].Detail)
	for _, e := range entries {
		require.Equal(t, "tester", e.Actor)
		require.Equal(t, store.ActorCLI, e.ActorKind)
	}
}

func TestEnableDemo(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()
	require.NoError(t, b.sched.EnableDemo(ctx, engine.Actor{Name: "demo", Kind: engine.ActorLocal}))
	views, err := b.sched.Schedules(ctx)
	require.NoError(t, err)
	require.Len(t, views, len(scheduler.DemoSchedules()))
	for _, d := range scheduler.DemoSchedules() {
		v := viewOf(t, views, d.JobType)
		require.True(t, v.Enabled, d.JobType)
		require.Equal(t, d.Cron, v.Cron)
		require.Len(t, v.NextRuns, 3)
		require.Less(t, v.NextRuns[0].Sub(b.clock.Now()), 6*time.Minute, "%s ticks within minutes", d.JobType)
	}
	requireTimes(t, []time.Time{local(1, 22, 2, 0), local(1, 22, 4, 0), local(1, 22, 6, 0)},
		viewOf(t, views, incrementalPull).NextRuns)
}

// requireTimes compares instants, and that they are shown in the operator's zone.
func requireTimes(t *testing.T, want, got []time.Time) {
	t.Helper()
	require.Len(t, got, len(want), "%v", got)
	for i := range want {
		require.True(t, got[i].Equal(want[i]), "time %d: %s, want %s", i, got[i], want[i])
		require.Equal(t, hcm.String(), got[i].Location().String())
	}
}

// TestScheduleChangeAndAuditCommitTogether refuses the audit entry (a
// trigger on the audit log) and requires that the schedule is not changed.
func TestScheduleChangeAndAuditCommitTogether(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()
	_, err := b.sched.Set(ctx, autoSyncCustomers, "0 */2 * * *", nil, operator)
	require.NoError(t, err)

	_, err = b.store.DB().ExecContext(ctx, `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
		BEGIN SELECT RAISE(ABORT, 'audit log full'); END`)
	require.NoError(t, err)
	_, err = b.sched.Set(ctx, autoSyncCustomers, "0 */3 * * *", nil, operator)
	require.ErrorContains(t, err, "audit log full")
	_, err = b.sched.Set(ctx, autoSyncProducts, "@hourly", nil, operator)
	require.ErrorContains(t, err, "audit log full")

	rows, err := b.store.Schedules(ctx, b.store.Reader())
	require.NoError(t, err)
	require.Len(t, rows, 1, "no new schedule")
	require.Equal(t, "0 */2 * * *", rows[0].Cron, "the stored schedule is unchanged")
	version, err := b.store.SchedulesVersion(ctx, b.store.Reader())
	require.NoError(t, err)
	require.Equal(t, int64(1), version.Revisions, "only the first write happened")
}
