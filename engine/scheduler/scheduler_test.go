package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/scheduler"
	"syncops/store"
	"syncops/store/storetest"
)

func TestFiresAtLocalTimesAcrossADay(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()
	_, err := b.sched.Set(ctx, "auto_sync_customers", "0 */6 * * *", nil, operator)
	require.NoError(t, err)
	require.NoError(t, b.sched.Start(ctx))

	// From 22:00 on June 1 through a whole day in Ho Chi Minh City (UTC+7):
	// ticks at local 00:00, 06:00, 12:00, 18:00, never at UTC's.
	want := []time.Time{local(2, 0, 0, 0), local(2, 6, 0, 0), local(2, 12, 0, 0), local(2, 18, 0, 0), local(3, 0, 0, 0)}
	for _, at := range want {
		b.advanceTo(t, at, 2)
		tk := b.nextTick(t)
		require.Equal(t, scheduler.OutcomeStarted, tk.Outcome, "tick %s: %v", at, tk.Err)
		require.Equal(t, autoSyncCustomers, tk.JobType)
		require.True(t, tk.ScheduledAt.Equal(at), "tick at %s, want %s", tk.ScheduledAt, at)
		require.Equal(t, at.Format(time.DateTime), tk.ScheduledAt.In(hcm).Format(time.DateTime))
		job, err := b.engine.Get(ctx, tk.JobID)
		require.NoError(t, err)
		require.True(t, scheduler.IsScheduled(job), "requested by %q", job.RequestedBy)
		b.finish(t, tk.JobID)
	}

	// The engine recorded exactly these ticks.
	got := b.claimedTicks(t, autoSyncCustomers)
	require.Len(t, got, len(want))
	for i := range want {
		require.True(t, got[i].Equal(want[i]), "claimed %s, want %s", got[i], want[i])
	}
	require.Equal(t, scheduler.Stats{Fired: 5, Started: 5}, b.sched.Stats()[autoSyncCustomers])
}

func TestOverlappingTickIsSkippedAndCounted(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()
	_, err := b.sched.Set(ctx, autoSyncProducts, "0 * * * * *", nil, operator)
	require.NoError(t, err)
	require.NoError(t, b.sched.Start(ctx))

	b.advanceTo(t, local(1, 22, 1, 0), 2)
	first := b.nextTick(t)
	require.Equal(t, scheduler.OutcomeStarted, first.Outcome, "%v", first.Err)

	// Nothing works jobs here, so the first job stays PENDING: the next
	// ticks are dropped, naming it, and nothing queues behind it.
	for _, at := range []time.Time{local(1, 22, 2, 0), local(1, 22, 3, 0)} {
		b.advanceTo(t, at, 2)
		tk := b.nextTick(t)
		require.Equal(t, scheduler.OutcomeOverlap, tk.Outcome, "%v", tk.Err)
		require.Equal(t, first.JobID, tk.JobID)
		var conflict *engine.ConflictError
		require.ErrorAs(t, tk.Err, &conflict)
	}
	require.Len(t, b.jobsOf(t, autoSyncProducts), 1)
	require.Equal(t, scheduler.Stats{Fired: 3, Started: 1, SkippedOverlap: 2}, b.sched.Stats()[autoSyncProducts])
	require.Equal(t, map[string]int64{autoSyncProducts: 2}, b.sched.SkippedOverlap())
	views, err := b.sched.Schedules(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(2), viewOf(t, views, autoSyncProducts).SkippedOverlap)

	// Once the job ends, the next tick starts one job, not a backlog.
	b.finish(t, first.JobID)
	b.advanceTo(t, local(1, 22, 4, 0), 2)
	tk := b.nextTick(t)
	require.Equal(t, scheduler.OutcomeStarted, tk.Outcome, "%v", tk.Err)
	require.Len(t, b.jobsOf(t, autoSyncProducts), 2)
}

