package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jonboulle/clockwork"

	"syncops/engine"
	"syncops/store"
)

// App is syncops assembled: what every face works with.
type App struct {
	Config Config
	Store  *store.Store
	Engine *engine.Engine
	Logger *slog.Logger
	Clock  clockwork.Clock
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
	Config Config
	Store  *store.Store
	Logger *slog.Logger
	Clock  clockwork.Clock
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
	if err := s.Migrate(ctx, logger); err != nil {
		_ = s.Close()
		return nil, err
	}
	deps := Deps{Config: cfg, Store: s, Logger: logger, Clock: clock}
	kindsFn := opts.Kinds
	if kindsFn == nil {
		kindsFn = productionKinds
	}
	kinds, err := kindsFn(deps)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	e, err := engine.New(engine.Config{Store: s, Kinds: kinds, Clock: clock, Logger: logger,
		Workers: cfg.Workers, NoWorkers: opts.NoWorkers, Retention: cfg.Retention})
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return &App{Config: cfg, Store: s, Engine: e, Logger: logger, Clock: clock}, nil
}

// Close stops the engine (letting running jobs checkpoint until ctx ends)
// and closes the database.
func (a *App) Close(ctx context.Context) error {
	return errors.Join(a.Engine.Stop(ctx), a.Store.Close())
}

// productionKinds are the thirteen job types.
func productionKinds(d Deps) ([]engine.Kind, error) {
	return nil, fmt.Errorf("the sync job types are not built yet")
}
