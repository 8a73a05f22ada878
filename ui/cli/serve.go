package cli

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"syncops/engine/app"
	"syncops/engine/demo"
	"syncops/ui/headless"
)

// serveOptions say how to run the long-lived faces.
type serveOptions struct {
	noTUI   bool
	sandbox *demo.Sandbox // non-nil in demo mode
	dbNote  string        // extra words about the database, for the banner
}

// serve builds the app with workers and runs the console or the headless
// service until ctx ends.
func serve(ctx context.Context, e *env, cfg app.Config, so serveOptions) error {
	logger, closeLog, err := serviceLogger(e, cfg, so.noTUI)
	if err != nil {
		return err
	}
	defer closeLog()
	a, err := e.opts.Build(ctx, cfg, app.Options{Kinds: e.opts.Kinds, Logger: logger})
	if err != nil {
		return err
	}
	defer closeApp(a)
	if so.sandbox != nil {
		if err := enableDemo(ctx, a); err != nil {
			return err
		}
	}
	if so.noTUI {
		services, err := sshServices(a, so, logger)
		if err != nil {
			return err
		}
		opts := headless.Options{App: a, Scheduler: schedulerOf(a), MetricsAddr: cfg.MetricsAddr,
			Grace: cfg.ShutdownGrace, Logger: logger, Services: services}
		api, err := httpServer(a, logger)
		if err != nil {
			return err
		}
		if api != nil {
			opts.HTTP = api
		}
		return headless.Run(ctx, opts)
	}
	return runConsole(ctx, e, a, so, logger)
}

