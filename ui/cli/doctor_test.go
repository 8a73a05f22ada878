package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine/app"
	"syncops/engine/doctor"
	"syncops/engine/enginetest"
	"syncops/ui/cli"
)

// doctorWorld is a sandbox and a data directory set up by `syncops init`.
type doctorWorld struct {
	sb      *enginetest.Shop
	dataDir string
	config  string
	env     map[string]string
	secrets []string // every secret of the install, for the output grep
	outputs []string // every line init and doctor printed
}

func (w *doctorWorld) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Options{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(stdin),
		Env: func(k string) string { return w.env[k] }})
	w.outputs = append(w.outputs, out.String(), errOut.String())
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// setupDoctor starts a sandbox and runs `syncops init` against it,
// answering the secrets and the accessCode on stdin.
func setupDoctor(t *testing.T) *doctorWorld {
	t.Helper()
	sb := enginetest.StartShop(t, enginetest.ShopOptions{Seed: 2, Customers: 5, Products: 5, Scale: 50})
	ep := sb.Endpoints()
	w := &doctorWorld{sb: sb, dataDir: t.TempDir()}
	w.env = map[string]string{"SYNCOPS_DATA_DIR": w.dataDir}
	code := sb.Nhanh().IssueAccessCode()
	res := w.run(t, ep.NhanhSecretKey+"\n"+code+"\n"+ep.ShopifyToken+"\n", "init",
		"--nhanh-app-id", ep.NhanhAppID, "--return-link", "https://example.com/nhanh/back",
		"--nhanh-base-url", ep.NhanhBaseURL, "--nhanh-oauth-url", ep.NhanhOAuthURL,
		"--shopify-shop", ep.ShopifyShop, "--shopify-base-url", ep.ShopifyBaseURL, "--shopify-api-version", ep.ShopifyAPIVersion)
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, ep.NhanhOAuthURL+"?appId="+ep.NhanhAppID)

	w.config = filepath.Join(w.dataDir, cli.ConfigFileName)
	w.env = map[string]string{"SYNCOPS_CONFIG": w.config}
	raw, err := os.ReadFile(app.SecretsPath(w.dataDir))
	require.NoError(t, err)
	var sec app.Secrets
	require.NoError(t, yamlUnmarshal(raw, &sec))
	require.NotEmpty(t, sec.Nhanh.AccessToken)
	w.secrets = []string{ep.NhanhSecretKey, ep.ShopifyToken, sec.Nhanh.AccessToken, code, ep.NhanhToken}
	t.Cleanup(func() { w.requireNoSecrets(t) })
	return w
}

// requireNoSecrets greps every line printed for every secret.
func (w *doctorWorld) requireNoSecrets(t *testing.T) {
	for _, out := range w.outputs {
		for i, line := range strings.Split(out, "\n") {
			for _, s := range w.secrets {
				require.NotContains(t, line, s, "line %d of an output shows a secret", i+1)
			}
		}
	}
}

func (w *doctorWorld) doctor(t *testing.T, args ...string) (int, doctor.Report) {
	t.Helper()
	res := w.run(t, "", append([]string{"doctor", "--json"}, args...)...)
	var rep doctor.Report
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &rep), res.stdout+res.stderr)
	return res.code, rep
}

func checkOf(t *testing.T, rep doctor.Report, name string) doctor.Check {
	t.Helper()
	c, ok := rep.Find(name)
	require.True(t, ok, "no check %s", name)
	return c
}

func TestInitWritesPrivateFilesAndDoctorIsGreen(t *testing.T) {
	t.Parallel()
	w := setupDoctor(t)
	for _, p := range []string{app.SecretsPath(w.dataDir), w.config} {
		info, err := os.Stat(p)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), p)
	}
	cfgText, err := os.ReadFile(w.config)
	require.NoError(t, err)
	for _, s := range w.secrets {
		require.NotContains(t, string(cfgText), s, "the config file holds no secret")
	}
	cfg, err := app.Load(w.config, func(k string) string { return w.env[k] })
	require.NoError(t, err)
	require.Equal(t, w.sb.Endpoints().NhanhBusinessID, cfg.Nhanh.BusinessID)
	expiry, err := cfg.Nhanh.TokenExpiry()
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(365*24*time.Hour), expiry, time.Hour)

	// Run again with the config written, init asks only for a new access
	// code; a code works once.
	code := w.sb.Nhanh().IssueAccessCode()
	w.secrets = append(w.secrets, code)
	res := w.run(t, code+"\n", "init")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	raw, err := os.ReadFile(app.SecretsPath(w.dataDir))
	require.NoError(t, err)
	var sec app.Secrets
	require.NoError(t, yamlUnmarshal(raw, &sec))
	w.secrets = append(w.secrets, sec.Nhanh.AccessToken)
	res = w.run(t, code+"\n", "init")
	require.NotEqual(t, cli.ExitOK, res.code)
	require.Contains(t, res.stderr, "accessCode")

	exit, rep := w.doctor(t)
	require.Equal(t, cli.ExitOK, exit)
	require.True(t, rep.OK)
	for _, c := range rep.Checks {
		require.Equal(t, doctor.StatusOK, c.Status, "%s: %s", c.Name, c.Message)
	}
	res = w.run(t, "", "doctor")
	require.Equal(t, cli.ExitOK, res.code)
	require.Contains(t, res.stdout, "doctor: 17 ok, 0 warn, 0 fail")
}

