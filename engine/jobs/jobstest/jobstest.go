package jobstest

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/nhanh"
	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
	"syncops/store/storetest"
)

// bundle is the world of one job test: a sandbox of both APIs, clients
// pointed at it, a fresh database and an engine running the real job kinds.
type bundle struct {
	sandbox *sandbox.Sandbox
	store   *store.Store
	deps    jobs.Deps
	engine  *engine.Engine
}

// setupOptions tune setup; the zero value is a small generated world.
type setupOptions struct {
	dialect  store.Dialect // default SQLite
	sandbox  sandbox.Options
	noEngine bool
}

func setup(t testing.TB, opts setupOptions) *bundle {
	t.Helper()
	ctx := context.Background()
	if opts.dialect == "" {
		opts.dialect = store.SQLite
	}
	if opts.sandbox.Dataset == nil && opts.sandbox.Customers == 0 {
		opts.sandbox.Customers, opts.sandbox.Products = 300, 120
	}
	if opts.sandbox.Seed == 0 {
		opts.sandbox.Seed = 7
	}
	if opts.sandbox.Scale == 0 {
		opts.sandbox.Scale = 50 // limits 50x the published ones: tests stay fast
	}
	sb, err := sandbox.Start(ctx, opts.sandbox)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	ep := sb.Endpoints()
	clock := clockwork.NewRealClock()
	nc, err := nhanh.New(nhanh.Config{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, BusinessID: ep.NhanhBusinessID,
		AccessToken: ep.NhanhToken, Clock: clock, Window: time.Duration(float64(30*time.Second) / opts.sandbox.Scale),
		BackoffBase: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	require.NoError(t, err)
	sc, err := shopify.New(shopify.Config{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL, APIVersion: ep.ShopifyAPIVersion,
		AccessToken: ep.ShopifyToken, Clock: clock, RetryBaseDelay: 5 * time.Millisecond, RetryMaxDelay: 50 * time.Millisecond,
		BulkPollInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	s := storetest.Open(t, opts.dialect)
	b := &bundle{sandbox: sb, store: s, deps: jobs.Deps{Store: s, Nhanh: nc, Shopify: sc, Clock: clock}}
	if opts.noEngine {
		return b
	}
	kinds, err := jobs.Kinds(b.deps)
	require.NoError(t, err)
	e, err := engine.New(engine.Config{Store: s, Kinds: kinds, Clock: clock, FlushInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, e.StartWorkers(ctx))
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(stopCtx)
	})
	b.engine = e
	return b
}

// run starts a job and waits for it to finish.
func (b *bundle) run(t testing.TB, jobType string, params engine.Params) engine.Job {
	t.Helper()
	ctx := context.Background()
	events, stop := b.engine.Subscribe()
	defer stop()
	id, err := b.engine.Start(ctx, jobType, params, engine.StartOptions{})
	require.NoError(t, err)
	j, err := b.engine.Get(ctx, id)
	require.NoError(t, err)
	deadline := time.After(2 * time.Minute)
	for !j.Status.Terminal() || j.CompletedAt == nil {
		select {
		case ev, ok := <-events:
			require.True(t, ok)
			if ev.Job.ID == id {
				j = ev.Job
			}
		case <-deadline:
			t.Fatalf("%s did not finish: %+v", jobType, j)
		}
	}
	return j
}

// truth is the generated world's known answers.
func (b *bundle) truth() *dataset.Truth { return b.sandbox.Truth() }

func TestSetupBuildsAWorkingWorld(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	depots, err := b.deps.Nhanh.Depots(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, depots)
	locs, err := b.deps.Shopify.Locations(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, locs)
}
