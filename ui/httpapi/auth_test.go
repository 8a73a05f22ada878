package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/app"
)

// fillPath puts a real job id and job type into a route pattern.
func fillPath(pattern string, id engine.JobID, jobType string) string {
	p := strings.ReplaceAll(pattern, "{id}", strconv.FormatInt(int64(id), 10))
	return strings.ReplaceAll(p, "{type}", jobType)
}

// routeBody is a body every route accepts from an operator.
func routeBody(rt route) any {
	switch rt.pattern {
	case "/v1/jobs":
		return map[string]any{"type": "AUTO_SYNC_PRODUCTS", "params": map[string]any{"limit": 3}}
	case "/v1/schedules/{type}":
		return map[string]any{"cron": "@hourly"}
	case "/api/sync/bulk-sync-background", "/api/sync/bulk-sync-products":
		return map[string]any{"mappingIds": []int{1}}
	}
	return nil
}

// TestUnauthenticatedRefused: without a token, with a wrong one, or with
// another scheme, every route (and an unknown path) answers 401 with no
// detail, and nothing is started.
func TestUnauthenticatedRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	id, err := b.app.Engine.Start(context.Background(), "PULL_NHANH_PRODUCTS", nil, engine.StartOptions{})
	require.NoError(t, err)
	paths := []route{{method: http.MethodGet, pattern: "/v1/nothing-here"}}
	for _, rt := range append(paths, b.srv.routes...) {
		for _, auth := range []string{"", "Bearer wrong-token-0123456789abcdef", "Basic " + operatorToken, "Bearer"} {
			req, err := http.NewRequest(rt.method, b.base+fillPath(rt.pattern, id, "AUTO_SYNC_CUSTOMERS"), nil)
			require.NoError(t, err)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			p := problemOf(t, resp)
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s %s with %q", rt.method, rt.pattern, auth)
			require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
			require.Empty(t, p["detail"], "no detail for the unauthenticated")
			b.limiter().succeed("127.0.0.1") // this test is not about slowing down
		}
	}
	jobs, err := b.app.Engine.List(context.Background(), engine.ListFilter{})
	require.NoError(t, err)
	require.Len(t, jobs, 1, "nothing was started")
}

func (b *bundle) limiter() *failureLimiter { return b.srv.limiter }

func problemOf(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return object(t, raw)
}

// TestViewerRefusedOnEveryMutatingRoute enumerates the registered routes:
// every route that is not a read is marked mutating, and a viewer's token
// gets 403 from each, with nothing changed; an operator's token gets past
// the engine's role check on each.
func TestViewerRefusedOnEveryMutatingRoute(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	ctx := context.Background()
	id, err := b.app.Engine.Start(ctx, "PULL_NHANH_PRODUCTS", nil, engine.StartOptions{})
	require.NoError(t, err)
	before, err := b.app.Engine.Audit(ctx, engine.AuditFilter{})
	require.NoError(t, err)

	mutating := 0
	for _, rt := range b.srv.routes {
		require.Equal(t, rt.method != http.MethodGet, rt.mutating, "%s %s: only reads may be unmarked", rt.method, rt.pattern)
		if !rt.mutating {
			continue
		}
		mutating++
		resp, raw := b.do(t, rt.method, fillPath(rt.pattern, id, "AUTO_SYNC_CUSTOMERS"), viewerToken, routeBody(rt))
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s: %s", rt.method, rt.pattern, raw)
		require.Contains(t, string(raw), "viewer")
	}
	require.Equal(t, 13+4, mutating, "the thirteen old job routes and four /v1 changes")
	after, err := b.app.Engine.Audit(ctx, engine.AuditFilter{})
	require.NoError(t, err)
	require.Equal(t, before, after, "a refused viewer changed nothing")
	jobs, err := b.app.Engine.List(ctx, engine.ListFilter{})
	require.NoError(t, err)
	require.Len(t, jobs, 1)

	for _, rt := range b.srv.routes {
		if !rt.mutating {
			continue
		}
		resp, raw := b.do(t, rt.method, fillPath(rt.pattern, id, "AUTO_SYNC_CUSTOMERS"), operatorToken, routeBody(rt))
		require.NotEqual(t, http.StatusForbidden, resp.StatusCode, "%s %s: %s", rt.method, rt.pattern, raw)
		require.Less(t, resp.StatusCode, 500, "%s %s: %s", rt.method, rt.pattern, raw)
	}
}

