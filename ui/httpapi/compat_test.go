package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine"
)

// compatCalls is, per old job route, what an old caller sends and the job
// parameters it must become.
var compatCalls = map[string]struct {
	query  string
	body   any
	params string // the job's canonical parameters
}{
	"/api/nhanh/pull-customers-all": {body: map[string]any{"type": 2, "lastBoughtDateFrom": "2026-01-01",
		"lastBoughtDateTo": "2026-02-01", "forceRestart": true},
		params: `{"lastBoughtFrom":"2026-01-01","lastBoughtTo":"2026-02-01","restart":true,"type":"wholesale"}`},
	"/api/nhanh/pull-customers-incremental": {params: `{"source":"nhanh"}`},
	"/api/nhanh/pull-products":              {body: "", params: `{}`},
	"/api/shopify/pull-customers":           {body: map[string]any{"query": "state:ENABLED"}, params: `{"query":"state:ENABLED"}`},
	"/api/shopify/pull-products-sync":       {body: map[string]any{"status": "active"}, params: `{"status":"active"}`},
	"/api/sync/auto-match-batch":            {body: map[string]any{"dryRun": true, "batchSize": 1000}, params: `{"dryRun":true}`},
	"/api/sync/auto-match-products":         {body: map[string]any{}, params: `{}`},
	"/api/sync/bulk-sync-background": {body: map[string]any{"mappingIds": []any{"12", 1000000}, "forceSync": true},
		params: `{"ids":[12,1000000]}`},
	"/api/sync/bulk-sync-products":    {body: map[string]any{"mappingIds": []any{7}}, params: `{"ids":[7]}`},
	"/api/sync/auto-sync":             {query: "?limit=50&forceSync=true", params: `{"limit":50}`},
	"/api/sync/products/auto-sync":    {params: `{}`},
	"/api/sync/retry-failed":          {body: map[string]any{}, params: `{"limit":100}`},
	"/api/sync/products/retry-failed": {body: map[string]any{"limit": 5}, params: `{"limit":5}`},
}

// TestCompatJobRoutes calls every job route of the old system as its
// callers do and requires the old answer, a job of the right type with the
// right parameters, and an audit entry under the token's name.
func TestCompatJobRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	routes := compatJobs()
	require.Len(t, routes, 13, "one route per job type")
	types := map[string]bool{}
	for _, k := range b.app.Engine.Types() {
		types[k.Type] = true
	}
	for _, r := range routes {
		require.True(t, types[r.jobType], "%s starts unknown type %s", r.path, r.jobType)
		delete(types, r.jobType)
		call, ok := compatCalls[r.path]
		require.True(t, ok, "no test call for %s", r.path)

		resp, raw := b.do(t, http.MethodPost, r.path+call.query, operatorToken, call.body)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", r.path, raw)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		var answer struct {
			Success *bool   `json:"success"`
			JobID   *string `json:"jobId"`
			Message *string `json:"message"`
		}
		require.NoError(t, json.Unmarshal(raw, &answer))
		require.Len(t, object(t, raw), 3, "%s answers exactly success, jobId and message: %s", r.path, raw)
		require.True(t, *answer.Success)
		require.NotEmpty(t, *answer.Message)
		id, err := strconv.ParseInt(*answer.JobID, 10, 64)
		require.NoError(t, err, "jobId is the id as a string")

		j, err := b.app.Engine.Get(context.Background(), engine.JobID(id))
		require.NoError(t, err)
		require.Equal(t, r.jobType, j.Type, r.path)
		require.JSONEq(t, call.params, string(j.Params), r.path)
		require.Equal(t, "http:ops", j.RequestedBy)
	}
	require.Empty(t, types, "job types without an old route")

	audit, err := b.app.Engine.Audit(context.Background(), engine.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, audit, 13)
	for _, e := range audit {
		require.Equal(t, engine.ActorHTTP, e.ActorKind)
		require.Equal(t, "ops", e.Actor)
		require.Equal(t, "job.start", e.Action)
	}
}

// TestCompatRefusals: old-shape errors for bad input, and old mapping ids
// (cuids) named as such.
func TestCompatRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	for _, tc := range []struct {
		path string
		body any
		want int
	}{
		{"/api/sync/bulk-sync-background", map[string]any{"mappingIds": []any{"clx9abc"}}, http.StatusBadRequest},
		{"/api/sync/bulk-sync-background", map[string]any{}, http.StatusBadRequest},
		{"/api/shopify/pull-products-sync", map[string]any{"status": "sold"}, http.StatusBadRequest},
		{"/api/nhanh/pull-customers-all", "{not json", http.StatusBadRequest},
		{"/api/sync/retry-failed", `{"limit":"` + string(make([]byte, MaxBodyBytes)) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		resp, raw := b.do(t, http.MethodPost, tc.path, operatorToken, tc.body)
		require.Equal(t, tc.want, resp.StatusCode, "%s: %.200s", tc.path, raw)
		m := object(t, raw)
		require.Equal(t, false, m["success"])
		require.NotEmpty(t, m["error"])
	}
}

