package scheduler_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/scheduler"
	"syncops/store"
	"syncops/store/storetest"
)

// Test job types: the real bodies live elsewhere; with NoWorkers engines
// they never run, so a started job stays PENDING until the test cancels it.
const (
	autoSyncCustomers = "AUTO_SYNC_CUSTOMERS"
	autoSyncProducts  = "AUTO_SYNC_PRODUCTS"
	incrementalPull   = "INCREMENTAL_PULL_CUSTOMERS"
	pullOther         = "PULL_NHANH_PRODUCTS"
	customerSync      = "CUSTOMER_SYNC"
)

func testKinds() []engine.Kind {
	noop := func(context.Context, *engine.Run) error { return nil }
	limit := []engine.ParamSpec{{Name: "limit", Kind: engine.ParamInt, Min: 1}}
	return []engine.Kind{
		{Type: autoSyncCustomers, Label: "Auto-sync customers", Params: limit, Run: noop},
		{Type: autoSyncProducts, Label: "Auto-sync products", Params: limit, Run: noop},
		{Type: incrementalPull, Label: "Pull changed customers", Run: noop},
		{Type: pullOther, Label: "Pull Nhanh products", Run: noop},
		{Type: customerSync, Label: "Customer sync", Params: productionParams(customerSync), Run: noop},
	}
}

// productionParams are the parameters of a production job type.
func productionParams(jobType string) []engine.ParamSpec {
	for _, k := range jobs.Unavailable(errors.New("not run")) {
		if k.Type == jobType {
			return k.Params
		}
	}
	panic("no production job type " + jobType)
}

var (
	hcm = mustZone("Asia/Ho_Chi_Minh")
	// start is 22:00 local on a Monday, two hours before a day boundary.
	start = time.Date(2026, 6, 1, 22, 0, 0, 0, hcm)
	// operator is who edits schedules in the tests.
	operator = engine.Actor{Name: "tester", Kind: engine.ActorCLI}
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// instance is one syncops process: its own database connection, engine and
// scheduler, on a clock it may share with other instances.
type instance struct {
	store   *store.Store
	engine  *engine.Engine
	sched   *scheduler.Scheduler
	ticks   chan scheduler.Tick
	reloads chan []string
}

// bundle is one test's world.
type bundle struct {
	clock *clockwork.FakeClock
	dsn   string
	*instance
}

func setup(t *testing.T, d store.Dialect) *bundle {
	t.Helper()
	b := &bundle{clock: clockwork.NewFakeClockAt(start), dsn: storetest.DSN(t, d)}
	b.instance = b.newInstance(t)
	return b
}

// newInstance opens another connection to the bundle's database with its own
// engine and scheduler, as a second process would.
func (b *bundle) newInstance(t *testing.T) *instance {
	t.Helper()
	return b.newInstanceOn(t, b.clock)
}

// newInstanceOn is newInstance with a clock of its own.
func (b *bundle) newInstanceOn(t *testing.T, clock *clockwork.FakeClock) *instance {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, b.dsn, "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx, nil))
	e, err := engine.New(engine.Config{Store: s, Kinds: testKinds(), Clock: clock, NoWorkers: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	in := &instance{store: s, engine: e, ticks: make(chan scheduler.Tick, 64), reloads: make(chan []string, 64)}
	in.sched, err = scheduler.New(scheduler.Config{Engine: e, Store: s, Location: hcm, Clock: clock,
		OnTick:   func(tk scheduler.Tick) { in.ticks <- tk },
		OnReload: func(changed []string) { in.reloads <- changed }})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, in.sched.Stop(context.Background())) })
	return in
}

// advanceTo moves the clock to at once waiters timers are registered (the
// reload ticker and one schedule timer per armed schedule, per instance).
func (b *bundle) advanceTo(t *testing.T, at time.Time, waiters int) {
	t.Helper()
	advance(t, b.clock, at, waiters)
}

func advance(t *testing.T, clock *clockwork.FakeClock, at time.Time, waiters int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, clock.BlockUntilContext(ctx, waiters), "waiting for %d timers", waiters)
	require.False(t, at.Before(clock.Now()), "cannot go back to %s", at)
	clock.Advance(at.Sub(clock.Now()))
}

// nextTick waits for the instance's next tick.
func (in *instance) nextTick(t *testing.T) scheduler.Tick {
	t.Helper()
	select {
	case tk := <-in.ticks:
		return tk
	case <-time.After(30 * time.Second):
		t.Fatal("no tick")
		return scheduler.Tick{}
	}
}

// nextReload waits for the instance's next reload that changed something.
func (in *instance) nextReload(t *testing.T) []string {
	t.Helper()
	select {
	case changed := <-in.reloads:
		return changed
	case <-time.After(30 * time.Second):
		t.Fatal("no reload")
		return nil
	}
}

// finish ends a pending job, as its completion would, so the next tick can
// start a new one.
func (in *instance) finish(t *testing.T, id engine.JobID) {
	t.Helper()
	require.NoError(t, in.engine.Cancel(context.Background(), id, engine.Actor{}))
}

func (in *instance) jobsOf(t *testing.T, jobType string) []engine.Job {
	t.Helper()
	jobs, err := in.engine.List(context.Background(), engine.ListFilter{Types: []string{jobType}, Limit: 100})
	require.NoError(t, err)
	return jobs
}

// claimedTicks reads the ticks the engine recorded for a job type.
func (in *instance) claimedTicks(t *testing.T, jobType string) []time.Time {
	t.Helper()
	rows, err := in.store.DB().Query(`SELECT tick_at FROM scheduled_ticks WHERE job_type = $1 ORDER BY tick_at`, jobType)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var out []time.Time
	for rows.Next() {
		var ms int64
		require.NoError(t, rows.Scan(&ms))
		out = append(out, time.UnixMilli(ms).In(hcm))
	}
	require.NoError(t, rows.Err())
	return out
}

func local(day, hour, minute, second int) time.Time {
	return time.Date(2026, 6, day, hour, minute, second, 0, hcm)
}
