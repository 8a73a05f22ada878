// Package httpapi is syncops' HTTP face: the job routes the replaced
// system's callers (cron services, scripts) use, answering in its wire
// shapes, and a clean API under /v1 with RFC 9457 errors, Server-Sent Events
// from the engine's event hub and an OpenAPI document. Every request needs a
// bearer token from the tokens file; the token's role goes to the engine,
// which decides what it may change and audits every change under the
// token's name. The one exception is Nhanh's webhook route (webhook.go),
// authenticated by the app's verify token instead.
//
// Like every face it works only through the engine's public API (engine,
// engine/scheduler), never the store or the API clients.
package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/engine"
	"syncops/engine/scheduler"
)

// Defaults of Config.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	// DefaultWriteTimeout bounds an answer; event streams lift it.
	DefaultWriteTimeout = 30 * time.Second
	DefaultIdleTimeout  = 2 * time.Minute
	// DefaultHeartbeat is how often an idle event stream sends a comment,
	// so proxies and clients see the connection alive.
	DefaultHeartbeat = 15 * time.Second
)

// Config configures the HTTP face.
type Config struct {
	// Addr is the listen address, e.g. 127.0.0.1:8080 (port 0: any free
	// port; Addr after Start tells which).
	Addr string
	// TokensPath is the bearer tokens file: lines "NAME ROLE TOKEN".
	TokensPath string
	// TLSCertPath and TLSKeyPath serve HTTPS when both are set.
	TLSCertPath, TLSKeyPath string
	// NhanhWebhookToken is Nhanh's webhooks verify token; set, POST
	// /webhooks/nhanh takes deliveries authenticated by it (instead of a
	// bearer token).
	NhanhWebhookToken string

	Engine    *engine.Engine
	Scheduler *scheduler.Scheduler // nil: the schedule routes answer 503

	Logger *slog.Logger
	Clock  clockwork.Clock

	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, Heartbeat time.Duration
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("httpapi: no listen address"))
	}
	if c.TokensPath == "" {
		errs = append(errs, errors.New("httpapi: no tokens file (SYNCOPS_HTTP_TOKENS)"))
	}
	if (c.TLSCertPath == "") != (c.TLSKeyPath == "") {
		errs = append(errs, errors.New("httpapi: TLS needs both a certificate and a key file"))
	}
	if c.Engine == nil {
		errs = append(errs, errors.New("httpapi: no engine"))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.IdleTimeout, DefaultIdleTimeout)
	def(&c.Heartbeat, DefaultHeartbeat)
	return c
}

// Server is the HTTP face. Start listens, Stop ends event streams and shuts
// down gracefully; Stop is idempotent and safe before Start.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	engine  *engine.Engine
	sched   *scheduler.Scheduler
	tokens  *tokenFile
	limiter *failureLimiter
	// webhookToken authenticates Nhanh's deliveries (webhook.go).
	webhookToken verifyToken
	routes       []route
	handler      http.Handler

	// streams ends every event stream when the server stops; Shutdown
	// alone would wait for them forever.
	streams    context.Context
	endStreams context.CancelFunc

	mu      sync.Mutex
	srv     *http.Server
	addr    string
	stopped bool
}

// New builds the server; it does not listen yet.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	logger := cfg.Logger.With(slog.String("component", "http"))
	s := &Server{cfg: cfg, logger: logger, engine: cfg.Engine, sched: cfg.Scheduler,
		tokens: newTokenFile(cfg.TokensPath, logger), limiter: newFailureLimiter(cfg.Clock),
		webhookToken: newVerifyToken(cfg.NhanhWebhookToken)}
	s.streams, s.endStreams = context.WithCancel(context.Background())
	s.routes = append(s.compatRoutes(), s.v1Routes()...)
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.pattern, rt.handler)
	}
	s.handler = s.authenticate(mux)
	if s.webhookToken.set {
		// Nhanh authenticates with its verify token, not a bearer token.
		outer := http.NewServeMux()
		outer.HandleFunc("POST "+WebhookPath, s.nhanhWebhook)
		outer.Handle("/", s.handler)
		s.handler = outer
	}
	return s, nil
}

// route is one registered route: the table the mux is built from, the
// OpenAPI test reads and the role test enumerates.
type route struct {
	method, pattern string
	// mutating routes change something; the engine refuses them to viewers.
	mutating bool
	// stream routes answer with Server-Sent Events.
	stream  bool
	handler http.HandlerFunc
}

// Handler is the authenticated handler of every route (for tests and for
// embedding in another server).
func (s *Server) Handler() http.Handler { return s.handler }

// Start checks the tokens file and the TLS files and listens; it returns
// once connections are accepted.
func (s *Server) Start(ctx context.Context) error {
	if err := s.tokens.check(); err != nil {
		return fmt.Errorf("http api: %w", err)
	}
	var tlsCfg *tls.Config
	if s.cfg.TLSCertPath != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCertPath, s.cfg.TLSKeyPath)
		if err != nil {
			return fmt.Errorf("http api: TLS: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("http api: stopped")
	}
	if s.srv != nil {
		return nil
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("http api: listen on %s: %w", s.cfg.Addr, err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: s.cfg.ReadHeaderTimeout, ReadTimeout: s.cfg.ReadTimeout,
		WriteTimeout: s.cfg.WriteTimeout, IdleTimeout: s.cfg.IdleTimeout, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn)}
	srv := s.srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http server stopped", slog.Any("error", err))
		}
	}()
	s.logger.Info("http api listening", slog.String("addr", s.addr), slog.Bool("tls", tlsCfg != nil))
	return nil
}

// Addr is the address actually bound ("" before Start).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Stop ends the event streams and shuts the server down, letting answers
// in progress finish until ctx ends.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.stopped = true
	s.mu.Unlock()
	s.endStreams()
	if srv == nil {
		return nil
	}
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("http api: shutdown: %w", err)
	}
	return nil
}
