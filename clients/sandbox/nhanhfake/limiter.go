package nhanhfake

import (
	"math"
	"net/http"
	"time"
)

// Violation kinds.
const (
	// KindOverLimit is a request beyond the limit within one window.
	KindOverLimit = "over_limit"
	// KindCalledWhileLocked is a request to an endpoint that was locked.
	KindCalledWhileLocked = "called_while_locked"
)

// rateLimitMessage is Nhanh's own text for ERR_429.
const rateLimitMessage = "Your app exceeded the API Rate Limit"

// Violation is one request that broke the rate rules.
type Violation struct {
	Endpoint string
	At       time.Time
	Kind     string
}

// EndpointRecord is what one endpoint saw.
type EndpointRecord struct {
	// Requests counts every request that reached the endpoint, refused or not.
	Requests int
	// MaxInWindow is the most requests the endpoint accepted in any window.
	MaxInWindow int
	// Locks counts the ERR_429 locks started (not extensions).
	Locks int
	// FirstAt and LastAt are when the first and last accepted requests arrived.
	FirstAt, LastAt time.Time
}

// Record is a snapshot of the fake's rate bookkeeping.
type Record struct {
	// Endpoints is keyed by endpoint name, e.g. "customer/list".
	Endpoints map[string]EndpointRecord
	// Violations lists every request the real API would have punished, in order.
	Violations []Violation
	// CallsWhileLocked counts requests that arrived while their endpoint was locked.
	CallsWhileLocked int
	// Limit and Window are the enforced limit and the scaled window.
	Limit  int
	Window time.Duration
}

// Requests is the number of requests the endpoint received.
func (r Record) Requests(endpoint string) int { return r.Endpoints[endpoint].Requests }

type recorder struct {
	endpoints        map[string]EndpointRecord
	violations       []Violation
	callsWhileLocked int
}

// endpointLimit is the sliding window and lock of one endpoint.
type endpointLimit struct {
	accepted    []time.Time // arrival times inside the window, oldest first
	lockedUntil time.Time
}

// Record returns a copy of the fake's rate bookkeeping.
func (s *Server) Record() Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Record{
		Endpoints:        make(map[string]EndpointRecord, len(s.record.endpoints)),
		Violations:       append([]Violation(nil), s.record.violations...),
		CallsWhileLocked: s.record.callsWhileLocked,
		Limit:            Limit,
		Window:           s.window,
	}
	for k, v := range s.record.endpoints {
		out.Endpoints[k] = v
	}
	return out
}

// limitKey is the window a request counts in: Nhanh limits per app,
// business and endpoint, so every client calling with the same app and
// business shares it, whichever process it runs in.
func limitKey(r *http.Request, endpoint string) string {
	q := r.URL.Query()
	return q.Get("appId") + "/" + q.Get("businessId") + "/" + endpoint
}

// limit returns the window of key, created on first use; s.mu is held.
func (s *Server) limit(key string) *endpointLimit {
	lim := s.limits[key]
	if lim == nil {
		lim = &endpointLimit{}
		s.limits[key] = lim
	}
	return lim
}

// admit runs the rate rules for one arriving request. It returns the ERR_429
// reply and true when the request is refused.
func (s *Server) admit(r *http.Request, endpoint string) (envelope, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Read the clock under the lock so arrival times are recorded in order.
	now := s.opts.Clock.Now()
	lim := s.limit(limitKey(r, endpoint))
	if s.record.endpoints == nil {
		s.record.endpoints = map[string]EndpointRecord{}
	}
	rec := s.record.endpoints[endpoint]
	rec.Requests++
	defer func() { s.record.endpoints[endpoint] = rec }()

	if now.Before(lim.lockedUntil) {
		// Nhanh extends a lock when called during it.
		s.record.callsWhileLocked++
		s.record.violations = append(s.record.violations, Violation{Endpoint: endpoint, At: now, Kind: KindCalledWhileLocked})
		lim.lockedUntil = now.Add(s.lock)
		return s.lockReply(now, lim.lockedUntil), true
	}
	cutoff := now.Add(-s.window)
	drop := 0
	for drop < len(lim.accepted) && !lim.accepted[drop].After(cutoff) {
		drop++
	}
	lim.accepted = lim.accepted[drop:]
	if len(lim.accepted) >= Limit {
		s.record.violations = append(s.record.violations, Violation{Endpoint: endpoint, At: now, Kind: KindOverLimit})
		rec.Locks++
		lim.lockedUntil = now.Add(s.lock)
		return s.lockReply(now, lim.lockedUntil), true
	}
	lim.accepted = append(lim.accepted, now)
	rec.MaxInWindow = max(rec.MaxInWindow, len(lim.accepted))
	if rec.FirstAt.IsZero() {
		rec.FirstAt = now
	}
	rec.LastAt = now
	return envelope{}, false
}

// lockChosen locks an endpoint because an injected fault said so. It is the
// fake's choice, so it is not a violation; calls during it are.
func (s *Server) lockChosen(r *http.Request, endpoint string) envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Clock.Now()
	lim := s.limit(limitKey(r, endpoint))
	lim.lockedUntil = now.Add(s.lock)
	rec := s.record.endpoints[endpoint]
	rec.Locks++
	s.record.endpoints[endpoint] = rec
	return s.lockReply(now, lim.lockedUntil)
}

// lockReply builds the ERR_429 body. Both numbers are rounded up to whole
// seconds, as the wire carries integers, so a client that honours either is
// never early.
func (s *Server) lockReply(now, until time.Time) envelope {
	lockedSeconds := int64(math.Ceil(until.Sub(now).Seconds()))
	unlockedAt := until.Unix()
	if until.After(time.Unix(unlockedAt, 0)) {
		unlockedAt++
	}
	env := failure("ERR_429", rateLimitMessage)
	env.Data = lockData{LockedSeconds: lockedSeconds, UnlockedAt: unlockedAt}
	return env
}

type lockData struct {
	LockedSeconds int64 `json:"lockedSeconds"`
	UnlockedAt    int64 `json:"unlockedAt"`
}
