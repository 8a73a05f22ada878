package pull_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/nhanh"
	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
)

// pullWorldConfig is the default world of the pull tests: 8 Nhanh
// customer pages, 7 product pages (3 products deleted), 4 Shopify
// customer pages and 3 variant pages.
var pullWorldConfig = dataset.GenerateConfig{Seed: 11, Customers: 800, Products: 700}

// pullWorldOptions shape a pull test's world.
type pullWorldOptions struct {
	dialect store.Dialect
	// ds is the world to serve; nil generates pullWorldConfig.
	ds *dataset.Dataset
	// attemptTimeout, when set, replaces every kind's attempt timeout.
	attemptTimeout time.Duration
	// omittedFilters makes the Nhanh fake read a missing customer type as
	// retail and a missing product status as active (the pessimistic
	// reading of what Nhanh leaves undocumented).
	omittedFilters bool
	// shopifyBulkDelay is how long the Shopify fake's bulk operations run.
	shopifyBulkDelay time.Duration
	// shopifyPagingCap ends the Shopify fake's connections early.
	shopifyPagingCap int
}

// pullWorld is a sandbox served through gates the test can close, a store,
// and an engine whose kinds run the real bodies over deps the test can
// swap (another sandbox's client, a client with a wrong token).
type pullWorld struct {
	*jobstest.World
	ds           *dataset.Dataset // the world the sandbox started with
	sandboxOpts  sandbox.Options  // the sandbox's options, but for its dataset
	nhanhGate    *pullGate
	shopifyGate  *pullGate
	mu           sync.Mutex
	current      jobs.Deps
	bodyReturned map[engine.JobID]chan error
}

func newPullWorld(t *testing.T, o pullWorldOptions) *pullWorld {
	t.Helper()
	if o.ds == nil {
		o.ds = dataset.Generate(pullWorldConfig)
	}
	nhanhGate, shopifyGate := newPullGate("/customer/list", "/product/list"), newPullGate()
	sbOpts := sandbox.Options{Seed: pullWorldConfig.Seed,
		NhanhOmittedTypeMeansRetail: o.omittedFilters, NhanhOmittedStatusMeansActive: o.omittedFilters,
		ShopifyBulkDelay: o.shopifyBulkDelay, ShopifyPagingCap: o.shopifyPagingCap}
	withDataset := sbOpts
	withDataset.Dataset = o.ds
	b := jobstest.New(t, jobstest.Options{Dialect: o.dialect, Sandbox: withDataset,
		Clients: gated(nhanhGate, shopifyGate, ""), NoEngine: true})
	w := &pullWorld{World: b, ds: o.ds, sandboxOpts: sbOpts, bodyReturned: map[engine.JobID]chan error{},
		nhanhGate: nhanhGate, shopifyGate: shopifyGate}
	w.current = b.Deps
	kinds, err := jobs.Kinds(w.current)
	require.NoError(t, err)
	for i := range kinds {
		k := &kinds[i]
		jobType := k.Type
		if o.attemptTimeout > 0 {
			k.AttemptTimeout = o.attemptTimeout
		}
		k.Run = func(ctx context.Context, r *engine.Run) error {
			err := w.body(t, jobType)(ctx, r)
			w.returned(r.ID()) <- err
			return err
		}
	}
	b.StartEngine(t, kinds)
	return w
}

// gated adjusts the clients to send through the gates; token, when set,
// replaces the Nhanh access token.
func gated(nhanhGate, shopifyGate *pullGate, token string) func(*nhanh.Config, *shopify.Config) {
	return func(n *nhanh.Config, s *shopify.Config) {
		n.HTTPClient, s.HTTPClient = &http.Client{Transport: nhanhGate}, &http.Client{Transport: shopifyGate}
		if token != "" {
			n.AccessToken = token
		}
	}
}

// pullClients builds clients for sb as jobstest does, through the gates.
func pullClients(t testing.TB, sb *sandbox.Sandbox, nhanhGate, shopifyGate *pullGate, token string) (*nhanh.Client, *shopify.Client) {
	t.Helper()
	return jobstest.Clients(t, sb, 0, gated(nhanhGate, shopifyGate, token))
}

// body is the real body of jobType over the current deps.
func (w *pullWorld) body(t testing.TB, jobType string) func(context.Context, *engine.Run) error {
	w.mu.Lock()
	deps := w.current
	w.mu.Unlock()
	kinds, err := jobs.Kinds(deps)
	if err != nil {
		return func(context.Context, *engine.Run) error { return err }
	}
	for _, k := range kinds {
		if k.Type == jobType {
			return k.Run
		}
	}
	t.Errorf("no kind %s", jobType)
	return func(context.Context, *engine.Run) error { return errors.New("no such kind") }
}

