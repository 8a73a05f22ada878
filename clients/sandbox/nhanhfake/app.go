package nhanhfake

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"syncops/clients/extid"
)

// Nhanh's app authorization, as NhanhDocs /app describes it: the business
// owner grants access on the oauth page, Nhanh redirects to the app's return
// link with an accessCode that lives ten minutes and works once, and the app
// exchanges it (app/getaccesstoken, with its secret key) for a token valid
// one year, with no refresh. Minting a new token leaves the old one valid 15
// more minutes. app/checkaccesstoken tells an app about its token.
const (
	// AccessCodeLifetime is how long an accessCode may be exchanged.
	AccessCodeLifetime = 10 * time.Minute
	// TokenLifetime is how long a token lives from its grant.
	TokenLifetime = 365 * 24 * time.Hour
	// ReplacedTokenGrace is how long a token stays valid once a newer one
	// was minted for the same app and business.
	ReplacedTokenGrace = 15 * time.Minute

	endpointGetAccessToken   = "app/getaccesstoken"
	endpointCheckAccessToken = "app/checkaccesstoken"
	oauthPath                = "/oauth"
)

// appState is the fake's grants. Its zero value is ready: the token of
// Options.AccessToken is granted (one year, every depot) on first use.
type appState struct {
	mu      sync.Mutex
	started bool
	codes   map[string]time.Time // accessCode -> expiry
	tokens  map[string]*tokenGrant
	// depots limits new and existing grants to these depots; nil is all.
	depots []extid.NhanhDepotID
}

type tokenGrant struct {
	expiresAt time.Time
	revoked   bool
}

// grantsLocked lazily grants the initial token. The caller holds a.mu.
func (s *Server) grantsLocked() *appState {
	a := &s.app
	if !a.started {
		a.started = true
		a.codes = map[string]time.Time{}
		a.tokens = map[string]*tokenGrant{}
		if s.opts.AccessToken != "" {
			a.tokens[s.opts.AccessToken] = &tokenGrant{expiresAt: s.opts.Clock.Now().Add(TokenLifetime)}
		}
	}
	return a
}

// IssueAccessCode is what the oauth page puts on the return link after the
// owner grants access: a code to exchange within AccessCodeLifetime, once.
func (s *Server) IssueAccessCode() string {
	s.app.mu.Lock()
	defer s.app.mu.Unlock()
	a := s.grantsLocked()
	code := rand.Text()
	a.codes[code] = s.opts.Clock.Now().Add(AccessCodeLifetime)
	return code
}

// SetTokenExpiry moves the expiry of every live token to at: a time in the
// past makes them expired, as a year-old grant is.
func (s *Server) SetTokenExpiry(at time.Time) {
	s.app.mu.Lock()
	defer s.app.mu.Unlock()
	for _, g := range s.grantsLocked().tokens {
		g.expiresAt = at
	}
}

// RevokeTokens revokes every token, as the owner uninstalling the app does.
func (s *Server) RevokeTokens() {
	s.app.mu.Lock()
	defer s.app.mu.Unlock()
	for _, g := range s.grantsLocked().tokens {
		g.revoked = true
	}
}

// GrantDepots limits the grants to the given depots; no ids grants all.
func (s *Server) GrantDepots(ids ...extid.NhanhDepotID) {
	s.app.mu.Lock()
	defer s.app.mu.Unlock()
	s.grantsLocked().depots = slices.Clone(ids)
}

// tokenValid reports whether token is granted, unrevoked and unexpired.
func (s *Server) tokenValid(token string) bool {
	_, ok := s.liveGrant(token)
	return ok
}

func (s *Server) liveGrant(token string) (tokenGrant, bool) {
	s.app.mu.Lock()
	defer s.app.mu.Unlock()
	g, ok := s.grantsLocked().tokens[token]
	if !ok || g.revoked || !s.opts.Clock.Now().Before(g.expiresAt) {
		return tokenGrant{}, false
	}
	return *g, true
}

