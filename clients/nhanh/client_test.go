package nhanh_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
)

func manyCustomers(n int) *dataset.Dataset {
	ds := &dataset.Dataset{}
	for i := range n {
		ds.NhanhCustomers = append(ds.NhanhCustomers, dataset.NhanhCustomer{
			ID: extid.NhanhCustomerID(142401000 + i), Type: dataset.NhanhRetail,
			Name: fmt.Sprintf("Khách %d", i), Mobile: fmt.Sprintf("09%08d", i), UpdatedAt: int64(1_700_000_000 + i),
		})
	}
	return ds
}

func TestListCustomersPagesEchoNextByteForByte(t *testing.T) {
	t.Parallel()
	b := setup(t, options{ds: manyCustomers(250)})

	var got []extid.NhanhCustomerID
	var nexts []json.RawMessage
	var next json.RawMessage
	for {
		page, err := b.client.ListCustomers(t.Context(), nhanh.CustomerFilter{}, next)
		require.NoError(t, err)
		for _, c := range page.Customers {
			got = append(got, c.ID)
		}
		if page.Next == nil {
			break
		}
		nexts = append(nexts, page.Next)
		next = page.Next
	}
	require.Len(t, got, 250)
	require.True(t, slices.IsSorted(got))

	reqs := b.log.all()
	require.Len(t, reqs, 3)
	require.Nil(t, sentNext(t, reqs[0].Body))
	for i, want := range nexts {
		require.Contains(t, string(want), " ", "the fake's cursors carry whitespace a re-encode would lose")
		require.Equal(t, string(want), string(sentNext(t, reqs[i+1].Body)), "request %d must echo next exactly", i+1)
	}
	for _, r := range reqs {
		require.Equal(t, secretToken, r.Auth, "raw token, no Bearer prefix")
		require.Equal(t, "7001", r.AppID)
		require.Equal(t, "42", r.Business)
		require.Equal(t, nhanh.EndpointCustomerList, r.Endpoint)
	}
}

func TestListCustomersFilters(t *testing.T) {
	t.Parallel()
	ds := &dataset.Dataset{NhanhCustomers: []dataset.NhanhCustomer{
		{ID: 1, Type: dataset.NhanhRetail, Name: "Nguyễn Văn A", Mobile: "0901", Email: "a@example.vn", Address: "12 Lê Lợi",
			CityName: "Hà Nội", TotalAmount: 1234567.25, LastBoughtDate: "2026-01-10", UpdatedAt: 100},
		{ID: 2, Type: dataset.NhanhWholesale, Mobile: "0902", LastBoughtDate: "2026-02-10", UpdatedAt: 200},
		{ID: 3, Type: dataset.NhanhAgent, Mobile: "0903", UpdatedAt: 300},
	}}
	b := setup(t, options{ds: ds})
	tests := []struct {
		name   string
		filter nhanh.CustomerFilter
		want   []extid.NhanhCustomerID
	}{
		{"all types", nhanh.CustomerFilter{}, []extid.NhanhCustomerID{1, 2, 3}},
		{"ids", nhanh.CustomerFilter{IDs: []extid.NhanhCustomerID{3, 2}}, []extid.NhanhCustomerID{2, 3}},
		{"mobile", nhanh.CustomerFilter{Mobile: "0902"}, []extid.NhanhCustomerID{2}},
		{"wholesale", nhanh.CustomerFilter{Type: nhanh.CustomerTypeWholesale}, []extid.NhanhCustomerID{2}},
		{"agent", nhanh.CustomerFilter{Type: nhanh.CustomerTypeAgent}, []extid.NhanhCustomerID{3}},
		{"last bought", nhanh.CustomerFilter{LastBoughtDateFrom: "2026-02-01", LastBoughtDateTo: "2026-02-28"}, []extid.NhanhCustomerID{2}},
		{"updated inclusive", nhanh.CustomerFilter{UpdatedAtFrom: 200, UpdatedAtTo: 300}, []extid.NhanhCustomerID{2, 3}},
		{"updated from", nhanh.CustomerFilter{UpdatedAtFrom: 101}, []extid.NhanhCustomerID{2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page, err := b.client.ListCustomers(t.Context(), tt.filter, nil)
			require.NoError(t, err)
			var ids []extid.NhanhCustomerID
			for _, c := range page.Customers {
				ids = append(ids, c.ID)
			}
			require.Equal(t, tt.want, ids)
			require.Nil(t, page.Next)
		})
	}

	t.Run("fields", func(t *testing.T) {
		t.Parallel()
		page, err := b.client.ListCustomers(t.Context(), nhanh.CustomerFilter{IDs: []extid.NhanhCustomerID{1, 3}}, nil)
		require.NoError(t, err)
		require.Equal(t, []nhanh.Customer{
			{ID: 1, Type: 1, Name: "Nguyễn Văn A", Mobile: "0901", Email: "a@example.vn", Address: "12 Lê Lợi",
				CityName: "Hà Nội", TotalAmount: 1234567.25, HasTotalAmount: true, LastBoughtDate: "2026-01-10", UpdatedAt: 100},
			{ID: 3, Type: 3, Mobile: "0903", HasTotalAmount: true, UpdatedAt: 300},
		}, page.Customers)
	})
}

