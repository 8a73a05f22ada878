package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"syncops/engine/app"
)

// ConfigFileName is the configuration file `syncops init` writes in the
// data directory unless --write-config names another.
const ConfigFileName = "config.yaml"

// initAnswers are the operator's answers given as flags. The rest (the
// secrets and the accessCode) come from the environment or stdin, one per
// line in the order asked, so init can be scripted without a secret on a
// command line, where other users could see it.
type initAnswers struct {
	nhanhBaseURL, nhanhOAuthURL, appID, returnLink string
	shop, shopifyBaseURL, apiVersion               string
	writeConfig                                    string
}

func newInitCmd(e *env) *cobra.Command {
	var a initAnswers
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Connect syncops to Nhanh.vn and Shopify and write its configuration",
		Long: `Walk through connecting syncops:

 1. Nhanh: with the app id, the app's return link and its secret key, print
    the authorization URL. The business owner opens it, grants access, and
    Nhanh sends them to the return link with an accessCode (valid 10 minutes,
    once). Paste the accessCode; syncops exchanges it for an access token
    (valid one year, no refresh) and checks it by listing the depots.
 2. Shopify: the shop domain and the app's Admin API access token, checked
    by reading the shop.
 3. The secrets (Nhanh token and secret key, Shopify token, the token's
    expiry) are written to secrets.yaml in the data directory, readable only
    by you (0600); the rest to the configuration file. Secrets are never
    printed. The database is created and migrated.

Answers missing from the flags and the environment are read from stdin, one
per line, in the order asked.`,
		Example: `  syncops init
  syncops init --nhanh-app-id 12345 --return-link https://example.com/nhanh --shopify-shop shop.myshopify.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.loadConfig()
			if err != nil {
				return err
			}
			return runInit(cmd.Context(), e, cfg, a, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&a.appID, "nhanh-app-id", "", "Nhanh app id (default $SYNCOPS_NHANH_APP_ID)")
	f.StringVar(&a.returnLink, "return-link", "", "the app's registered return link (default $SYNCOPS_NHANH_RETURN_LINK)")
	f.StringVar(&a.nhanhBaseURL, "nhanh-base-url", "", "Nhanh API base URL (default $SYNCOPS_NHANH_BASE_URL or "+app.DefaultNhanhBaseURL+")")
	f.StringVar(&a.nhanhOAuthURL, "nhanh-oauth-url", "", "Nhanh's grant page (default "+app.DefaultNhanhOAuthURL+")")
	f.StringVar(&a.shop, "shopify-shop", "", "shop domain, name.myshopify.com (default $SYNCOPS_SHOPIFY_SHOP)")
	f.StringVar(&a.shopifyBaseURL, "shopify-base-url", "", "Shopify API base URL (default https://SHOP)")
	f.StringVar(&a.apiVersion, "shopify-api-version", "", "Admin API version (default "+app.DefaultShopifyAPIVersion+")")
	f.StringVar(&a.writeConfig, "write-config", "", "configuration file to write (default DATA_DIR/"+ConfigFileName+")")
	return cmd
}

// prompter asks for what is missing, reading answers line by line.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
}

func (p prompter) ask(question, current string) (string, error) {
	if current != "" {
		return current, nil
	}
	fmt.Fprintf(p.out, "%s: ", question)
	line, err := p.in.ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return "", refused(fmt.Errorf("no answer for %q", question))
	}
	return line, nil
}

func orValue(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}

func runInit(ctx context.Context, e *env, cfg app.Config, a initAnswers, out, prompts io.Writer) error {
	p := prompter{in: bufio.NewReader(e.opts.Stdin), out: prompts}
	var err error
	n := &cfg.Nhanh
	n.BaseURL = orValue(a.nhanhBaseURL, n.BaseURL)
	n.OAuthURL = orValue(a.nhanhOAuthURL, n.OAuthURL)
	if n.AppID, err = p.ask("Nhanh app id", orValue(a.appID, n.AppID)); err != nil {
		return err
	}
	if n.ReturnLink, err = p.ask("Nhanh app return link (https)", orValue(a.returnLink, n.ReturnLink)); err != nil {
		return err
	}
	secret, err := p.ask("Nhanh app secret key", n.SecretKey.Reveal())
	if err != nil {
		return err
	}
	n.SecretKey = app.Secret(secret)
	fmt.Fprintf(out, "Open this page as the Nhanh business owner, grant access, and copy the accessCode from the page it returns to:\n  %s\n",
		app.NhanhAuthorizationURL(*n))
	code, err := p.ask("accessCode (valid 10 minutes)", "")
	if err != nil {
		return err
	}
	grant, err := app.ConnectNhanh(ctx, n, secret, code)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Nhanh: business %s, token valid until %s, %d depots listed, the grant covers %s\n",
		grant.BusinessID, grant.ExpiresAt.UTC().Format("2006-01-02"), grant.Depots, grant.Coverage)

	s := &cfg.Shopify
	s.BaseURL = orValue(a.shopifyBaseURL, s.BaseURL)
	s.APIVersion = orValue(a.apiVersion, s.APIVersion)
	if s.Shop, err = p.ask("Shopify shop (name.myshopify.com)", orValue(a.shop, s.Shop)); err != nil {
		return err
	}
	token, err := p.ask("Shopify Admin API access token", s.AccessToken.Reveal())
	if err != nil {
		return err
	}
	s.AccessToken = app.Secret(token)
	shop, err := app.CheckShopify(ctx, *s)
	if errors.Is(err, app.ErrInvalidSetup) {
		return refused(err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Shopify: shop %q (%s) answers\n", shop.Name, shop.Domain)

	var sec app.Secrets
	sec.Nhanh.AccessToken, sec.Nhanh.SecretKey, sec.Nhanh.TokenExpiresAt = n.AccessToken.Reveal(), secret, n.TokenExpiresAt
	sec.Shopify.AccessToken = token
	if err := app.WriteSecrets(cfg.DataDir, sec); err != nil {
		return err
	}
	path := orValue(a.writeConfig, filepath.Join(cfg.DataDir, ConfigFileName))
	if err := writeConfigFile(path, cfg); err != nil {
		return err
	}
	if err := app.PrepareDatabase(ctx, cfg); err != nil {
		return err
	}
	fmt.Fprintf(out, "Wrote %s and %s (mode 0600, the secrets). Next: syncops --config %s doctor\n",
		path, app.SecretsPath(cfg.DataDir), path)
	return nil
}

// configFile is what init writes: every setting but the secrets, which go
// to the secrets file.
type configFile struct {
	DataDir string `yaml:"data_dir"`
	DB      string `yaml:"db,omitempty"`
	Nhanh   struct {
		BaseURL    string `yaml:"base_url,omitempty"`
		AppID      string `yaml:"app_id"`
		BusinessID string `yaml:"business_id"`
		ReturnLink string `yaml:"return_link,omitempty"`
		OAuthURL   string `yaml:"oauth_url,omitempty"`
	} `yaml:"nhanh"`
	Shopify struct {
		Shop       string `yaml:"shop"`
		BaseURL    string `yaml:"base_url,omitempty"`
		APIVersion string `yaml:"api_version,omitempty"`
	} `yaml:"shopify"`
}

func writeConfigFile(path string, cfg app.Config) error {
	var f configFile
	f.DataDir, f.DB = cfg.DataDir, cfg.DB
	f.Nhanh.BaseURL, f.Nhanh.AppID, f.Nhanh.BusinessID = cfg.Nhanh.BaseURL, cfg.Nhanh.AppID, cfg.Nhanh.BusinessID
	f.Nhanh.ReturnLink, f.Nhanh.OAuthURL = cfg.Nhanh.ReturnLink, cfg.Nhanh.OAuthURL
	f.Shopify.Shop, f.Shopify.BaseURL, f.Shopify.APIVersion = cfg.Shopify.Shop, cfg.Shopify.BaseURL, cfg.Shopify.APIVersion
	body, err := yaml.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	// The config names the shop and the business: private like the rest.
	if err := os.WriteFile(path, body, 0o600); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return os.Chmod(path, 0o600)
}
