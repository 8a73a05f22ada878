package app_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine/app"
)

// TestHTTPConfig: the HTTP API's settings come from the environment, and an
// address without a tokens file, or half of a TLS pair, is refused.
func TestHTTPConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		err  string
	}{
		{name: "off"},
		{name: "on", env: map[string]string{"SYNCOPS_HTTP_ADDR": "127.0.0.1:0", "SYNCOPS_HTTP_TOKENS": "/etc/syncops/tokens"}},
		{name: "no tokens", env: map[string]string{"SYNCOPS_HTTP_ADDR": "127.0.0.1:0"}, err: "SYNCOPS_HTTP_TOKENS"},
		{name: "half TLS", env: map[string]string{"SYNCOPS_HTTP_ADDR": ":8443", "SYNCOPS_HTTP_TOKENS": "t",
			"SYNCOPS_HTTP_TLS_CERT": "cert.pem"}, err: "SYNCOPS_HTTP_TLS_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"SYNCOPS_DATA_DIR": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := app.Load("", func(k string) string { return env[k] })
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.env["SYNCOPS_HTTP_ADDR"], cfg.HTTP.Addr)
			require.Equal(t, tc.env["SYNCOPS_HTTP_TOKENS"], cfg.HTTP.Tokens)
		})
	}
	require.Contains(t, app.EnvHelp(), "SYNCOPS_HTTP_TOKENS")
}
