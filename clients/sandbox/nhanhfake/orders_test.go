package nhanhfake_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
)

func tradingWorld() *dataset.Dataset {
	ds := &dataset.Dataset{NhanhDepots: []dataset.NhanhDepot{{ID: 1, Name: "Kho 1"}, {ID: 2, Name: "Kho 2"}}}
	for i := range 20 {
		ds.NhanhCustomers = append(ds.NhanhCustomers, dataset.NhanhCustomer{
			ID: extid.NhanhCustomerID(100 + i), Type: dataset.NhanhCustomerType(1 + i%3), Name: fmt.Sprintf("Khách %d", i),
			TotalAmount: 1_000_000, TotalAmountNull: i == 0, UpdatedAt: 50,
		})
	}
	for i := range 10 {
		ds.NhanhProducts = append(ds.NhanhProducts, dataset.NhanhProduct{
			ID: extid.NhanhProductID(10 + i), Code: fmt.Sprintf("SP-%d", i), Price: 20_000, Status: 1 + i%2, UpdatedAt: 60,
			Available: map[extid.NhanhDepotID]int64{1: 50, 2: 5},
		})
	}
	return ds
}

func TestOrderListWindowAndShape(t *testing.T) {
	t.Parallel()
	b := setup(t, tradingWorld(), nhanhfake.Options{})
	now := b.clock.Now().Unix()
	o, err := b.fake.PlaceOrder(dataset.NhanhOrder{DepotID: 1, CustomerID: 101,
		Lines: []dataset.NhanhOrderLine{{ProductID: 10, Quantity: 3, Price: 20_000}}})
	require.NoError(t, err)

	tests := []struct {
		name, filters string
		field         string // the field Nhanh names, or "" for success
	}{
		{"31 days", fmt.Sprintf(`{"createdAtFrom":%d,"createdAtTo":%d}`, now-31*86400, now), ""},
		{"32 days by createdAt", fmt.Sprintf(`{"createdAtFrom":%d,"createdAtTo":%d}`, now-32*86400, now), "filters.createdAtFrom"},
		{"32 days by updatedAt", fmt.Sprintf(`{"updatedAtFrom":%d,"updatedAtTo":%d}`, now-32*86400, now), "filters.updatedAtFrom"},
		{"no range", `{}`, "filters.createdAtFrom"},
		{"one end", fmt.Sprintf(`{"updatedAtFrom":%d}`, now), "filters.updatedAtFrom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := b.post(t, nhanhfake.EndpointOrderList, `{"filters":`+tc.filters+`}`)
			if tc.field != "" {
				require.Equal(t, 0, r.Code)
				require.Equal(t, "ERR_INVALID_FORM_FIELDS", r.ErrorCode)
				var fields map[string]string
				require.NoError(t, json.Unmarshal(r.Messages, &fields), "messages is a field map")
				require.Contains(t, fields, tc.field)
				return
			}
			require.Equal(t, 1, r.Code)
			var rows []map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(r.Data, &rows))
			require.Len(t, rows, 1)
			require.JSONEq(t, fmt.Sprintf(`{"id":%d,"depotId":1,"type":2,"status":%d,"createdAt":%d,"updatedAt":%d}`,
				o.ID, nhanhfake.OrderStatusSuccess, now, now), string(rows[0]["info"]))
			require.JSONEq(t, `{"id":101,"name":"Khách 1","mobile":""}`, string(rows[0]["shippingAddress"]))
		})
	}
}

func TestTradingMovesStockAndSpendButNotUpdatedAt(t *testing.T) {
	t.Parallel()
	b := setup(t, tradingWorld(), nhanhfake.Options{})
	o, err := b.fake.PlaceOrder(dataset.NhanhOrder{DepotID: 2, CustomerID: 102, Lines: []dataset.NhanhOrderLine{
		{ProductID: 10, Quantity: 2, Price: 20_000}, {ProductID: 11, Quantity: 7, Price: 10_000}}})
	require.NoError(t, err)
	snap := b.fake.Snapshot()
	require.InDelta(t, 1_000_000+40_000+70_000, snap.NhanhCustomers[2].TotalAmount, 0)
	require.Equal(t, int64(50), snap.NhanhCustomers[2].UpdatedAt, "spend moved, updatedAt did not")
	require.Equal(t, int64(3), snap.NhanhProducts[0].Available[2])
	require.Equal(t, int64(-2), snap.NhanhProducts[1].Available[2], "Nhanh lets a depot go negative")
	require.Equal(t, int64(60), snap.NhanhProducts[1].UpdatedAt)

	b.clock.Advance(time.Hour)
	require.NoError(t, b.fake.ReturnPart(o.ID, 11, 3))
	require.ErrorIs(t, b.fake.ReturnPart(o.ID, 11, 5), nhanhfake.ErrBadReturn)
	snap = b.fake.Snapshot()
	require.InDelta(t, 1_000_000+40_000+40_000, snap.NhanhCustomers[2].TotalAmount, 0)
	require.Equal(t, int64(1), snap.NhanhProducts[1].Available[2])
	require.Equal(t, b.clock.Now().Unix(), snap.NhanhOrders[0].UpdatedAt, "a return updates the order")

	require.NoError(t, b.fake.DeleteOrder(o.ID))
	require.ErrorIs(t, b.fake.DeleteOrder(o.ID), nhanhfake.ErrUnknownOrder)
	snap = b.fake.Snapshot()
	require.InDelta(t, 1_000_000, snap.NhanhCustomers[2].TotalAmount, 0)
	require.Equal(t, int64(5), snap.NhanhProducts[1].Available[2])
	now := b.clock.Now().Unix()
	r := b.post(t, nhanhfake.EndpointOrderList, fmt.Sprintf(`{"filters":{"updatedAtFrom":%d,"updatedAtTo":%d}}`, now-86400, now))
	require.Equal(t, 1, r.Code)
	require.JSONEq(t, `[]`, string(r.Data), "a deleted order is not listed")

	_, err = b.fake.PlaceOrder(dataset.NhanhOrder{CustomerID: 999, DepotID: 1})
	require.ErrorIs(t, err, nhanhfake.ErrUnknownCustomer)
}

