package httpapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine"
)

const webhookToken = "Verify0123456789abcdef"

// postWebhook sends a delivery with the raw Authorization header auth, as
// Nhanh does (no scheme).
func (b *bundle) postWebhook(t *testing.T, auth, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+WebhookPath, strings.NewReader(body))
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 {
		out = object(t, raw)
	}
	return resp, out
}

const stockBody = `{"event":"inventoryChange","businessId":1,"data":[{"id":1,"available":3,"depots":[{"id":1,"available":3}]}]}`

// TestNhanhWebhookToken: only the verify token, raw in the Authorization
// header, is accepted; a bearer token of the API is not; nothing refused is
// stored.
func TestNhanhWebhookToken(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{webhookToken: webhookToken})
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{name: "no token", status: http.StatusUnauthorized},
		{name: "wrong token", auth: "Verify0123456789abcdeX", status: http.StatusUnauthorized},
		{name: "a prefix of it", auth: webhookToken[:10], status: http.StatusUnauthorized},
		{name: "as a bearer token", auth: "Bearer " + webhookToken, status: http.StatusUnauthorized},
		{name: "an API operator token", auth: "Bearer " + operatorToken, status: http.StatusUnauthorized},
		{name: "the verify token", auth: webhookToken, status: http.StatusOK},
	} {
		resp, _ := b.postWebhook(t, tc.auth, stockBody)
		require.Equal(t, tc.status, resp.StatusCode, tc.name)
	}
	list, err := b.app.Engine.WebhookDeliveries(context.Background(), engine.WebhookFilter{})
	require.NoError(t, err)
	require.Len(t, list, 1, "only the authenticated delivery is stored")

	// The verify token opens nothing else.
	resp, _ := b.do(t, http.MethodGet, "/v1/jobs", "", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	req, err := http.NewRequest(http.MethodGet, b.base+"/v1/jobs", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", webhookToken)
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = r2.Body.Close()
	require.Equal(t, http.StatusUnauthorized, r2.StatusCode)
}

// TestNhanhWebhookProbeAndDuplicates: the webhooksEnabled probe is answered
// 200; a delivery sent again is answered 200 and marked a duplicate; a body
// that is not a webhook is refused with 400.
func TestNhanhWebhookProbeAndDuplicates(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{webhookToken: webhookToken})
	resp, out := b.postWebhook(t, webhookToken, `{"event":"webhooksEnabled","businessId":1,"data":{"events":[110]}}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, true, out["probe"])

	resp, first := b.postWebhook(t, webhookToken, stockBody)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, false, first["duplicate"])
	resp, again := b.postWebhook(t, webhookToken, stockBody)
	require.Equal(t, http.StatusOK, resp.StatusCode, "a duplicate is acknowledged, so Nhanh stops retrying")
	require.Equal(t, true, again["duplicate"])
	require.Equal(t, first["id"], again["id"])

	resp, _ = b.postWebhook(t, webhookToken, `{"unexpected":true}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = b.postWebhook(t, webhookToken, `{"event":"somethingNew","data":{}}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "unknown events are stored and acknowledged")

	list, err := b.app.Engine.WebhookDeliveries(context.Background(), engine.WebhookFilter{})
	require.NoError(t, err)
	var events []string
	for _, d := range list {
		events = append(events, d.Event)
	}
	require.Equal(t, []string{"somethingNew", "inventoryChange", "webhooksEnabled"}, events)
	require.Equal(t, 1, list[1].Duplicates)
}

// TestNhanhWebhookOff: without a verify token the route does not exist; the
// request meets the API's bearer authentication.
func TestNhanhWebhookOff(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	resp, _ := b.postWebhook(t, webhookToken, stockBody)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = b.do(t, http.MethodPost, WebhookPath, operatorToken, stockBody)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
