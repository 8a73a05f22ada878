package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/clients/extid"
	"syncops/clients/sandbox"
	"syncops/engine"
	"syncops/engine/app"
	"syncops/engine/jobs"
	"syncops/store"
)

// The rule these tests hold the engine to: a method of a service every face
// calls (the fields of app.App from syncops/engine/...) that takes an
// engine.Actor, directly or in an options struct, is a change, and refuses
// a viewer with engine.ErrForbidden before anything is written; every other
// method only reads. The methods are found by reflection, so a new method is
// classified by its signature the day it is added: with an Actor it must
// have a call in mutatingCalls (the test fails until it does) and refuse a
// viewer; without one it is called by TestReadsWriteNothing, which fails if
// the database changed.

var actorType = reflect.TypeFor[engine.Actor]()

// viewers are actors the engine must refuse: an SSH viewer, and an SSH
// actor that does not say its role.
var viewers = []engine.Actor{
	{Kind: engine.ActorSSH, Name: "SHA256:viewer viewer@host", Role: engine.RoleViewer},
	{Kind: engine.ActorSSH, Name: "SHA256:norole someone@host"},
}

var operator = engine.Actor{Kind: engine.ActorSSH, Name: "SHA256:operator ops@host", Role: engine.RoleOperator}

// lifecycle are the methods that start and stop the process's machinery
// (workers, the tick loop). They are not operator actions, no face offers
// them, and starting workers lets River write its own bookkeeping.
var lifecycle = map[string]bool{
	"Engine.StartWorkers": true, "Engine.Stop": true,
	"Scheduler.Start": true, "Scheduler.Stop": true,
}

// world is a quiet syncops (no workers, no tick loop) on a database seeded
// with a finished CUSTOMER_SYNC that has failed items, against the sandbox.
type world struct {
	app    *app.App
	failed engine.JobID
	depots []extid.NhanhDepotID
	loc    extid.ShopifyLocationGID
	seq    int
}

// nextIDs returns ids no other call used, so every start has its own
// unique key.
func (w *world) nextIDs() engine.Params {
	w.seq++
	return engine.Params{"ids": strconv.Itoa(w.seq)}
}

// nextMapping returns a Nhanh customer id no other call used.
func (w *world) nextMapping() int64 {
	w.seq++
	return int64(900_000 + w.seq)
}

// records stores a Nhanh and a Shopify customer of a fresh number in the
// mirrors and returns the number.
func (w *world) records(t *testing.T) int64 {
	n := w.nextMapping()
	ctx := context.Background()
	_, err := app.DatabaseOf(w.app).UpsertNhanhCustomers(ctx, app.DatabaseOf(w.app).DB(),
		[]store.NhanhCustomer{{ID: extid.NhanhCustomerID(n), Name: "Khách " + strconv.FormatInt(n, 10)}}, time.UnixMilli(1000))
	require.NoError(t, err)
	_, err = app.DatabaseOf(w.app).UpsertShopifyCustomers(ctx, app.DatabaseOf(w.app).DB(),
		[]store.ShopifyCustomer{{ID: extid.ShopifyCustomerGID(shopifyGID(n))}}, time.UnixMilli(1000))
	require.NoError(t, err)
	return n
}

// mapped maps a fresh Nhanh customer by hand, as the engine itself, and
// returns the mapping id.
func (w *world) mapped(t *testing.T) int64 {
	n := w.records(t)
	id, err := w.app.Engine.MapByHand(context.Background(), engine.MappingCustomers, n, shopifyGID(n), engine.Actor{})
	require.NoError(t, err)
	return id
}

func shopifyGID(n int64) string { return extid.FormatGID(extid.ResourceCustomer, n) }

