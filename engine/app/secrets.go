package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// SecretsFileName is the file in the data directory that holds the
// credentials `syncops init` wrote. It is created readable by its owner
// only (0600); Load reads it after the configuration file, and the
// environment still wins.
const SecretsFileName = "secrets.yaml"

// SecretsFileMode is the secrets file's permission bits.
const SecretsFileMode fs.FileMode = 0o600

// Secrets are the credentials kept in the secrets file. Plain strings on
// purpose: Secret masks itself when marshalled.
type Secrets struct {
	Nhanh struct {
		AccessToken    string `yaml:"access_token,omitempty"`
		SecretKey      string `yaml:"secret_key,omitempty"`
		TokenExpiresAt string `yaml:"token_expires_at,omitempty"`
	} `yaml:"nhanh"`
	Shopify struct {
		AccessToken string `yaml:"access_token,omitempty"`
	} `yaml:"shopify"`
}

// SecretsPath is the secrets file of a data directory.
func SecretsPath(dataDir string) string { return filepath.Join(dataDir, SecretsFileName) }

// WriteSecrets writes s to the data directory's secrets file with mode
// 0600, atomically (a temporary file renamed over the old one), so a crash
// never leaves half a file and the file is never readable by others, not
// even for a moment.
func WriteSecrets(dataDir string, s Secrets) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	body, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode secrets: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, ".secrets-*.yaml")
	if err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if err := tmp.Chmod(SecretsFileMode); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write secrets: %w", err)
	}
	if _, err := tmp.Write(body); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write secrets: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write secrets: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	if err := os.Rename(tmp.Name(), SecretsPath(dataDir)); err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	return nil
}

// applySecretsFile fills the credentials still empty after the
// configuration file and the environment from the secrets file, when there
// is one.
func (c *Config) applySecretsFile() error {
	path := SecretsPath(c.DataDir)
	body, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read secrets: %w", err)
	}
	var s Secrets
	dec := yaml.NewDecoder(strings.NewReader(string(body)))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		// The decoder's message quotes at most a key name, never a value.
		return fmt.Errorf("secrets file %s: %w", path, err)
	}
	fill := func(dst *Secret, v string) {
		if *dst == "" {
			*dst = Secret(v)
		}
	}
	fill(&c.Nhanh.AccessToken, s.Nhanh.AccessToken)
	fill(&c.Nhanh.SecretKey, s.Nhanh.SecretKey)
	fill(&c.Shopify.AccessToken, s.Shopify.AccessToken)
	// The expiry belongs to the token: take it only with the stored token.
	if c.Nhanh.TokenExpiresAt == "" && string(c.Nhanh.AccessToken) == s.Nhanh.AccessToken {
		c.Nhanh.TokenExpiresAt = s.Nhanh.TokenExpiresAt
	}
	return nil
}

// TokenExpiry parses TokenExpiresAt; zero when it is not set.
func (n NhanhConfig) TokenExpiry() (time.Time, error) {
	if n.TokenExpiresAt == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, n.TokenExpiresAt)
	if err != nil {
		return time.Time{}, fmt.Errorf("SYNCOPS_NHANH_TOKEN_EXPIRES_AT %q: want an RFC 3339 time like 2027-01-31T00:00:00Z", n.TokenExpiresAt)
	}
	return t, nil
}
