package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"syncops/engine"
)

// The compatibility routes answer the replaced system's callers in its wire
// shapes: a job route answers at once {"success": true, "jobId": "<id>",
// "message": "..."} with 200, an error {"success": false, "error": "..."}
// with the status of the error, and an identical job already pending or
// running 409 {"success": false, "isRunning": true, "jobId": "<id>",
// "error": "..."}. Unlike the old routes, every one needs a token, every one
// is single-flight, and none blocks until the work is done.

// compatJob is one job route of the old system.
type compatJob struct {
	path    string
	jobType string
	message string
	// params reads the request into the job's parameters and whether to
	// force (cancel an identical active job first).
	params func(w http.ResponseWriter, r *http.Request) (engine.Params, bool, error)
}

// Job type names, as the engine registers them (the same names the old
// system used).
const (
	typePullNhanhCustomers       = "PULL_NHANH_CUSTOMERS"
	typePullNhanhProducts        = "PULL_NHANH_PRODUCTS"
	typePullShopifyCustomers     = "PULL_SHOPIFY_CUSTOMERS"
	typePullShopifyProducts      = "PULL_SHOPIFY_PRODUCTS"
	typeIncrementalPullCustomers = "INCREMENTAL_PULL_CUSTOMERS"
	typeAutoMatchCustomers       = "AUTO_MATCH_CUSTOMERS"
	typeAutoMatchProducts        = "AUTO_MATCH_PRODUCTS"
	typeCustomerSync             = "CUSTOMER_SYNC"
	typeProductSync              = "PRODUCT_SYNC"
	typeAutoSyncCustomers        = "AUTO_SYNC_CUSTOMERS"
	typeAutoSyncProducts         = "AUTO_SYNC_PRODUCTS"
	typeRetryFailedCustomers     = "RETRY_FAILED_CUSTOMERS"
	typeRetryFailedProducts      = "RETRY_FAILED_PRODUCTS"
)

// compatJobs is the mapping table of README.md ("HTTP API").
func compatJobs() []compatJob {
	return []compatJob{
		{path: "/api/nhanh/pull-customers-all", jobType: typePullNhanhCustomers,
			message: "Background pull of Nhanh customers started. Check Job Tracking for progress.",
			params:  pullNhanhCustomersParams},
		{path: "/api/nhanh/pull-customers-incremental", jobType: typeIncrementalPullCustomers,
			message: "Background incremental pull started! Check Job Tracking for progress.",
			// The old route pulled only Nhanh customers.
			params: fixedParams(engine.Params{"source": "nhanh"})},
		{path: "/api/nhanh/pull-products", jobType: typePullNhanhProducts,
			message: "Background pull of Nhanh products started. Check Job Tracking for progress.",
			params:  restartOnlyParams},
		{path: "/api/shopify/pull-customers", jobType: typePullShopifyCustomers,
			message: "Background pull of Shopify customers started. Check Job Tracking for progress.",
			params:  pullShopifyCustomersParams},
		{path: "/api/shopify/pull-products-sync", jobType: typePullShopifyProducts,
			message: "Background pull of Shopify products started. Check Job Tracking for progress.",
			params:  pullShopifyProductsParams},
		{path: "/api/sync/auto-match-batch", jobType: typeAutoMatchCustomers,
			message: "Background auto-match of customers started. Check Job Tracking for progress.",
			params:  dryRunParams},
		{path: "/api/sync/auto-match-products", jobType: typeAutoMatchProducts,
			message: "Background auto-match of products started. Check Job Tracking for progress.",
			params:  dryRunParams},
		{path: "/api/sync/bulk-sync-background", jobType: typeCustomerSync,
			message: "Background sync of customers started. Check Job Tracking for progress.",
			params:  mappingIDsParams},
		{path: "/api/sync/bulk-sync-products", jobType: typeProductSync,
			message: "Background sync of products started. Check Job Tracking for progress.",
			params:  mappingIDsParams},
		{path: "/api/sync/auto-sync", jobType: typeAutoSyncCustomers,
			message: "Background auto sync started! Check Job Tracking for progress.",
			params:  queryLimitParams},
		{path: "/api/sync/products/auto-sync", jobType: typeAutoSyncProducts,
			message: "Background product auto sync started! Check Job Tracking for progress.",
			params:  queryLimitParams},
		{path: "/api/sync/retry-failed", jobType: typeRetryFailedCustomers,
			message: "Retry of failed customer syncs started. Check Job Tracking for progress.",
			params:  bodyLimitParams},
		{path: "/api/sync/products/retry-failed", jobType: typeRetryFailedProducts,
			message: "Retry of failed product syncs started. Check Job Tracking for progress.",
			params:  bodyLimitParams},
	}
}

func (s *Server) compatRoutes() []route {
	var out []route
	for _, j := range compatJobs() {
		out = append(out, route{method: http.MethodPost, pattern: j.path, mutating: true, handler: s.compatStart(j)})
	}
	return append(out,
		route{method: http.MethodGet, pattern: "/api/logs", handler: s.compatLogs},
		route{method: http.MethodGet, pattern: "/api/sync/job-progress", handler: s.compatJobProgress},
	)
}

func (s *Server) compatStart(j compatJob) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		params, force, err := j.params(w, r)
		if err != nil {
			s.compatFail(w, r, err)
			return
		}
		id, err := s.engine.Start(r.Context(), j.jobType, params,
			engine.StartOptions{Force: force, Actor: identityOf(r.Context()).Actor()})
		if err != nil {
			s.compatFail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "jobId": strconv.FormatInt(int64(id), 10),
			"message": j.message})
	}
}

