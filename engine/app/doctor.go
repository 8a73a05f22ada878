package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/jonboulle/clockwork"

	"syncops/clients/nhanh"
	"syncops/clients/serverclock"
	"syncops/engine"
	"syncops/engine/doctor"
	"syncops/engine/nhanhtoken"
	"syncops/store"
)

// sshHostKeyName is the SSH console's default host key file in the data
// directory (ui/sshd.DefaultHostKeyName; the engine does not import faces).
const sshHostKeyName = "ssh_host_ed25519"

// EnvHTTPTokens names the file of HTTP API tokens, when that API is set up.
const EnvHTTPTokens = "SYNCOPS_HTTP_TOKENS"

type dateRecorders struct{ nhanh, shopify *serverclock.Recorder }

// apiProbes are what the app learns about the APIs as it talks to them.
type apiProbes struct {
	dates dateRecorders
	token *nhanhtoken.Watcher
}

func newDateRecorders(clock clockwork.Clock) dateRecorders {
	return dateRecorders{nhanh: serverclock.New(nil, clock), shopify: serverclock.New(nil, clock)}
}

// newTokenWatcher starts from the expiry stored with the token.
func newTokenWatcher(cfg Config, clock clockwork.Clock, logger *slog.Logger) *nhanhtoken.Watcher {
	at, _ := cfg.Nhanh.TokenExpiry() // Validate has refused a bad one
	w := nhanhtoken.New(clock, logger, at, Reauthorize(cfg))
	w.Status() // logs at start when the token is near its end
	return w
}

// Reauthorize tells the operator how to grant Nhanh access again.
func Reauthorize(cfg Config) string {
	fix := "run `syncops init` to grant access again"
	if cfg.Nhanh.AppID != "" && cfg.Nhanh.ReturnLink != "" {
		fix += " (the owner opens " + nhanh.AuthorizationURL(cfg.Nhanh.OAuthURL, cfg.Nhanh.AppID, cfg.Nhanh.ReturnLink) + ")"
	}
	return fix
}

// DoctorOptions say how to run the doctor.
type DoctorOptions struct {
	// Fix applies pending migrations and creates a missing metafield
	// definition; it needs an operator.
	Fix    bool
	Actor  engine.Actor
	Logger *slog.Logger
	Clock  clockwork.Clock
	// Env reads the environment (for SYNCOPS_HTTP_TOKENS); os.Getenv when nil.
	Env func(string) string
}

// Doctor is the app's doctor, for a face that has the app built (the
// console's doctor page, the demo). Run it with doctor.RunOptions.
func (a *App) Doctor(env func(string) string) *doctor.Doctor {
	return doctor.New(doctor.Deps{Clock: a.Clock, Logger: a.Logger, DataDir: a.Config.DataDir, Files: keyFiles(a.Config, env),
		Store: a.db, Schedules: a.Scheduler.Schedules,
		Nhanh: a.nhanhClient, NhanhSecretKey: a.Config.Nhanh.SecretKey.Reveal(), NhanhDate: a.probes.dates.nhanh, Token: a.probes.token,
		Reauthorize: Reauthorize(a.Config), Shopify: a.shopifyClient, ShopifyDate: a.probes.dates.shopify})
}

// NhanhTokenStatus is the Nhanh token's expiry state now, for the console's
// status bar: the level, the expiry, the time left and what to do. Reading
// it logs a warning the first time each threshold (30, 7, 1 days) is
// crossed in this process.
func (a *App) NhanhTokenStatus() nhanhtoken.Status { return a.probes.token.Status() }

// NhanhTokenSecondsLeft is the time to the token's expiry in seconds, for
// the metric; false while unknown. Like NhanhTokenStatus it logs a newly
// crossed threshold.
func (a *App) NhanhTokenSecondsLeft() (float64, bool) {
	a.probes.token.Status()
	return a.probes.token.SecondsLeft()
}

