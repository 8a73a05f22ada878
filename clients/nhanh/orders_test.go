package nhanh_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox/dataset"
)

// shopWorld is one depot, three customers and a well stocked product.
func shopWorld() *dataset.Dataset {
	return &dataset.Dataset{
		NhanhDepots: []dataset.NhanhDepot{{ID: 21001, Name: "Kho Hà Nội"}},
		NhanhCustomers: []dataset.NhanhCustomer{
			{ID: 1, Type: dataset.NhanhRetail, Name: "Nguyễn Văn A", Mobile: "0912345678", TotalAmount: 500000, UpdatedAt: 100},
			{ID: 2, Type: dataset.NhanhWholesale, Name: "Trần Thị B", Mobile: "0987654321", TotalAmountNull: true, UpdatedAt: 100},
			{ID: 3, Type: dataset.NhanhAgent, Name: "Lê C", Mobile: "0901234567", TotalAmount: 0, UpdatedAt: 100},
		},
		NhanhProducts: []dataset.NhanhProduct{
			{ID: 10, Code: "AO-1", Name: "Áo", Price: 100000, Status: 1, Available: map[extid.NhanhDepotID]int64{21001: 100000}, UpdatedAt: 100},
		},
	}
}

func sentFilters(t *testing.T, body []byte) map[string]int64 {
	t.Helper()
	var req struct {
		Filters map[string]int64 `json:"filters"`
	}
	require.NoError(t, json.Unmarshal(body, &req))
	return req.Filters
}

func TestEachOrderSplitsLongRangesIntoWindowsAndPages(t *testing.T) {
	t.Parallel()
	b := setup(t, options{ds: shopWorld(), fakeClock: true})
	start := b.clock.Now().Unix()
	for range 250 {
		_, err := b.fake.PlaceOrder(dataset.NhanhOrder{DepotID: 21001, CustomerID: 1,
			Lines: []dataset.NhanhOrderLine{{ProductID: 10, Quantity: 1, Price: 100000}}})
		require.NoError(t, err)
	}
	b.clock.Advance(40 * 24 * time.Hour)
	for range 3 {
		_, err := b.fake.PlaceOrder(dataset.NhanhOrder{DepotID: 21001, CustomerID: 3,
			Lines: []dataset.NhanhOrderLine{{ProductID: 10, Quantity: 2, Price: 100000}}})
		require.NoError(t, err)
	}
	var got []nhanh.Order
	err := b.client.EachOrder(t.Context(), nhanh.OrderFilter{CreatedAtFrom: start, CreatedAtTo: b.clock.Now().Unix()},
		func(o nhanh.Order) error { got = append(got, o); return nil })
	require.NoError(t, err)
	require.Len(t, got, 253)
	require.Equal(t, extid.NhanhCustomerID(1), got[0].CustomerID)
	require.Equal(t, "Nguyễn Văn A", got[0].CustomerName)
	require.Equal(t, extid.NhanhDepotID(21001), got[0].DepotID)
	require.Equal(t, start, got[0].CreatedAt)
	require.Equal(t, extid.NhanhCustomerID(3), got[252].CustomerID)

	reqs := b.log.all()
	require.Len(t, reqs, 4, "window 1 in three pages, window 2 in one")
	for _, r := range reqs {
		require.Equal(t, nhanh.EndpointOrderList, r.Endpoint)
		f := sentFilters(t, r.Body)
		require.LessOrEqual(t, f["createdAtTo"]-f["createdAtFrom"], int64(nhanh.MaxOrderWindowSeconds))
	}
	require.Nil(t, sentNext(t, reqs[0].Body))
	require.NotNil(t, sentNext(t, reqs[1].Body))
	require.Nil(t, sentNext(t, reqs[3].Body), "a new window starts without a cursor")

	stop := errors.New("enough")
	n := 0
	err = b.client.EachOrder(t.Context(), nhanh.OrderFilter{UpdatedAtFrom: start, UpdatedAtTo: b.clock.Now().Unix()},
		func(nhanh.Order) error { n++; return stop })
	require.ErrorIs(t, err, stop, "the callback's error comes back unchanged")
	require.Equal(t, 1, n)
}