func TestSellIsDeterministicAndExpectedStateFollowsIt(t *testing.T) {
	t.Parallel()
	run := func() (nhanhfake.SellReport, *dataset.Dataset) {
		b := setup(t, tradingWorld(), nhanhfake.Options{})
		rep := b.fake.Sell(nhanhfake.SellOptions{Seed: 7, Orders: 30, Returns: 5, Deletes: 3})
		return rep, b.fake.Snapshot()
	}
	rep, snap := run()
	rep2, snap2 := run()
	require.Equal(t, rep, rep2)
	require.Equal(t, snap, snap2)
	require.Len(t, rep.Placed, 30)
	require.Len(t, rep.Returned, 5)
	require.Len(t, rep.Deleted, 3)

	before := tradingWorld()
	spend := dataset.ExpectedTotalSpent(snap.NhanhCustomers)
	require.NotContains(t, spend, extid.NhanhCustomerID(100), "a null total has no expected value")
	var sold float64
	for _, o := range snap.NhanhOrders {
		if !o.Deleted {
			sold += o.Amount()
		}
	}
	var total, baseline float64
	for i, c := range snap.NhanhCustomers {
		require.Equal(t, before.NhanhCustomers[i].UpdatedAt, c.UpdatedAt)
		if !c.TotalAmountNull {
			total += c.TotalAmount
			baseline += before.NhanhCustomers[i].TotalAmount
		}
	}
	var nullSold float64
	for _, o := range snap.NhanhOrders {
		if !o.Deleted && o.CustomerID == 100 {
			nullSold += o.Amount()
		}
	}
	require.InDelta(t, baseline+sold-nullSold, total, 0.001, "spend moved by exactly what the live orders kept")

	stock := dataset.ExpectedAvailable(snap.NhanhProducts, dataset.LocationDepots{"gid://shopify/Location/1": {1, 2}})
	for _, p := range snap.NhanhProducts {
		require.Equal(t, max(0, p.Available[1])+max(0, p.Available[2]), stock[p.ID]["gid://shopify/Location/1"])
	}

	collapsed := setup(t, tradingWorld(), nhanhfake.Options{})
	ids := collapsed.fake.CollapseSpend(0.9, 3)
	require.Greater(t, len(ids), 10)
	for _, c := range collapsed.fake.Snapshot().NhanhCustomers {
		if c.ID != 100 && !containsID(ids, c.ID) {
			require.InDelta(t, 1_000_000, c.TotalAmount, 0)
		} else if c.ID != 100 {
			require.LessOrEqual(t, c.TotalAmount, 100_000.0)
		}
	}
}

func containsID(ids []extid.NhanhCustomerID, id extid.NhanhCustomerID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestOmittedFiltersCanMeanLess(t *testing.T) {
	t.Parallel()
	b := setup(t, tradingWorld(), nhanhfake.Options{OmittedTypeMeansRetail: true, OmittedStatusMeansActive: true})
	count := func(endpoint, filters string) int {
		r := b.post(t, endpoint, `{"filters":`+filters+`}`)
		require.Equal(t, 1, r.Code, string(r.Messages))
		var rows []json.RawMessage
		require.NoError(t, json.Unmarshal(r.Data, &rows))
		return len(rows)
	}
	require.Equal(t, 7, count(nhanhfake.EndpointCustomerList, `{}`), "retail only")
	require.Equal(t, 7+7+6, count(nhanhfake.EndpointCustomerList, `{"type":1}`)+count(nhanhfake.EndpointCustomerList, `{"type":2}`)+count(nhanhfake.EndpointCustomerList, `{"type":3}`))
	require.Equal(t, 5, count(nhanhfake.EndpointProductList, `{}`), "active only")
	require.Equal(t, 10, count(nhanhfake.EndpointProductList, `{"status":1}`)+count(nhanhfake.EndpointProductList, `{"status":2}`))
}
