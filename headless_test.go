package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox"
	"syncops/engine"
	"syncops/store"
)

// headlessWorld is a sandbox in the test process and the environment that
// points the real binary at it, so the binary can be stopped and started
// against the same shop.
type headlessWorld struct {
	sb  *sandbox.Sandbox
	env []string
	db  string
}

func newHeadlessWorld(t *testing.T, customers int) *headlessWorld {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Seed: 11, Customers: customers, Products: 50, Scale: 5})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	ep := sb.Endpoints()
	dir := t.TempDir()
	w := &headlessWorld{sb: sb, db: filepath.Join(dir, "syncops.db")}
	w.env = []string{
		"SYNCOPS_DB=" + w.db, "SYNCOPS_DATA_DIR=" + dir, "SYNCOPS_METRICS_ADDR=127.0.0.1:0", "SYNCOPS_SHUTDOWN_GRACE=20s",
		"SYNCOPS_NHANH_BASE_URL=" + ep.NhanhBaseURL, "SYNCOPS_NHANH_APP_ID=" + ep.NhanhAppID,
		"SYNCOPS_NHANH_BUSINESS_ID=" + ep.NhanhBusinessID, "SYNCOPS_NHANH_ACCESS_TOKEN=" + ep.NhanhToken,
		"SYNCOPS_SHOPIFY_SHOP=" + ep.ShopifyShop, "SYNCOPS_SHOPIFY_BASE_URL=" + ep.ShopifyBaseURL,
		"SYNCOPS_SHOPIFY_API_VERSION=" + ep.ShopifyAPIVersion, "SYNCOPS_SHOPIFY_ACCESS_TOKEN=" + ep.ShopifyToken,
	}
	return w
}

func (w *headlessWorld) secrets() []string {
	ep := w.sb.Endpoints()
	return []string{ep.NhanhToken, ep.ShopifyToken}
}

// metricsAddr reads the bound metrics address from the "syncops running" line.
func metricsAddr(t *testing.T, p *process) string {
	t.Helper()
	var line struct{ Metrics string }
	require.NoError(t, json.Unmarshal([]byte(p.waitLine(t, `"msg":"syncops running"`)), &line))
	require.NotEmpty(t, line.Metrics)
	return line.Metrics
}

func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	out := map[string]float64{}
	for name, fam := range families {
		for _, m := range fam.GetMetric() {
			key := name
			for _, l := range m.GetLabel() {
				key += fmt.Sprintf(",%s=%s", l.GetName(), l.GetValue())
			}
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[key+",count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestHeadlessServiceMetricsShutdownAndResume(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the binary against the sandbox at its rate limits")
	}
	// 10,000 customers are 100 pages: the binary's Nhanh client paces at
	// the published 150 requests per 30 s whatever the sandbox's scale, so a
	// pull of more than 150 pages across the two runs would wait out a real
	// 30 s window (and meet a lock from the fake's scaled one). It is still
	// far more than the first run pulls before it is stopped.
	const customers = 10000
	w := newHeadlessWorld(t, customers)
	first := startBinary(t, w.env, "--no-tui")
	addr := metricsAddr(t, first)

	resp, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Start a pull from another process, as an operator's CLI would.
	cmd := exec.Command(syncopsBinary(t), "run", "pull_nhanh_customers", "--detach")
	cmd.Env = append(cmd.Environ(), w.env...)
	out, err := cmd.Output()
	require.NoError(t, err)
	var id engine.JobID
	_, err = fmt.Sscan(strings.TrimSpace(string(out)), &id)
	require.NoError(t, err)

	ctx := context.Background()
	db, err := store.Open(ctx, w.db, "")
	require.NoError(t, err)
	defer db.Close()
	require.Eventually(t, func() bool {
		rec, err := db.Job(ctx, db.Reader(), int64(id))
		return err == nil && rec.Checkpoint != nil && rec.Counters.Processed >= 500
	}, 90*time.Second, 20*time.Millisecond, "the pull never checkpointed")

	m := scrape(t, addr)
	require.Positive(t, m["syncops_api_requests_total,api=nhanh"])
	require.Positive(t, m["syncops_jobs_started_total,type=PULL_NHANH_CUSTOMERS"])
	require.Contains(t, m, "syncops_shopify_points_capacity")
	require.Contains(t, m, "syncops_nhanh_requests_left,endpoint=customer/list")

	require.Equal(t, 0, first.stop(t, syscall.SIGTERM), "SIGTERM exits 0")
	rec, err := db.Job(ctx, db.Reader(), int64(id))
	require.NoError(t, err)
	require.Equal(t, store.JobPending, rec.Status, "an interrupted job waits to resume")
	require.NotNil(t, rec.Checkpoint)
	require.Less(t, rec.Counters.Processed, int64(customers), "the pull was interrupted mid-way")
	interruptedAt := rec.Counters.Processed

	second := startBinary(t, w.env, "--no-tui")
	metricsAddr(t, second)
	require.Eventually(t, func() bool {
		rec, err = db.Job(ctx, db.Reader(), int64(id))
		return err == nil && rec.Status.Terminal()
	}, 3*time.Minute, 50*time.Millisecond)
	require.Equal(t, store.JobCompleted, rec.Status, rec.Error)
	require.Equal(t, int64(customers), rec.Counters.Processed)
	require.Equal(t, int64(customers), rec.Counters.Successful, "every customer was created exactly once")
	n, err := db.CountNhanhCustomers(ctx, db.Reader())
	require.NoError(t, err)
	require.Equal(t, int64(customers), n)
	attempts, err := db.JobAttempts(ctx, db.Reader(), int64(id))
	require.NoError(t, err)
	require.Equal(t, "interrupted", attempts[0].Outcome, "the first attempt was interrupted by SIGTERM")
	require.Equal(t, "completed", attempts[len(attempts)-1].Outcome)
	t.Logf("interrupted at %d of %d; resumed and finished", interruptedAt, customers)
	require.Equal(t, 0, second.stop(t, syscall.SIGTERM))

	// Every log line of both runs is JSON, and no secret leaked into them.
	for _, p := range []*process{first, second} {
		p.mu.Lock()
		for _, line := range p.seen {
			require.True(t, json.Valid([]byte(line)), "not a JSON log line: %s", line)
			for _, s := range w.secrets() {
				require.NotContains(t, line, s)
			}
		}
		p.mu.Unlock()
	}
}
