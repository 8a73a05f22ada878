// Package headless runs syncops as a service with no terminal UI (--no-tui):
// the engine's workers, the scheduler, optionally the SSH console, the HTTP
// API and the /metrics and /healthz endpoints, with JSON logs. On the first SIGTERM or
// SIGINT (the context ending) it stops the scheduler, stops taking new jobs,
// lets running jobs checkpoint within the grace period and returns; what was
// interrupted resumes on the next start.
package headless

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"syncops/engine/app"
	"syncops/engine/metrics"
)

// Service is a part of the running service with its own lifecycle (the
// scheduler, the SSH server).
type Service interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Scheduler is the scheduler as the service sees it.
type Scheduler interface {
	Service
	Running() bool
	SkippedOverlap() map[string]int64
}

// Listener is a Service that listens on an address, which it reports once
// started (the HTTP API).
type Listener interface {
	Service
	Addr() string
}

// Bound are the addresses the service actually listens on ("" for a part
// that is off); with port 0 configured, they say which port was chosen.
type Bound struct {
	Metrics string
	HTTP    string
}

// Options configure Run.
type Options struct {
	App       *app.App
	Scheduler Scheduler // nil: no schedules run here
	Services  []Service // started after the scheduler, stopped before it
	// HTTP is the HTTP API (nil: off). It starts last and stops first, so
	// no request arrives while the engine stops.
	HTTP Listener
	// MetricsAddr serves /metrics and /healthz when set.
	MetricsAddr string
	// Grace is how long running jobs get to checkpoint on shutdown.
	Grace  time.Duration
	Logger *slog.Logger
	// Ready, if set, is called once everything listens, with the addresses
	// actually bound.
	Ready func(Bound)
}

// Run runs the service until ctx ends, then shuts it down gracefully.
func Run(ctx context.Context, opts Options) error {
	a := opts.App
	logger := opts.Logger
	if logger == nil {
		logger = a.Logger
	}
	if err := a.Engine.StartWorkers(ctx); err != nil {
		return err
	}
	if opts.Scheduler != nil {
		if err := opts.Scheduler.Start(ctx); err != nil {
			return fmt.Errorf("start scheduler: %w", err)
		}
	}
	for _, s := range opts.Services {
		if err := s.Start(ctx); err != nil {
			return err
		}
	}

	var srv *http.Server
	boundAddr := ""
	metricsCtx, stopMetrics := context.WithCancel(context.WithoutCancel(ctx))
	defer stopMetrics()
	if opts.MetricsAddr != "" {
		src := a.MetricsSources()
		if opts.Scheduler != nil {
			src.SkippedOverlap = opts.Scheduler.SkippedOverlap
		}
		m := metrics.New(src)
		go m.Run(metricsCtx, a.Engine)
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		mux.HandleFunc("GET /healthz", healthz(a, opts.Scheduler))
		ln, err := net.Listen("tcp", opts.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen for metrics on %s: %w", opts.MetricsAddr, err)
		}
		boundAddr = ln.Addr().String()
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("metrics server stopped", slog.Any("error", err))
			}
		}()
	}
	bound := Bound{Metrics: boundAddr}
	if opts.HTTP != nil {
		if err := opts.HTTP.Start(ctx); err != nil {
			return err
		}
		bound.HTTP = opts.HTTP.Addr()
	}
	logger.Info("syncops running", slog.String("database", a.DatabaseName()),
		slog.String("metrics", bound.Metrics), slog.String("http", bound.HTTP), slog.Bool("scheduler", opts.Scheduler != nil))
	if opts.Ready != nil {
		opts.Ready(bound)
	}

	<-ctx.Done()
	logger.Info("shutting down: no new work; running jobs checkpoint", slog.Duration("grace", opts.Grace))
	stopCtx, cancel := context.WithTimeout(context.Background(), opts.Grace)
	defer cancel()
	var errs []error
	if opts.HTTP != nil {
		errs = append(errs, opts.HTTP.Stop(stopCtx))
	}
	if opts.Scheduler != nil {
		errs = append(errs, opts.Scheduler.Stop(stopCtx))
	}
	for i := len(opts.Services) - 1; i >= 0; i-- {
		errs = append(errs, opts.Services[i].Stop(stopCtx))
	}
	errs = append(errs, a.Engine.Stop(stopCtx))
	if srv != nil {
		errs = append(errs, srv.Shutdown(stopCtx))
	}
	err := errors.Join(errs...)
	if err != nil {
		logger.Error("shutdown incomplete", slog.Any("error", err))
		return err
	}
	logger.Info("stopped")
	return nil
}

// healthz answers 200 when the database answers and the scheduler runs,
// 503 otherwise, with a JSON body saying which part is unwell.
func healthz(a *app.App, sch Scheduler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status := map[string]string{"database": "ok", "scheduler": "running"}
		healthy := true
		if err := a.Ping(ctx); err != nil {
			status["database"] = "unreachable"
			healthy = false
		}
		switch {
		case sch == nil:
			status["scheduler"] = "disabled"
		case !sch.Running():
			status["scheduler"] = "stopped"
			healthy = false
		}
		w.Header().Set("Content-Type", "application/json")
		if !healthy {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(status)
	}
}