// TestConflictNamesRunningJob: a second identical start is refused with 409
// and the id of the job already pending, on both faces; force replaces it.
func TestConflictNamesRunningJob(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	_, raw := b.do(t, http.MethodPost, "/api/sync/auto-sync", operatorToken, nil)
	first := object(t, raw)["jobId"].(string)

	resp, raw := b.do(t, http.MethodPost, "/api/sync/auto-sync", operatorToken, nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	m := object(t, raw)
	require.Equal(t, map[string]any{"success": false, "isRunning": true, "jobId": first, "error": m["error"]}, m)
	require.Contains(t, m["error"], "already")

	resp, raw = b.do(t, http.MethodPost, "/v1/jobs", operatorToken, map[string]any{"type": "AUTO_SYNC_CUSTOMERS"})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	p := object(t, raw)
	require.Equal(t, first, p["jobId"])
	require.EqualValues(t, http.StatusConflict, p["status"])
	require.NotEmpty(t, p["type"])
	require.NotEmpty(t, p["title"])
	require.NotEmpty(t, p["detail"])

	// The old forceRestart replaces the pending pull.
	_, raw = b.do(t, http.MethodPost, "/api/shopify/pull-customers", operatorToken, map[string]any{"forceRestart": true})
	pull := object(t, raw)["jobId"].(string)
	resp, raw = b.do(t, http.MethodPost, "/api/shopify/pull-customers", operatorToken, map[string]any{"forceRestart": true})
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	require.NotEqual(t, pull, object(t, raw)["jobId"])
}

// TestCompatReadRoutes: /api/logs and /api/sync/job-progress in the old
// shapes.
func TestCompatReadRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	_, raw := b.do(t, http.MethodPost, "/api/nhanh/pull-products", operatorToken, nil)
	older := object(t, raw)["jobId"].(string)
	_, raw = b.do(t, http.MethodPost, "/api/sync/auto-sync", operatorToken, nil)
	newest := object(t, raw)["jobId"].(string)

	resp, raw := b.do(t, http.MethodGet, "/api/logs?limit=1", viewerToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var logs struct {
		Success bool `json:"success"`
		Data    struct {
			Logs []struct {
				ID, Timestamp, Level, Message, Source string
				Metadata                              map[string]any
			} `json:"logs"`
			Total int `json:"total"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(raw, &logs))
	require.True(t, logs.Success)
	require.Equal(t, 1, logs.Data.Total)
	l := logs.Data.Logs[0]
	require.Equal(t, newest, l.ID)
	require.Equal(t, "debug", l.Level)
	require.Equal(t, "AUTO_SYNC_CUSTOMERS: PENDING (0/0)", l.Message)
	require.Equal(t, "AUTO_SYNC_CUSTOMERS", l.Source)
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, l.Timestamp)
	require.Equal(t, newest, l.Metadata["jobId"])
	require.Equal(t, "PENDING", l.Metadata["status"])

	// Filters apply before the limit.
	_, raw = b.do(t, http.MethodGet, "/api/logs?limit=1&source=PULL_NHANH_PRODUCTS", viewerToken, nil)
	require.NoError(t, json.Unmarshal(raw, &logs))
	require.Equal(t, older, logs.Data.Logs[0].ID)
	_, raw = b.do(t, http.MethodGet, "/api/logs?search=pull_nhanh", viewerToken, nil)
	require.NoError(t, json.Unmarshal(raw, &logs))
	require.Equal(t, 1, logs.Data.Total)

	resp, raw = b.do(t, http.MethodGet, "/api/sync/job-progress?all=true&limit=1&page=2", viewerToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	data := object(t, raw)["data"].(map[string]any)
	require.EqualValues(t, 2, data["totalCount"])
	require.EqualValues(t, 0, data["runningCount"])
	require.EqualValues(t, 2, data["currentPage"])
	require.EqualValues(t, 2, data["totalPages"])
	jobs := data["jobs"].([]any)
	require.Len(t, jobs, 1)
	job := jobs[0].(map[string]any)
	require.Equal(t, older, job["id"])
	for _, k := range []string{"storeId", "type", "status", "total", "processed", "successful", "failed", "startedAt",
		"completedAt", "error", "metadata", "createdAt", "updatedAt"} {
		require.Contains(t, job, k)
	}
	require.Len(t, data["stats"], 2)

	_, raw = b.do(t, http.MethodGet, "/api/sync/job-progress?jobId="+newest, viewerToken, nil)
	require.Equal(t, newest, object(t, raw)["data"].(map[string]any)["id"])
	_, raw = b.do(t, http.MethodGet, "/api/sync/job-progress?type=AUTO_SYNC_CUSTOMERS", viewerToken, nil)
	data = object(t, raw)["data"].(map[string]any)
	require.Equal(t, newest, data["latestJob"].(map[string]any)["id"])
	require.Equal(t, false, data["hasRunningJob"])

	resp, raw = b.do(t, http.MethodGet, "/api/sync/job-progress?jobId=424242", viewerToken, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, map[string]any{"success": false, "error": "Job not found"}, object(t, raw))
	resp, _ = b.do(t, http.MethodGet, "/api/sync/job-progress", viewerToken, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}