// serviceLogger logs JSON lines to stderr in headless mode; with the console
// on the terminal, logs go to syncops.log in the data directory instead.
func serviceLogger(e *env, cfg app.Config, headlessMode bool) (*slog.Logger, func(), error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, nil, fmt.Errorf("SYNCOPS_LOG_LEVEL: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	if headlessMode {
		return slog.New(slog.NewJSONHandler(e.opts.Stderr, hopts)), func() {}, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(cfg.DataDir, "syncops.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log file: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, hopts)), func() { _ = f.Close() }, nil
}

func newDemoCmd(e *env) *cobra.Command {
	var noTUI bool
	var customers, products int
	var seed uint64
	var scale float64
	var faults string
	var trade time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run syncops against a built-in sandbox of Nhanh.vn and Shopify",
		Long: `Start in-process fakes of the Nhanh.vn and Shopify APIs on loopback, filled with a
generated shop (Vietnamese customers with phones in every format, products with
stock in several depots, and the hard cases), point syncops at them, and open
the console (or, with --no-tui, run headless). Nothing touches a real shop.

The database is a temporary SQLite file, removed at exit, unless SYNCOPS_DB is
set. A few short demonstration schedules are enabled so the scheduler is seen at
work. The fakes enforce the APIs' published rate limits (--scale speeds them up).
With SYNCOPS_HTTP_ADDR and SYNCOPS_HTTP_TOKENS set, the HTTP API serves too, and
the sandbox shop keeps selling (--trade) and delivers Nhanh's webhooks to it, so
stock reaches Shopify within seconds (SYNCOPS_NHANH_WEBHOOK_TOKEN is generated
when unset).`,
		Example: `  go run . demo
  go run . demo --no-tui --customers 2000 --products 500
  SYNCOPS_METRICS_ADDR=127.0.0.1:9090 go run . demo --no-tui --faults seed=1,5xx=0.05`,
		Args: cobra.NoArgs,
		// PreRunE checks the flags before anything starts (and lets the
		// help-examples test check them without serving).
		PreRunE: func(*cobra.Command, []string) error {
			opts := demo.Options{Seed: seed, Customers: customers, Products: products, Scale: scale, Faults: faults}
			if err := opts.Validate(); err != nil {
				return refused(err)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.loadConfig()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			sb, err := demo.Start(ctx, demo.Options{Seed: seed, Customers: customers, Products: products,
				Scale: scale, Faults: faults})
			if err != nil {
				return refused(err)
			}
			defer func() {
				closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = sb.Close(closeCtx)
			}()
			sb.Configure(&cfg)
			note := "from SYNCOPS_DB"
			if cfg.DB == "" {
				dir, err := os.MkdirTemp("", "syncops-demo-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				cfg.DataDir = dir
				note = "temporary, removed at exit"
			}
			// The banner is for people: stdout. Stderr carries only the JSON log
			// lines in headless mode, so a log shipper parses every line.
			printDemoBanner(e.opts.Stdout, sb, cfg, note, customers, products)
			if err := startDemoWebhooks(ctx, e.opts.Stdout, sb, &cfg, trade); err != nil {
				return err
			}
			printDemoDoctor(ctx, e.opts.Stdout, e, cfg)
			return serve(ctx, e, cfg, serveOptions{noTUI: noTUI, sandbox: sb, dbNote: note})
		},
	}
	cmd.Flags().BoolVar(&noTUI, "no-tui", false, "run headless (JSON logs) instead of opening the console")
	cmd.Flags().IntVar(&customers, "customers", 20000, "Nhanh customers to generate")
	cmd.Flags().IntVar(&products, "products", 5000, "Nhanh products to generate")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the generated shop")
	cmd.Flags().Float64Var(&scale, "scale", 1, "speed-up of the fakes' rate limits (1: the published limits)")
	cmd.Flags().DurationVar(&trade, "trade", 5*time.Second, "with the HTTP API on: how often the sandbox shop sells (0: never)")
	cmd.Flags().StringVar(&faults, "faults", "", "inject faults, e.g. seed=1,5xx=0.05,timeout=0.01,malformed=0.01,throttle=0.01")
	return cmd
}

func printDemoBanner(w io.Writer, sb *demo.Sandbox, cfg app.Config, dbNote string, customers, products int) {
	ep := sb.Endpoints()
	db := cfg.DB
	if db == "" {
		db = filepath.Join(cfg.DataDir, "syncops.db")
	}
	fmt.Fprintf(w, `SANDBOX: syncops is running against built-in fakes; nothing touches a real shop.
  Nhanh.vn fake:  %s  (%d customers, %d products)
  Shopify fake:   %s  (shop %s)
  database:       %s (%s)
`, ep.NhanhURL, customers, products, ep.ShopifyURL, ep.Shop, app.DisplayDSN(db), dbNote)
}

// startDemoWebhooks, when the HTTP API is on, points the sandbox's Nhanh
// webhooks at it (generating the verify token when none is set) and keeps
// the sandbox shop selling every trade, so stock changes arrive as
// webhooks and reach Shopify in near real time.
func startDemoWebhooks(ctx context.Context, w io.Writer, sb *demo.Sandbox, cfg *app.Config, trade time.Duration) error {
	if cfg.HTTP.Addr == "" {
		return nil
	}
	if cfg.HTTP.TLSCert != "" {
		fmt.Fprintln(w, "  webhooks:       off (the sandbox does not deliver to HTTPS)")
		return nil
	}
	host, port, err := net.SplitHostPort(cfg.HTTP.Addr)
	if err != nil || port == "0" {
		fmt.Fprintln(w, "  webhooks:       off (give SYNCOPS_HTTP_ADDR a fixed port)")
		return nil
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	if cfg.Nhanh.WebhookToken == "" {
		token, err := demoWebhookToken()
		if err != nil {
			return err
		}
		cfg.Nhanh.WebhookToken = app.Secret(token)
	}
	url := "http://" + net.JoinHostPort(host, port) + "/webhooks/nhanh"
	sb.DeliverWebhooks(url, cfg.Nhanh.WebhookToken.Reveal())
	if trade > 0 {
		sb.Trade(ctx, trade)
		fmt.Fprintf(w, "  webhooks:       %s (the shop sells every %s; see `syncops webhooks`)\n", url, trade)
	} else {
		fmt.Fprintf(w, "  webhooks:       %s\n", url)
	}
	return nil
}

// demoWebhookToken draws a verify token of the shape Nhanh requires (32
// letters and digits).
func demoWebhookToken() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("webhook token: %w", err)
	}
	for i, b := range raw {
		raw[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(raw), nil
}
