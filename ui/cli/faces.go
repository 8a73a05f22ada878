package cli

import (
	"context"
	"errors"
	"log/slog"

	"syncops/engine"
	"syncops/engine/app"
	"syncops/ui/headless"
)

// schedulerOf returns the app's scheduler for the service.
func schedulerOf(a *app.App) headless.Scheduler { return a.Scheduler }

// enableDemo turns on the short demonstration schedules, so the scheduler is
// seen at work in the sandbox.
func enableDemo(ctx context.Context, a *app.App) error {
	return a.Scheduler.EnableDemo(ctx, engine.Actor{Name: "demo", Kind: engine.ActorLocal})
}

// sshServices returns the SSH console when it is configured.
func sshServices(*app.App, *slog.Logger) []headless.Service { return nil }

// runConsole runs the terminal console.
func runConsole(context.Context, *env, *app.App, serveOptions) error {
	return errors.New("the console is not built yet; run with --no-tui")
}
