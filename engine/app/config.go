// Package app assembles syncops from its configuration: it loads the YAML
// file and SYNCOPS_* environment, opens and migrates the store, builds the
// API clients, the job kinds, the engine and the scheduler, and hands the
// result to whichever face main chose (console, SSH, CLI, headless).
package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults of Config.
const (
	DefaultTimezone      = "Asia/Ho_Chi_Minh"
	DefaultShutdownGrace = 30 * time.Second
	DefaultRetention     = 30 * 24 * time.Hour
)

// Config is syncops' configuration. Every field can be set in the YAML file
// (key in the yaml tag) and overridden by the environment variable in the
// env tag; the environment wins.
type Config struct {
	DataDir       string        `yaml:"data_dir" env:"SYNCOPS_DATA_DIR" help:"directory for the SQLite database and the SSH host key"`
	DB            string        `yaml:"db" env:"SYNCOPS_DB" help:"database: empty for SQLite in the data dir, a file path, or a postgres:// DSN"`
	Timezone      string        `yaml:"timezone" env:"SYNCOPS_TIMEZONE" help:"time zone of schedules (default Asia/Ho_Chi_Minh)"`
	Retention     time.Duration `yaml:"retention" env:"SYNCOPS_RETENTION" help:"how long job history is kept: finished jobs, their failed items, the sync log (default 720h)"`
	Workers       int           `yaml:"workers" env:"SYNCOPS_WORKERS" help:"jobs run at once by this process (default 8)"`
	ShutdownGrace time.Duration `yaml:"shutdown_grace" env:"SYNCOPS_SHUTDOWN_GRACE" help:"time running jobs get to checkpoint on shutdown (default 30s)"`
	MetricsAddr   string        `yaml:"metrics_addr" env:"SYNCOPS_METRICS_ADDR" help:"address for /metrics and /healthz in headless mode"`
	LogLevel      string        `yaml:"log_level" env:"SYNCOPS_LOG_LEVEL" help:"debug, info, warn or error (default info)"`
	// AttemptTimeout and RescueMargin bound how long a job whose process
	// died waits before another process resumes it: its attempt's timeout
	// plus the margin.
	AttemptTimeout time.Duration `yaml:"attempt_timeout" env:"SYNCOPS_ATTEMPT_TIMEOUT" help:"caps one attempt of any job; a longer job checkpoints and continues (default per type, 2m for pulls and syncs)"`
	RescueMargin   time.Duration `yaml:"rescue_margin" env:"SYNCOPS_RESCUE_MARGIN" help:"how long after its attempt's timeout a job whose process died is resumed by another (default 15s)"`

	Nhanh   NhanhConfig   `yaml:"nhanh"`
	Shopify ShopifyConfig `yaml:"shopify"`
	SSH     SSHConfig     `yaml:"ssh"`
	HTTP    HTTPConfig    `yaml:"http"`
}

// NhanhConfig is the Nhanh.vn API access.
type NhanhConfig struct {
	BaseURL     string `yaml:"base_url" env:"SYNCOPS_NHANH_BASE_URL" help:"Nhanh API base URL (default https://pos.open.nhanh.vn)"`
	AppID       string `yaml:"app_id" env:"SYNCOPS_NHANH_APP_ID" help:"Nhanh app id"`
	BusinessID  string `yaml:"business_id" env:"SYNCOPS_NHANH_BUSINESS_ID" help:"Nhanh business id"`
	AccessToken Secret `yaml:"access_token" env:"SYNCOPS_NHANH_ACCESS_TOKEN" help:"Nhanh access token (secret)"`
	// The app connection (see secrets.go and `syncops init`).
	SecretKey      Secret `yaml:"secret_key" env:"SYNCOPS_NHANH_SECRET_KEY" help:"Nhanh app secret key, to exchange access codes and check the token (secret)"`
	TokenExpiresAt string `yaml:"token_expires_at" env:"SYNCOPS_NHANH_TOKEN_EXPIRES_AT" help:"when the Nhanh token expires (RFC 3339; written by syncops init)"`
	ReturnLink     string `yaml:"return_link" env:"SYNCOPS_NHANH_RETURN_LINK" help:"the app's registered return link (https), for the authorization URL"`
	OAuthURL       string `yaml:"oauth_url" env:"SYNCOPS_NHANH_OAUTH_URL" help:"Nhanh's grant page (default https://nhanh.vn/oauth)"`
	// RateWindow is the window Nhanh's 150 requests per endpoint are counted
	// over. Only a sandbox running at a speed-up (demo --scale, the scale
	// run) needs another value than Nhanh's published 30 s.
	RateWindow time.Duration `yaml:"rate_window" env:"SYNCOPS_NHANH_RATE_WINDOW" help:"window of Nhanh's rate limit (default 30s, Nhanh's published one; shorter only for a sped-up sandbox)"`
	// WebhookToken is the app's webhooks verify token, which Nhanh sends
	// raw in the Authorization header of every delivery. Set, the HTTP
	// face serves POST /webhooks/nhanh.
	WebhookToken Secret `yaml:"webhook_token" env:"SYNCOPS_NHANH_WEBHOOK_TOKEN" help:"Nhanh webhooks verify token (secret); set, the HTTP API serves POST /webhooks/nhanh"`
	// WebhookWindow is how long deliveries are gathered before they are
	// processed together (a burst of stock changes becomes one sync).
	WebhookWindow time.Duration `yaml:"webhook_window" env:"SYNCOPS_NHANH_WEBHOOK_WINDOW" help:"how long Nhanh webhook deliveries are gathered before one targeted sync (default 2s)"`
}

