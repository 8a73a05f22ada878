package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox"
	"syncops/internal/testbin"
	"syncops/store"
	"syncops/store/storetest"
)

// The kill tests run the real syncops binary as a headless service against
// a sandbox served by this test process, SIGKILL it at several progress
// points of one job (read from the database as the job commits), restart
// it each time, and require the finished job's counters to equal what was
// written: rows in the mirror for a pull, writes the Shopify fake applied
// for a sync.

// Timing of the killed binary: short attempts, so River rescues a job whose
// process died within killAttemptTimeout+killRescueMargin of its attempt's
// start instead of minutes.
const (
	killAttemptTimeout = 2 * time.Second
	killRescueMargin   = 500 * time.Millisecond
	killCustomers      = 1500
	// killNhanhPace spaces Nhanh's answers like a real round trip, so every
	// page commits on its own (pages that queue up share a transaction) and
	// the kills land between pages on either database.
	killNhanhPace = 40 * time.Millisecond
)

// killBinary is the syncops binary, built once per test run (testbin).
func killBinary(t *testing.T) string { return testbin.Path(t) }

// killWorld is one sandbox and one database shared by every run of the
// binary in a test.
type killWorld struct {
	sb  *sandbox.Sandbox
	env []string
	s   *store.Store
	// attempt is the binary's attempt timeout (SYNCOPS_ATTEMPT_TIMEOUT).
	attempt time.Duration
}

func newKillWorld(t *testing.T, d store.Dialect) *killWorld {
	t.Helper()
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{Seed: 23, Customers: killCustomers, Products: 20, Scale: 1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	ep := sb.Endpoints()
	ep.NhanhBaseURL = pacedProxy(t, ep.NhanhBaseURL, killNhanhPace)
	return openKillWorld(t, sb, ep, storetest.DSN(t, d), killAttemptTimeout)
}

// openKillWorld configures the binary for sandbox sb, reached at ep, and
// the database dsn, with attempts of attempt and more SYNCOPS_ settings in
// extra; it migrates the database with a first run and opens it for the
// test.
func openKillWorld(t *testing.T, sb *sandbox.Sandbox, ep sandbox.Endpoints, dsn string, attempt time.Duration,
	extra ...string) *killWorld {
	t.Helper()
	w := &killWorld{sb: sb, attempt: attempt, env: append([]string{
		"SYNCOPS_DB=" + dsn, "SYNCOPS_DATA_DIR=" + t.TempDir(), "SYNCOPS_LOG_LEVEL=warn",
		"SYNCOPS_ATTEMPT_TIMEOUT=" + attempt.String(), "SYNCOPS_RESCUE_MARGIN=" + killRescueMargin.String(),
		"SYNCOPS_NHANH_BASE_URL=" + ep.NhanhBaseURL, "SYNCOPS_NHANH_APP_ID=" + ep.NhanhAppID,
		"SYNCOPS_NHANH_BUSINESS_ID=" + ep.NhanhBusinessID, "SYNCOPS_NHANH_ACCESS_TOKEN=" + ep.NhanhToken,
		"SYNCOPS_SHOPIFY_SHOP=" + ep.ShopifyShop, "SYNCOPS_SHOPIFY_BASE_URL=" + ep.ShopifyBaseURL,
		"SYNCOPS_SHOPIFY_API_VERSION=" + ep.ShopifyAPIVersion, "SYNCOPS_SHOPIFY_ACCESS_TOKEN=" + ep.ShopifyToken,
	}, extra...)}
	// The first run migrates the database; the test reads it after.
	w.cli(t, "jobs")
	var err error
	w.s, err = store.Open(context.Background(), dsn, "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.s.Close() })
	return w
}

// pacedProxy serves target through a proxy that answers at most one
// request per pace.
func pacedProxy(t *testing.T, target string, pace time.Duration) string {
	t.Helper()
	return valvedProxy(t, target, pace, nil)
}

// valvedProxy is pacedProxy whose requests also wait while v is shut (v
// nil: never).
func valvedProxy(t *testing.T, target string, pace time.Duration, v *valve) string {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	// The client keeps target's path; the proxy forwards it as it is.
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	ticker := time.NewTicker(pace)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v != nil && v.wait(r.Context()) != nil {
			return
		}
		select {
		case <-ticker.C:
		case <-r.Context().Done():
			return
		}
		// The request is read whole first. Streamed, the transport's last
		// read of it (past Content-Length, for EOF) can come after a quick
		// fake has answered and the proxy has begun its reply, when the
		// server has closed the body: that read fails ("invalid Read on
		// closed Body"), and the transport drops the upstream connection
		// mid-answer, which the instance sees as a cut-off reply.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		ticker.Stop()
	})
	return srv.URL + u.Path
}