// TestDoctorChecksFail misconfigures one thing per case and expects the
// named checks to report it, through the CLI.
func TestDoctorChecksFail(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		break_  func(t *testing.T, w *doctorWorld)
		want    map[string]doctor.Status
		exitOK  bool
		fixArgs bool
	}{
		{name: "config", break_: func(_ *testing.T, w *doctorWorld) { w.env["SYNCOPS_TIMEZONE"] = "Mars/Olympus" },
			want: map[string]doctor.Status{doctor.CheckConfig: doctor.StatusFail}},
		{name: "database unreachable", break_: func(_ *testing.T, w *doctorWorld) {
			w.env["SYNCOPS_DB"] = "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
		}, want: map[string]doctor.Status{doctor.CheckDatabase: doctor.StatusFail, doctor.CheckMigrations: doctor.StatusFail}},
		{name: "migrations behind", break_: func(t *testing.T, w *doctorWorld) {
			w.env["SYNCOPS_DB"] = filepath.Join(t.TempDir(), "new.db")
		}, want: map[string]doctor.Status{doctor.CheckDatabase: doctor.StatusOK, doctor.CheckMigrations: doctor.StatusFail}},
		{name: "schedule invalid", break_: func(t *testing.T, w *doctorWorld) {
			enginetest.OpenDataDir(t, w.dataDir).SaveScheduleUnchecked(t, "AUTO_SYNC_CUSTOMERS", "61 * * * *")
		}, want: map[string]doctor.Status{doctor.CheckSchedules: doctor.StatusFail}},
		{name: "secrets file world-readable", break_: func(t *testing.T, w *doctorWorld) {
			require.NoError(t, os.Chmod(app.SecretsPath(w.dataDir), 0o644))
		}, want: map[string]doctor.Status{doctor.CheckFiles: doctor.StatusFail}},
		{name: "HTTP tokens file configured but missing", break_: func(t *testing.T, w *doctorWorld) {
			w.env[app.EnvHTTPTokens] = filepath.Join(t.TempDir(), "tokens")
		}, want: map[string]doctor.Status{doctor.CheckFiles: doctor.StatusFail}},
		{name: "token revoked", break_: func(_ *testing.T, w *doctorWorld) { w.sb.Nhanh().RevokeTokens() },
			want: map[string]doctor.Status{doctor.CheckNhanhCredentials: doctor.StatusFail, doctor.CheckNhanhToken: doctor.StatusFail}},
		{name: "token expired", break_: func(_ *testing.T, w *doctorWorld) { w.sb.Nhanh().SetTokenExpiry(time.Now().Add(-time.Hour)) },
			want: map[string]doctor.Status{doctor.CheckNhanhToken: doctor.StatusFail}},
		{name: "token expires in 5 days", break_: func(_ *testing.T, w *doctorWorld) {
			w.sb.Nhanh().SetTokenExpiry(time.Now().Add(5 * 24 * time.Hour))
		}, want: map[string]doctor.Status{doctor.CheckNhanhToken: doctor.StatusWarn}, exitOK: true},
		{name: "wrong business", break_: func(_ *testing.T, w *doctorWorld) { w.env["SYNCOPS_NHANH_BUSINESS_ID"] = "1" },
			want: map[string]doctor.Status{doctor.CheckNhanhBusiness: doctor.StatusFail}},
		{name: "no depot granted", break_: func(_ *testing.T, w *doctorWorld) { w.sb.Nhanh().GrantDepots(987654321) },
			want: map[string]doctor.Status{doctor.CheckNhanhDepots: doctor.StatusFail}},
		{name: "shopify token wrong", break_: func(_ *testing.T, w *doctorWorld) {
			w.env["SYNCOPS_SHOPIFY_ACCESS_TOKEN"] = "shpat_00000000000000000000000000000000"
		}, want: map[string]doctor.Status{doctor.CheckShopifyShop: doctor.StatusFail}},
		{name: "api version not served", break_: func(_ *testing.T, w *doctorWorld) { w.env["SYNCOPS_SHOPIFY_API_VERSION"] = "2099-01" },
			want: map[string]doctor.Status{doctor.CheckShopifyAPIVersion: doctor.StatusFail}},
		{name: "scope missing", break_: func(_ *testing.T, w *doctorWorld) { w.sb.Shopify().RemoveAccessScope("write_inventory") },
			want: map[string]doctor.Status{doctor.CheckShopifyScopes: doctor.StatusFail}},
		{name: "metafield definition missing", break_: func(_ *testing.T, w *doctorWorld) {
			w.sb.Shopify().DeleteMetafieldDefinition("CUSTOMER", "custom", "total_spent")
		}, want: map[string]doctor.Status{doctor.CheckShopifyMetafield: doctor.StatusFail}},
		{name: "metafield definition wrong type", break_: func(_ *testing.T, w *doctorWorld) {
			w.sb.Shopify().SetMetafieldDefinitionType("CUSTOMER", "custom", "total_spent", "number_decimal")
		}, want: map[string]doctor.Status{doctor.CheckShopifyMetafield: doctor.StatusFail}},
		{name: "mapped location inactive", break_: func(t *testing.T, w *doctorWorld) {
			loc := w.mapFirstDepot(t)
			w.sb.Shopify().SetLocationActive(loc, false)
		}, want: map[string]doctor.Status{doctor.CheckLocations: doctor.StatusFail}},
		{name: "clock skewed", break_: func(_ *testing.T, w *doctorWorld) { w.sb.SetClockSkew(10 * time.Minute) },
			want: map[string]doctor.Status{doctor.CheckClockNhanh: doctor.StatusFail, doctor.CheckClockShopify: doctor.StatusFail}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := setupDoctor(t)
			tc.break_(t, w)
			exit, rep := w.doctor(t)
			for name, st := range tc.want {
				c := checkOf(t, rep, name)
				require.Equal(t, st, c.Status, "%s: %s", name, c.Message)
				if st != doctor.StatusOK {
					require.NotEmpty(t, c.Fix, "%s says what to do", name)
				}
			}
			if tc.exitOK {
				require.Equal(t, cli.ExitOK, exit)
			} else {
				require.Equal(t, cli.ExitFailed, exit)
				require.False(t, rep.OK)
			}
		})
	}
}