func TestOrderWindows(t *testing.T) {
	t.Parallel()
	const w = nhanh.MaxOrderWindowSeconds
	tests := []struct {
		name     string
		from, to int64
		want     []nhanh.OrderWindow
	}{
		{"one second", 10, 10, []nhanh.OrderWindow{{10, 10}}},
		{"exactly one window", 10, 10 + w, []nhanh.OrderWindow{{10, 10 + w}}},
		{"one second over", 10, 11 + w, []nhanh.OrderWindow{{10, 10 + w}, {11 + w, 11 + w}}},
		{"three windows", 0, 2*w + 5, []nhanh.OrderWindow{{0, w}, {w + 1, 2*w + 1}, {2*w + 2, 2*w + 5}}},
		{"empty", 20, 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, nhanh.OrderWindows(tc.from, tc.to))
		})
	}
}

func TestListOrdersRefusesBadRangesLocally(t *testing.T) {
	t.Parallel()
	b := setup(t, options{ds: shopWorld()})
	tests := []struct {
		name   string
		filter nhanh.OrderFilter
		want   string
	}{
		{"no range", nhanh.OrderFilter{}, "needs a createdAt or updatedAt range"},
		{"32 days", nhanh.OrderFilter{CreatedAtFrom: 1_000, CreatedAtTo: 1_000 + 32*86400}, "at most 31 days"},
		{"one end", nhanh.OrderFilter{UpdatedAtFrom: 1_000}, "both ends"},
		{"reversed", nhanh.OrderFilter{UpdatedAtFrom: 2_000, UpdatedAtTo: 1_000}, "from <= to"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.client.ListOrders(t.Context(), tc.filter, nil)
			var apiErr *apierr.Error
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, apierr.ClassValidation, apiErr.Class)
			require.Contains(t, err.Error(), tc.want)
		})
	}
	require.Empty(t, b.log.all(), "nothing is sent for a refused range")
	err := b.client.EachOrder(t.Context(), nhanh.OrderFilter{CreatedAtFrom: 1, CreatedAtTo: 2, UpdatedAtFrom: 1, UpdatedAtTo: 2}, func(nhanh.Order) error { return nil })
	require.ErrorContains(t, err, "exactly one")
}

