package nhanhfake_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
)

// receiver records the deliveries it answers 200; the first fail ones it
// answers 500.
type receiver struct {
	mu     sync.Mutex
	auth   []string
	bodies []map[string]json.RawMessage
	fail   atomic.Int64
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if rc.fail.Add(-1) >= 0 {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	var body map[string]json.RawMessage
	_ = json.Unmarshal(raw, &body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.auth = append(rc.auth, r.Header.Get("Authorization"))
	rc.bodies = append(rc.bodies, body)
}

func TestWebhooksFollowEveryChange(t *testing.T) {
	t.Parallel()
	b := setup(t, tradingWorld(), nhanhfake.Options{})
	rc := &receiver{}
	rc.fail.Store(1) // the first attempt fails: it is tried again
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	require.True(t, b.fake.SetStock(10, 1, 7), "no target yet: nothing is delivered")
	b.fake.SetWebhookTarget(srv.URL, "verifytoken0123456789", nil)

	require.True(t, b.fake.SetStock(11, 2, 9))
	o, err := b.fake.PlaceOrder(dataset.NhanhOrder{DepotID: 1, CustomerID: 101,
		Lines: []dataset.NhanhOrderLine{{ProductID: 12, Quantity: 2, Price: 20_000}}})
	require.NoError(t, err)
	require.NoError(t, b.fake.ReturnPart(o.ID, 12, 1))
	require.NoError(t, b.fake.DeleteOrder(o.ID))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.fake.FlushWebhooks(ctx))

	stats := b.fake.WebhookStats()
	require.Equal(t, nhanhfake.WebhookStats{Queued: 7, Delivered: 7, Attempts: 8}, stats)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var events []string
	for i, body := range rc.bodies {
		var ev string
		require.NoError(t, json.Unmarshal(body["event"], &ev))
		events = append(events, ev)
		require.Equal(t, "verifytoken0123456789", rc.auth[i], "the raw token, no scheme")
	}
	require.Equal(t, []string{"inventoryChange", "orderAdd", "inventoryChange", "orderPartialReturn", "inventoryChange",
		"orderDelete", "inventoryChange"}, events)
	var stock []struct {
		ID        int64 `json:"id"`
		Available int64 `json:"available"`
	}
	require.NoError(t, json.Unmarshal(rc.bodies[0]["data"], &stock))
	require.Equal(t, []struct {
		ID        int64 `json:"id"`
		Available int64 `json:"available"`
	}{{ID: 11, Available: 59}}, stock, "the stock right after the change")
	var now map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b.fake.InventoryChangeBody(extid.NhanhProductID(12)), &now))
	require.JSONEq(t, string(now["data"]), string(rc.bodies[6]["data"]), "after the delete, the stock is back")
}
