package cli

import (
	"context"
	"fmt"
	"log/slog"

	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/engine/app"
	"syncops/engine/doctor"
	"syncops/ui/headless"
	"syncops/ui/httpapi"
	"syncops/ui/sshd"
	"syncops/ui/tui"
)

// schedulerOf returns the app's scheduler for the service.
func schedulerOf(a *app.App) headless.Scheduler { return a.Scheduler }

// enableDemo turns on the short demonstration schedules, so the scheduler is
// seen at work in the sandbox.
func enableDemo(ctx context.Context, a *app.App) error {
	return a.Scheduler.EnableDemo(ctx, engine.Actor{Name: "demo", Kind: engine.ActorLocal, Role: engine.RoleOperator})
}

// consoleOptions are the console's options for one program: the local
// terminal or one SSH session.
func consoleOptions(a *app.App, so serveOptions, actor engine.Actor, readOnly bool, ctx context.Context) tui.Options {
	return tui.Options{Engine: a.Engine, Actor: actor, ReadOnly: readOnly, DatabaseName: a.DatabaseName(),
		Sandbox: so.sandbox != nil, Clock: a.Clock, Budgets: a.Budgets, Schedules: a.Scheduler,
		Locations: a.Locations, Context: ctx, Setup: a.SetupNeeded(), NhanhToken: a.NhanhTokenStatus,
		Doctor: func(ctx context.Context) (doctor.Report, error) {
			return a.Doctor(nil).Run(ctx, doctor.RunOptions{Actor: actor})
		}}
}

// sshServices returns the SSH console when SYNCOPS_SSH_ADDR is set.
func sshServices(a *app.App, so serveOptions, logger *slog.Logger) ([]headless.Service, error) {
	cfg := a.Config.SSH
	if cfg.Addr == "" {
		return nil, nil
	}
	srv, err := sshd.New(sshd.Config{Addr: cfg.Addr, DataDir: a.Config.DataDir, HostKeyPath: cfg.HostKey,
		AuthorizedKeysPath: cfg.AuthorizedKeys, ViewerKeysPath: cfg.ViewerKeys, Logger: logger, Clock: a.Clock,
		NewModel: func(s sshd.Session) tea.Model {
			opts := consoleOptions(a, so, s.Actor, s.ReadOnly, s.Context)
			opts.Mouse = s.Mouse // only a client that asked for it
			return tui.New(opts)
		}})
	if err != nil {
		return nil, fmt.Errorf("SSH console: %w", err)
	}
	return []headless.Service{srv}, nil
}

// httpServer returns the HTTP API when SYNCOPS_HTTP_ADDR is set (nil
// otherwise).
func httpServer(a *app.App, logger *slog.Logger) (*httpapi.Server, error) {
	cfg := a.Config.HTTP
	if cfg.Addr == "" {
		return nil, nil
	}
	srv, err := httpapi.New(httpapi.Config{Addr: cfg.Addr, TokensPath: cfg.Tokens, TLSCertPath: cfg.TLSCert,
		TLSKeyPath: cfg.TLSKey, NhanhWebhookToken: a.Config.Nhanh.WebhookToken.Reveal(), Engine: a.Engine, Scheduler: a.Scheduler, Logger: logger, Clock: a.Clock})
	if err != nil {
		return nil, fmt.Errorf("HTTP API: %w", err)
	}
	return srv, nil
}

// runConsole runs the console on this terminal, with the engine, the
// scheduler and (when configured) the SSH console and the HTTP API running
// behind it.
func runConsole(ctx context.Context, e *env, a *app.App, so serveOptions, logger *slog.Logger) error {
	if err := a.Engine.StartWorkers(ctx); err != nil {
		return err
	}
	if err := a.Scheduler.Start(ctx); err != nil {
		return err
	}
	services, err := sshServices(a, so, logger)
	if err != nil {
		return err
	}
	for _, s := range services {
		if err := s.Start(ctx); err != nil {
			return err
		}
		defer func() { _ = s.Stop(context.Background()) }()
	}
	api, err := httpServer(a, logger)
	if err != nil {
		return err
	}
	if api != nil {
		if err := api.Start(ctx); err != nil {
			return err
		}
		defer func() { _ = api.Stop(context.Background()) }()
	}
	opts := consoleOptions(a, so, localActor(engine.ActorLocal), false, ctx)
	opts.OwnsEngine = true // quitting this console stops the engine
	opts.Mouse = true
	opts.DoctorAtStart = true // says at once when something is not set up right
	model := tui.New(opts)
	defer model.Close()
	p := tea.NewProgram(model, tea.WithContext(ctx), tea.WithInput(e.opts.Stdin), tea.WithOutput(e.opts.Stdout))
	if _, err := p.Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("console: %w", err)
	}
	if note := model.ExitNote(); note != "" {
		// The terminal is restored: what the quit paused stays on screen.
		fmt.Fprintln(e.opts.Stdout, note)
	}
	return nil
}