// Diagnose runs the doctor for `syncops doctor`: unlike Build it works on
// a broken install. It does not migrate the database unless opts.Fix (a
// database behind is what the migrations check reports); with the schema
// current it builds the app without workers to read the schedules.
func Diagnose(ctx context.Context, cfg Config, cfgErr error, opts DoctorOptions) (doctor.Report, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	run := doctor.RunOptions{Fix: opts.Fix, Actor: opts.Actor}
	if opts.Fix {
		if err := opts.Actor.Authorize("doctor --fix"); err != nil {
			return doctor.Report{}, err
		}
	}
	if cfgErr != nil {
		return doctor.New(doctor.Deps{Clock: opts.Clock, Logger: opts.Logger, ConfigErr: cfgErr}).Run(ctx, run)
	}
	deps := doctor.Deps{Clock: opts.Clock, Logger: opts.Logger, DataDir: cfg.DataDir, Files: keyFiles(cfg, opts.Env),
		NhanhSecretKey: cfg.Nhanh.SecretKey.Reveal(), Reauthorize: Reauthorize(cfg)}
	s, err := store.Open(ctx, cfg.DB, cfg.DataDir)
	if err != nil {
		deps.StoreErr = err
		return diagnoseWithoutApp(ctx, cfg, deps, run)
	}
	migrated, current, err := migrateIfAsked(ctx, s, opts)
	if err != nil || !current {
		defer func() { _ = s.Close() }()
		deps.Store = s
		deps.SchedulesErr = fmt.Errorf("the database schema is not current")
		return diagnoseWithoutApp(ctx, cfg, deps, run)
	}
	_ = s.Close()
	a, err := Build(ctx, cfg, Options{NoWorkers: true, Logger: opts.Logger, Clock: opts.Clock})
	if err != nil {
		deps.StoreErr = err
		return diagnoseWithoutApp(ctx, cfg, deps, run)
	}
	defer func() { _ = a.Close(context.WithoutCancel(ctx)) }()
	rep, err := a.Doctor(opts.Env).Run(ctx, run)
	if migrated {
		for i := range rep.Checks {
			if rep.Checks[i].Name == doctor.CheckMigrations {
				rep.Checks[i].Fixed = true
				rep.Checks[i].Message += " (migrated by --fix)"
			}
		}
	}
	return rep, err
}

// migrateIfAsked reports whether the schema is current, migrating first
// (and auditing it) when opts.Fix.
func migrateIfAsked(ctx context.Context, s *store.Store, opts DoctorOptions) (migrated, current bool, err error) {
	latest, err := s.LatestSchemaVersion(ctx)
	if err != nil {
		return false, false, err
	}
	have, err := s.SchemaVersion(ctx, s.Reader())
	if err == nil && have == latest {
		return false, true, nil
	}
	if !opts.Fix {
		return false, false, nil
	}
	if err := s.Migrate(ctx, opts.Logger); err != nil {
		return false, false, err
	}
	detail := fmt.Sprintf("migrated the database from schema version %d to %d", have, latest)
	if err := s.AddAudit(ctx, s.DB(), store.AuditEntry{At: opts.Clock.Now(), Actor: opts.Actor.Name, ActorKind: store.ActorKind(opts.Actor.Kind),
		Action: "doctor.fix", Detail: detail}); err != nil {
		return true, true, err
	}
	return true, true, nil
}

// diagnoseWithoutApp checks what can be checked without a built app.
func diagnoseWithoutApp(ctx context.Context, cfg Config, deps doctor.Deps, run doctor.RunOptions) (doctor.Report, error) {
	dates := newDateRecorders(deps.Clock)
	nc, sc, clientErr := buildClients(cfg, deps.Logger, deps.Clock, dates, nil)
	deps.Nhanh, deps.Shopify, deps.NhanhErr, deps.ShopifyErr = nc, sc, clientErr, clientErr
	deps.NhanhDate, deps.ShopifyDate = dates.nhanh, dates.shopify
	deps.Token = newTokenWatcher(cfg, deps.Clock, deps.Logger)
	// A fix writes to the audit log, which needs the current schema.
	run.Fix = run.Fix && deps.Store != nil && deps.SchedulesErr == nil
	return doctor.New(deps).Run(ctx, run)
}

// keyFiles are the files holding keys and tokens whose permissions matter.
func keyFiles(cfg Config, env func(string) string) []doctor.File {
	hostKey, hostOptional := cfg.SSH.HostKey, false
	if hostKey == "" {
		hostKey, hostOptional = filepath.Join(cfg.DataDir, sshHostKeyName), true
	}
	files := []doctor.File{
		{Label: "secrets file", Path: SecretsPath(cfg.DataDir), Env: "SYNCOPS_DATA_DIR", Optional: true},
		{Label: "SSH host key", Path: hostKey, Env: "SYNCOPS_SSH_HOST_KEY", Optional: hostOptional || cfg.SSH.Addr == ""},
		{Label: "SSH operator keys", Path: cfg.SSH.AuthorizedKeys, Env: "SYNCOPS_SSH_AUTHORIZED_KEYS"},
		{Label: "SSH viewer keys", Path: cfg.SSH.ViewerKeys, Env: "SYNCOPS_SSH_VIEWER_KEYS"},
	}
	if env != nil {
		if p := env(EnvHTTPTokens); p != "" {
			files = append(files, doctor.File{Label: "HTTP tokens", Path: p, Env: EnvHTTPTokens})
		}
	}
	return files
}
