package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"syncops/engine"
	"syncops/engine/scheduler"
)

// MaxBodyBytes bounds every request body; the largest legitimate one, a
// list of ten thousand mapping ids, is far below it.
const MaxBodyBytes = 1 << 20

// problem is an RFC 9457 problem detail; JobID is our extension naming the
// job a conflict is about.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	JobID  string `json:"jobId,omitempty"`
}

func writeProblem(w http.ResponseWriter, p problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// requestError is a request the caller got wrong (400 or 413).
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// decodeBody reads a JSON body of at most MaxBodyBytes into v. An empty
// body leaves v as it is: the old system's callers often send none.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	raw, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &requestError{status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("request body larger than %d bytes", tooBig.Limit)}
	case err != nil:
		return badRequest("read request body: %v", err)
	case len(raw) == 0:
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return badRequest("request body is not the expected JSON: %v", err)
	}
	return nil
}

// classified is an error as both faces of the API answer it.
type classified struct {
	status  int
	kind    string // problem type suffix
	title   string
	detail  string
	running engine.JobID // for conflicts with an active job
}

// classify maps engine errors to HTTP answers. Errors the caller cannot act
// on are answered without detail (they are logged instead), so nothing of
// the server's insides leaks.
func classify(err error) classified {
	var (
		reqErr   *requestError
		conflict *engine.ConflictError
		unknown  *engine.UnknownTypeError
		param    *engine.ParamError
		cronErr  *scheduler.CronError
	)
	switch {
	case errors.As(err, &reqErr):
		return classified{status: reqErr.status, kind: "bad-request", title: http.StatusText(reqErr.status), detail: reqErr.msg}
	case errors.Is(err, engine.ErrForbidden):
		return classified{status: http.StatusForbidden, kind: "forbidden", title: "Forbidden", detail: err.Error()}
	case errors.As(err, &conflict):
		return classified{status: http.StatusConflict, kind: "already-running", title: "Already running",
			detail: conflict.Error(), running: conflict.Existing}
	case errors.As(err, &unknown), errors.As(err, &param), errors.As(err, &cronErr):
		return classified{status: http.StatusBadRequest, kind: "invalid", title: "Invalid request", detail: err.Error()}
	case errors.Is(err, engine.ErrNotFound):
		return classified{status: http.StatusNotFound, kind: "not-found", title: "Not found", detail: err.Error()}
	case errors.Is(err, engine.ErrNoDiff):
		return classified{status: http.StatusConflict, kind: "no-diff", title: "Not a sync preview", detail: err.Error()}
	case errors.Is(err, engine.ErrNotActive), errors.Is(err, engine.ErrStillActive), errors.Is(err, engine.ErrNothingToRetry):
		return classified{status: http.StatusConflict, kind: "wrong-state", title: "Not possible in the job's state", detail: err.Error()}
	case errors.Is(err, engine.ErrStopped), errors.Is(err, errNoScheduler):
		return classified{status: http.StatusServiceUnavailable, kind: "stopping", title: "Shutting down", detail: err.Error()}
	default:
		return classified{status: http.StatusInternalServerError, kind: "internal", title: "Internal error"}
	}
}

// fail answers err as a problem (the /v1 face).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	c := classify(err)
	if c.status == http.StatusInternalServerError {
		s.logger.Error("http request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	p := problem{Type: "urn:syncops:problem:" + c.kind, Title: c.title, Status: c.status, Detail: c.detail}
	if c.running != 0 {
		p.JobID = strconv.FormatInt(int64(c.running), 10)
	}
	writeProblem(w, p)
}