// mutatingCalls has, for every method that takes an Actor, a call that an
// operator makes successfully. prepare runs as the engine itself before the
// database is compared, and returns the call.
var mutatingCalls = map[string]func(t *testing.T, w *world) func(context.Context, engine.Actor) error{
	"Engine.Start": func(_ *testing.T, w *world) func(context.Context, engine.Actor) error {
		params := w.nextIDs()
		return func(ctx context.Context, a engine.Actor) error {
			_, err := w.app.Engine.Start(ctx, jobs.CustomerSync, params, engine.StartOptions{Actor: a})
			return err
		}
	},
	"Engine.Cancel": func(t *testing.T, w *world) func(context.Context, engine.Actor) error {
		id, err := w.app.Engine.Start(context.Background(), jobs.CustomerSync, w.nextIDs(), engine.StartOptions{})
		require.NoError(t, err)
		return func(ctx context.Context, a engine.Actor) error { return w.app.Engine.Cancel(ctx, id, a) }
	},
	"Engine.Retry": func(_ *testing.T, w *world) func(context.Context, engine.Actor) error {
		return func(ctx context.Context, a engine.Actor) error {
			_, err := w.app.Engine.Retry(ctx, w.failed, a)
			return err
		}
	},
	"Engine.Restart": func(_ *testing.T, w *world) func(context.Context, engine.Actor) error {
		return func(ctx context.Context, a engine.Actor) error {
			_, err := w.app.Engine.Restart(ctx, w.failed, a)
			return err
		}
	},
	"Engine.MapByHand": func(t *testing.T, w *world) func(context.Context, engine.Actor) error {
		n := w.records(t)
		return func(ctx context.Context, a engine.Actor) error {
			_, err := w.app.Engine.MapByHand(ctx, engine.MappingCustomers, n, shopifyGID(n), a)
			return err
		}
	},
	"Engine.Remap": func(t *testing.T, w *world) func(context.Context, engine.Actor) error {
		id := w.mapped(t)
		target := shopifyGID(w.records(t))
		return func(ctx context.Context, a engine.Actor) error {
			return w.app.Engine.Remap(ctx, engine.MappingCustomers, id, target, a)
		}
	},
	"Engine.Unmap": func(t *testing.T, w *world) func(context.Context, engine.Actor) error {
		id := w.mapped(t)
		return func(ctx context.Context, a engine.Actor) error {
			return w.app.Engine.Unmap(ctx, engine.MappingCustomers, id, a)
		}
	},
	"Engine.CleanOrphans": func(t *testing.T, w *world) func(context.Context, engine.Actor) error {
		ctx := context.Background()
		id := w.mapped(t)
		m, err := app.DatabaseOf(w.app).CustomerMapping(ctx, app.DatabaseOf(w.app).Reader(), id)
		require.NoError(t, err)
		_, err = app.DatabaseOf(w.app).DB().ExecContext(ctx, `UPDATE shopify_customers SET deleted_at = 1 WHERE gid = $1`, string(m.ShopifyID))
		require.NoError(t, err)
		return func(ctx context.Context, a engine.Actor) error {
			_, err := w.app.Engine.CleanOrphans(ctx, engine.MappingCustomers, a)
			return err
		}
	},
	"Engine.SyncNow": func(t *testing.T, w *world) func(context.Context, engine.Actor) error {
		id := w.mapped(t)
		return func(ctx context.Context, a engine.Actor) error {
			_, err := w.app.Engine.SyncNow(ctx, engine.MappingCustomers, id, a)
			return err
		}
	},
	"Engine.SetSetting": func(_ *testing.T, w *world) func(context.Context, engine.Actor) error {
		return func(ctx context.Context, a engine.Actor) error {
			return w.app.Engine.SetSetting(ctx, jobs.SettingCustomerThreshold, "2500", a)
		}
	},
	"Engine.ReceiveWebhook": func(_ *testing.T, w *world) func(context.Context, engine.Actor) error {
		w.seq++
		body := []byte(`{"event":"inventoryChange","data":[{"id":` + strconv.Itoa(w.seq) + `,"available":1}]}`)
		return func(ctx context.Context, a engine.Actor) error {
			_, err := w.app.Engine.ReceiveWebhook(ctx, engine.WebhookIn{Source: "nhanh", Event: "inventoryChange", Body: body}, a)
			return err
		}
	},
	"Scheduler.Set": func(_ *testing.T, w *world) func(context.Context, engine.Actor) error {
		return func(ctx context.Context, a engine.Actor) error {
			_, err := w.app.Scheduler.Set(ctx, jobs.CustomerSync, "@hourly", engine.Params{"ids": "1000000"}, a)
			return err
		}
	},
	"Scheduler.SetEnabled": func(_ *testing.T, w *world) func(context.Context, engine.Actor) error {
		return func(ctx context.Context, a engine.Actor) error {
			_, err := w.app.Scheduler.SetEnabled(ctx, jobs.ProductSync, true, a)
			return err
		}
	},
	"Scheduler.EnableDemo": func(_ *testing.T, w *world) func(context.Context, engine.Actor) error {
		return func(ctx context.Context, a engine.Actor) error { return w.app.Scheduler.EnableDemo(ctx, a) }
	},
	"Locations.Set": func(_ *testing.T, w *world) func(context.Context, engine.Actor) error {
		return func(ctx context.Context, a engine.Actor) error {
			return w.app.Locations.Set(ctx, w.depots[0], w.loc, a)
		}
	},
	"Locations.Remove": func(t *testing.T, w *world) func(context.Context, engine.Actor) error {
		require.NoError(t, w.app.Locations.Set(context.Background(), w.depots[1], w.loc, engine.Actor{}))
		return func(ctx context.Context, a engine.Actor) error { return w.app.Locations.Remove(ctx, w.depots[1], a) }
	},
}