func TestListCustomersRefusesBadFiltersLocally(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	tooMany := make([]extid.NhanhCustomerID, nhanh.MaxIDs+1)
	for i := range tooMany {
		tooMany[i] = extid.NhanhCustomerID(i + 1)
	}
	for name, f := range map[string]nhanh.CustomerFilter{
		"too many ids":   {IDs: tooMany},
		"unknown type":   {Type: 4},
		"bad date":       {LastBoughtDateFrom: "10/01/2026"},
		"reversed range": {UpdatedAtFrom: 10, UpdatedAtTo: 5},
	} {
		_, err := b.client.ListCustomers(t.Context(), f, nil)
		require.Equal(t, apierr.ClassValidation, apierr.ClassOf(err), name)
	}
	_, err := b.client.ListCustomers(t.Context(), nhanh.CustomerFilter{}, json.RawMessage(`{"id":`))
	require.Equal(t, apierr.ClassValidation, apierr.ClassOf(err))
	require.Empty(t, b.log.all(), "nothing invalid is sent")
}

func productWorld() *dataset.Dataset {
	ds := &dataset.Dataset{NhanhDepots: []dataset.NhanhDepot{{ID: 10, Name: "Kho Hà Nội"}, {ID: 20, Name: "Kho HCM"}}}
	for i := 1; i <= 250; i++ {
		p := dataset.NhanhProduct{ID: extid.NhanhProductID(i), Code: fmt.Sprintf("SKU-%03d", i), Name: fmt.Sprintf("Sản phẩm %d", i),
			Price: float64(i) * 1000, Status: 1, UpdatedAt: int64(i), Available: map[extid.NhanhDepotID]int64{}}
		if i%10 != 0 { // every tenth product has no stock
			p.Available[10] = int64(i)
			p.Available[20] = 1
		}
		if i == 7 {
			p.Deleted = true
		}
		ds.NhanhProducts = append(ds.NhanhProducts, p)
	}
	return ds
}

func TestListProducts(t *testing.T) {
	t.Parallel()
	b := setup(t, options{ds: productWorld()})
	var all []nhanh.Product
	var next json.RawMessage
	for {
		page, err := b.client.ListProducts(t.Context(), nhanh.ProductFilter{Status: 1}, next)
		require.NoError(t, err)
		all = append(all, page.Products...)
		if next = page.Next; next == nil {
			break
		}
	}
	require.Len(t, all, 249, "deleted products are not listed")
	require.Equal(t, nhanh.Product{ID: 1, Code: "SKU-001", Name: "Sản phẩm 1", Price: 1000, Status: 1, Available: 2, HasAvailable: true,
		Depots: map[extid.NhanhDepotID]int64{10: 1, 20: 1}, UpdatedAt: 1}, all[0])
	require.Equal(t, extid.NhanhProductID(8), all[6].ID)
	require.Empty(t, all[8].Depots, "product 10 has no stock")

	page, err := b.client.ListProducts(t.Context(), nhanh.ProductFilter{UpdatedAtFrom: 249}, nil)
	require.NoError(t, err)
	require.Len(t, page.Products, 2)
}

