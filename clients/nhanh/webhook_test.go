package nhanh_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
)

func TestParseWebhook(t *testing.T) {
	t.Parallel()
	w, err := nhanh.ParseWebhook([]byte(`{"event":"inventoryChange","businessId":12345,"data":[{"id":1}]}`))
	require.NoError(t, err)
	require.Equal(t, nhanh.EventInventoryChange, w.Event)
	require.Equal(t, "12345", w.BusinessID)
	require.JSONEq(t, `[{"id":1}]`, string(w.Data))
	for _, body := range []string{`not json`, `{"data":[]}`, `[]`} {
		_, err := nhanh.ParseWebhook([]byte(body))
		require.ErrorIs(t, err, nhanh.ErrNotWebhook, body)
	}
}

func TestWebhookInventory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want map[extid.NhanhProductID]nhanh.Stock
	}{
		{name: "v3 array with a combo and its part",
			data: `[{"id":10,"typeId":1,"code":"C","remain":5,"available":3,"depots":[{"id":7,"available":2},{"id":8,"available":"1"}]},
			        {"id":11,"available":0,"depots":[]}]`,
			want: map[extid.NhanhProductID]nhanh.Stock{
				10: {Available: 3, HasAvailable: true, Depots: map[extid.NhanhDepotID]int64{7: 2, 8: 1}},
				11: {Available: 0, HasAvailable: true, Depots: map[extid.NhanhDepotID]int64{}},
			}},
		{name: "v2 object keyed by id",
			data: `{"12":{"available":4,"depots":{"7":{"available":4}}}}`,
			want: map[extid.NhanhProductID]nhanh.Stock{
				12: {Available: 4, HasAvailable: true, Depots: map[extid.NhanhDepotID]int64{7: 4}},
			}},
		{name: "unknown stock", data: `[{"id":13,"available":null}]`,
			want: map[extid.NhanhProductID]nhanh.Stock{13: {Depots: map[extid.NhanhDepotID]int64{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := nhanh.WebhookInventory(json.RawMessage(tt.data))
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	_, err := nhanh.WebhookInventory(json.RawMessage(`[{"available":1}]`))
	require.Error(t, err, "a product without an id")
}

func TestWebhookProductsAndOrders(t *testing.T) {
	t.Parallel()
	ps, err := nhanh.WebhookProducts(json.RawMessage(`{"id":5,"code":"SKU5","name":"Áo","prices":{"retail":100000},
		"inventory":{"available":2,"depots":[{"id":7,"available":2}]},"combos":[{"id":6,"quantity":2}]}`))
	require.NoError(t, err)
	require.Len(t, ps, 1)
	require.Equal(t, extid.NhanhProductID(5), ps[0].ID)
	require.Equal(t, "SKU5", ps[0].Code)
	require.EqualValues(t, 2, ps[0].Available)
	require.True(t, ps[0].IsCombo())

	for _, data := range []string{`{"id":5}`, `[{"id":5},{"id":6}]`, `[5,6]`} {
		ids, err := nhanh.WebhookProductIDs(json.RawMessage(data))
		require.NoError(t, err, data)
		require.Equal(t, extid.NhanhProductID(5), ids[0], data)
	}
	_, err = nhanh.WebhookProductIDs(json.RawMessage(`[0]`))
	require.Error(t, err)

	os, err := nhanh.WebhookOrders(json.RawMessage(`{"info":{"id":900,"depotId":7,"status":59,"createdAt":1,"updatedAt":2},
		"shippingAddress":{"id":321,"name":"An","mobile":"0912345678"}}`))
	require.NoError(t, err)
	require.Len(t, os, 1)
	require.Equal(t, extid.NhanhCustomerID(321), os[0].CustomerID)
	require.Equal(t, extid.NhanhOrderID(900), os[0].ID)
}
