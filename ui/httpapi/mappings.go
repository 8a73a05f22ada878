package httpapi

import (
	"net/http"

	"syncops/engine"
)

// listMappings serves GET /v1/mappings/{kind}: one page of a mapping tab,
// searched as the console and `syncops mappings` search, with the counts
// of every tab. Read-only: acting on mappings stays in the console and
// the CLI, where an operator sees what a change touches.
func (s *Server) listMappings(w http.ResponseWriter, r *http.Request) {
	kind, err := engine.ParseMappingKind(r.PathValue("kind"))
	if err != nil {
		s.fail(w, r, badRequest("%v", err))
		return
	}
	q := r.URL.Query()
	tab := engine.TabAll
	if v := q.Get("tab"); v != "" {
		if tab, err = engine.ParseMappingTab(v); err != nil {
			s.fail(w, r, badRequest("%v", err))
			return
		}
	}
	limit, err := pageSize(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	page, err := s.engine.Mappings(ctx, engine.MappingQuery{Kind: kind, Tab: tab, Search: q.Get("q"),
		After: q.Get("after"), Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	counts, err := s.engine.MappingCounts(ctx, kind)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": kind, "tab": tab, "rows": page.Rows,
		"matches": page.Matches, "capped": page.Capped, "next": page.Next, "counts": counts})
}
