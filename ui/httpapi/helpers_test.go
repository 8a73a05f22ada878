package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/app"
	"syncops/engine/enginetest"
)

const (
	operatorToken = "op-secret-0123456789abcdef"
	viewerToken   = "viewer-secret-0123456789abcdef"
	tokensFile    = "# who may call the API\nops operator " + operatorToken + "\nwatcher viewer " + viewerToken + "\n"
)

// bundle is one test's world: an app, the HTTP face on a real listener and
// a fake clock for the failure limiter.
type bundle struct {
	app    *app.App
	srv    *Server
	base   string
	clock  *clockwork.FakeClock
	tokens string // the tokens file's path
}

type setupOptions struct {
	// kinds replaces the production job types (which run against a
	// sandbox); workers run jobs (off: jobs stay pending).
	kinds   func(app.Deps) ([]engine.Kind, error)
	workers bool
	// webhookToken turns on POST /webhooks/nhanh.
	webhookToken string
	// postgres runs on a fresh PostgreSQL schema instead of SQLite in the
	// data directory.
	postgres bool
}

func setup(t testing.TB, o setupOptions) *bundle {
	t.Helper()
	ctx := context.Background()
	cfg := app.Config{DataDir: t.TempDir(), Timezone: app.DefaultTimezone, Retention: app.DefaultRetention}
	if o.postgres {
		cfg.DB = enginetest.PostgresDSN(t)
	}
	if o.kinds == nil {
		enginetest.StartShop(t, enginetest.ShopOptions{Seed: 1, Customers: 20, Products: 10, Scale: 50}).Configure(&cfg)
	}
	a, err := app.Build(ctx, cfg, app.Options{Kinds: o.kinds, NoWorkers: !o.workers})
	require.NoError(t, err)
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Close(stopCtx)
	})
	if o.workers {
		require.NoError(t, a.Engine.StartWorkers(ctx))
	}
	path := writeTokens(t, filepath.Join(t.TempDir(), "tokens"), tokensFile, 0o600)
	clock := clockwork.NewFakeClock()
	srv, err := New(Config{Addr: "127.0.0.1:0", TokensPath: path, Engine: a.Engine, Scheduler: a.Scheduler, Clock: clock,
		NhanhWebhookToken: o.webhookToken})
	require.NoError(t, err)
	require.NoError(t, srv.Start(ctx))
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, srv.Stop(stopCtx))
	})
	return &bundle{app: a, srv: srv, base: "http://" + srv.Addr(), clock: clock, tokens: path}
}

func writeTokens(t testing.TB, path, content string, mode os.FileMode) string {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), mode))
	require.NoError(t, os.Chmod(path, mode)) // WriteFile keeps an existing file's mode
	return path
}

// do sends a request with token (none when empty) and body (JSON unless a
// string), and returns the answer with its body read.
func (b *bundle) do(t *testing.T, method, path, token string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, raw
}

// object decodes a JSON object answer.
func object(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), "body: %s", raw)
	return m
}
