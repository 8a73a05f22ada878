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
