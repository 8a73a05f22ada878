package nhanh

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/jonboulle/clockwork"
)

// Defaults for Config. The rate numbers are Nhanh's documented limit: 150
// requests per 30 seconds per appId + businessId + endpoint.
const (
	// DefaultBaseURL is Nhanh's POS Open API host.
	DefaultBaseURL = "https://pos.open.nhanh.vn"
	// DefaultMaxAttempts bounds the tries of one call on transient failures.
	DefaultMaxAttempts = 5
	// DefaultRequestTimeout bounds one HTTP exchange.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultWindowLimit is how many requests may start per endpoint per window.
	DefaultWindowLimit = 150
	// DefaultWindow is the length of Nhanh's sliding rate window.
	DefaultWindow = 30 * time.Second
	// DefaultWindowMarginDivisor sets the default WindowMargin to
	// Window/DefaultWindowMarginDivisor (600 ms for 30 s): slack for a server
	// whose clock runs a little fast or keeps coarse timestamps. Network delay
	// needs no margin, because a slot is held until the reply has arrived.
	DefaultWindowMarginDivisor = 50
	// DefaultBackoffBase is the first retry delay after a transient failure;
	// it doubles with each further failure.
	DefaultBackoffBase = time.Second
	// DefaultBackoffMax caps one retry delay.
	DefaultBackoffMax = 30 * time.Second
	// DefaultMaxLockWait is the longest ERR_429 lock a call waits out; a
	// longer lock is returned to the caller as a rate-limit error with
	// RetryAfter, so a job can give its worker back instead of blocking it.
	DefaultMaxLockWait = 5 * time.Minute
)

// Config configures a Client. Zero durations and counts take the defaults.
type Config struct {
	// BaseURL is the API host; DefaultBaseURL when empty.
	BaseURL     string
	AppID       string
	BusinessID  string
	AccessToken string
	// HTTPClient sends the requests; a new client when nil. Its own Timeout
	// should be zero or above RequestTimeout.
	HTTPClient *http.Client
	// Clock paces the governor, retries and lock waits; the real clock when nil.
	Clock clockwork.Clock
	// Logger receives retry and throttle events; discarded when nil.
	Logger *slog.Logger
	// MaxAttempts bounds the tries of one call on transient failures.
	MaxAttempts int
	// RequestTimeout bounds one HTTP exchange.
	RequestTimeout time.Duration
	// WindowLimit is how many requests may start per endpoint in any Window.
	// Lower it when several processes share one app and business.
	WindowLimit int
	// Window is the length of the sliding rate window.
	Window time.Duration
	// WindowMargin is added to Window before a finished request frees its slot.
	WindowMargin time.Duration
	// BackoffBase and BackoffMax shape the retry delays after transient
	// failures (see package retry); a 5xx reply's Retry-After is honoured up
	// to BackoffMax.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxLockWait is the longest ERR_429 lock a call waits out.
	MaxLockWait time.Duration
	// Budget, when set, shares the rate windows and locks with every other
	// process calling Nhanh as this app and business (several instances on
	// one PostgreSQL database). Nil keeps the budget in this process only.
	Budget BudgetStore
}

// Validate reports every setting that is missing or out of range. It never
// includes the access token in its messages.
func (c Config) Validate() error {
	var errs []error
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("nhanh: SYNCOPS_NHANH_BASE_URL %q is not an http(s) URL", c.BaseURL))
		}
	}
	for _, s := range []struct{ env, value string }{
		{"SYNCOPS_NHANH_APP_ID", c.AppID},
		{"SYNCOPS_NHANH_BUSINESS_ID", c.BusinessID},
		{"SYNCOPS_NHANH_ACCESS_TOKEN", c.AccessToken},
	} {
		if s.value == "" {
			errs = append(errs, fmt.Errorf("nhanh: %s is empty", s.env))
		}
	}
	for _, n := range []struct {
		name  string
		value int64
	}{
		{"MaxAttempts", int64(c.MaxAttempts)},
		{"RequestTimeout", int64(c.RequestTimeout)},
		{"WindowLimit", int64(c.WindowLimit)},
		{"Window", int64(c.Window)},
		{"WindowMargin", int64(c.WindowMargin)},
		{"BackoffBase", int64(c.BackoffBase)},
		{"BackoffMax", int64(c.BackoffMax)},
		{"MaxLockWait", int64(c.MaxLockWait)},
	} {
		if n.value < 0 {
			errs = append(errs, fmt.Errorf("nhanh: %s must not be negative", n.name))
		}
	}
	return errors.Join(errs...)
}

// withDefaults fills every zero setting with its default.
func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.WindowLimit == 0 {
		c.WindowLimit = DefaultWindowLimit
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.WindowMargin == 0 {
		c.WindowMargin = c.Window / DefaultWindowMarginDivisor
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	if c.MaxLockWait == 0 {
		c.MaxLockWait = DefaultMaxLockWait
	}
	return c
}

// String describes the config without its access token, so that printing a
// Config by mistake cannot leak it.
func (c Config) String() string {
	return fmt.Sprintf("nhanh.Config{BaseURL: %q, AppID: %q, BusinessID: %q, AccessToken: %s}",
		c.BaseURL, c.AppID, c.BusinessID, redactedMark(c.AccessToken))
}

// LogValue logs the config without its access token.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("app_id", c.AppID),
		slog.String("business_id", c.BusinessID),
		slog.String("access_token", redactedMark(c.AccessToken)),
	)
}

func redactedMark(token string) string {
	if token == "" {
		return "(empty)"
	}
	return "(redacted)"
}

// GoString keeps %#v from printing the access token too.
func (c Config) GoString() string { return c.String() }
