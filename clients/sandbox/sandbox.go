// Package sandbox runs both fake APIs, Nhanh.vn and Shopify, behind one
// loopback HTTP server, so `syncops demo`, end-to-end tests and benchmarks
// talk to real sockets with real credentials and never to the internet.
//
// One listener serves both fakes under path prefixes:
//
//	http://127.0.0.1:port/nhanh/v3.0/...                       -> nhanhfake
//	http://127.0.0.1:port/shopify/admin/api/<ver>/graphql.json -> shopifyfake
//	http://127.0.0.1:port/bulk/<n>.jsonl                       -> shopifyfake (bulk results)
//
// Each sandbox draws fresh credentials from crypto/rand, so a client wired to
// the wrong sandbox (or to none) fails authentication instead of reading
// someone else's world. The fakes own private copies of the dataset; what a
// test asserts is read back from Nhanh() and Shopify().
//
// Lifecycle:
//
//	Start --> serving --Close--> closed   (Close is idempotent)
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/fault"
	"syncops/clients/sandbox/nhanhfake"
	"syncops/clients/sandbox/shopifyfake"
)

// Defaults for Options.
const (
	// DefaultAddr listens on a free loopback port.
	DefaultAddr = "127.0.0.1:0"
	// DefaultScale runs the fakes at the real APIs' published limits.
	DefaultScale = 1.0
	// DefaultShopifyAPIVersion is the newest Admin API version the Shopify
	// fake serves, and the one announced in Endpoints.
	DefaultShopifyAPIVersion = shopifyfake.DefaultAPIVersion
)

// Path prefixes under which the shared server mounts each fake.
const (
	NhanhPrefix   = "/nhanh"
	ShopifyPrefix = "/shopify"
	// BulkResultPrefix serves the Shopify fake's bulk query results.
	BulkResultPrefix = "/bulk/"
	// StagedUploadPath takes the Shopify fake's staged uploads.
	StagedUploadPath = "/staged-uploads"
)

// readHeaderTimeout bounds a slow client on the shared server; request
// bodies are not bounded because the Timeout fault stalls on purpose.
const readHeaderTimeout = 10 * time.Second

// Options configures a sandbox. Zero values take the defaults.
type Options struct {
	// Dataset is the world to serve. Nil generates one from Seed,
	// Customers and Products (zero sizes take dataset's defaults).
	Dataset   *dataset.Dataset
	Seed      uint64
	Customers int
	Products  int
	// PhoneCases adds the Vietnamese phone cases to a generated world
	// (dataset.GenerateConfig.PhoneCases); off, the world is today's.
	PhoneCases bool
	// Scale speeds up the fakes' clock-based limits (rate windows, locks,
	// Shopify's bucket refill); 1 is real-world speed.
	Scale float64
	// Faults is the fault mix. Each API gets its own injector seeded from
	// Faults.Seed (or Seed when that is zero), so the two streams of faults
	// are independent and reproducible.
	Faults fault.Spec
	// Addr is the listen address.
	Addr string
	// ShopifyAPIVersion is the newest version the Shopify fake serves (a
	// later one gets 404) and the one announced in Endpoints.
	ShopifyAPIVersion string
	// Clock drives the fakes' limits; nil is the real clock.
	Clock clockwork.Clock
	// ShopifyBulkDelay is how long (on Clock) a Shopify bulk operation runs
	// before it completes; 0 completes it at the first poll. A delay longer
	// than a job's attempt models the exports of a large shop.
	ShopifyBulkDelay time.Duration
	// ShopifyPagingCap, when positive, ends Shopify's customer and variant
	// connections after that many objects (shopifyfake.PagingCapStorefront
	// models the 25,000 cap); off by default.
	ShopifyPagingCap int
	// Living switches on a generated world's trading-shop hard cases (null
	// totals and stock, untracked and not-stocked items, parent and combo
	// products); all off by default. Ignored when Dataset is given.
	Living dataset.LivingCases
	// NhanhOmittedTypeMeansRetail and NhanhOmittedStatusMeansActive make
	// the Nhanh fake read a missing customer type or product status
	// filter pessimistically (see nhanhfake.Options); off by default.
	NhanhOmittedTypeMeansRetail, NhanhOmittedStatusMeansActive bool
}