// TestTokenFile: a file others can read is refused at start; edits apply
// without a restart; a file made readable later refuses every token.
func TestTokenFile(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{kinds: quietKinds})

	insecure := writeTokens(t, filepath.Join(t.TempDir(), "tokens"), tokensFile, 0o644)
	srv, err := New(Config{Addr: "127.0.0.1:0", TokensPath: insecure, Engine: b.app.Engine})
	require.NoError(t, err)
	err = srv.Start(context.Background())
	require.ErrorIs(t, err, ErrInsecureTokenFile)
	require.Contains(t, err.Error(), "chmod 600")
	require.NoError(t, srv.Stop(context.Background()))

	resp, _ := b.do(t, http.MethodGet, "/v1/jobs", operatorToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Revoke the operator's token and add another, without a restart.
	const newToken = "rotated-0123456789abcdef-xyz"
	writeTokens(t, b.tokens, "rotated operator "+newToken+"\nshort viewer tooshort\n", 0o600)
	future := time.Now().Add(time.Hour) // a different stamp even on coarse-grained file systems
	require.NoError(t, os.Chtimes(b.tokens, future, future))
	resp, _ = b.do(t, http.MethodGet, "/v1/jobs", operatorToken, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = b.do(t, http.MethodGet, "/v1/jobs", newToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = b.do(t, http.MethodGet, "/v1/jobs", "tooshort", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a short token is skipped")

	// The API's audit names the token.
	resp, raw := b.do(t, http.MethodPost, "/v1/jobs", newToken, map[string]any{"type": "QUICK"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%s", raw)
	require.Equal(t, "http:rotated", object(t, raw)["requestedBy"])

	require.NoError(t, os.Chmod(b.tokens, 0o640))
	resp, _ = b.do(t, http.MethodGet, "/v1/jobs", newToken, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a file others may read is refused")
	b.limiter().succeed("127.0.0.1")
}

// TestFailureSlowdown: after the free failures an address waits, with a
// doubling delay, before any token it sends is checked; a good token
// afterwards clears the record.
func TestFailureSlowdown(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{kinds: quietKinds})
	for range DefaultFreeFailures {
		resp, _ := b.do(t, http.MethodGet, "/v1/jobs", "wrong-0123456789abcdef", nil)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, _ := b.do(t, http.MethodGet, "/v1/jobs", operatorToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the free failures do not slow anyone down")

	for range DefaultFreeFailures + 1 {
		resp, _ = b.do(t, http.MethodGet, "/v1/jobs", "wrong-0123456789abcdef", nil)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, _ = b.do(t, http.MethodGet, "/v1/jobs", operatorToken, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "even a good token waits")
	require.Equal(t, "2", resp.Header.Get("Retry-After"))

	b.clock.Advance(DefaultFailureDelay)
	resp, _ = b.do(t, http.MethodGet, "/v1/jobs", "wrong-0123456789abcdef", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	b.clock.Advance(DefaultFailureDelay)
	resp, _ = b.do(t, http.MethodGet, "/v1/jobs", operatorToken, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the second delay is twice the first")
	b.clock.Advance(DefaultFailureDelay)
	resp, _ = b.do(t, http.MethodGet, "/v1/jobs", operatorToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = b.do(t, http.MethodGet, "/v1/jobs", "wrong-0123456789abcdef", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a good token cleared the record")
}

// TestFailureLimiterBounded: the limiter remembers at most maxAddrs
// addresses, forgetting the oldest failure first.
func TestFailureLimiterBounded(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	l := newFailureLimiter(clock)
	l.maxAddrs, l.free = 3, 0
	for _, a := range []string{"a", "b", "c", "d"} {
		l.fail(a)
		clock.Advance(time.Millisecond)
	}
	require.Len(t, l.addrs, 3)
	require.Zero(t, l.wait("a"), "the oldest was forgotten")
	require.Positive(t, l.wait("d"))
	for range 20 {
		l.fail("d")
	}
	require.Equal(t, DefaultMaxFailureDelay, l.wait("d"), "the delay is capped")
}

// quietKinds are job types for tests that need no sandbox.
func quietKinds(app.Deps) ([]engine.Kind, error) {
	return []engine.Kind{{Type: "QUICK", Label: "Quick", Run: func(context.Context, *engine.Run) error {
		return errors.New("not run in this test")
	}}}, nil
}