// valve holds a proxy's requests while shut; it starts open.
type valve struct {
	mu      sync.Mutex
	open    chan struct{} // closed while the valve is open
	waiting atomic.Int64  // requests held now
}

func newValve() *valve {
	v := &valve{open: make(chan struct{})}
	close(v.open)
	return v
}

// shut holds the requests that arrive from now on.
func (v *valve) shut() {
	v.mu.Lock()
	defer v.mu.Unlock()
	select {
	case <-v.open:
		v.open = make(chan struct{})
	default:
	}
}

// release lets the held requests and every later one through.
func (v *valve) release() {
	v.mu.Lock()
	defer v.mu.Unlock()
	select {
	case <-v.open:
	default:
		close(v.open)
	}
}

// wait returns once the valve is open, or ctx's error.
func (v *valve) wait(ctx context.Context) error {
	v.mu.Lock()
	open := v.open
	v.mu.Unlock()
	v.waiting.Add(1)
	defer v.waiting.Add(-1)
	select {
	case <-open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cli runs one command of the binary to its end and returns its stdout.
func (w *killWorld) cli(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(killBinary(t), args...)
	cmd.Env = append(os.Environ(), w.env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "syncops %s: %s", strings.Join(args, " "), stderr.String())
	return string(out)
}

// startJob inserts a job for the service to run, with more arguments of
// `syncops run` (parameters), and returns its id.
func (w *killWorld) startJob(t *testing.T, jobType string, args ...string) int64 {
	t.Helper()
	var id int64
	_, err := fmt.Sscan(strings.TrimSpace(w.cli(t, append([]string{"run", jobType, "--detach"}, args...)...)), &id)
	require.NoError(t, err)
	return id
}

// service starts the headless service.
func (w *killWorld) service(t *testing.T) *exec.Cmd {
	t.Helper()
	return w.serviceTo(t, os.Stderr)
}

// serviceTo starts the headless service with its log written to stderr.
func (w *killWorld) serviceTo(t *testing.T, stderr io.Writer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(killBinary(t), "--no-tui")
	cmd.Env = append(os.Environ(), w.env...)
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// runKilled runs job id under the service, killing the service with SIGKILL
// once the job's committed progress reaches each threshold and starting it
// again, then lets the job finish. It returns the processed count seen at
// each kill.
func (w *killWorld) runKilled(t *testing.T, id int64, thresholds []int64) []int64 {
	t.Helper()
	ctx := context.Background()
	var killedAt []int64
	for _, threshold := range thresholds {
		// Each kill comes after the restarted job made progress of its own.
		if n := len(killedAt); n > 0 {
			threshold = max(threshold, killedAt[n-1]+1)
		}
		svc := w.service(t)
		var rec store.JobRecord
		require.Eventually(t, func() bool {
			var err error
			rec, err = w.s.Job(ctx, w.s.Reader(), id)
			require.NoError(t, err)
			return rec.Status.Terminal() || rec.Counters.Processed >= threshold
		}, 60*time.Second, 2*time.Millisecond, "job %d never reached %d processed", id, threshold)
		require.NoError(t, svc.Process.Signal(syscall.SIGKILL))
		_ = svc.Wait()
		require.False(t, rec.Status.Terminal(), "job %d finished before the kill at %d processed", id, threshold)
		killedAt = append(killedAt, rec.Counters.Processed)
		w.awaitRescuable(t, id)
	}
	svc := w.service(t)
	require.Eventually(t, func() bool {
		rec, err := w.s.Job(ctx, w.s.Reader(), id)
		require.NoError(t, err)
		return rec.Status.Terminal()
	}, 60*time.Second, 10*time.Millisecond, "job %d never finished after the kills", id)
	require.NoError(t, svc.Process.Signal(syscall.SIGTERM))
	_ = svc.Wait()
	return killedAt
}

// awaitRescuable prepares the next start, or the live processes, to rescue
// the killed job at once. River rescues a job once its attempt is older
// than the attempt timeout plus the rescue margin, checking when a process
// becomes leader and then every 30 s. The dead process may hold River's
// leadership lease, which would keep any other process from leading (and
// so from rescuing) for up to 15 s: once the killed attempt is old enough,
// the lease is released, as the lease of a process known dead, so the next
// leader's first check finds the job rescuable.
func (w *killWorld) awaitRescuable(t *testing.T, id int64) {
	t.Helper()
	ctx := context.Background()
	attempts, err := w.s.JobAttempts(ctx, w.s.Reader(), id)
	require.NoError(t, err)
	require.NotEmpty(t, attempts)
	rescuable := attempts[len(attempts)-1].StartedAt.Add(w.attempt + killRescueMargin + 100*time.Millisecond)
	require.Eventually(t, func() bool { return time.Now().After(rescuable) }, time.Minute, 10*time.Millisecond)
	_, err = w.s.DB().ExecContext(ctx, `DELETE FROM river_leader`)
	require.NoError(t, err)
}

// finished reads a finished job: its record and metadata.
func (w *killWorld) finished(t *testing.T, id int64) (store.JobRecord, map[string]any) {
	t.Helper()
	rec, err := w.s.Job(context.Background(), w.s.Reader(), id)
	require.NoError(t, err)
	require.Equal(t, store.JobCompleted, rec.Status, rec.Error)
	meta := map[string]any{}
	require.NoError(t, json.Unmarshal(rec.Metadata, &meta))
	attempts, err := w.s.JobAttempts(context.Background(), w.s.Reader(), id)
	require.NoError(t, err)
	require.Greater(t, len(attempts), 1, "the job ran in several attempts")
	return rec, meta
}

func TestKilledBinaryPullCountsEveryRowOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			w := newKillWorld(t, d)
			id := w.startJob(t, "pull_nhanh_customers")
			// The last kill comes at half the rows, leaving the poll (slow
			// on a loaded machine) time to catch the job before its end.
			killedAt := w.runKilled(t, id, []int64{killCustomers / 8, killCustomers / 3, killCustomers / 2})
			rec, meta := w.finished(t, id)
			t.Logf("%s: killed at %v processed of %d", d, killedAt, killCustomers)

			rows, err := w.s.CountNhanhCustomers(context.Background(), w.s.Reader())
			require.NoError(t, err)
			require.Equal(t, int64(killCustomers), rows)
			require.Equal(t, store.Counters{Total: rows, Processed: rows, Successful: rows}, rec.Counters,
				"every row stored is counted once: created, never lost nor counted twice")
			require.EqualValues(t, rows, meta["created"])
			require.EqualValues(t, rows, meta["pulledThisPass"])
		})
	}
}

func TestKilledBinarySyncCountsEveryWriteOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			w := newKillWorld(t, d)
			// Shopify's customers by bulk export: paged at the published
			// rate (6 points a customer) they would take a minute and a half.
			w.cli(t, "run", "pull_nhanh_customers")
			w.cli(t, "run", "pull_shopify_customers", "--param", "bulk=true")
			w.cli(t, "run", "auto_match_customers")
			ctx := context.Background()
			mappings, err := w.s.CustomerMappings(ctx, w.s.Reader(), store.MappingFilter{})
			require.NoError(t, err)
			n := int64(len(mappings))
			require.Greater(t, n, int64(500), "enough mappings to kill the sync mid-way")

			id := w.startJob(t, "customer_sync")
			killedAt := w.runKilled(t, id, []int64{n / 5, n / 2, 4 * n / 5})
			rec, meta := w.finished(t, id)
			t.Logf("%s: killed at %v processed of %d mappings", d, killedAt, n)

			// Every mapping is one item; each written one succeeded, once,
			// however often a kill made its batch be written again.
			written := map[string]bool{}
			for _, mw := range w.sb.Shopify().Record().MetafieldWrites {
				written[mw.OwnerID] = true
			}
			failed, err := w.s.CountFailedItems(ctx, w.s.Reader(), store.FailedItemFilter{JobID: id})
			require.NoError(t, err)
			require.Equal(t, store.Counters{Total: n, Processed: n, Successful: int64(len(written)),
				Failed: failed, Skipped: n - int64(len(written)) - failed}, rec.Counters)
			require.Zero(t, rec.Counters.Skipped, "a forced sync skips nothing")
			synced, err := w.s.CustomerMappings(ctx, w.s.Reader(), store.MappingFilter{Statuses: []store.MappingStatus{store.MappingSynced}})
			require.NoError(t, err)
			require.Len(t, synced, len(written), "every mapping written is recorded SYNCED")
			results, ok := meta["results"].(map[string]any)
			require.True(t, ok, "results metadata: %v", meta)
			require.EqualValues(t, len(written), results["successful"])
			require.EqualValues(t, failed, results["failed"])
		})
	}
}
