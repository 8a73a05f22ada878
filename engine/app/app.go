package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/locations"
	"syncops/engine/scheduler"
	"syncops/engine/webhook"
	"syncops/store"
)

// App is syncops assembled: what every face works with. The database and
// the API clients are private: faces reach them only through the engine,
// its services and the methods here (see faces.go), which the compiler
// enforces.
type App struct {
	Config    Config
	db        *store.Store
	Engine    *engine.Engine
	Locations *locations.Service
	// Scheduler runs and edits the schedules; it fires nothing until started.
	Scheduler *scheduler.Scheduler
	// nhanhClient and shopifyClient are nil when their API is not configured.
	nhanhClient   *nhanh.Client
	shopifyClient *shopify.Client
	Logger        *slog.Logger
	Clock         clockwork.Clock
	// probes watch the APIs for the doctor and the status bar: the Nhanh
	// token's expiry and the Date headers (see doctor.go).
	probes apiProbes
	// releaseLease gives up this process's SQLite job lease (see
	// store.TakeProcessLease); a no-op otherwise.
	releaseLease func()
}

// Options change how Build assembles the app.
type Options struct {
	// NoWorkers builds an engine that only inserts and reads jobs.
	NoWorkers bool
	// Kinds returns the job kinds to register; nil means the production
	// kinds. Tests use it to run the faces against test kinds.
	Kinds  func(Deps) ([]engine.Kind, error)
	Logger *slog.Logger
	Clock  clockwork.Clock
}

// Deps are what job kinds are built from.
type Deps struct {
	Config  Config
	Store   *store.Store
	Nhanh   *nhanh.Client   // nil when not configured
	Shopify *shopify.Client // nil when not configured
	// ClientErr says why a client is nil.
	ClientErr error
	Logger    *slog.Logger
	Clock     clockwork.Clock
}

// Build opens and migrates the database and builds the engine. Call
// App.Engine.StartWorkers to run jobs, and Close when done.
func Build(ctx context.Context, cfg Config, opts Options) (*App, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clock := opts.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	s, err := store.Open(ctx, cfg.DB, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s.SetPhoneKeys(engine.PhoneSearchKeys)
	if err := s.Migrate(ctx, logger); err != nil {
		_ = s.Close()
		return nil, err
	}
	releaseLease := func() {}
	if !opts.NoWorkers {
		// With SQLite one process runs jobs: a second one would draw on
		// the same API limits without knowing of the first.
		if releaseLease, err = s.TakeProcessLease(); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	dates := newDateRecorders(clock)
	var budget nhanh.BudgetStore
	var bucket shopify.BucketStore
	if s.Dialect() == store.Postgres {
		// Several instances may share this database: they share Nhanh's
		// windows and Shopify's bucket too. On SQLite one process calls the
		// APIs (see store.TakeProcessLease), so its own governors are the
		// whole budget.
		budget, bucket = NhanhBudget{Store: s}, ShopifyBucket{Store: s}
	}
	nc, sc, clientErr := buildClients(cfg, logger, clock, dates, budget, bucket)
	deps := Deps{Config: cfg, Store: s, Nhanh: nc, Shopify: sc, ClientErr: clientErr, Logger: logger, Clock: clock}
	kindsFn := opts.Kinds
	if kindsFn == nil {
		kindsFn = productionKinds
	}
	kinds, err := kindsFn(deps)
	if err != nil {
		releaseLease()
		_ = s.Close()
		return nil, err
	}
	hooks, err := webhook.New(webhook.Config{Store: s, Nhanh: nc, BusinessID: cfg.Nhanh.BusinessID, Clock: clock,
		Logger: logger.With(slog.String("component", "webhooks"))})
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	e, err := engine.New(engine.Config{Store: s, Kinds: kinds, Clock: clock, Logger: logger,
		Workers: cfg.Workers, NoWorkers: opts.NoWorkers, Retention: cfg.Retention,
		MaxAttemptTimeout: cfg.AttemptTimeout, RescueMargin: cfg.RescueMargin, Settings: jobs.Settings(),
		Webhooks: hooks, WebhookWindow: cfg.Nhanh.WebhookWindow})
	if err != nil {
		releaseLease()
		_ = s.Close()
		return nil, err
	}
	var loc *time.Location // nil: the scheduler's default zone
	if cfg.Timezone != "" {
		if loc, err = time.LoadLocation(cfg.Timezone); err != nil {
			releaseLease()
			_ = s.Close()
			return nil, fmt.Errorf("SYNCOPS_TIMEZONE: %w", err)
		}
	}
	sch, err := scheduler.New(scheduler.Config{Engine: e, Store: s, Location: loc, Clock: clock, Logger: logger})
	if err != nil {
		releaseLease()
		_ = s.Close()
		return nil, err
	}
	return &App{Config: cfg, db: s, Engine: e, Locations: locations.New(s, nc, sc, clock), Scheduler: sch,
		nhanhClient: nc, shopifyClient: sc, Logger: logger, Clock: clock, probes: apiProbes{dates: dates, token: newTokenWatcher(cfg, clock, logger)},
		releaseLease: releaseLease}, nil
}

// buildClients builds both API clients; a client whose settings are missing
// is nil, and the error says what to set.
func buildClients(cfg Config, logger *slog.Logger, clock clockwork.Clock, dates dateRecorders, budget nhanh.BudgetStore, bucket shopify.BucketStore) (*nhanh.Client, *shopify.Client, error) {
	var errs []error
	nc, err := nhanh.New(nhanh.Config{BaseURL: cfg.Nhanh.BaseURL, AppID: cfg.Nhanh.AppID, BusinessID: cfg.Nhanh.BusinessID,
		AccessToken: cfg.Nhanh.AccessToken.Reveal(), Logger: logger.With(slog.String("api", "nhanh")), Clock: clock,
		HTTPClient: dates.nhanh.Client(), Budget: budget, Window: cfg.Nhanh.RateWindow})
	if err != nil {
		nc = nil
		errs = append(errs, err)
	}
	sc, err := shopify.New(shopify.Config{Shop: cfg.Shopify.Shop, BaseURL: cfg.Shopify.BaseURL, APIVersion: cfg.Shopify.APIVersion,
		AccessToken: cfg.Shopify.AccessToken.Reveal(), Logger: logger.With(slog.String("api", "shopify")), Clock: clock,
		HTTPClient: dates.shopify.Client(), Bucket: bucket})
	if err != nil {
		sc = nil
		errs = append(errs, err)
	}
	return nc, sc, errors.Join(errs...)
}

// Close stops the scheduler and the engine (letting running jobs
// checkpoint until ctx ends) and closes the database. Stopping twice is
// harmless, so a face that stopped them itself may still call Close.
func (a *App) Close(ctx context.Context) error {
	err := errors.Join(a.Scheduler.Stop(ctx), a.Engine.Stop(ctx), a.db.Close())
	if a.releaseLease != nil {
		a.releaseLease()
	}
	return err
}

// productionKinds are the thirteen job types. Without working API settings
// they are still registered (jobs can be listed and inspected), and each
// start fails with what to configure.
func productionKinds(d Deps) ([]engine.Kind, error) {
	if d.ClientErr != nil {
		return jobs.Unavailable(fmt.Errorf("syncops is not configured for the APIs: %w", d.ClientErr)), nil
	}
	return jobs.Kinds(jobs.Deps{Store: d.Store, Nhanh: d.Nhanh, Shopify: d.Shopify, Clock: d.Clock, Logger: d.Logger})
}