// setDeps changes the deps the next bodies run with.
func (w *pullWorld) setDeps(fn func(d *jobs.Deps)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fn(&w.current)
}

// returned is where the body of job id reports its error once it returned.
func (w *pullWorld) returned(id engine.JobID) chan error {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.bodyReturned[id]
	if !ok {
		ch = make(chan error, 8) // one per attempt
		w.bodyReturned[id] = ch
	}
	return ch
}

// cancelHeld cancels job id once gate holds a request and the job has
// stored pages pages (the fetching runs ahead of the storing), and waits
// until the job's body has returned and the job has ended.
func (w *pullWorld) cancelHeld(t testing.TB, gate *pullGate, id engine.JobID, pages int64) engine.Job {
	t.Helper()
	gate.awaitHeld(t)
	w.awaitPages(t, id, pages)
	require.NoError(t, w.Engine.Cancel(context.Background(), id, engine.Actor{}))
	require.ErrorIs(t, w.bodyResult(t, id), context.Canceled)
	return w.Wait(t, id)
}

// awaitPages waits until job id's metadata counts pages stored pages.
func (w *pullWorld) awaitPages(t testing.TB, id engine.JobID, pages int64) {
	t.Helper()
	events, stop := w.Engine.Subscribe()
	defer stop()
	deadline := time.After(time.Minute)
	for {
		j, err := w.Engine.Get(context.Background(), id)
		require.NoError(t, err)
		if len(j.Metadata) > 0 && decodePullMeta(t, j).Pages >= pages {
			return
		}
		select {
		case <-events:
		case <-deadline:
			t.Fatalf("job %d did not store %d pages: %s", id, pages, j.Metadata)
		}
	}
}

// bodyResult waits for the next return of job id's body and gives its error.
func (w *pullWorld) bodyResult(t testing.TB, id engine.JobID) error {
	t.Helper()
	select {
	case err := <-w.returned(id):
		return err
	case <-time.After(time.Minute):
		t.Fatalf("the body of job %d did not return", id)
		return nil
	}
}

// serve starts another sandbox serving ds, with the world's sandbox
// options, and points both clients at it.
func (w *pullWorld) serve(t testing.TB, ds *dataset.Dataset) *sandbox.Sandbox {
	t.Helper()
	o := w.sandboxOpts
	o.Dataset, o.Scale = ds, jobstest.DefaultScale
	sb := jobstest.StartSandbox(t, o)
	w.use(t, sb)
	return sb
}

// startSandbox starts a sandbox serving ds, closed at cleanup.
func startSandbox(t testing.TB, ds *dataset.Dataset) *sandbox.Sandbox {
	t.Helper()
	return jobstest.StartSandbox(t, sandbox.Options{Dataset: ds, Seed: pullWorldConfig.Seed, Scale: jobstest.DefaultScale})
}

// use points both clients at sb (through the same gates).
func (w *pullWorld) use(t testing.TB, sb *sandbox.Sandbox) {
	t.Helper()
	nc, sc := pullClients(t, sb, w.nhanhGate, w.shopifyGate, "")
	w.setDeps(func(d *jobs.Deps) { d.Nhanh, d.Shopify = nc, sc })
}

// useShopify points only the Shopify client at sb.
func (w *pullWorld) useShopify(t testing.TB, sb *sandbox.Sandbox) {
	t.Helper()
	_, sc := pullClients(t, sb, w.nhanhGate, w.shopifyGate, "")
	w.setDeps(func(d *jobs.Deps) { d.Shopify = sc })
}

// useNhanhToken points the Nhanh client at the world's sandbox with token
// ("" for the right one).
func (w *pullWorld) useNhanhToken(t testing.TB, token string) {
	t.Helper()
	nc, _ := pullClients(t, w.Sandbox, w.nhanhGate, w.shopifyGate, token)
	w.setDeps(func(d *jobs.Deps) { d.Nhanh = nc })
}

// pullRun runs a job to its end and requires it completed.
func (w *pullWorld) pullRun(t testing.TB, jobType string, params engine.Params) (engine.Job, pullMeta) {
	t.Helper()
	j := w.Wait(t, w.Start(t, jobType, params))
	require.Equal(t, engine.StatusCompleted, j.Status, "job error: %s", j.Error)
	return j, decodePullMeta(t, j)
}

// pullCursor reads a stream's cursor row.
func (w *pullWorld) pullCursor(t testing.TB, stream string) store.PullCursor {
	t.Helper()
	c, err := w.Store.PullCursor(context.Background(), w.Store.DB(), stream)
	require.NoError(t, err)
	return c
}

