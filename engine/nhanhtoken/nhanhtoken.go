// Package nhanhtoken tracks when the Nhanh access token expires. A Nhanh v3
// token lives one year and cannot be refreshed: the business owner must
// grant access again before it ends, or every sync stops. The expiry is
// known from the exchange (stored with the token by `syncops init`) or from
// Nhanh's app/checkaccesstoken; the Watcher turns it into a status the
// console's status bar, the doctor and the metrics read, and logs a warning
// once per process as each threshold (30, 7 and 1 days left) is crossed.
//
//	unknown --Set--> ok --(30 d)--> warn --(7 d)--> warn --(1 d)--> warn --> expired
//	                  any state --Revoked--> revoked
package nhanhtoken

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Thresholds are the times left at which a warning is logged, longest first.
var Thresholds = []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour}

// Level is how urgent the token's state is.
type Level string

// Levels.
const (
	LevelUnknown Level = "unknown" // no expiry known yet
	LevelOK      Level = "ok"
	LevelWarn    Level = "warn"    // under the first threshold
	LevelExpired Level = "expired" // expired, or revoked by the owner
)

// Status is the token's state at one moment.
type Status struct {
	Level Level `json:"level"`
	// ExpiresAt is zero when unknown.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Left is the time until expiry (negative once expired).
	Left time.Duration `json:"left"`
	// Revoked is set when Nhanh refused the token before its expiry.
	Revoked bool `json:"revoked,omitempty"`
	// Message says what the state is, Fix what to do about it ("" when
	// nothing needs doing). Neither contains the token.
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Watcher holds the token's expiry. It is safe for concurrent use.
type Watcher struct {
	clock  clockwork.Clock
	logger *slog.Logger
	// fix says how to grant access again, for messages.
	fix string

	mu        sync.Mutex
	expiresAt time.Time
	revoked   bool
	warned    map[time.Duration]bool // thresholds already logged
}

// New returns a watcher; expiresAt may be zero (unknown). fix is the
// operator's way to grant access again (e.g. "run syncops init").
func New(clock clockwork.Clock, logger *slog.Logger, expiresAt time.Time, fix string) *Watcher {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Watcher{clock: clock, logger: logger, fix: fix, expiresAt: expiresAt, warned: map[time.Duration]bool{}}
}

// Set records an expiry learned from Nhanh, and that the token works.
func (w *Watcher) Set(expiresAt time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expiresAt, w.revoked = expiresAt, false
}

// Revoked records that Nhanh refused the token.
func (w *Watcher) Revoked() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.revoked = true
}

// Expiry returns the expiry and whether it is known.
func (w *Watcher) Expiry() (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.expiresAt, !w.expiresAt.IsZero()
}

// SecondsLeft is the time to expiry in seconds, for the metric; false when
// unknown.
func (w *Watcher) SecondsLeft() (float64, bool) {
	at, ok := w.Expiry()
	if !ok {
		return 0, false
	}
	return at.Sub(w.clock.Now()).Seconds(), true
}

// Status evaluates the token now, logging each newly crossed threshold once.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	st := Status{ExpiresAt: w.expiresAt, Revoked: w.revoked}
	if w.revoked {
		st.Level = LevelExpired
		st.Message = "Nhanh refuses the access token: it was revoked or has expired"
		st.Fix = w.fix
		w.logOnce(0, st)
		return st
	}
	if w.expiresAt.IsZero() {
		st.Level = LevelUnknown
		st.Message = "the Nhanh token's expiry is not known"
		return st
	}
	st.Left = w.expiresAt.Sub(now)
	day := w.expiresAt.UTC().Format("2006-01-02")
	switch {
	case st.Left <= 0:
		st.Level = LevelExpired
		st.Message = "the Nhanh access token expired on " + day
		st.Fix = w.fix
		w.logOnce(0, st)
	case st.Left <= Thresholds[0]:
		st.Level = LevelWarn
		st.Message = fmt.Sprintf("the Nhanh access token expires in %s (%s); Nhanh tokens cannot be refreshed", humanDays(st.Left), day)
		st.Fix = w.fix + " before then"
		for _, t := range Thresholds {
			if st.Left <= t {
				w.logOnce(t, st)
			}
		}
	default:
		st.Level = LevelOK
		st.Message = fmt.Sprintf("the Nhanh access token is valid until %s (%s left)", day, humanDays(st.Left))
	}
	return st
}

// logOnce logs st once per threshold t (0: expired or revoked) per process.
// The caller holds w.mu.
func (w *Watcher) logOnce(t time.Duration, st Status) {
	if w.warned[t] {
		return
	}
	w.warned[t] = true
	level := slog.LevelWarn
	if t == 0 {
		level = slog.LevelError
	}
	w.logger.Log(context.Background(), level, st.Message, slog.String("fix", st.Fix), slog.Time("expires_at", st.ExpiresAt))
}

// humanDays renders d as days, or hours under two days.
func humanDays(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
