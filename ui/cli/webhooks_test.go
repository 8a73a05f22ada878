package cli_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/app"
	"syncops/engine/webhook"
	"syncops/ui/cli"
)

// TestWebhooksShowsDeliveries: `syncops webhooks` lists the stored
// deliveries newest first, pending until processed, with duplicates.
func TestWebhooksShowsDeliveries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	res := b.run(ctx, "webhooks")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, "No webhook deliveries")

	a, err := app.Build(ctx, app.Config{DataDir: b.env["SYNCOPS_DATA_DIR"], Timezone: app.DefaultTimezone,
		Retention: app.DefaultRetention}, app.Options{Kinds: b.kinds, NoWorkers: true})
	require.NoError(t, err)
	for _, body := range []string{`{"event":"inventoryChange","data":[{"id":1,"available":2}]}`,
		`{"event":"orderAdd","data":{"info":{"id":9},"shippingAddress":{"id":5}}}`,
		`{"event":"orderAdd","data":{"info":{"id":9},"shippingAddress":{"id":5}}}`} {
		event, err := webhook.EventOf([]byte(body))
		require.NoError(t, err)
		_, err = a.Engine.ReceiveWebhook(ctx, engine.WebhookIn{Source: webhook.Source, Event: event, Body: []byte(body)}, webhook.Actor)
		require.NoError(t, err)
	}
	stop, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, a.Close(stop))

	res = b.run(ctx, "webhooks", "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	var out []struct {
		Event, Outcome string
		Duplicates     int
		ProcessedAt    *time.Time
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &out), res.stdout)
	require.Len(t, out, 2)
	require.Equal(t, "orderAdd", out[0].Event)
	require.Equal(t, 1, out[0].Duplicates)
	require.Equal(t, "inventoryChange", out[1].Event)
	for _, d := range out {
		require.Equal(t, "pending", d.Outcome)
		require.Nil(t, d.ProcessedAt)
	}

	res = b.run(ctx, "webhooks", "--event", "inventoryChange")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, "OUTCOME")
	require.Contains(t, res.stdout, "inventoryChange")
	require.NotContains(t, res.stdout, "orderAdd")
}
