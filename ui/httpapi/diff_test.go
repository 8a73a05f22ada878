package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
)

// waitJob waits until job id has finished, following the engine's events.
func (b *bundle) waitJob(t *testing.T, id engine.JobID) engine.Job {
	t.Helper()
	events, stop := b.app.Engine.Subscribe()
	defer stop()
	deadline := time.After(time.Minute)
	for {
		j, err := b.app.Engine.Get(context.Background(), id)
		require.NoError(t, err)
		if j.Status.Terminal() {
			return j
		}
		select {
		case <-events:
		case <-deadline:
			t.Fatalf("job %d did not finish: %+v", id, j)
		}
	}
}

func (b *bundle) runJob(t *testing.T, jobType string) engine.JobID {
	t.Helper()
	id, err := b.app.Engine.Start(context.Background(), jobType, nil, engine.StartOptions{})
	require.NoError(t, err)
	require.Equal(t, engine.StatusCompleted, b.waitJob(t, id).Status)
	return id
}

// TestDiffRoute: a customer sync preview started over POST /v1/jobs with
// dryRun keeps a diff that GET /v1/jobs/{id}/diff pages through (a viewer
// may read it) with its totals, narrows by search and action, and refuses
// for a job that is not a preview.
func TestDiffRoute(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{workers: true})
	b.runJob(t, "PULL_NHANH_CUSTOMERS")
	pull := b.runJob(t, "PULL_SHOPIFY_CUSTOMERS")
	b.runJob(t, "AUTO_MATCH_CUSTOMERS")

	resp, raw := b.do(t, http.MethodPost, "/v1/jobs", operatorToken, map[string]any{"type": "customer_sync", "dryRun": true})
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%s", raw)
	var started struct{ ID string }
	require.NoError(t, json.Unmarshal(raw, &started))
	path := "/v1/jobs/" + started.ID + "/diff"
	id := mustJobID(t, started.ID)
	require.Equal(t, engine.StatusCompleted, b.waitJob(t, id).Status)

	want, err := b.app.Engine.Diff(context.Background(), engine.DiffFilter{Job: id, Limit: 500})
	require.NoError(t, err)
	require.NotEmpty(t, want.Items)
	require.Positive(t, want.Totals.Writes)

	type page struct {
		Job       string            `json:"job"`
		Items     []engine.DiffItem `json:"items"`
		Matching  engine.DiffTotals `json:"matching"`
		Totals    engine.DiffTotals `json:"totals"`
		NextAfter string            `json:"nextAfter"`
	}
	get := func(query url.Values) (int, page, []byte) {
		resp, raw := b.do(t, http.MethodGet, path+"?"+query.Encode(), viewerToken, nil)
		var p page
		if resp.StatusCode == http.StatusOK {
			require.NoError(t, json.Unmarshal(raw, &p), "%s", raw)
		}
		return resp.StatusCode, p, raw
	}
	var items []engine.DiffItem
	after := ""
	for pages := 1; ; pages++ {
		code, p, raw := get(url.Values{"limit": {"2"}, "after": {after}})
		require.Equal(t, http.StatusOK, code, "%s", raw)
		require.Equal(t, started.ID, p.Job)
		require.Equal(t, want.Totals, p.Totals)
		items = append(items, p.Items...)
		if p.NextAfter == "" {
			break
		}
		require.Len(t, p.Items, 2)
		after = p.NextAfter
		require.Less(t, pages, 1000)
	}
	require.Equal(t, want.Items, items, "the pages hold the diff, each line once")

	name := want.Items[0].Name
	code, p, _ := get(url.Values{"q": {name}})
	require.Equal(t, http.StatusOK, code)
	require.NotEmpty(t, p.Items)
	for _, it := range p.Items {
		require.Equal(t, name, it.Name)
	}
	require.Equal(t, int64(len(p.Items)), p.Matching.Lines)
	code, p, _ = get(url.Values{"action": {"write"}, "limit": {"500"}})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, want.Totals.Writes, int64(len(p.Items)))

	tests := []struct {
		name  string
		path  string
		code  int
		ptype string
	}{
		{"not a preview", "/v1/jobs/" + jsonID(pull) + "/diff", http.StatusConflict, "urn:syncops:problem:no-diff"},
		{"no such job", "/v1/jobs/987654321/diff", http.StatusNotFound, "urn:syncops:problem:not-found"},
		{"bad action", path + "?action=sideways", http.StatusBadRequest, "urn:syncops:problem:invalid"},
		{"bad cursor", path + "?after=x", http.StatusBadRequest, "urn:syncops:problem:bad-request"},
	}
	for _, tt := range tests {
		resp, raw := b.do(t, http.MethodGet, tt.path, viewerToken, nil)
		require.Equal(t, tt.code, resp.StatusCode, "%s: %s", tt.name, raw)
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), tt.name)
		require.Equal(t, tt.ptype, object(t, raw)["type"], tt.name)
	}
	resp, _ = b.do(t, http.MethodGet, path, "", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func mustJobID(t *testing.T, s string) engine.JobID {
	t.Helper()
	var n int64
	require.NoError(t, json.Unmarshal([]byte(s), &n))
	return engine.JobID(n)
}

func jsonID(id engine.JobID) string {
	raw, _ := json.Marshal(int64(id))
	return string(raw)
}

// TestMappingsRoute: /v1/mappings/{kind} lists a tab's page with the
// counts, searches like the CLI, is open to viewers and refuses a kind or
// tab it does not know.
func TestMappingsRoute(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{workers: true})
	b.runJob(t, "PULL_NHANH_CUSTOMERS")
	b.runJob(t, "PULL_SHOPIFY_CUSTOMERS")
	b.runJob(t, "AUTO_MATCH_CUSTOMERS")
	want, err := b.app.Engine.Mappings(context.Background(), engine.MappingQuery{Kind: engine.MappingCustomers,
		Tab: engine.TabPending, Limit: 5})
	require.NoError(t, err)
	require.NotEmpty(t, want.Rows)

	type page struct {
		Rows   []engine.MappingRow  `json:"rows"`
		Next   string               `json:"next"`
		Counts engine.MappingCounts `json:"counts"`
	}
	resp, raw := b.do(t, http.MethodGet, "/v1/mappings/customers?tab=pending&limit=5", viewerToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	var p page
	require.NoError(t, json.Unmarshal(raw, &p))
	require.Equal(t, want.Rows, p.Rows)
	require.Equal(t, want.Next, p.Next)
	counts, err := b.app.Engine.MappingCounts(context.Background(), engine.MappingCustomers)
	require.NoError(t, err)
	require.Equal(t, counts, p.Counts)

	for _, path := range []string{"/v1/mappings/orders", "/v1/mappings/customers?tab=lost"} {
		resp, raw := b.do(t, http.MethodGet, path, viewerToken, nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", path, raw)
	}
}
