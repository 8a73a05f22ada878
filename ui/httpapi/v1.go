package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"syncops/engine"
	"syncops/engine/scheduler"
)

// Paging bounds of the /v1 lists.
const (
	defaultPageSize = 50
	maxPageSize     = 500
)

func (s *Server) v1Routes() []route {
	return []route{
		{method: http.MethodGet, pattern: "/v1/openapi.json", handler: s.openAPI},
		{method: http.MethodGet, pattern: "/v1/types", handler: s.listTypes},
		{method: http.MethodPost, pattern: "/v1/jobs", mutating: true, handler: s.startJob},
		{method: http.MethodGet, pattern: "/v1/jobs", handler: s.listJobs},
		{method: http.MethodGet, pattern: "/v1/jobs/{id}", handler: s.getJob},
		{method: http.MethodPost, pattern: "/v1/jobs/{id}/cancel", mutating: true, handler: s.cancelJob},
		{method: http.MethodPost, pattern: "/v1/jobs/{id}/retry", mutating: true, handler: s.retryJob},
		{method: http.MethodGet, pattern: "/v1/jobs/{id}/failures", handler: s.listFailures},
		{method: http.MethodGet, pattern: "/v1/jobs/{id}/diff", handler: s.listDiff},
		{method: http.MethodGet, pattern: "/v1/jobs/{id}/events", stream: true, handler: s.jobEvents},
		{method: http.MethodGet, pattern: "/v1/events", stream: true, handler: s.allEvents},
		{method: http.MethodGet, pattern: "/v1/mappings/{kind}", handler: s.listMappings},
		{method: http.MethodGet, pattern: "/v1/schedules", handler: s.listSchedules},
		{method: http.MethodGet, pattern: "/v1/schedules/{type}", handler: s.getSchedule},
		{method: http.MethodPut, pattern: "/v1/schedules/{type}", mutating: true, handler: s.setSchedule},
	}
}

// typeView is a job type as /v1/types lists it.
type typeView struct {
	Type        string      `json:"type"`
	Label       string      `json:"label"`
	Description string      `json:"description"`
	RetryItems  bool        `json:"retryItems"`
	Params      []paramView `json:"params"`
}

type paramView struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Help     string   `json:"help,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	Default  string   `json:"default,omitempty"`
	Required bool     `json:"required,omitempty"`
}

func (s *Server) listTypes(w http.ResponseWriter, _ *http.Request) {
	out := []typeView{}
	for _, k := range s.engine.Types() {
		v := typeView{Type: k.Type, Label: k.Label, Description: k.Description, RetryItems: k.RetryItems, Params: []paramView{}}
		for _, p := range k.Params {
			v.Params = append(v.Params, paramView{Name: p.Name, Kind: string(p.Kind), Help: p.Help, Enum: p.Enum,
				Default: p.Default, Required: p.Required})
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"types": out})
}

// startRequest is the body of POST /v1/jobs. Parameter values may be
// strings, numbers, booleans or (for id lists) arrays of them.
type startRequest struct {
	Type   string                     `json:"type"`
	Params map[string]json.RawMessage `json:"params"`
	Force  bool                       `json:"force"`
	DryRun bool                       `json:"dryRun"`
}

func (s *Server) startJob(w http.ResponseWriter, r *http.Request) {
	var req startRequest
	if err := decodeBody(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(req.Type) == "" {
		s.fail(w, r, badRequest("type is required"))
		return
	}
	params := engine.Params{}
	for name, raw := range req.Params {
		text, err := paramText(raw)
		if err != nil {
			s.fail(w, r, badRequest("params.%s: %v", name, err))
			return
		}
		params[name] = text
	}
	if req.DryRun {
		if !s.hasParam(req.Type, "dryRun") {
			s.fail(w, r, badRequest("%s has no dry run", req.Type))
			return
		}
		params["dryRun"] = "true"
	}
	ctx := r.Context()
	id, err := s.engine.Start(ctx, req.Type, params, engine.StartOptions{Force: req.Force, Actor: identityOf(ctx).Actor()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerJob(w, r, id, http.StatusAccepted)
}

// hasParam reports whether jobType takes the parameter name (false for an
// unknown type, which Start then refuses by name).
func (s *Server) hasParam(jobType, name string) bool {
	for _, k := range s.engine.Types() {
		if strings.EqualFold(k.Type, strings.TrimSpace(jobType)) {
			for _, p := range k.Params {
				if p.Name == name {
					return true
				}
			}
		}
	}
	return false
}

// paramText turns a JSON parameter value into operator text; an array
// becomes a comma-separated list (the form of id lists).
func paramText(raw json.RawMessage) (string, error) {
	trimmed := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(trimmed, "[") {
		return jsonText(raw)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return "", err
	}
	texts := make([]string, 0, len(items))
	for _, it := range items {
		t, err := jsonText(it)
		if err != nil {
			return "", err
		}
		texts = append(texts, t)
	}
	return strings.Join(texts, ","), nil
}

// answerJob answers with the job as it is now, and where it lives.
func (s *Server) answerJob(w http.ResponseWriter, r *http.Request, id engine.JobID, status int) {
	j, err := s.engine.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/jobs/"+strconv.FormatInt(int64(id), 10))
	writeJSON(w, status, jobView(j))
}

// jobOut is a job on the wire: its id as a string, like the old system's
// (JavaScript loses precision above 2^53), and its JSON fields otherwise.
type jobOut struct {
	engine.Job
	ID      string `json:"id"`
	RetryOf string `json:"retryOf,omitempty"`
}

func jobView(j engine.Job) jobOut {
	out := jobOut{Job: j, ID: strconv.FormatInt(int64(j.ID), 10)}
	if j.RetryOf != 0 {
		out.RetryOf = strconv.FormatInt(int64(j.RetryOf), 10)
	}
	if len(out.Params) == 0 {
		out.Params = json.RawMessage(`{}`)
	}
	if len(out.Metadata) == 0 {
		out.Metadata = json.RawMessage(`{}`)
	}
	return out
}

// pageSize reads ?limit=.
func pageSize(r *http.Request) (int, error) {
	return intQuery(r, "limit", defaultPageSize, maxPageSize)
}

// idQuery reads an optional positive id query parameter (a paging cursor).
func idQuery(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, badRequest("%s must be a job or item id", name)
	}
	return n, nil
}

// listJobs is GET /v1/jobs?type=&status=&q=&limit=&before=: newest first;
// the answer's nextBefore continues the list.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	limit, err := pageSize(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	before, err := idQuery(r, "before")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := engine.ListFilter{Limit: limit, BeforeID: before, Search: q.Get("q")}
	f.Types = splitList(q["type"])
	for _, st := range splitList(q["status"]) {
		status := engine.Status(strings.ToUpper(st))
		if !status.Valid() {
			s.fail(w, r, badRequest("status %q: want PENDING, RUNNING, COMPLETED, FAILED or CANCELLED", st))
			return
		}
		f.Statuses = append(f.Statuses, status)
	}
	jobs, err := s.engine.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]jobOut, len(jobs))
	for i, j := range jobs {
		out[i] = jobView(j)
	}
	body := map[string]any{"jobs": out}
	if len(jobs) == limit {
		body["nextBefore"] = strconv.FormatInt(int64(jobs[len(jobs)-1].ID), 10)
	}
	writeJSON(w, http.StatusOK, body)
}

// splitList reads repeated and comma-separated query values.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// pathJobID reads the {id} path segment.
func pathJobID(r *http.Request) (engine.JobID, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n < 1 {
		return 0, badRequest("job id %q is not a job id", r.PathValue("id"))
	}
	return engine.JobID(n), nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	id, err := pathJobID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerJob(w, r, id, http.StatusOK)
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	id, err := pathJobID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if err := s.engine.Cancel(ctx, id, identityOf(ctx).Actor()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerJob(w, r, id, http.StatusOK)
}

func (s *Server) retryJob(w http.ResponseWriter, r *http.Request) {
	id, err := pathJobID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	newID, err := s.engine.Retry(ctx, id, identityOf(ctx).Actor())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerJob(w, r, newID, http.StatusAccepted)
}

// failureOut is one failed item on the wire.
type failureOut struct {
	ID        string `json:"id"`
	Key       string `json:"key"`
	Message   string `json:"message"`
	Class     string `json:"class"`
	Request   string `json:"request,omitempty"`
	Attempts  int    `json:"attempts"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// listFailures is GET /v1/jobs/{id}/failures?q=&limit=&after=: oldest
