package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route (TestOpenAPIMatchesRoutes holds it
// to the route table in both directions).
//
//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIDocument)
}