// Validate reports options a sandbox cannot start with.
func (o Options) Validate() error {
	var errs []error
	if o.Scale < 0 {
		errs = append(errs, fmt.Errorf("scale must not be negative, got %g", o.Scale))
	}
	if o.Dataset == nil {
		cfg := dataset.GenerateConfig{Seed: o.Seed, Customers: o.Customers, Products: o.Products}
		if err := cfg.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.Scale == 0 {
		o.Scale = DefaultScale
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.ShopifyAPIVersion == "" {
		o.ShopifyAPIVersion = DefaultShopifyAPIVersion
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	return o
}

// Endpoints is what a client needs to reach the sandbox: base URLs and
// credentials of both APIs. Its String and LogValue hide the tokens.
type Endpoints struct {
	NhanhBaseURL    string // requests go to NhanhBaseURL + "/v3.0/<module>/<action>"
	NhanhAppID      string
	NhanhBusinessID string
	NhanhToken      string
	// NhanhSecretKey is the app's secret, for the app/ endpoints.
	NhanhSecretKey string
	// NhanhOAuthURL is the fake's grant page: it redirects to the returnLink
	// with an accessCode, as nhanh.vn/oauth does once the owner agrees.
	NhanhOAuthURL string

	ShopifyBaseURL    string // requests go to ShopifyBaseURL + "/admin/api/<ver>/graphql.json"
	ShopifyShop       string
	ShopifyToken      string
	ShopifyAPIVersion string
}

// String describes the endpoints with the tokens redacted, so printing them
// by mistake leaks nothing.
func (e Endpoints) String() string {
	return fmt.Sprintf("nhanh %s (app %s, business %s, token %s); shopify %s (shop %s, version %s, token %s)",
		e.NhanhBaseURL, e.NhanhAppID, e.NhanhBusinessID, redact(e.NhanhToken),
		e.ShopifyBaseURL, e.ShopifyShop, e.ShopifyAPIVersion, redact(e.ShopifyToken))
}

// GoString is String, so %#v redacts too.
func (e Endpoints) GoString() string { return e.String() }

// LogValue redacts the tokens in structured logs.
func (e Endpoints) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("nhanh_base_url", e.NhanhBaseURL),
		slog.String("nhanh_app_id", e.NhanhAppID),
		slog.String("nhanh_business_id", e.NhanhBusinessID),
		slog.String("nhanh_token", redact(e.NhanhToken)),
		slog.String("shopify_base_url", e.ShopifyBaseURL),
		slog.String("shopify_shop", e.ShopifyShop),
		slog.String("shopify_api_version", e.ShopifyAPIVersion),
		slog.String("shopify_token", redact(e.ShopifyToken)),
	)
}

func redact(token string) string {
	if token == "" {
		return "(none)"
	}
	return "(redacted)"
}

// Sandbox is a running pair of fakes behind one HTTP server.
type Sandbox struct {
	nhanh     *nhanhfake.Server
	shopify   *shopifyfake.Server
	truth     *dataset.Truth
	endpoints Endpoints
	addr      string
	date      *dateStamper // stamps replies' Date header (setup.go)

	server     *http.Server
	cancelReqs context.CancelFunc // ends every request's context
	served     chan struct{}      // closed when Serve returns
	serveErr   error              // set before served is closed

	closeOnce sync.Once
	closeErr  error
}

// Start builds the world, starts the fakes and serves them until Close. ctx
// bounds only the start-up (binding the listener); it does not stop the
// sandbox when cancelled later.
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("sandbox options: %w", err)
	}
	opts = opts.withDefaults()

	ds, truth := opts.Dataset, (*dataset.Truth)(nil)
	if ds == nil {
		ds, truth = dataset.GenerateWithTruth(dataset.GenerateConfig{
			Seed: opts.Seed, Customers: opts.Customers, Products: opts.Products, PhoneCases: opts.PhoneCases,
			Living: opts.Living,
		})
	}
	creds, err := newCredentials()
	if err != nil {
		return nil, fmt.Errorf("sandbox credentials: %w", err)
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox listen on %s: %w", opts.Addr, err)
	}
	base := "http://" + ln.Addr().String()

	sb := &Sandbox{
		truth:  truth,
		addr:   ln.Addr().String(),
		served: make(chan struct{}),
		endpoints: Endpoints{
			NhanhBaseURL:      base + NhanhPrefix,
			NhanhAppID:        creds.nhanhAppID,
			NhanhBusinessID:   creds.nhanhBusinessID,
			NhanhToken:        creds.nhanhToken,
			NhanhSecretKey:    creds.nhanhSecretKey,
			NhanhOAuthURL:     base + NhanhPrefix + "/oauth",
			ShopifyBaseURL:    base + ShopifyPrefix,
			ShopifyShop:       creds.shopifyShop,
			ShopifyToken:      creds.shopifyToken,
			ShopifyAPIVersion: opts.ShopifyAPIVersion,
		},
	}
	faultSeed := opts.Faults.Seed
	if faultSeed == 0 {
		faultSeed = opts.Seed
	}
	sb.nhanh = nhanhfake.New(ds, nhanhfake.Options{
		AppID:       creds.nhanhAppID,
		BusinessID:  creds.nhanhBusinessID,
		AccessToken: creds.nhanhToken,
		SecretKey:   creds.nhanhSecretKey,
		Scale:       opts.Scale,
		Faults:      injector(opts.Faults, faultSeed, nhanhFaultStream),
		Clock:       opts.Clock,

		OmittedTypeMeansRetail:   opts.NhanhOmittedTypeMeansRetail,
		OmittedStatusMeansActive: opts.NhanhOmittedStatusMeansActive,
	})
	sb.shopify = shopifyfake.New(ds, shopifyfake.Options{
		Shop:        creds.shopifyShop,
		AccessToken: creds.shopifyToken,
		APIVersion:  opts.ShopifyAPIVersion,
		Scale:       opts.Scale,
		Faults:      injector(opts.Faults, faultSeed, shopifyFaultStream),
		Clock:       opts.Clock,
		BulkDelay:   opts.ShopifyBulkDelay,
		PagingCap:   opts.ShopifyPagingCap,
	})

	sb.date = &dateStamper{clock: opts.Clock}
	sb.serve(ln)
	return sb, nil
}