func TestDisablingStopsTicks(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()
	_, err := b.sched.Set(ctx, incrementalPull, "0 * * * * *", nil, operator)
	require.NoError(t, err)
	require.NoError(t, b.sched.Start(ctx))

	b.advanceTo(t, local(1, 22, 1, 0), 2)
	tk := b.nextTick(t)
	require.Equal(t, scheduler.OutcomeStarted, tk.Outcome, "%v", tk.Err)
	b.finish(t, tk.JobID)

	view, err := b.sched.SetEnabled(ctx, "incremental_pull_customers", false, operator)
	require.NoError(t, err)
	require.False(t, view.Enabled)
	require.Empty(t, view.NextRuns)
	require.Equal(t, "0 * * * * *", view.Cron, "off keeps the expression")

	// Three minutes pass with only the reload ticker armed.
	b.advanceTo(t, local(1, 22, 4, 30), 1)

	view, err = b.sched.SetEnabled(ctx, incrementalPull, true, operator)
	require.NoError(t, err)
	require.True(t, view.Enabled)
	b.advanceTo(t, local(1, 22, 5, 0), 2)
	tk = b.nextTick(t)
	require.True(t, tk.ScheduledAt.Equal(local(1, 22, 5, 0)), "first tick after re-enabling is %s", tk.ScheduledAt)
	require.Equal(t, int64(2), b.sched.Stats()[incrementalPull].Fired)
	require.Len(t, b.jobsOf(t, incrementalPull), 2)
}

func TestChangeFromAnotherConnectionIsPickedUp(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			b := setup(t, d)
			ctx := context.Background()
			_, err := b.sched.Set(ctx, autoSyncCustomers, "0 */6 * * *", nil, operator)
			require.NoError(t, err)
			require.NoError(t, b.sched.Start(ctx))
			require.Equal(t, []string{autoSyncCustomers}, b.nextReload(t), "the first load")
			b.advanceTo(t, b.clock.Now(), 2)

			// Another process edits the table through its own connection.
			other, err := store.Open(ctx, b.dsn, "")
			require.NoError(t, err)
			t.Cleanup(func() { _ = other.Close() })
			now := b.clock.Now()
			require.NoError(t, other.UpsertSchedule(ctx, other.DB(), store.Schedule{JobType: autoSyncCustomers, Cron: "0 * * * *",
				Enabled: true, UpdatedBy: "cli:other", UpdatedAt: now}))
			require.NoError(t, other.UpsertSchedule(ctx, other.DB(), store.Schedule{JobType: incrementalPull, Cron: "30 0 0,23 * * *",
				Enabled: true, Params: []byte(`{}`), UpdatedBy: "cli:other", UpdatedAt: now}))

			b.advanceTo(t, now.Add(scheduler.DefaultReloadInterval), 2)
			require.Equal(t, []string{autoSyncCustomers, incrementalPull}, b.nextReload(t))

			// 23:00 is a tick of the new hourly expression, not of the old one.
			b.advanceTo(t, local(1, 23, 0, 0), 3)
			tk := b.nextTick(t)
			require.Equal(t, autoSyncCustomers, tk.JobType)
			require.True(t, tk.ScheduledAt.Equal(local(1, 23, 0, 0)), "tick at %s", tk.ScheduledAt)
			require.Equal(t, scheduler.OutcomeStarted, tk.Outcome, "%v", tk.Err)
			b.advanceTo(t, local(1, 23, 0, 30), 3)
			tk = b.nextTick(t)
			require.Equal(t, incrementalPull, tk.JobType)
			require.Equal(t, scheduler.OutcomeStarted, tk.Outcome, "%v", tk.Err)

			// And disabling from there stops it here.
			require.NoError(t, other.UpsertSchedule(ctx, other.DB(), store.Schedule{JobType: autoSyncCustomers, Cron: "0 * * * *",
				UpdatedBy: "cli:other", UpdatedAt: b.clock.Now()}))
			b.advanceTo(t, b.clock.Now().Add(scheduler.DefaultReloadInterval), 3)
			require.Equal(t, []string{autoSyncCustomers}, b.nextReload(t))
			b.advanceTo(t, local(2, 0, 0, 30), 2)
			tk = b.nextTick(t)
			require.Equal(t, incrementalPull, tk.JobType, "only the enabled schedule ticks")
			require.Len(t, b.jobsOf(t, autoSyncCustomers), 1)
		})
	}
}

