package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/shopify"
	"syncops/store"
	"syncops/store/storetest"
)

// slowBulkProxy serves target, sending the body of the first download of
// each bulk result file (/bulk/...) a chunk every pace, as a long download
// does, so that a kill lands in the middle of it; later downloads of the
// file, and other requests, pass at full speed (a restarted attempt that
// had to crawl through the whole file again could outlive its attempt on
// a loaded machine, again and again). Shopify's fake names result files on the host a
// request reached it on, so the results of operations started through the
// proxy are downloaded through it too.
func slowBulkProxy(t *testing.T, target string, chunk int, pace time.Duration) string {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	origin := &url.URL{Scheme: u.Scheme, Host: u.Host}
	proxy := httputil.NewSingleHostReverseProxy(origin)
	var downloaded sync.Map // path -> true once its slow download began
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/bulk/") {
			proxy.ServeHTTP(w, r)
			return
		}
		if _, again := downloaded.LoadOrStore(r.URL.Path, true); again {
			proxy.ServeHTTP(w, r)
			return
		}
		resp, err := http.Get(origin.String() + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(resp.StatusCode)
		flusher, _ := w.(http.Flusher)
		for rd := bytes.NewReader(body); rd.Len() > 0; {
			if _, err := io.CopyN(w, rd, int64(chunk)); err != nil && err != io.EOF {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
			select {
			case <-time.After(pace):
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + u.Path
}

// TestKilledBinaryBulkImportStoresEveryRowOnce kills the real binary while
// it imports a bulk export's result (after its first batch committed) and
// restarts it: the restarted process polls the same operation, reads on
// after the stored lines, and the job ends with exactly the shop's rows,
// each counted once, from one bulk operation.
func TestKilledBinaryBulkImportStoresEveryRowOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			w := newKillWorld(t, d)
			ep := w.sb.Endpoints()
			slow := slowBulkProxy(t, ep.ShopifyBaseURL, 8<<10, 20*time.Millisecond)
			for i, kv := range w.env {
				if strings.HasPrefix(kv, "SYNCOPS_SHOPIFY_BASE_URL=") {
					w.env[i] = "SYNCOPS_SHOPIFY_BASE_URL=" + slow
				}
			}
			client, err := shopify.New(shopify.Config{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL,
				APIVersion: ep.ShopifyAPIVersion, AccessToken: ep.ShopifyToken})
			require.NoError(t, err)
			count, err := client.CountCustomers(context.Background(), "")
			require.NoError(t, err)
			want := count.N
			require.Greater(t, want, int64(1000), "more than one batch of 1,000")

			var id int64
			_, err = fmt.Sscan(strings.TrimSpace(w.cli(t, "run", "pull_shopify_customers", "--param", "bulk=true", "--detach")), &id)
			require.NoError(t, err)
			killedAt := w.runKilled(t, id, []int64{1000})
			rec, meta := w.finished(t, id)
			t.Logf("%s: killed at %v processed of %d", d, killedAt, want)

			rows, err := w.s.CountShopifyCustomers(context.Background(), w.s.Reader())
			require.NoError(t, err)
			require.Equal(t, want, rows)
			require.Equal(t, store.Counters{Total: rows, Processed: rows, Successful: rows}, rec.Counters,
				"every row stored is counted once")
			require.EqualValues(t, rows, meta["created"])
			require.EqualValues(t, rows, meta["bulkLines"])
			require.EqualValues(t, 1, meta["exports"])
			fake := w.sb.Shopify().Record()
			require.Equal(t, 1, fake.BulkStarted, "the restarted process polled the same operation")
			// Read before the kill and on after it; an attempt that runs out
			// of time mid-import (a loaded machine) reads on once more.
			require.GreaterOrEqual(t, fake.BulkDownloads, 2, "read before the kill and on after it")
		})
	}
}

// TestSecondProcessOnSQLiteIsRefused: with the service running jobs on a
// SQLite database, a second process that would run jobs too (a run without
// --detach) stops with a message that says why and what to do instead,
// while a --detach run hands its job to the service.
func TestSecondProcessOnSQLiteIsRefused(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	w := newKillWorld(t, store.SQLite)
	var dsn string
	for _, kv := range w.env {
		if v, ok := strings.CutPrefix(kv, "SYNCOPS_DB="); ok {
			dsn = v
		}
	}
	svc := w.service(t)
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(dsn + ".jobs-lock")
		return err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(svc.Process.Pid)
	}, 30*time.Second, 10*time.Millisecond, "the service takes the job lease")

	cmd := exec.Command(killBinary(t), "run", "pull_nhanh_products")
	cmd.Env = append(os.Environ(), w.env...)
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the second process must not run jobs: %s", out)
	require.Contains(t, string(out), fmt.Sprintf("another syncops process (pid %d) is running jobs", svc.Process.Pid))
	require.Contains(t, string(out), "only one process may call the APIs")

	id := w.startJob(t, "pull_nhanh_products")
	require.Eventually(t, func() bool {
		rec, err := w.s.Job(context.Background(), w.s.Reader(), id)
		require.NoError(t, err)
		return rec.Status == store.JobCompleted
	}, time.Minute, 20*time.Millisecond, "the detached job runs in the service")
}
