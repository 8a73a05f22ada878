package nhanh_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/nhanh"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
)

// bundle is one client wired to one fake over loopback HTTP.
type bundle struct {
	fake   *nhanhfake.Server
	client *nhanh.Client
	// clock is shared by the client and the fake; nil when both run on the
	// real clock.
	clock *clockwork.FakeClock
	log   *requestLog
}

type options struct {
	ds        *dataset.Dataset
	fake      nhanhfake.Options
	cfg       func(*nhanh.Config)
	fakeClock bool
}

// loggedRequest is one request as it reached the server.
type loggedRequest struct {
	Endpoint string
	Auth     string
	AppID    string
	Business string
	Body     []byte
}

type requestLog struct {
	mu   sync.Mutex
	reqs []loggedRequest
}

func (l *requestLog) all() []loggedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]loggedRequest(nil), l.reqs...)
}

// wrap records each request before handing it on.
func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		l.mu.Lock()
		l.reqs = append(l.reqs, loggedRequest{
			Endpoint: strings.TrimPrefix(r.URL.Path, "/v3.0/"), Auth: r.Header.Get("Authorization"),
			AppID: r.URL.Query().Get("appId"), Business: r.URL.Query().Get("businessId"), Body: body,
		})
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// fastRetries keeps retry backoff short on the real clock.
func fastRetries(c *nhanh.Config) {
	c.BackoffBase = time.Millisecond
	c.BackoffMax = 5 * time.Millisecond
}

func setup(t testing.TB, o options) *bundle {
	t.Helper()
	cfg := validConfig()
	fastRetries(&cfg)
	b := &bundle{log: &requestLog{}}
	if o.fakeClock {
		b.clock = clockwork.NewFakeClock()
		o.fake.Clock = b.clock
		cfg.Clock = b.clock
	}
	o.fake.AppID, o.fake.BusinessID, o.fake.AccessToken = cfg.AppID, cfg.BusinessID, cfg.AccessToken
	b.fake = nhanhfake.New(o.ds, o.fake)
	srv := httptest.NewServer(b.log.wrap(b.fake))
	t.Cleanup(srv.Close)
	t.Cleanup(b.fake.Close)
	cfg.BaseURL, cfg.HTTPClient = srv.URL, srv.Client()
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	client, err := nhanh.New(cfg)
	require.NoError(t, err)
	b.client = client
	return b
}

// stub serves fixed replies, for shapes the fake never produces.
func stub(t *testing.T, handler http.HandlerFunc, modify func(*nhanh.Config)) (*nhanh.Client, *requestLog) {
	t.Helper()
	log := &requestLog{}
	srv := httptest.NewServer(log.wrap(handler))
	t.Cleanup(srv.Close)
	cfg := validConfig()
	fastRetries(&cfg)
	cfg.BaseURL, cfg.HTTPClient = srv.URL, srv.Client()
	if modify != nil {
		modify(&cfg)
	}
	client, err := nhanh.New(cfg)
	require.NoError(t, err)
	return client, log
}

// sentNext returns paginator.next of a logged request body, byte for byte.
func sentNext(t *testing.T, body []byte) json.RawMessage {
	t.Helper()
	var req struct {
		Paginator struct {
			Size int             `json:"size"`
			Next json.RawMessage `json:"next"`
		} `json:"paginator"`
	}
	require.NoError(t, json.Unmarshal(body, &req))
	require.Equal(t, nhanh.PageSize, req.Paginator.Size)
	return req.Paginator.Next
}

// sentIDs returns filters.ids of a logged request body.
func sentIDs(t *testing.T, body []byte) []int64 {
	t.Helper()
	var req struct {
		Filters struct {
			IDs []int64 `json:"ids"`
		} `json:"filters"`
	}
	require.NoError(t, json.Unmarshal(body, &req))
	return req.Filters.IDs
}

// awaitResult receives from ch, failing the test if it takes too long.
func awaitResult[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the call to return")
		panic("unreachable")
	}
}