// first; nextAfter continues the list, total counts every match.
func (s *Server) listFailures(w http.ResponseWriter, r *http.Request) {
	id, err := pathJobID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := pageSize(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	after, err := idQuery(r, "after")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if _, err := s.engine.Get(ctx, id); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.engine.Failures(ctx, engine.FailureFilter{JobID: int64(id), Search: r.URL.Query().Get("q"),
		AfterID: after, Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]failureOut, len(items))
	for i, it := range items {
		out[i] = failureOut{ID: strconv.FormatInt(it.ID, 10), Key: it.ItemKey, Message: it.Message, Class: it.ErrorClass,
			Request: it.Request, Attempts: it.Attempts, CreatedAt: isoTime(it.CreatedAt), UpdatedAt: isoTime(it.UpdatedAt)}
	}
	body := map[string]any{"items": out, "total": total}
	if len(items) == limit {
		body["nextAfter"] = strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, body)
}

// errNoScheduler: this process serves the API without a scheduler.
var errNoScheduler = errors.New("schedules are not available in this process")

func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request) {
	if s.sched == nil {
		s.fail(w, r, errNoScheduler)
		return
	}
	list, err := s.sched.Schedules(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"schedules": list})
}

func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request) {
	if s.sched == nil {
		s.fail(w, r, errNoScheduler)
		return
	}
	v, err := s.sched.Schedule(r.Context(), r.PathValue("type"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// scheduleRequest is the body of PUT /v1/schedules/{type}: a cron
// expression enables the schedule on it; enabled false turns it off
// (keeping the expression); enabled true alone turns it on again. params,
// when present, replace the job's parameters.
type scheduleRequest struct {
	Cron    string                     `json:"cron"`
	Enabled *bool                      `json:"enabled"`
	Params  map[string]json.RawMessage `json:"params"`
}

func (s *Server) setSchedule(w http.ResponseWriter, r *http.Request) {
	if s.sched == nil {
		s.fail(w, r, errNoScheduler)
		return
	}
	var req scheduleRequest
	if err := decodeBody(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var params engine.Params
	if req.Params != nil {
		params = engine.Params{}
		for name, raw := range req.Params {
			text, err := paramText(raw)
			if err != nil {
				s.fail(w, r, badRequest("params.%s: %v", name, err))
				return
			}
			params[name] = text
		}
	}
	ctx := r.Context()
	actor := identityOf(ctx).Actor()
	jobType := r.PathValue("type")
	spec := strings.TrimSpace(req.Cron)
	switch {
	case req.Enabled != nil && !*req.Enabled:
		spec = scheduler.Off
	case spec != "":
	case req.Enabled != nil:
		// On again, on the expression it has.
		cur, err := s.sched.Schedule(ctx, jobType)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		spec = cur.Cron
	default:
		s.fail(w, r, badRequest("give cron, or enabled"))
		return
	}
	v, err := s.sched.Set(ctx, jobType, spec, params, actor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
