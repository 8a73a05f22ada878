package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"syncops/engine"
)

// Bounds of the old read routes, which took any limit and page.
const (
	defaultLogsLimit     = 100
	maxLogsLimit         = 1000
	defaultProgressLimit = 50
	maxProgressLimit     = 200
	// maxScanJobs bounds how many jobs one old-style read walks through
	// (a deep page, a search, the 24-hour stats).
	maxScanJobs = 10000
	scanPage    = 500
)

// oldJob is a job in the shape of the old system's BackgroundJob row.
type oldJob struct {
	ID          string          `json:"id"`
	StoreID     *string         `json:"storeId"`
	Type        string          `json:"type"`
	Status      string          `json:"status"`
	Total       int64           `json:"total"`
	Processed   int64           `json:"processed"`
	Successful  int64           `json:"successful"`
	Failed      int64           `json:"failed"`
	StartedAt   string          `json:"startedAt"`
	CompletedAt *string         `json:"completedAt"`
	Error       *string         `json:"error"`
	Metadata    json.RawMessage `json:"metadata"`
	CreatedAt   string          `json:"createdAt"`
	UpdatedAt   string          `json:"updatedAt"`
}

// isoTime formats like JavaScript's Date.toISOString, which old callers
// parse.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// metadataObject is a job's metadata as an object, with the skipped count
// the old system kept there (it had no column for it).
func metadataObject(j engine.Job) map[string]any {
	m := map[string]any{}
	if len(bytes.TrimSpace(j.Metadata)) > 0 {
		_ = json.Unmarshal(j.Metadata, &m) // metadata is an object the engine wrote
	}
	if _, ok := m["skipped"]; !ok {
		m["skipped"] = j.Skipped
	}
	return m
}

func toOldJob(j engine.Job) oldJob {
	o := oldJob{ID: strconv.FormatInt(int64(j.ID), 10), Type: j.Type, Status: string(j.Status), Total: j.Total,
		Processed: j.Processed, Successful: j.Successful, Failed: j.Failed, StartedAt: isoTime(j.CreatedAt),
		CreatedAt: isoTime(j.CreatedAt), UpdatedAt: isoTime(j.UpdatedAt)}
	meta, _ := json.Marshal(metadataObject(j))
	o.Metadata = meta
	if j.StartedAt != nil {
		o.StartedAt = isoTime(*j.StartedAt)
	}
	if j.CompletedAt != nil {
		t := isoTime(*j.CompletedAt)
		o.CompletedAt = &t
	}
	if j.Error != "" {
		o.Error = &j.Error
	}
	return o
}

// intQuery reads a positive integer query parameter, def when absent.
func intQuery(r *http.Request, name string, def, maxValue int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, badRequest("%s must be a positive whole number", name)
	}
	return min(n, maxValue), nil
}

// logLevels are the old log levels and the statuses they render.
var logLevels = map[string][]engine.Status{
	"error": {engine.StatusFailed},
	"info":  {engine.StatusCompleted},
	"debug": {engine.StatusPending, engine.StatusRunning, engine.StatusCancelled},
}

func logLevel(s engine.Status) string {
	switch s {
	case engine.StatusFailed:
		return "error"
	case engine.StatusCompleted:
		return "info"
	}
	return "debug"
}

