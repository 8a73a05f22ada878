package nhanh_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/nhanh"
)

const secretToken = "tok-very-secret-0123456789"

func validConfig() nhanh.Config {
	return nhanh.Config{AppID: "7001", BusinessID: "42", AccessToken: secretToken}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*nhanh.Config)
		want   []string
	}{
		{name: "valid with defaults", modify: func(*nhanh.Config) {}},
		{name: "missing token", modify: func(c *nhanh.Config) { c.AccessToken = "" },
			want: []string{"nhanh: SYNCOPS_NHANH_ACCESS_TOKEN is empty"}},
		{name: "missing everything", modify: func(c *nhanh.Config) { *c = nhanh.Config{} },
			want: []string{"SYNCOPS_NHANH_APP_ID is empty", "SYNCOPS_NHANH_BUSINESS_ID is empty", "SYNCOPS_NHANH_ACCESS_TOKEN is empty"}},
		{name: "bad base URL", modify: func(c *nhanh.Config) { c.BaseURL = "pos.open.nhanh.vn" },
			want: []string{"SYNCOPS_NHANH_BASE_URL"}},
		{name: "negative window", modify: func(c *nhanh.Config) { c.Window = -time.Second },
			want: []string{"Window must not be negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			tt.modify(&cfg)
			err := cfg.Validate()
			_, newErr := nhanh.New(cfg)
			if len(tt.want) == 0 {
				require.NoError(t, err)
				require.NoError(t, newErr)
				return
			}
			require.Error(t, err)
			require.Equal(t, err.Error(), newErr.Error())
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
			require.NotContains(t, err.Error(), secretToken)
		})
	}
}

func TestConfigNeverPrintsToken(t *testing.T) {
	t.Parallel()
	cfg := validConfig()
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "nhanh", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), logged.String()} {
		require.NotContains(t, s, secretToken)
		require.Contains(t, s, "7001")
	}
}
