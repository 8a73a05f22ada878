package metrics_test

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/metrics"
)

func TestWebhookDeliveriesByEventAndOutcome(t *testing.T) {
	t.Parallel()
	counts := map[engine.WebhookCount]int64{
		{Event: "inventoryChange", Outcome: engine.WebhookReceived}:  12,
		{Event: "inventoryChange", Outcome: engine.WebhookDuplicate}: 2,
		{Event: "inventoryChange", Outcome: engine.WebhookProcessed}: 12,
		{Event: "orderAdd", Outcome: engine.WebhookFailed}:           1,
	}
	m := metrics.New(metrics.Sources{Webhooks: func() map[engine.WebhookCount]int64 { return counts }})
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	for _, want := range []string{
		`syncops_webhook_deliveries_total{event="inventoryChange",outcome="received"} 12`,
		`syncops_webhook_deliveries_total{event="inventoryChange",outcome="duplicate"} 2`,
		`syncops_webhook_deliveries_total{event="inventoryChange",outcome="processed"} 12`,
		`syncops_webhook_deliveries_total{event="orderAdd",outcome="failed"} 1`,
	} {
		require.Contains(t, string(body), want)
	}
}
