package cli

import (
	"context"
	"errors"
	"log/slog"

	"syncops/engine/app"
	"syncops/ui/headless"
)

// schedulerOf returns the app's scheduler for the service.
func schedulerOf(*app.App) headless.Scheduler { return nil }

// enableDemo turns on the demonstration schedules.
func enableDemo(context.Context, *app.App) error { return nil }

// sshServices returns the SSH console when it is configured.
func sshServices(*app.App, *slog.Logger) []headless.Service { return nil }

// runConsole runs the terminal console.
func runConsole(context.Context, *env, *app.App, serveOptions) error {
	return errors.New("the console is not built yet; run with --no-tui")
}
