// Package cli is syncops' command line: the root command (the console, or
// the headless service with --no-tui) and the non-interactive commands for
// scripts and cron, which call the same engine API as the console.
//
// Exit codes of commands that wait for a job (run, job --follow):
//
//	0  the job COMPLETED (it may have failed items; see `syncops failures`)
//	1  the job FAILED, or syncops itself failed
//	2  refused: unknown type, bad parameter, an identical job already active
//	3  the job was CANCELLED
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/spf13/cobra"

	"syncops/engine"
	"syncops/engine/app"
)

// Exit codes.
const (
	ExitOK        = 0
	ExitFailed    = 1
	ExitRefused   = 2
	ExitCancelled = 3
)

// Options configure the command line; tests replace Build and the streams.
type Options struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Env            func(string) string
	// Build assembles the app; nil means app.Build.
	Build func(ctx context.Context, cfg app.Config, opts app.Options) (*app.App, error)
	// Kinds overrides the job kinds (tests).
	Kinds func(app.Deps) ([]engine.Kind, error)
}

// exitError carries an exit code up through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func refused(err error) error { return &exitError{code: ExitRefused, err: err} }

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, opts Options) int {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	if opts.Env == nil {
		opts.Env = os.Getenv
	}
	if opts.Build == nil {
		opts.Build = app.Build
	}
	root := newRoot(&opts)
	root.SetArgs(args)
	root.SetOut(opts.Stdout)
	root.SetErr(opts.Stderr)
	root.SetIn(opts.Stdin)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(opts.Stderr, "syncops:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(opts.Stderr, "syncops:", err)
	if isUsageError(err) {
		return ExitRefused
	}
	return ExitFailed
}

// env is the state shared by the commands of one invocation.
type env struct {
	opts       *Options
	configPath string
	jsonOut    bool
}

func (e *env) loadConfig() (app.Config, error) {
	path := e.configPath
	if path == "" {
		path = e.opts.Env("SYNCOPS_CONFIG")
	}
	return app.Load(path, e.opts.Env)
}

// open builds the app; workers says whether this process runs jobs.
func (e *env) open(ctx context.Context, workers bool) (*app.App, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	a, err := e.opts.Build(ctx, cfg, app.Options{NoWorkers: !workers, Kinds: e.opts.Kinds})
	if err != nil {
		return nil, err
	}
	if workers {
		if err := a.Engine.StartWorkers(ctx); err != nil {
			_ = a.Close(context.Background())
			return nil, err
		}
	}
	return a, nil
}

// localActor is the person at this terminal, for the audit log. Whoever
// runs syncops here owns its database, so they are an operator.
func localActor(kind engine.ActorKind) engine.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return engine.Actor{Name: name, Kind: kind, Role: engine.RoleOperator}
}

func newRoot(opts *Options) *cobra.Command {
	e := &env{opts: opts}
	var noTUI bool
	root := &cobra.Command{
		Use:   "syncops",
		Short: "Keep a Shopify store in step with Nhanh.vn, as tracked background jobs",
		Long: `syncops pulls customers and products from Nhanh.vn and Shopify, matches them
(customers by Vietnamese phone number, products by SKU) and pushes Nhanh's values
to Shopify: lifetime spend into the customer metafield custom.total_spent, and
available stock into Shopify inventory per location. Every long operation runs as
a tracked background job that survives crashes and can be watched, cancelled
and retried.

Run without a command to open the console; "syncops demo" opens it against a
built-in sandbox of both APIs.

Configuration comes from a YAML file (--config or SYNCOPS_CONFIG) and the
environment, which wins:
` + app.EnvHelp(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.loadConfig()
			if err != nil {
				return err
			}
			return serve(cmd.Context(), e, cfg, serveOptions{noTUI: noTUI})
		},
	}
	root.Flags().BoolVar(&noTUI, "no-tui", false, "run headless: engine, scheduler, metrics, SSH console and HTTP API (when configured), JSON logs")
	root.PersistentFlags().StringVar(&e.configPath, "config", "", "YAML configuration file (default $SYNCOPS_CONFIG)")
	root.AddCommand(newRunCmd(e), newJobsCmd(e), newJobCmd(e), newFailuresCmd(e), newDiffCmd(e), newCancelCmd(e), newRetryCmd(e),
		newSchedulesCmd(e), newScheduleCmd(e),
		newTypesCmd(e), newLocationsCmd(e), newDemoCmd(e), newAuditCmd(e), newWebhooksCmd(e),
		newInitCmd(e), newDoctorCmd(e),
		newMappingsCmd(e), newMappingCmd(e), newMapCmd(e), newRemapCmd(e), newUnmapCmd(e), newCleanOrphansCmd(e),
		newSyncNowCmd(e), newStreamsCmd(e), newSettingsCmd(e))
	return root
}

func isUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least",
		"invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