// serve mounts both fakes on one mux and serves ln until Close.
func (sb *Sandbox) serve(ln net.Listener) {
	mux := http.NewServeMux()
	mux.Handle(NhanhPrefix+"/", http.StripPrefix(NhanhPrefix, sb.nhanh))
	mux.Handle(ShopifyPrefix+"/", http.StripPrefix(ShopifyPrefix, sb.shopify))
	// The Shopify fake links bulk results at <host>/bulk/<n>.jsonl, without
	// the prefix (real Shopify links a storage host, not the API path).
	mux.Handle(BulkResultPrefix, sb.shopify)
	// Staged uploads of bulk mutation variables go to <host>/staged-uploads.
	mux.Handle(StagedUploadPath, sb.shopify)
	// Requests share a context that Close cancels, so handlers stalled by a
	// Timeout fault return at once instead of holding the shutdown.
	reqCtx, cancelReqs := context.WithCancel(context.Background())
	sb.cancelReqs = cancelReqs
	sb.date.next = mux
	sb.server = &http.Server{
		Handler:           sb.date,
		ReadHeaderTimeout: readHeaderTimeout,
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
	}
	go func() {
		defer close(sb.served)
		if err := sb.server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			sb.serveErr = err
		}
	}()
}

// Endpoints returns the base URLs and credentials of both fakes.
func (sb *Sandbox) Endpoints() Endpoints { return sb.endpoints }

// Addr is the host:port the sandbox listens on.
func (sb *Sandbox) Addr() string { return sb.addr }

// Nhanh is the Nhanh fake, for scripting faults and changing the source world.
func (sb *Sandbox) Nhanh() *nhanhfake.Server { return sb.nhanh }

// Shopify is the Shopify fake, for reading back what was written.
func (sb *Sandbox) Shopify() *shopifyfake.Server { return sb.shopify }

// Truth is the answer key of the generated world, or nil when the sandbox
// serves a Dataset given in Options (its answers are the caller's).
func (sb *Sandbox) Truth() *dataset.Truth { return sb.truth }

// Close stops the server: it stops accepting, ends requests stalled by a
// Timeout fault, waits for the others until ctx ends, then drops what is
// left. Later calls return the first call's result.
func (sb *Sandbox) Close(ctx context.Context) error {
	sb.closeOnce.Do(func() {
		sb.cancelReqs()
		var errs []error
		if err := sb.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("sandbox graceful shutdown: %w", err))
			if err := sb.server.Close(); err != nil {
				errs = append(errs, fmt.Errorf("sandbox close: %w", err))
			}
		}
		<-sb.served
		if sb.serveErr != nil {
			errs = append(errs, fmt.Errorf("sandbox serve: %w", sb.serveErr))
		}
		sb.closeErr = errors.Join(errs...)
	})
	return sb.closeErr
}

// Fault streams: fixed offsets that give each API its own injector seed.
const (
	nhanhFaultStream   = 1
	shopifyFaultStream = 2
)

// injector returns an injector for spec reseeded for one API stream, or nil
// when the spec injects nothing.
func injector(spec fault.Spec, seed, stream uint64) *fault.Injector {
	active := false
	for _, rate := range spec.Rates {
		active = active || rate > 0
	}
	if !active {
		return nil
	}
	return fault.NewInjector(fault.Spec{Seed: splitmix64(seed + stream*0x9e3779b97f4a7c15), Rates: spec.Rates})
}

// splitmix64 scrambles a seed so neighbouring seeds give unrelated streams.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// credentials are one sandbox's secrets, shaped like the real ones.
type credentials struct {
	nhanhAppID, nhanhBusinessID, nhanhToken string
	nhanhSecretKey                          string
	shopifyShop, shopifyToken               string
}

func newCredentials() (credentials, error) {
	var c credentials
	var err error
	if c.nhanhAppID, err = randomDigits(5); err != nil {
		return c, err
	}
	if c.nhanhBusinessID, err = randomDigits(6); err != nil {
		return c, err
	}
	// Nhanh tokens are long opaque strings; Shopify admin tokens are
	// shpat_ plus 32 hex digits.
	c.nhanhToken = rand.Text() + rand.Text()
	c.nhanhSecretKey = rand.Text()
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return c, fmt.Errorf("random shopify token: %w", err)
	}
	c.shopifyToken = "shpat_" + hex.EncodeToString(token)
	c.shopifyShop = "sandbox-" + strings.ToLower(rand.Text()[:8]) + ".myshopify.com"
	return c, nil
}

// randomDigits returns n decimal digits without a leading zero.
func randomDigits(n int) (string, error) {
	lo := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n-1)), nil)
	span := new(big.Int).Mul(lo, big.NewInt(9))
	x, err := rand.Int(rand.Reader, span)
	if err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return x.Add(x, lo).String(), nil
}
