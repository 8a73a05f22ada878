package shopify

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
)

// Defaults for Config.
const (
	// DefaultAPIVersion is the Admin API version the client speaks. The
	// documents rely on 2026-04 semantics (changeFromQuantity and @idempotent
	// are mandatory on inventory mutations), so older versions are refused.
	DefaultAPIVersion = "2026-10"
	// MinAPIVersion is the oldest version whose semantics the documents match.
	MinAPIVersion = "2026-04"
	// DefaultMaxAttempts bounds the attempts for one call on transient failures.
	DefaultMaxAttempts = 5
	// DefaultRequestTimeout bounds one HTTP round trip.
	DefaultRequestTimeout = 60 * time.Second
	// DefaultRetryBaseDelay is the first backoff step; it doubles per attempt.
	DefaultRetryBaseDelay = 500 * time.Millisecond
	// DefaultRetryMaxDelay caps one backoff step.
	DefaultRetryMaxDelay = 30 * time.Second
	// DefaultBulkPollInterval is how often a running bulk operation is polled.
	DefaultBulkPollInterval = 2 * time.Second
)

// Environment variables named in configuration errors, so an operator knows
// what to set. The client itself does not read the environment.
const (
	EnvShop        = "SYNCOPS_SHOPIFY_SHOP"
	EnvAccessToken = "SYNCOPS_SHOPIFY_ACCESS_TOKEN"
	EnvAPIVersion  = "SYNCOPS_SHOPIFY_API_VERSION"
	EnvBaseURL     = "SYNCOPS_SHOPIFY_BASE_URL"
)

var (
	shopPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)
	versionPattern = regexp.MustCompile(`^\d{4}-(01|04|07|10)$`)
)

// Config configures a Client. The zero value of every optional field means
// its default.
type Config struct {
	// Shop is the shop's permanent domain, "name.myshopify.com".
	Shop string
	// BaseURL overrides "https://"+Shop, for the sandbox and tests.
	BaseURL string
	// APIVersion is the Admin API version, DefaultAPIVersion by default.
	APIVersion string
	// AccessToken is the Admin API access token. It is sent only to the
	// GraphQL endpoint and never appears in errors or logs.
	AccessToken string
	// HTTPClient sends the requests; http.DefaultClient by default.
	HTTPClient *http.Client
	// Clock measures every wait (rate limits, backoff, bulk polling).
	Clock clockwork.Clock
	// Logger receives retry and throttle notes; discarded by default.
	Logger *slog.Logger
	// MaxAttempts bounds attempts of one call on transient failures.
	MaxAttempts int
	// RequestTimeout bounds one HTTP round trip. It is measured on the real
	// clock, because it bounds real network I/O that a fake clock cannot see.
	RequestTimeout time.Duration
	// RetryBaseDelay and RetryMaxDelay shape the exponential backoff (see
	// package retry); a 5xx reply's Retry-After is honoured up to
	// RetryMaxDelay.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// BulkPollInterval is how often a running bulk operation is polled.
	BulkPollInterval time.Duration
	// Bucket, when set, shares the shop's cost bucket with every other
	// process calling it (several instances on one PostgreSQL database);
	// nil paces on this process's own estimate alone.
	Bucket BucketStore
}

// Validate reports every problem with the configuration. Each message names
// the environment variable to fix; none prints the token.
func (c Config) Validate() error {
	var errs []error
	shop := strings.TrimSpace(c.Shop)
	switch {
	case shop == "":
		errs = append(errs, fmt.Errorf("shopify: shop is not set (set %s to name.myshopify.com)", EnvShop))
	case !shopPattern.MatchString(shop):
		errs = append(errs, fmt.Errorf("shopify: shop %q is not a name.myshopify.com domain (check %s)", shop, EnvShop))
	}
	if strings.TrimSpace(c.AccessToken) == "" {
		errs = append(errs, fmt.Errorf("shopify: access token is not set (set %s)", EnvAccessToken))
	} else if strings.ContainsAny(c.AccessToken, " \t\r\n") {
		errs = append(errs, fmt.Errorf("shopify: access token contains whitespace (check %s)", EnvAccessToken))
	}
	if v := c.APIVersion; v != "" {
		if !versionPattern.MatchString(v) {
			errs = append(errs, fmt.Errorf("shopify: API version %q is not YYYY-01|04|07|10 (check %s)", v, EnvAPIVersion))
		} else if v < MinAPIVersion {
			errs = append(errs, fmt.Errorf("shopify: API version %s is older than %s, whose inventory semantics the client needs (check %s)", v, MinAPIVersion, EnvAPIVersion))
		}
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		errs = append(errs, fmt.Errorf("shopify: base URL %q is not http(s) (check %s)", c.BaseURL, EnvBaseURL))
	}
	if c.MaxAttempts < 0 || c.RequestTimeout < 0 || c.RetryBaseDelay < 0 || c.RetryMaxDelay < 0 || c.BulkPollInterval < 0 {
		errs = append(errs, errors.New("shopify: attempts, timeouts and delays must not be negative"))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with every unset optional field at its default.
func (c Config) withDefaults() Config {
	c.Shop = strings.TrimSpace(c.Shop)
	if c.BaseURL == "" {
		c.BaseURL = "https://" + c.Shop
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.APIVersion == "" {
		c.APIVersion = DefaultAPIVersion
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
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
	if c.RetryBaseDelay == 0 {
		c.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if c.RetryMaxDelay == 0 {
		c.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if c.BulkPollInterval == 0 {
		c.BulkPollInterval = DefaultBulkPollInterval
	}
	return c
}

// endpoint is the GraphQL URL for the configured shop and version.
func (c Config) endpoint() string {
	return c.BaseURL + "/admin/api/" + c.APIVersion + "/graphql.json"
}