func TestCustomersByIDSplitsAtMaxIDs(t *testing.T) {
	t.Parallel()
	b := setup(t, options{ds: manyCustomers(250)})
	var ids []extid.NhanhCustomerID
	for i := range 250 {
		ids = append(ids, extid.NhanhCustomerID(142401000+249-i))
	}
	ids = append(ids, 142401000, 999) // a repeat and an unknown id
	got, err := b.client.CustomersByID(t.Context(), ids)
	require.NoError(t, err)
	require.Len(t, got, 250)
	require.Equal(t, extid.NhanhCustomerID(142401000), got[0].ID)
	reqs := b.log.all()
	// Three calls of retail customers (every one found there), then the
	// unknown id asked of each other type: every call names its type.
	require.Len(t, reqs, 3+len(nhanh.CustomerTypes)-1)
	for _, r := range reqs {
		require.LessOrEqual(t, len(sentIDs(t, r.Body)), nhanh.MaxIDs)
		var body struct {
			Filters struct {
				Type int `json:"type"`
			} `json:"filters"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &body))
		require.Contains(t, nhanh.CustomerTypes, body.Filters.Type, "an explicit customer type: %s", r.Body)
	}
}

func TestNullTotalsAndStockAreNotZero(t *testing.T) {
	t.Parallel()
	ds := shopWorld()
	ds.NhanhProducts = append(ds.NhanhProducts,
		dataset.NhanhProduct{ID: 11, Code: "QUAN", Status: 1, StockNull: true, Available: map[extid.NhanhDepotID]int64{21001: 5}},
		dataset.NhanhProduct{ID: 12, Code: "CHA", Status: 1, ParentID: -2, Available: map[extid.NhanhDepotID]int64{21001: 3}},
		dataset.NhanhProduct{ID: 13, Code: "CHA-S", Status: 1, ParentID: 12, Available: map[extid.NhanhDepotID]int64{21001: 3}},
		dataset.NhanhProduct{ID: 14, Code: "COMBO", Status: 1, Available: map[extid.NhanhDepotID]int64{21001: 1},
			Combos: []dataset.NhanhComboItem{{ProductID: 10, Quantity: 1}, {ProductID: 11, Quantity: 2}}},
	)
	b := setup(t, options{ds: ds})

	page, err := b.client.ListCustomers(t.Context(), nhanh.CustomerFilter{}, nil)
	require.NoError(t, err)
	byID := map[extid.NhanhCustomerID]nhanh.Customer{}
	for _, c := range page.Customers {
		byID[c.ID] = c
	}
	require.True(t, byID[1].HasTotalAmount)
	require.InDelta(t, 500000, byID[1].TotalAmount, 0)
	require.False(t, byID[2].HasTotalAmount, "null totalAmount is unknown")
	require.True(t, byID[3].HasTotalAmount, "0 is a known total")
	require.Zero(t, byID[3].TotalAmount)

	products, err := b.client.ListProducts(t.Context(), nhanh.ProductFilter{}, nil)
	require.NoError(t, err)
	pByID := map[extid.NhanhProductID]nhanh.Product{}
	for _, p := range products.Products {
		pByID[p.ID] = p
	}
	require.True(t, pByID[10].HasAvailable)
	require.False(t, pByID[11].HasAvailable, "null available is unknown")
	require.True(t, pByID[12].IsParent())
	require.Equal(t, int64(12), pByID[13].ParentID)
	require.False(t, pByID[13].IsParent())
	require.True(t, pByID[14].IsCombo())
	require.Equal(t, []nhanh.ComboItem{{ProductID: 10, Quantity: 1}, {ProductID: 11, Quantity: 2}}, pByID[14].Combos)
	require.Equal(t, map[extid.NhanhProductID]bool{12: true}, nhanh.ParentProductIDs(products.Products))

	stock, err := b.client.Inventory(t.Context(), []extid.NhanhProductID{10, 11})
	require.NoError(t, err)
	require.True(t, stock[10].HasAvailable)
	require.False(t, stock[11].HasAvailable)
}

func TestMissingTotalAmountIsUnknown(t *testing.T) {
	t.Parallel()
	client, _ := stub(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"code":1,"data":[{"id":1,"name":"A"},{"id":2,"totalAmount":""},{"id":3,"totalAmount":"0"},{"id":4,"totalAmount":12.5}]}`))
	}, nil)
	page, err := client.ListCustomers(t.Context(), nhanh.CustomerFilter{}, nil)
	require.NoError(t, err)
	has := []bool{}
	for _, c := range page.Customers {
		has = append(has, c.HasTotalAmount)
	}
	require.Equal(t, []bool{false, false, true, true}, has)
	require.InDelta(t, 12.5, page.Customers[3].TotalAmount, 0)
}

// TestCustomersByIDAsksEachTypeForAllTheRestAtOnce checks the re-read packs
// its calls type by type: 300 customers, every third one retail, wholesale
// and agent, take 3 retail calls, 2 wholesale calls for the 200 left and 1
// agent call for the last 100 (a type after another per 100 ids took 9).
func TestCustomersByIDAsksEachTypeForAllTheRestAtOnce(t *testing.T) {
	t.Parallel()
	ds := manyCustomers(300)
	types := []dataset.NhanhCustomerType{dataset.NhanhRetail, dataset.NhanhWholesale, dataset.NhanhAgent}
	var ids []extid.NhanhCustomerID
	for i := range ds.NhanhCustomers {
		ds.NhanhCustomers[i].Type = types[i%3]
		ids = append(ids, ds.NhanhCustomers[i].ID)
	}
	b := setup(t, options{ds: ds})
	got, err := b.client.CustomersByID(t.Context(), ids)
	require.NoError(t, err)
	require.Len(t, got, 300)
	perType := map[int][]int{}
	for _, r := range b.log.all() {
		var body struct {
			Filters struct {
				Type int `json:"type"`
			} `json:"filters"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &body))
		perType[body.Filters.Type] = append(perType[body.Filters.Type], len(sentIDs(t, r.Body)))
	}
	require.Equal(t, map[int][]int{1: {100, 100, 100}, 2: {100, 100}, 3: {100}}, perType)
}