// compatLogs is GET /api/logs?limit=&level=&source=&search=: jobs rendered
// as log lines, newest first. Unlike the old route, filters apply before the
// limit, so limit=1&level=error is the newest failure.
func (s *Server) compatLogs(w http.ResponseWriter, r *http.Request) {
	limit, err := intQuery(r, "limit", defaultLogsLimit, maxLogsLimit)
	if err != nil {
		s.compatFail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := engine.ListFilter{}
	if level := q.Get("level"); level != "" && level != "all" {
		statuses, ok := logLevels[level]
		if !ok {
			s.compatFail(w, r, badRequest("level must be all, error, info or debug"))
			return
		}
		f.Statuses = statuses
	}
	if source := q.Get("source"); source != "" && source != "all" {
		f.Types = []string{source}
	}
	search := strings.ToLower(q.Get("search"))
	type logLine struct {
		ID        string         `json:"id"`
		Timestamp string         `json:"timestamp"`
		Level     string         `json:"level"`
		Message   string         `json:"message"`
		Source    string         `json:"source"`
		Metadata  map[string]any `json:"metadata"`
	}
	logs := []logLine{}
	err = s.scanJobs(r, f, func(j engine.Job) bool {
		msg := j.Type + ": " + string(j.Status) + " (" + strconv.FormatInt(j.Processed, 10) + "/" +
			strconv.FormatInt(j.Total, 10) + ")"
		if search != "" && !strings.Contains(strings.ToLower(msg), search) {
			return true
		}
		meta := metadataObject(j)
		var jobErr any
		if j.Error != "" {
			jobErr = j.Error
		}
		for k, v := range map[string]any{"jobId": strconv.FormatInt(int64(j.ID), 10), "type": j.Type,
			"status": string(j.Status), "total": j.Total, "processed": j.Processed, "successful": j.Successful,
			"failed": j.Failed, "error": jobErr} {
			meta[k] = v // the counters are the truth, whatever the metadata says
		}
		logs = append(logs, logLine{ID: strconv.FormatInt(int64(j.ID), 10), Timestamp: isoTime(j.CreatedAt),
			Level: logLevel(j.Status), Message: msg, Source: j.Type, Metadata: meta})
		return len(logs) < limit
	})
	if err != nil {
		s.compatFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": map[string]any{"logs": logs, "total": len(logs)}})
}

// scanJobs walks jobs matching f, newest first, until visit returns false
// or maxScanJobs were seen.
func (s *Server) scanJobs(r *http.Request, f engine.ListFilter, visit func(engine.Job) bool) error {
	f.Limit = scanPage
	for seen := 0; seen < maxScanJobs; {
		page, err := s.engine.List(r.Context(), f)
		if err != nil {
			return err
		}
		for _, j := range page {
			if !visit(j) {
				return nil
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		seen += len(page)
		f.BeforeID = int64(page[len(page)-1].ID)
	}
	return nil
}

// compatJobProgress is GET /api/sync/job-progress: ?all=true&limit=&page=
// (a page of jobs with counts), ?jobId= (one job) or ?type= (the newest job
// of a type and whether one runs).
func (s *Server) compatJobProgress(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("all") == "true":
		s.compatAllJobs(w, r)
	case q.Get("jobId") != "":
		id, err := strconv.ParseInt(q.Get("jobId"), 10, 64)
		if err != nil || id < 1 {
			writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "error": "Job not found"})
			return
		}
		j, err := s.engine.Get(r.Context(), engine.JobID(id))
		if err != nil {
			if classify(err).status == http.StatusNotFound {
				writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "error": "Job not found"})
				return
			}
			s.compatFail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": toOldJob(j)})
	case q.Get("type") != "":
		f := engine.ListFilter{Types: []string{q.Get("type")}, Limit: 1}
		jobs, err := s.engine.List(r.Context(), f)
		if err != nil {
			s.compatFail(w, r, err)
			return
		}
		counts, err := s.engine.CountByStatus(r.Context(), engine.ListFilter{Types: []string{q.Get("type")}})
		if err != nil {
			s.compatFail(w, r, err)
			return
		}
		var latest *oldJob
		if len(jobs) > 0 {
			o := toOldJob(jobs[0])
			latest = &o
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true,
			"data": map[string]any{"latestJob": latest, "hasRunningJob": counts[engine.StatusRunning] > 0}})
	default:
		s.compatFail(w, r, badRequest("type, jobId, or all=true is required"))
	}
}

func (s *Server) compatAllJobs(w http.ResponseWriter, r *http.Request) {
	limit, err := intQuery(r, "limit", defaultProgressLimit, maxProgressLimit)
	if err != nil {
		s.compatFail(w, r, err)
		return
	}
	page, err := intQuery(r, "page", 1, maxScanJobs)
	if err != nil {
		s.compatFail(w, r, err)
		return
	}
	if page*limit > maxScanJobs {
		s.compatFail(w, r, badRequest("page too deep: at most %d jobs are paged through", maxScanJobs))
		return
	}
	ctx := r.Context()
	// Keyset paging cannot skip: read through the end of the page asked.
	all, err := s.engine.List(ctx, engine.ListFilter{Limit: page * limit})
	if err != nil {
		s.compatFail(w, r, err)
		return
	}
	jobs := []oldJob{}
	for _, j := range all[min(len(all), (page-1)*limit):] {
		jobs = append(jobs, toOldJob(j))
	}
	counts, err := s.engine.CountByStatus(ctx, engine.ListFilter{})
	if err != nil {
		s.compatFail(w, r, err)
		return
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	// stats: jobs created in the last 24 hours per type, in the shape of
	// Prisma's groupBy the old route returned.
	cutoff := s.cfg.Clock.Now().Add(-24 * time.Hour)
	perType := map[string]int64{}
	var order []string
	err = s.scanJobs(r, engine.ListFilter{}, func(j engine.Job) bool {
		if j.CreatedAt.Before(cutoff) {
			return false
		}
		if perType[j.Type] == 0 {
			order = append(order, j.Type)
		}
		perType[j.Type]++
		return true
	})
	if err != nil {
		s.compatFail(w, r, err)
		return
	}
	type typeCount struct {
		Count struct {
			ID int64 `json:"id"`
		} `json:"_count"`
		Type string `json:"type"`
	}
	stats := make([]typeCount, 0, len(order))
	for _, t := range order {
		var c typeCount
		c.Count.ID, c.Type = perType[t], t
		stats = append(stats, c)
	}
	totalPages := (total + int64(limit) - 1) / int64(limit)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": map[string]any{
		"jobs": jobs, "totalCount": total, "runningCount": counts[engine.StatusRunning],
		"currentPage": page, "totalPages": totalPages, "stats": stats}})
}