// mapFirstDepot maps a depot to a location through the CLI and returns the
// location; the doctor's locations check then passes until it is broken.
func (w *doctorWorld) mapFirstDepot(t *testing.T) locationID {
	t.Helper()
	res := w.run(t, "", "locations", "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	var v struct {
		Depots    []struct{ ID int64 }
		Locations []struct{ ID locationID }
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &v))
	require.NotEmpty(t, v.Depots)
	require.NotEmpty(t, v.Locations)
	loc := v.Locations[0].ID
	res = w.run(t, "", "locations", "set", jsonNumber(v.Depots[0].ID), string(loc))
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	exit, rep := w.doctor(t)
	require.Equal(t, cli.ExitOK, exit)
	require.Equal(t, doctor.StatusOK, checkOf(t, rep, doctor.CheckLocations).Status)
	return loc
}

func TestDoctorFixCreatesDefinitionAndMigrates(t *testing.T) {
	t.Parallel()
	w := setupDoctor(t)
	w.sb.Shopify().DeleteMetafieldDefinition("CUSTOMER", "custom", "total_spent")
	w.env["SYNCOPS_DB"] = filepath.Join(t.TempDir(), "fresh.db")
	exit, rep := w.doctor(t, "--fix")
	require.Equal(t, cli.ExitOK, exit)
	for _, name := range []string{doctor.CheckShopifyMetafield, doctor.CheckMigrations} {
		c := checkOf(t, rep, name)
		require.Equal(t, doctor.StatusOK, c.Status, c.Message)
		require.True(t, c.Fixed, name)
	}
	typ, ok := w.sb.Shopify().MetafieldDefinitionType("CUSTOMER", "custom", "total_spent")
	require.True(t, ok)
	require.Equal(t, "number_integer", typ)
	res := w.run(t, "", "audit", "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, "created customer metafield definition custom.total_spent")
	require.Contains(t, res.stdout, "migrated the database")
}