func TestTwoInstancesStartOneJobPerTick(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			b := setup(t, d)
			ctx := context.Background()
			second := b.newInstance(t)
			_, err := b.sched.Set(ctx, autoSyncCustomers, "0 */2 * * * *", nil, operator)
			require.NoError(t, err)
			require.NoError(t, b.sched.Start(ctx))
			require.NoError(t, second.sched.Start(ctx))

			ticks := []time.Time{local(1, 22, 2, 0), local(1, 22, 4, 0), local(1, 22, 6, 0)}
			for i, at := range ticks {
				b.advanceTo(t, at, 4) // two reload tickers, two schedule timers
				outcomes := map[scheduler.Outcome]int{}
				var started engine.JobID
				for _, in := range []*instance{b.instance, second} {
					tk := in.nextTick(t)
					require.True(t, tk.ScheduledAt.Equal(at), "tick at %s, want %s", tk.ScheduledAt, at)
					outcomes[tk.Outcome]++
					if tk.Outcome == scheduler.OutcomeStarted {
						started = tk.JobID
					}
				}
				require.Equal(t, map[scheduler.Outcome]int{scheduler.OutcomeStarted: 1, scheduler.OutcomeClaimed: 1}, outcomes)
				require.Len(t, b.jobsOf(t, autoSyncCustomers), i+1)
				b.finish(t, started)
			}
			require.Len(t, b.claimedTicks(t, autoSyncCustomers), len(ticks))
			total := b.sched.Stats()[autoSyncCustomers]
			other := second.sched.Stats()[autoSyncCustomers]
			require.Equal(t, int64(len(ticks)), total.Started+other.Started)
			require.Equal(t, int64(len(ticks)), total.SkippedClaimed+other.SkippedClaimed)
			require.Zero(t, total.SkippedOverlap+other.SkippedOverlap+total.Errors+other.Errors)
		})
	}
}

// A second instance whose timer fires late (a busy host, a slow clock)
// still answers the same tick, so it neither starts a second job nor
// mistakes the first one for an overlap: both while the first job is active
// (the engine reports an identical active job) and after it ended (the
// engine reports the tick claimed).
func TestLateInstanceAnswersTheSameTick(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			b := setup(t, d)
			ctx := context.Background()
			lateClock := clockwork.NewFakeClockAt(start)
			late := b.newInstanceOn(t, lateClock)
			_, err := b.sched.Set(ctx, autoSyncCustomers, "0 */2 * * * *", nil, operator)
			require.NoError(t, err)
			require.NoError(t, b.sched.Start(ctx))
			require.NoError(t, late.sched.Start(ctx))
			const lag = 1200 * time.Millisecond

			// Whether the first instance's job is still running or already
			// finished, the late instance learns that the tick was claimed.
			for i, tc := range []struct {
				at          time.Time
				finishFirst bool
			}{
				{at: local(1, 22, 2, 0), finishFirst: false},
				{at: local(1, 22, 4, 0), finishFirst: true},
			} {
				b.advanceTo(t, tc.at, 2)
				first := b.nextTick(t)
				require.Equal(t, scheduler.OutcomeStarted, first.Outcome, "%v", first.Err)
				if tc.finishFirst {
					b.finish(t, first.JobID)
				}
				advance(t, lateClock, tc.at.Add(lag), 2)
				second := late.nextTick(t)
				require.True(t, second.ScheduledAt.Equal(tc.at), "late tick at %s, want %s", second.ScheduledAt, tc.at)
				require.Equal(t, scheduler.OutcomeClaimed, second.Outcome, "%v", second.Err)
				require.ErrorIs(t, second.Err, engine.ErrTickClaimed)
				require.Len(t, b.jobsOf(t, autoSyncCustomers), i+1, "one job per tick")
				if !tc.finishFirst {
					b.finish(t, first.JobID)
				}
			}
			require.Equal(t, scheduler.Stats{Fired: 2, SkippedClaimed: 2}, late.sched.Stats()[autoSyncCustomers])
		})
	}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()
	require.False(t, b.sched.Running())
	require.NoError(t, b.sched.Start(ctx))
	require.NoError(t, b.sched.Start(ctx), "a second Start does nothing")
	require.True(t, b.sched.Running())
	require.NoError(t, b.sched.Stop(ctx))
	require.NoError(t, b.sched.Stop(ctx), "Stop is idempotent")
	require.False(t, b.sched.Running())
	require.ErrorIs(t, b.sched.Start(ctx), scheduler.ErrStopped)

	idle := b.newInstance(t)
	require.NoError(t, idle.sched.Stop(ctx), "Stop before Start")
	require.False(t, idle.sched.Running())

	// A scheduler that cannot read its schedules does not claim to run.
	broken := b.newInstance(t)
	require.NoError(t, broken.store.Close())
	require.ErrorContains(t, broken.sched.Start(ctx), "schedules version")
	require.False(t, broken.sched.Running())
	require.NoError(t, broken.sched.Stop(ctx))
}