// ShopifyConfig is the Shopify Admin API access.
type ShopifyConfig struct {
	Shop        string `yaml:"shop" env:"SYNCOPS_SHOPIFY_SHOP" help:"shop domain, like name.myshopify.com"`
	BaseURL     string `yaml:"base_url" env:"SYNCOPS_SHOPIFY_BASE_URL" help:"API base URL (default https://{shop})"`
	APIVersion  string `yaml:"api_version" env:"SYNCOPS_SHOPIFY_API_VERSION" help:"Admin API version (default 2026-10)"`
	AccessToken Secret `yaml:"access_token" env:"SYNCOPS_SHOPIFY_ACCESS_TOKEN" help:"Admin API access token (secret)"`
}

// SSHConfig is the console's SSH server.
type SSHConfig struct {
	Addr           string `yaml:"addr" env:"SYNCOPS_SSH_ADDR" help:"address of the SSH console; empty disables it"`
	HostKey        string `yaml:"host_key" env:"SYNCOPS_SSH_HOST_KEY" help:"host key file (default: ssh_host_ed25519 in the data dir)"`
	AuthorizedKeys string `yaml:"authorized_keys" env:"SYNCOPS_SSH_AUTHORIZED_KEYS" help:"operators' public keys (authorized_keys file)"`
	ViewerKeys     string `yaml:"viewer_keys" env:"SYNCOPS_SSH_VIEWER_KEYS" help:"viewers' public keys (authorized_keys file)"`
}

// HTTPConfig is the HTTP API (ui/httpapi).
type HTTPConfig struct {
	Addr    string `yaml:"addr" env:"SYNCOPS_HTTP_ADDR" help:"address of the HTTP API (e.g. 127.0.0.1:8080); empty disables it"`
	Tokens  string `yaml:"tokens" env:"SYNCOPS_HTTP_TOKENS" help:"HTTP API bearer tokens file: lines NAME operator|viewer TOKEN, mode 0600"`
	TLSCert string `yaml:"tls_cert" env:"SYNCOPS_HTTP_TLS_CERT" help:"HTTP API TLS certificate file (HTTPS when set with the key)"`
	TLSKey  string `yaml:"tls_key" env:"SYNCOPS_HTTP_TLS_KEY" help:"HTTP API TLS private key file"`
}

// Secret is a credential. It prints as a mask, so a Config can be logged.
type Secret string

// String masks the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "****"
}

// Reveal returns the secret itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// MarshalYAML masks the secret when a config is printed.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// Load reads the YAML file at path (skipped when path is empty), then
// applies the environment, then defaults.
func Load(path string, env func(string) string) (Config, error) {
	var cfg Config
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), env); err != nil {
		return Config{}, err
	}
	if err := cfg.applyDefaults(); err != nil {
		return Config{}, err
	}
	if err := cfg.applySecretsFile(); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

