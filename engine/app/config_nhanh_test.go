package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine/app"
)

// TestNhanhRateWindow: the rate window defaults to Nhanh's published one
// (zero hands the client its default), takes a duration, and refuses
// values no real or sped-up Nhanh has.
func TestNhanhRateWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, value string
		want        time.Duration
		err         string
	}{
		{name: "unset"},
		{name: "sped-up sandbox", value: "300ms", want: 300 * time.Millisecond},
		{name: "not a duration", value: "fast", err: "SYNCOPS_NHANH_RATE_WINDOW"},
		{name: "negative", value: "-1s", err: "SYNCOPS_NHANH_RATE_WINDOW"},
		{name: "too short", value: "1ms", err: "at least 10ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"SYNCOPS_DATA_DIR": t.TempDir(), "SYNCOPS_NHANH_RATE_WINDOW": tc.value}
			cfg, err := app.Load("", func(k string) string { return env[k] })
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, cfg.Nhanh.RateWindow)
		})
	}
}

// TestNhanhWebhookSettings: the verify token follows Nhanh's rule (16 to 128
// letters and digits) and needs the HTTP face; the window is bounded.
func TestNhanhWebhookSettings(t *testing.T) {
	t.Parallel()
	const good = "Verify0123456789abc"
	for _, tc := range []struct {
		name string
		env  map[string]string
		err  string
	}{
		{name: "off"},
		{name: "on", env: map[string]string{"SYNCOPS_NHANH_WEBHOOK_TOKEN": good, "SYNCOPS_HTTP_ADDR": "127.0.0.1:0",
			"SYNCOPS_HTTP_TOKENS": "/tokens", "SYNCOPS_NHANH_WEBHOOK_WINDOW": "500ms"}},
		{name: "short token", env: map[string]string{"SYNCOPS_NHANH_WEBHOOK_TOKEN": "short", "SYNCOPS_HTTP_ADDR": "127.0.0.1:0",
			"SYNCOPS_HTTP_TOKENS": "/tokens"}, err: "16 to 128 letters and digits"},
		{name: "token with symbols", env: map[string]string{"SYNCOPS_NHANH_WEBHOOK_TOKEN": "verify-0123456789-abc",
			"SYNCOPS_HTTP_ADDR": "127.0.0.1:0", "SYNCOPS_HTTP_TOKENS": "/tokens"}, err: "16 to 128 letters and digits"},
		{name: "no HTTP face", env: map[string]string{"SYNCOPS_NHANH_WEBHOOK_TOKEN": good}, err: "SYNCOPS_HTTP_ADDR is not"},
		{name: "window too long", env: map[string]string{"SYNCOPS_NHANH_WEBHOOK_WINDOW": "2h"}, err: "SYNCOPS_NHANH_WEBHOOK_WINDOW"},
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
				require.NotContains(t, err.Error(), good, "the token is never shown")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.env["SYNCOPS_NHANH_WEBHOOK_TOKEN"], cfg.Nhanh.WebhookToken.Reveal())
		})
	}
}