// compatFail answers an error in the old shape.
func (s *Server) compatFail(w http.ResponseWriter, r *http.Request, err error) {
	c := classify(err)
	msg := c.detail
	if msg == "" {
		msg = c.title
	}
	if c.status == http.StatusInternalServerError {
		s.logger.Error("http request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	body := map[string]any{"success": false, "error": msg}
	if c.running != 0 {
		body["isRunning"] = true
		body["jobId"] = strconv.FormatInt(int64(c.running), 10)
	}
	writeJSON(w, c.status, body)
}

// jsonText is a JSON scalar as operator text ("" for null or absent);
// numbers keep their exact digits.
func jsonText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("want a string, number or boolean, got %s", raw)
}

func fixedParams(p engine.Params) func(http.ResponseWriter, *http.Request) (engine.Params, bool, error) {
	return func(w http.ResponseWriter, r *http.Request) (engine.Params, bool, error) {
		if err := decodeBody(w, r, &struct{}{}); err != nil {
			return nil, false, err
		}
		out := engine.Params{}
		for k, v := range p {
			out[k] = v
		}
		return out, false, nil
	}
}

// nhanhCustomerTypes are the Nhanh customer type numbers the old route took.
var nhanhCustomerTypes = map[string]string{"1": "retail", "2": "wholesale", "3": "agent"}

func pullNhanhCustomersParams(w http.ResponseWriter, r *http.Request) (engine.Params, bool, error) {
	var body struct {
		Type               json.RawMessage `json:"type"`
		LastBoughtDateFrom string          `json:"lastBoughtDateFrom"`
		LastBoughtDateTo   string          `json:"lastBoughtDateTo"`
		ForceRestart       bool            `json:"forceRestart"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return nil, false, err
	}
	p := engine.Params{}
	t, err := jsonText(body.Type)
	if err != nil {
		return nil, false, badRequest("type: %v", err)
	}
	if named, ok := nhanhCustomerTypes[t]; ok {
		t = named
	}
	setIf(p, "type", t)
	setIf(p, "lastBoughtFrom", body.LastBoughtDateFrom)
	setIf(p, "lastBoughtTo", body.LastBoughtDateTo)
	if body.ForceRestart {
		p["restart"] = "true"
	}
	return p, body.ForceRestart, nil
}

func restartOnlyParams(w http.ResponseWriter, r *http.Request) (engine.Params, bool, error) {
	var body struct {
		ForceRestart bool `json:"forceRestart"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return nil, false, err
	}
	p := engine.Params{}
	if body.ForceRestart {
		p["restart"] = "true"
	}
	return p, body.ForceRestart, nil
}

func pullShopifyCustomersParams(w http.ResponseWriter, r *http.Request) (engine.Params, bool, error) {
	var body struct {
		Query        string `json:"query"`
		ForceRestart bool   `json:"forceRestart"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return nil, false, err
	}
	p := engine.Params{}
	setIf(p, "query", body.Query)
	if body.ForceRestart {
		p["restart"] = "true"
	}
	return p, body.ForceRestart, nil
}

func pullShopifyProductsParams(w http.ResponseWriter, r *http.Request) (engine.Params, bool, error) {
	var body struct {
		Status string `json:"status"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return nil, false, err
	}
	p := engine.Params{}
	setIf(p, "status", body.Status)
	return p, false, nil
}

// dryRunParams reads {dryRun, batchSize}; batchSize tuned the old
// in-request loop and means nothing here.
func dryRunParams(w http.ResponseWriter, r *http.Request) (engine.Params, bool, error) {
	var body struct {
		DryRun bool `json:"dryRun"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return nil, false, err
	}
	p := engine.Params{}
	if body.DryRun { // absent and false are the same job
		p["dryRun"] = "true"
	}
	return p, false, nil
}

// mappingIDsParams reads {mappingIds: [...]}; forceSync is accepted and
// needs nothing, because these syncs always write.
func mappingIDsParams(w http.ResponseWriter, r *http.Request) (engine.Params, bool, error) {
	var body struct {
		MappingIDs []json.RawMessage `json:"mappingIds"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return nil, false, err
	}
	if len(body.MappingIDs) == 0 {
		return nil, false, badRequest("mappingIds is required: a list of mapping ids")
	}
	ids := make([]string, 0, len(body.MappingIDs))
	for _, raw := range body.MappingIDs {
		id, err := jsonText(raw)
		if err != nil || !isDigits(id) {
			return nil, false, badRequest("mappingIds: %s is not a syncops mapping id (a whole number)", raw)
		}
		ids = append(ids, id)
	}
	return engine.Params{"ids": strings.Join(ids, ",")}, false, nil
}

// queryLimitParams reads ?limit= (the auto-sync routes). The old
// customer route skipped when its global switch was off unless
// forceSync=true; syncops' switch is its own schedule, which an external
// cron call does not consult, so forceSync is accepted and changes nothing.
func queryLimitParams(w http.ResponseWriter, r *http.Request) (engine.Params, bool, error) {
	if err := decodeBody(w, r, &struct{}{}); err != nil {
		return nil, false, err
	}
	p := engine.Params{}
	setIf(p, "limit", r.URL.Query().Get("limit"))
	return p, false, nil
}

// bodyLimitParams reads {limit = 100} (the retry routes).
func bodyLimitParams(w http.ResponseWriter, r *http.Request) (engine.Params, bool, error) {
	var body struct {
		Limit json.RawMessage `json:"limit"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return nil, false, err
	}
	limit, err := jsonText(body.Limit)
	if err != nil {
		return nil, false, badRequest("limit: %v", err)
	}
	if limit == "" {
		limit = "100" // the old route's default
	}
	return engine.Params{"limit": limit}, false, nil
}

func setIf(p engine.Params, name, value string) {
	if value = strings.TrimSpace(value); value != "" {
		p[name] = value
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