// pullGate is a transport that lets requests through until it is closed
// after a number of them; then it holds each request (until the gate opens
// again or the request's context ends, or fails it with failWith when set)
// and reports it.
type pullGate struct {
	paths   []string // requests whose path contains one of these count; none: all
	mu      sync.Mutex
	left    int // requests that still pass; < 0: open
	fail    error
	release chan struct{} // closed when the gate opens
	held    chan struct{}
}

func newPullGate(paths ...string) *pullGate {
	return &pullGate{paths: paths, left: -1, release: make(chan struct{}), held: make(chan struct{}, 1)}
}

// closeAfter lets n more counted requests through, then holds the rest;
// failWith, when non-nil, makes held requests fail with it at once.
func (g *pullGate) closeAfter(n int, failWith error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.left, g.fail, g.release = n, failWith, make(chan struct{})
}

// open lets every request through again, held ones included.
func (g *pullGate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.left >= 0 {
		close(g.release)
	}
	g.left, g.fail = -1, nil
}

// awaitHeld waits until the gate has held a request.
func (g *pullGate) awaitHeld(t testing.TB) {
	t.Helper()
	select {
	case <-g.held:
	case <-time.After(time.Minute):
		t.Fatal("the gate held no request")
	}
}

// RoundTrip implements http.RoundTripper.
func (g *pullGate) RoundTrip(req *http.Request) (*http.Response, error) {
	if g.counts(req) {
		g.mu.Lock()
		pass := g.left != 0
		if g.left > 0 {
			g.left--
		}
		fail, release := g.fail, g.release
		g.mu.Unlock()
		if !pass {
			select {
			case g.held <- struct{}{}:
			default:
			}
			if fail != nil {
				return nil, fail
			}
			select {
			case <-release:
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (g *pullGate) counts(req *http.Request) bool {
	if len(g.paths) == 0 {
		return true
	}
	for _, p := range g.paths {
		if strings.Contains(req.URL.Path, p) {
			return true
		}
	}
	return false
}

// pullMeta is the metadata the pull jobs write.
type pullMeta struct {
	Stream          string          `json:"stream"`
	Mode            string          `json:"mode"`
	Created         int64           `json:"created"`
	Updated         int64           `json:"updated"`
	Unchanged       int64           `json:"unchanged"`
	Pages           int64           `json:"pages"`
	PulledThisPass  int64           `json:"pulledThisPass"`
	DeletedAtSource *int64          `json:"deletedAtSource"`
	StoppedEarly    bool            `json:"stoppedEarly"`
	ResumedFrom     *pullResumeMeta `json:"resumedFrom"`
	// Incremental pulls.
	FirstRun      bool              `json:"firstRun"`
	WatermarkFrom string            `json:"watermarkFrom"`
	WatermarkTo   string            `json:"watermarkTo"`
	Nhanh         *pullSideMeta     `json:"nhanh"`
	Shopify       *pullSideMeta     `json:"shopify"`
	Filters       map[string]string `json:"filters"`
}

type pullResumeMeta struct {
	JobID  int64 `json:"jobId"`
	Pulled int64 `json:"pulled"`
}

type pullSideMeta struct {
	Created       int64  `json:"created"`
	Updated       int64  `json:"updated"`
	Unchanged     int64  `json:"unchanged"`
	Pages         int64  `json:"pages"`
	FirstRun      bool   `json:"firstRun"`
	Done          bool   `json:"done"`
	WatermarkFrom string `json:"watermarkFrom"`
	WatermarkTo   string `json:"watermarkTo"`
	Failed        string `json:"failed"`
	Mode          string `json:"mode"`
	Counted       int64  `json:"counted"`
	Exports       int    `json:"exports"`
	BulkLines     int64  `json:"bulkLines"`
}

func decodePullMeta(t testing.TB, j engine.Job) pullMeta {
	t.Helper()
	var m pullMeta
	require.NoError(t, json.Unmarshal(j.Metadata, &m), "metadata %s", j.Metadata)
	return m
}

// requireCounts checks a finished pull's counters and tallies.
func requireCounts(t testing.TB, j engine.Job, m pullMeta, created, updated, unchanged int64) {
	t.Helper()
	require.Equal(t, [3]int64{created, updated, unchanged}, [3]int64{m.Created, m.Updated, m.Unchanged},
		"created, updated, unchanged in %s", j.Metadata)
	total := created + updated + unchanged
	require.Equal(t, engine.Counters{Total: total, Processed: total, Successful: created + updated, Skipped: unchanged},
		j.Counters())
}
