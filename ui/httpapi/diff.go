package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"syncops/engine"
)

// diffOut is GET /v1/jobs/{id}/diff's answer.
type diffOut struct {
	Job      string            `json:"job"`
	Items    []engine.DiffItem `json:"items"`
	Matching engine.DiffTotals `json:"matching"`
	Totals   engine.DiffTotals `json:"totals"`
	// NextAfter continues the list: pass it as ?after=.
	NextAfter string `json:"nextAfter,omitempty"`
}

// diffCursor writes a diff page's end as one query value: the mapping id,
// then ":" and the location when the line has one (a location GID holds
// colons itself, so only the first one splits).
func diffCursor(c engine.DiffCursor) string {
	s := strconv.FormatInt(c.MappingID, 10)
	if c.Location != "" {
		s += ":" + c.Location
	}
	return s
}

func parseDiffCursor(v string) (engine.DiffCursor, error) {
	if v == "" {
		return engine.DiffCursor{}, nil
	}
	id, loc, _ := strings.Cut(v, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 0 {
		return engine.DiffCursor{}, badRequest("after %q is not a nextAfter of this list", v)
	}
	return engine.DiffCursor{MappingID: n, Location: loc}, nil
}

// listDiff is GET /v1/jobs/{id}/diff?q=&action=&limit=&after=: a sync
// preview's lines in mapping order, with the totals of the lines matched
// and of the whole diff. A job that is not a sync preview is a 409.
func (s *Server) listDiff(w http.ResponseWriter, r *http.Request) {
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
	q := r.URL.Query()
	after, err := parseDiffCursor(q.Get("after"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := engine.DiffFilter{Job: id, Search: q.Get("q"), After: after, Limit: limit}
	for _, a := range splitList(q["action"]) {
		f.Actions = append(f.Actions, engine.DiffAction(strings.ToLower(a)))
	}
	page, err := s.engine.Diff(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := diffOut{Job: strconv.FormatInt(int64(id), 10), Items: page.Items, Matching: page.Matching, Totals: page.Totals}
	if page.Next != nil {
		out.NextAfter = diffCursor(*page.Next)
	}
	writeJSON(w, http.StatusOK, out)
}