// TestViewersAreRefusedEveryChange: every method that takes an Actor refuses
// both viewers with engine.ErrForbidden and changes nothing; the same call by
// an operator succeeds and changes the database (so the refusal is not an
// accident of the arguments).
func TestViewersAreRefusedEveryChange(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	mutating, _ := classify(t, w.app)
	require.NotEmpty(t, mutating)
	var missing, stale []string
	for name := range mutating {
		if mutatingCalls[name] == nil {
			missing = append(missing, name)
		}
	}
	for name := range mutatingCalls {
		if _, ok := mutating[name]; !ok {
			stale = append(stale, name)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	require.Empty(t, missing, "methods that take an engine.Actor have no call in mutatingCalls: add one")
	require.Empty(t, stale, "mutatingCalls names methods that no longer take an engine.Actor")

	names := make([]string, 0, len(mutating))
	for name := range mutating {
		names = append(names, name)
	}
	sort.Strings(names)
	ctx := context.Background()
	for _, name := range names { // one world: not parallel
		call := mutatingCalls[name](t, w)
		before := snapshot(t, app.DatabaseOf(w.app).DB())
		for _, v := range viewers {
			err := call(ctx, v)
			require.ErrorIs(t, err, engine.ErrForbidden, "%s by %s", name, v)
			require.Equal(t, before, snapshot(t, app.DatabaseOf(w.app).DB()), "%s by %s changed the database", name, v)
		}
		require.NoError(t, call(ctx, operator), "%s by an operator", name)
		require.NotEqual(t, before, snapshot(t, app.DatabaseOf(w.app).DB()), "%s by an operator changed nothing", name)
	}
}

// TestReadsWriteNothing calls every method without an Actor (but the
// process lifecycle) and requires the database unchanged: a method that
// writes must take an Actor, and so be refused to viewers.
func TestReadsWriteNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, reads := classify(t, w.app)
	ctx := context.Background()
	fixtures := map[reflect.Type]reflect.Value{
		reflect.TypeFor[context.Context]():          reflect.ValueOf(&ctx).Elem(),
		reflect.TypeFor[string]():                   reflect.ValueOf(jobs.CustomerSync),
		reflect.TypeFor[engine.JobID]():             reflect.ValueOf(w.failed),
		reflect.TypeFor[engine.Params]():            reflect.ValueOf(engine.Params{"ids": "12,1000000"}),
		reflect.TypeFor[json.RawMessage]():          reflect.ValueOf(json.RawMessage(`{"ids":[12,1000000]}`)),
		reflect.TypeFor[engine.ListFilter]():        reflect.ValueOf(engine.ListFilter{Limit: 10}),
		reflect.TypeFor[engine.FailureFilter]():     reflect.ValueOf(engine.FailureFilter{JobID: int64(w.failed), Limit: 10}),
		reflect.TypeFor[engine.AuditFilter]():       reflect.ValueOf(engine.AuditFilter{Limit: 10}),
		reflect.TypeFor[engine.DiffFilter]():        reflect.ValueOf(engine.DiffFilter{Job: w.failed, Search: "x"}),
		reflect.TypeFor[engine.WebhookFilter]():     reflect.ValueOf(engine.WebhookFilter{Limit: 10}),
		reflect.TypeFor[extid.NhanhDepotID]():       reflect.ValueOf(w.depots[0]),
		reflect.TypeFor[time.Time]():                reflect.ValueOf(time.Now()),
		reflect.TypeFor[extid.ShopifyLocationGID](): reflect.ValueOf(w.loc),
		reflect.TypeFor[engine.MappingKind]():       reflect.ValueOf(engine.MappingCustomers),
		reflect.TypeFor[engine.MappingQuery]():      reflect.ValueOf(engine.MappingQuery{Kind: engine.MappingCustomers, Search: "lan"}),
		reflect.TypeFor[int64]():                    reflect.ValueOf(int64(1)),
	}
	names := make([]string, 0, len(reads))
	for name := range reads {
		names = append(names, name)
	}
	sort.Strings(names)
	require.Contains(t, names, "Engine.Get", "the classification found no reads")
	for _, name := range names {
		m := reads[name]
		args := make([]reflect.Value, m.Type().NumIn())
		for i := range args {
			in := m.Type().In(i)
			v, ok := fixtures[in]
			require.True(t, ok, "%s takes a %s: add a fixture for it", name, in)
			args[i] = v
		}
		before := snapshot(t, app.DatabaseOf(w.app).DB())
		for _, out := range m.Call(args) {
			if out.Kind() == reflect.Func && out.Type().NumIn() == 0 && !out.IsNil() {
				out.Call(nil) // Subscribe's stop
			}
		}
		require.Equal(t, before, snapshot(t, app.DatabaseOf(w.app).DB()),
			"%s takes no engine.Actor but changed the database: give it one and refuse viewers", name)
	}
}

// classify splits the exported methods of the app's engine services into
// those that take an Actor (mutating) and the rest (reads), by
// "Field.Method", bound to the app's values.
func classify(t *testing.T, a *app.App) (mutating, reads map[string]reflect.Value) {
	t.Helper()
	mutating, reads = map[string]reflect.Value{}, map[string]reflect.Value{}
	v := reflect.ValueOf(a).Elem()
	services := 0
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Type.Kind() != reflect.Pointer || !strings.HasPrefix(f.Type.Elem().PkgPath(), "syncops/engine") {
			continue
		}
		services++
		svc := v.Field(i)
		require.False(t, svc.IsNil(), "app.%s is nil", f.Name)
		for j := range svc.NumMethod() {
			m := svc.Type().Method(j)
			name := f.Name + "." + m.Name
			switch {
			case lifecycle[name]:
			case takesActor(m.Type):
				mutating[name] = svc.Method(j)
			default:
				reads[name] = svc.Method(j)
			}
		}
	}
	require.Equal(t, 3, services, "the engine, the scheduler and the locations service (update when a service is added)")
	return mutating, reads
}