func TestInventoryChunksAndFollowsPages(t *testing.T) {
	t.Parallel()
	b := setup(t, options{ds: productWorld(), fake: nhanhfake.Options{PageSize: 40}})
	ids := []extid.NhanhProductID{999, 5, 5} // unknown and duplicate ids
	for i := 1; i <= 250; i++ {
		ids = append(ids, extid.NhanhProductID(i))
	}
	stock, err := b.client.Inventory(t.Context(), ids)
	require.NoError(t, err)

	require.Len(t, stock, 250-25-1, "no-stock and deleted products are absent, not zero")
	require.Equal(t, nhanh.Stock{Available: 12, HasAvailable: true, Depots: map[extid.NhanhDepotID]int64{10: 11, 20: 1}}, stock[11])
	for _, absent := range []extid.NhanhProductID{7, 10, 250, 999} {
		require.NotContains(t, stock, absent)
	}

	reqs := b.log.all()
	// Chunks of 100 ids: 1..100 and 101..200 hold 90 stocked products each
	// (pages of 40, 40, 10); 201..250 plus 999 hold 45 (40, 5).
	require.Len(t, reqs, 8)
	for _, r := range reqs {
		require.LessOrEqual(t, len(sentIDs(t, r.Body)), nhanh.MaxIDs)
		require.Equal(t, nhanh.EndpointProductInventory, r.Endpoint)
	}

	empty, err := b.client.Inventory(t.Context(), nil)
	require.NoError(t, err)
	require.Empty(t, empty)
	require.Len(t, b.log.all(), 8, "no ids, no request")
}

func TestDepots(t *testing.T) {
	t.Parallel()
	b := setup(t, options{ds: productWorld()})
	depots, err := b.client.Depots(t.Context())
	require.NoError(t, err)
	require.Equal(t, []nhanh.Depot{{ID: 10, Name: "Kho Hà Nội"}, {ID: 20, Name: "Kho HCM"}}, depots)
}

func TestAuthFailureIsClearAndHidesToken(t *testing.T) {
	t.Parallel()
	b := setup(t, options{cfg: func(c *nhanh.Config) { c.AccessToken = "tok-wrong-but-also-secret" }})
	_, err := b.client.Depots(t.Context())
	var apiErr *apierr.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, apierr.ClassAuth, apiErr.Class)
	require.Equal(t, "ERR_INVALID_ACCESS_TOKEN", apiErr.Code)
	require.Equal(t, nhanh.EndpointBusinessDepot, apiErr.Op)
	require.Contains(t, err.Error(), "SYNCOPS_NHANH_ACCESS_TOKEN")
	require.NotContains(t, err.Error(), "tok-wrong-but-also-secret")
	require.NotContains(t, err.Error(), secretToken)
	require.Len(t, b.log.all(), 1, "auth failures are not retried")
}

func TestStats(t *testing.T) {
	t.Parallel()
	b := setup(t, options{ds: productWorld()})
	for range 3 {
		_, err := b.client.Depots(t.Context())
		require.NoError(t, err)
	}
	_, err := b.client.ListCustomers(t.Context(), nhanh.CustomerFilter{}, nil)
	require.NoError(t, err)

	stats := b.client.Stats()
	require.Equal(t, int64(4), stats.Requests)
	require.Zero(t, stats.Throttles)
	require.Zero(t, stats.Retries)
	depot := stats.Endpoints[nhanh.EndpointBusinessDepot]
	require.Equal(t, 3, depot.Used)
	require.Equal(t, nhanh.DefaultWindowLimit, depot.Limit)
	require.Positive(t, depot.WindowResetsIn)
	require.LessOrEqual(t, depot.WindowResetsIn, nhanh.DefaultWindow+nhanh.DefaultWindow/nhanh.DefaultWindowMarginDivisor)
	require.True(t, depot.LockedUntil.IsZero())
	require.Equal(t, 1, stats.Endpoints[nhanh.EndpointCustomerList].Used)
}

func TestErrorsAreAPIErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	_, err := b.client.ListProducts(t.Context(), nhanh.ProductFilter{UpdatedAtFrom: -1}, nil)
	var apiErr *apierr.Error
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, "nhanh", apiErr.API)
	require.Equal(t, nhanh.EndpointProductList, apiErr.Op)
}