// serveApp answers the oauth page and the app endpoints; it reports false
// for any other path.
func (s *Server) serveApp(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case oauthPath:
		s.serveOAuth(w, r)
	case pathPrefix + endpointGetAccessToken:
		s.serveGetAccessToken(w, r)
	case pathPrefix + endpointCheckAccessToken:
		s.serveCheckAccessToken(w, r)
	default:
		return false
	}
	return true
}

// serveOAuth stands in for the owner granting access: it redirects to the
// return link with a fresh accessCode.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, err := url.Parse(q.Get("returnLink"))
	if q.Get("appId") != s.opts.AppID || err != nil || back.Scheme == "" {
		http.Error(w, "unknown app or return link", http.StatusBadRequest)
		return
	}
	bq := back.Query()
	bq.Set("accessCode", s.IssueAccessCode())
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (s *Server) appBody(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, failure("ERR_METHOD_NOT_ALLOWED", "Only POST is accepted"))
		return nil, false
	}
	if r.URL.Query().Get("appId") != s.opts.AppID {
		writeJSON(w, http.StatusOK, failure("ERR_INVALID_APP_ID", "appId is invalid"))
		return nil, false
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	var body map[string]string
	if err != nil || json.Unmarshal(raw, &body) != nil {
		writeJSON(w, http.StatusOK, failure("ERR_INVALID_DATA", "invalid data"))
		return nil, false
	}
	if subtle.ConstantTimeCompare([]byte(body["secretKey"]), []byte(s.opts.SecretKey)) != 1 || s.opts.SecretKey == "" {
		writeJSON(w, http.StatusOK, invalidFields(map[string]string{"secretKey": "secretKey is invalid"}))
		return nil, false
	}
	return body, true
}

func (s *Server) serveGetAccessToken(w http.ResponseWriter, r *http.Request) {
	body, ok := s.appBody(w, r)
	if !ok {
		return
	}
	now := s.opts.Clock.Now()
	s.app.mu.Lock()
	a := s.grantsLocked()
	expires, found := a.codes[body["accessCode"]]
	delete(a.codes, body["accessCode"]) // single use, even when it failed
	if !found || !now.Before(expires) {
		s.app.mu.Unlock()
		writeJSON(w, http.StatusOK, invalidFields(map[string]string{"accessCode": "accessCode is invalid or expired"}))
		return
	}
	for _, g := range a.tokens {
		g.expiresAt = minTime(g.expiresAt, now.Add(ReplacedTokenGrace))
	}
	token := rand.Text() + rand.Text()
	g := &tokenGrant{expiresAt: now.Add(TokenLifetime)}
	a.tokens[token] = g
	depots := slices.Clone(a.depots)
	s.app.mu.Unlock()
	data := s.grantData(*g, depots)
	data["accessToken"] = token
	writeJSON(w, http.StatusOK, success(data))
}

func (s *Server) serveCheckAccessToken(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.appBody(w, r); !ok {
		return
	}
	if r.URL.Query().Get("businessId") != s.opts.BusinessID {
		writeJSON(w, http.StatusOK, failure("ERR_INVALID_BUSINESS_ID", "businessId is invalid"))
		return
	}
	g, ok := s.liveGrant(r.Header.Get("Authorization"))
	if !ok {
		writeJSON(w, http.StatusOK, failure("ERR_INVALID_ACCESS_TOKEN", "accessToken is invalid or expired"))
		return
	}
	s.app.mu.Lock()
	depots := slices.Clone(s.app.depots)
	s.app.mu.Unlock()
	writeJSON(w, http.StatusOK, success(s.grantData(g, depots)))
}

func (s *Server) grantData(g tokenGrant, depots []extid.NhanhDepotID) map[string]any {
	ids := make([]int64, 0, len(depots))
	for _, d := range depots {
		ids = append(ids, int64(d))
	}
	return map[string]any{
		"version":     "3.0",
		"expiredAt":   g.expiresAt.Unix(),
		"businessId":  s.opts.BusinessID,
		"depotIds":    ids,
		"pageIds":     []int64{},
		"permissions": []string{"customer.list", "product.list", "product.inventory", "business.depot"},
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