func TestScheduleParamsReachTheJob(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()
	_, err := b.sched.Set(ctx, autoSyncCustomers, "0 */2 * * * *", engine.Params{"limit": "25"}, operator)
	require.NoError(t, err)
	require.NoError(t, b.sched.Start(ctx))
	b.advanceTo(t, local(1, 22, 2, 0), 2)
	tk := b.nextTick(t)
	require.Equal(t, scheduler.OutcomeStarted, tk.Outcome, "%v", tk.Err)
	job, err := b.engine.Get(ctx, tk.JobID)
	require.NoError(t, err)
	require.JSONEq(t, `{"limit":25}`, string(job.Params))

	views, err := b.sched.Schedules(ctx)
	require.NoError(t, err)
	last := viewOf(t, views, autoSyncCustomers).LastRun
	require.NotNil(t, last)
	require.Equal(t, tk.JobID, last.ID)

	// A job an operator starts by hand is not the schedule's last run.
	b.finish(t, tk.JobID)
	manual, err := b.engine.Start(ctx, autoSyncCustomers, nil, engine.StartOptions{Actor: operator})
	require.NoError(t, err)
	require.NotEqual(t, tk.JobID, manual)
	views, err = b.sched.Schedules(ctx)
	require.NoError(t, err)
	require.Equal(t, tk.JobID, viewOf(t, views, autoSyncCustomers).LastRun.ID)
}

func TestBadParamsAtTickAreCountedAsErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	ctx := context.Background()
	// Written by hand, past Set's checks: the engine refuses it at each tick.
	require.NoError(t, b.store.UpsertSchedule(ctx, b.store.DB(), store.Schedule{JobType: autoSyncProducts, Cron: "0 * * * * *",
		Enabled: true, Params: []byte(`{"limit":"lots"}`), UpdatedAt: b.clock.Now()}))
	require.NoError(t, b.sched.Start(ctx))
	b.advanceTo(t, local(1, 22, 1, 0), 2)
	tk := b.nextTick(t)
	require.Equal(t, scheduler.OutcomeError, tk.Outcome)
	var perr *engine.ParamError
	require.ErrorAs(t, tk.Err, &perr)
	require.Equal(t, scheduler.Stats{Fired: 1, Errors: 1}, b.sched.Stats()[autoSyncProducts])
}

func viewOf(t *testing.T, views []scheduler.ScheduleView, jobType string) scheduler.ScheduleView {
	t.Helper()
	for _, v := range views {
		if v.JobType == jobType {
			return v
		}
	}
	t.Fatalf("no schedule %s in %v", jobType, views)
	return scheduler.ScheduleView{}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	b := setup(t, store.SQLite)
	tests := []struct {
		name    string
		cfg     scheduler.Config
		wantErr string
	}{
		{"no engine", scheduler.Config{Store: b.store}, "no engine"},
		{"no store", scheduler.Config{Engine: b.engine}, "no store"},
		{"unnamed zone", scheduler.Config{Engine: b.engine, Store: b.store, Location: time.FixedZone("ICT", 7*3600)}, `zone "ICT"`},
		{"negative reload interval", scheduler.Config{Engine: b.engine, Store: b.store, ReloadInterval: -time.Second}, "negative reload interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := scheduler.New(tt.cfg)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
	s, err := scheduler.New(scheduler.Config{Engine: b.engine, Store: b.store})
	require.NoError(t, err)
	require.Equal(t, scheduler.DefaultTimezone, s.Location().String())
}
