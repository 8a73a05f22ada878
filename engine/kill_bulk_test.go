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
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/shopify"
	"syncops/store"
	"syncops/store/storetest"
)

// slowBulkProxy serves target, sending the bodies of bulk result files
// (/bulk/...) a chunk every pace, as a long download does; other requests
// pass as they are. Shopify's fake names result files on the host a
// request reached it on, so the results of operations started through the
// proxy are downloaded through it too.
func slowBulkProxy(t *testing.T, target string, chunk int, pace time.Duration) string {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	origin := &url.URL{Scheme: u.Scheme, Host: u.Host}
	proxy := httputil.NewSingleHostReverseProxy(origin)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/bulk/") {
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
			require.Equal(t, 2, fake.BulkDownloads, "read once before the kill and on after it")
		})
	}
}
