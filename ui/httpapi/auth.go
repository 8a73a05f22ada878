package httpapi

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Defaults of the failure limiter.
const (
	// DefaultFreeFailures is how many wrong tokens an address may send
	// before it is slowed down (a mistyped token should not lock anyone out).
	DefaultFreeFailures = 5
	// DefaultFailureDelay is the first wait after the free failures; each
	// further failure doubles it, up to DefaultMaxFailureDelay.
	DefaultFailureDelay = time.Second
	// DefaultMaxFailureDelay caps the wait.
	DefaultMaxFailureDelay = 5 * time.Minute
	// DefaultFailureMemory is how long an address's failures are remembered
	// after its last one.
	DefaultFailureMemory = 15 * time.Minute
	// DefaultMaxFailureAddrs bounds the limiter's memory: beyond it, the
	// entries forgotten first are those whose last failure is oldest.
	DefaultMaxFailureAddrs = 10000
)

// failureLimiter slows down addresses that keep sending wrong tokens:
// after the free failures, the address is refused (429 with Retry-After)
// until a delay that doubles with every further failure has passed. While
// it waits, no token it sends is even checked, so guessing gains nothing.
type failureLimiter struct {
	clock    clockwork.Clock
	free     int
	delay    time.Duration
	maxDelay time.Duration
	memory   time.Duration
	maxAddrs int

	mu    sync.Mutex
	addrs map[string]*failures
}

type failures struct {
	count       int
	last        time.Time
	lockedUntil time.Time
}

func newFailureLimiter(clock clockwork.Clock) *failureLimiter {
	return &failureLimiter{clock: clock, free: DefaultFreeFailures, delay: DefaultFailureDelay,
		maxDelay: DefaultMaxFailureDelay, memory: DefaultFailureMemory, maxAddrs: DefaultMaxFailureAddrs,
		addrs: map[string]*failures{}}
}

// wait returns how long addr must still wait before its token is checked
// (0: check it now).
func (l *failureLimiter) wait(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.addrs[addr]
	if !ok {
		return 0
	}
	return max(0, f.lockedUntil.Sub(l.clock.Now()))
}

// fail records a wrong or missing token from addr.
func (l *failureLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	f, ok := l.addrs[addr]
	if ok && now.Sub(f.last) > l.memory && !now.Before(f.lockedUntil) {
		f.count = 0 // long quiet: start over
	}
	if !ok {
		l.makeRoom(now)
		f = &failures{}
		l.addrs[addr] = f
	}
	f.count++
	f.last = now
	if over := f.count - l.free; over > 0 {
		d := l.delay
		for i := 1; i < over && d < l.maxDelay; i++ {
			d *= 2
		}
		f.lockedUntil = now.Add(min(d, l.maxDelay))
	}
}

// succeed forgets addr's failures: whoever holds a valid token is not
// guessing.
func (l *failureLimiter) succeed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.addrs, addr)
}

// makeRoom keeps the map bounded: expired entries go first, then the
// entry with the oldest failure.
func (l *failureLimiter) makeRoom(now time.Time) {
	if len(l.addrs) < l.maxAddrs {
		return
	}
	for a, f := range l.addrs {
		if now.Sub(f.last) > l.memory && !now.Before(f.lockedUntil) {
			delete(l.addrs, a)
		}
	}
	for len(l.addrs) >= l.maxAddrs {
		var oldest string
		var at time.Time
		for a, f := range l.addrs {
			if oldest == "" || f.last.Before(at) {
				oldest, at = a, f.last
			}
		}
		delete(l.addrs, oldest)
	}
}

// identityKey is the request context key of the caller's Identity.
type identityKey struct{}

// identityOf returns the identity the auth middleware put on the request.
func identityOf(ctx context.Context) Identity {
	id, _ := ctx.Value(identityKey{}).(Identity)
	return id
}

// remoteAddr is the address failures are counted for. Forwarding headers
// are not trusted: behind a proxy every client shares the proxy's address,
// which slows all of them down rather than letting one forge its way out.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// authenticate refuses every request without a valid bearer token (401,
// no detail) and puts the token's identity on the request's context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := remoteAddr(r)
		if wait := s.limiter.wait(addr); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
			writeProblem(w, problem{Type: "urn:syncops:problem:slow-down", Title: "Too many failed authentications",
				Status: http.StatusTooManyRequests})
			return
		}
		id, ok := s.tokens.identify(bearer(r))
		if !ok {
			s.limiter.fail(addr)
			s.logger.Info("http request refused: no valid token", "remote", addr, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="syncops"`)
			writeProblem(w, problem{Type: "about:blank", Title: "Unauthorized", Status: http.StatusUnauthorized})
			return
		}
		s.limiter.succeed(addr)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	})
}