func applyEnv(v reflect.Value, env func(string) string) error {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if f.Type.Kind() == reflect.Struct {
			if err := applyEnv(fv, env); err != nil {
				return err
			}
			continue
		}
		name := f.Tag.Get("env")
		if name == "" {
			continue
		}
		val := env(name)
		if val == "" {
			continue
		}
		switch fv.Interface().(type) {
		case time.Duration:
			d, err := time.ParseDuration(val)
			if err != nil {
				return fmt.Errorf("%s: want a duration like 30s or 720h, got %q", name, val)
			}
			fv.SetInt(int64(d))
		case int:
			n, err := strconv.Atoi(val)
			if err != nil {
				return fmt.Errorf("%s: want a whole number, got %q", name, val)
			}
			fv.SetInt(int64(n))
		default:
			fv.SetString(val)
		}
	}
	return nil
}

func (c *Config) applyDefaults() error {
	if c.DataDir == "" {
		dir, err := defaultDataDir()
		if err != nil {
			return err
		}
		c.DataDir = dir
	}
	if c.Timezone == "" {
		c.Timezone = DefaultTimezone
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	return nil
}

func defaultDataDir() (string, error) {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "syncops"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no data directory: set SYNCOPS_DATA_DIR (%w)", err)
	}
	return filepath.Join(home, ".local", "share", "syncops"), nil
}

// Validate checks the settings that do not need the network.
func (c Config) Validate() error {
	var errs []error
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		errs = append(errs, fmt.Errorf("SYNCOPS_TIMEZONE %q: %w", c.Timezone, err))
	}
	if c.Retention < time.Hour {
		errs = append(errs, fmt.Errorf("SYNCOPS_RETENTION %s: keep finished jobs at least an hour", c.Retention))
	}
	if c.Workers < 0 {
		errs = append(errs, errors.New("SYNCOPS_WORKERS must not be negative"))
	}
	if c.HTTP.Addr != "" && c.HTTP.Tokens == "" {
		errs = append(errs, errors.New("SYNCOPS_HTTP_ADDR is set but SYNCOPS_HTTP_TOKENS is not: the HTTP API needs a tokens file"))
	}
	if (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == "") {
		errs = append(errs, errors.New("SYNCOPS_HTTP_TLS_CERT and SYNCOPS_HTTP_TLS_KEY go together: set both or neither"))
	}
	if c.AttemptTimeout != 0 && c.AttemptTimeout < time.Second {
		errs = append(errs, fmt.Errorf("SYNCOPS_ATTEMPT_TIMEOUT %s: give an attempt at least a second", c.AttemptTimeout))
	}
	if c.RescueMargin < 0 {
		errs = append(errs, errors.New("SYNCOPS_RESCUE_MARGIN must not be negative"))
	}
	if c.Nhanh.RateWindow < 0 || (c.Nhanh.RateWindow > 0 && c.Nhanh.RateWindow < 10*time.Millisecond) {
		errs = append(errs, fmt.Errorf("SYNCOPS_NHANH_RATE_WINDOW %s: leave it empty for Nhanh's 30s, or give at least 10ms", c.Nhanh.RateWindow))
	}
	if t := c.Nhanh.WebhookToken.Reveal(); t != "" && !validWebhookToken(t) {
		errs = append(errs, errors.New("SYNCOPS_NHANH_WEBHOOK_TOKEN must be 16 to 128 letters and digits, as Nhanh's app settings require"))
	}
	if c.Nhanh.WebhookWindow < 0 || c.Nhanh.WebhookWindow > time.Hour {
		errs = append(errs, fmt.Errorf("SYNCOPS_NHANH_WEBHOOK_WINDOW %s: give between 0 (the default 2s) and 1h", c.Nhanh.WebhookWindow))
	}
	if c.Nhanh.WebhookToken != "" && c.HTTP.Addr == "" {
		errs = append(errs, errors.New("SYNCOPS_NHANH_WEBHOOK_TOKEN is set but SYNCOPS_HTTP_ADDR is not: webhooks arrive at the HTTP API"))
	}
	if _, err := c.Nhanh.TokenExpiry(); err != nil {
		errs = append(errs, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("SYNCOPS_LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// EnvHelp lists every environment variable with its help text, for --help.
func EnvHelp() string {
	var b strings.Builder
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Duration]() {
				walk(f.Type)
				continue
			}
			if env := f.Tag.Get("env"); env != "" {
				fmt.Fprintf(&b, "  %-30s %s\n", env, f.Tag.Get("help"))
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	return b.String()
}

// validWebhookToken reports whether t fits Nhanh's rule for a webhooks
// verify token: 16 to 128 ASCII letters and digits.
func validWebhookToken(t string) bool {
	if len(t) < 16 || len(t) > 128 {
		return false
	}
	for _, r := range t {
		if (r < '0' || r > '9') && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}
