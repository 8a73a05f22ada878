package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine"
)

// TestOpenAPIMatchesRoutes holds the served OpenAPI document to the route
// table: every registered route is documented, every documented operation
// is registered, and each answers an operator (not 404 or 405).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	resp, raw := b.do(t, http.MethodGet, "/v1/openapi.json", viewerToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)

	var documented, registered []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range b.srv.routes {
		registered = append(registered, rt.method+" "+rt.pattern)
	}
	sort.Strings(documented)
	sort.Strings(registered)
	require.Equal(t, registered, documented)

	id, err := b.app.Engine.Start(context.Background(), "PULL_NHANH_PRODUCTS", nil, engine.StartOptions{})
	require.NoError(t, err)
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, method, b.base+fillPath(path, id, "AUTO_SYNC_CUSTOMERS"),
			strings.NewReader(bodyText(t, path)))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+operatorToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		// Event streams stay open: the headers are the answer.
		require.NotContains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, resp.StatusCode, op)
		cancel()
		_ = resp.Body.Close()
	}
}

func bodyText(t *testing.T, pattern string) string {
	t.Helper()
	body := routeBody(route{pattern: pattern})
	if body == nil {
		return ""
	}
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	return string(raw)
}
