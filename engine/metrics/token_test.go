package metrics_test

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine/metrics"
)

func TestNhanhTokenExpiryGauge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		left  float64
		known bool
		want  string
	}{
		{"known", 86400, true, "syncops_nhanh_token_expiry_seconds 86400\n"},
		{"expired", -60, true, "syncops_nhanh_token_expiry_seconds -60\n"},
		{"unknown", 0, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := metrics.New(metrics.Sources{NhanhTokenSecondsLeft: func() (float64, bool) { return tc.left, tc.known }})
			rec := httptest.NewRecorder()
			m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			body, err := io.ReadAll(rec.Body)
			require.NoError(t, err)
			if tc.want == "" {
				require.NotContains(t, string(body), "syncops_nhanh_token_expiry_seconds ")
				return
			}
			require.Contains(t, string(body), tc.want)
		})
	}
}