// takesActor reports whether a method (with its receiver) takes an Actor
// directly or as a field of a struct argument (StartOptions).
func takesActor(m reflect.Type) bool {
	for i := 1; i < m.NumIn(); i++ {
		in := m.In(i)
		if in == actorType {
			return true
		}
		if in.Kind() == reflect.Struct {
			for j := range in.NumField() {
				if in.Field(j).Type == actorType {
					return true
				}
			}
		}
	}
	return false
}

// snapshot is every row of every table, as text.
func snapshot(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	var b strings.Builder
	for _, table := range tables {
		b.WriteString("== " + table + "\n")
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			parts := make([]string, len(vals))
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				parts[i] = fmt.Sprint(v)
			}
			lines = append(lines, strings.Join(parts, "|"))
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		sort.Strings(lines)
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return b.String()
}

// worldKinds are the production job types; CUSTOMER_SYNC's body fails every
// id it is given, which is all the seed needs. No other body runs.
func worldKinds(app.Deps) ([]engine.Kind, error) {
	kinds := jobs.Unavailable(errors.New("not run in this test"))
	for i := range kinds {
		if kinds[i].Type != jobs.CustomerSync {
			continue
		}
		kinds[i].Run = func(ctx context.Context, r *engine.Run) error {
			var p struct{ IDs []int64 }
			if err := r.Params(&p); err != nil {
				return err
			}
			r.SetTotal(int64(len(p.IDs)))
			for _, id := range p.IDs {
				if err := r.Fail(ctx, engine.Failure{Key: strconv.FormatInt(id, 10), Message: "refused",
					Class: apierr.ClassValidation}); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return kinds, nil
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{Seed: 5, Customers: 5, Products: 5, Scale: 50})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	ep := sb.Endpoints()
	cfg := app.Config{DataDir: t.TempDir(),
		Nhanh: app.NhanhConfig{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, BusinessID: ep.NhanhBusinessID,
			AccessToken: app.Secret(ep.NhanhToken)},
		Shopify: app.ShopifyConfig{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL, APIVersion: ep.ShopifyAPIVersion,
			AccessToken: app.Secret(ep.ShopifyToken)}}

	// Seed with workers, then reopen without: nothing writes in the
	// background while databases are compared.
	seeder, err := app.Build(ctx, cfg, app.Options{Kinds: worldKinds})
	require.NoError(t, err)
	require.NoError(t, seeder.Engine.StartWorkers(ctx))
	events, stop := seeder.Engine.Subscribe()
	failed, err := seeder.Engine.Start(ctx, jobs.CustomerSync, engine.Params{"ids": "7,8"}, engine.StartOptions{})
	require.NoError(t, err)
	j, err := seeder.Engine.Get(ctx, failed)
	require.NoError(t, err)
	timeout := time.After(60 * time.Second)
	for !j.Status.Terminal() {
		select {
		case ev := <-events:
			if ev.Job.ID == failed {
				j = ev.Job
			}
		case <-timeout:
			t.Fatalf("seed job never finished: %+v", j)
		}
	}
	stop()
	require.Equal(t, engine.StatusCompleted, j.Status)
	require.Equal(t, int64(2), j.Failed)
	closeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, seeder.Close(closeCtx))

	a, err := app.Build(ctx, cfg, app.Options{Kinds: worldKinds, NoWorkers: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	v, err := a.Locations.List(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(v.Depots), 2)
	require.NotEmpty(t, v.Locations)
	return &world{app: a, failed: failed, depots: []extid.NhanhDepotID{v.Depots[0].ID, v.Depots[1].ID},
		loc: v.Locations[0].ID}
}
