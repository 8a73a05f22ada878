package nhanhfake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/fault"
	"syncops/clients/sandbox/nhanhfake"
)

const (
	appID      = "7001"
	businessID = "42"
	token      = "tok-fake-secret-123"
)

type bundle struct {
	clock *clockwork.FakeClock
	fake  *nhanhfake.Server
	http  *httptest.Server
}

// reply is the envelope as a client sees it.
type reply struct {
	Status    int
	Code      int             `json:"code"`
	ErrorCode string          `json:"errorCode"`
	Messages  json.RawMessage `json:"messages"`
	Message   string          `json:"message"`
	Data      json.RawMessage `json:"data"`
	Paginator struct {
		Next json.RawMessage `json:"next"`
	} `json:"paginator"`
	Raw []byte
}

func setup(t *testing.T, ds *dataset.Dataset, opts nhanhfake.Options) *bundle {
	t.Helper()
	clock := clockwork.NewFakeClock()
	if opts.Clock == nil {
		opts.Clock = clock
	}
	opts.AppID, opts.BusinessID, opts.AccessToken = appID, businessID, token
	fake := nhanhfake.New(ds, opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Cleanup(fake.Close) // runs first: frees stalled handlers
	return &bundle{clock: clock, fake: fake, http: srv}
}

func (b *bundle) post(t *testing.T, endpoint, body string) reply {
	t.Helper()
	return b.postAs(t, endpoint, body, appID, businessID, token)
}

func (b *bundle) postAs(t *testing.T, endpoint, body, app, business, tok string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/v3.0/%s?appId=%s&businessId=%s", b.http.URL, endpoint, app, business), strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", tok)
	resp, err := b.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := reply{Status: resp.StatusCode, Raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && json.Valid(raw) {
		require.NoError(t, json.Unmarshal(raw, &r), string(raw))
	}
	return r
}

func customers(n int) *dataset.Dataset {
	ds := &dataset.Dataset{}
	for i := range n {
		ds.NhanhCustomers = append(ds.NhanhCustomers, dataset.NhanhCustomer{
			ID: extid.NhanhCustomerID(1000 + i), Type: dataset.NhanhRetail, Name: fmt.Sprintf("Khách %d", i),
			Mobile: fmt.Sprintf("09%08d", i), UpdatedAt: int64(1_700_000_000 + i),
		})
	}
	return ds
}

func rowIDs(t *testing.T, data json.RawMessage, key string) []int64 {
	t.Helper()
	var rows []map[string]any
	require.NoError(t, json.Unmarshal(data, &rows))
	out := make([]int64, 0, len(rows))
	for _, r := range rows {
		out = append(out, int64(r[key].(float64)))
	}
	return out
}

func TestCustomerPagingEchoesOpaqueCursor(t *testing.T) {
	t.Parallel()
	b := setup(t, customers(250), nhanhfake.Options{})

	var all []int64
	next := json.RawMessage(nil)
	for range 5 {
		body := `{"filters":{},"paginator":{"size":100}}`
		if next != nil {
			body = `{"filters":{},"paginator":{"size":100,"next":` + string(next) + `}}`
		}
		r := b.post(t, nhanhfake.EndpointCustomerList, body)
		require.Equal(t, 1, r.Code, string(r.Raw))
		all = append(all, rowIDs(t, r.Data, "id")...)
		next = r.Paginator.Next
		if next == nil {
			break
		}
		require.Contains(t, string(next), " ", "the fake's cursors carry whitespace")
	}
	require.Len(t, all, 250)
	require.Equal(t, int64(1000), all[0])
	require.Equal(t, int64(1249), all[249])
}

func TestCursorMustBeEchoedExactly(t *testing.T) {
	t.Parallel()
	b := setup(t, customers(150), nhanhfake.Options{})
	first := b.post(t, nhanhfake.EndpointCustomerList, `{"filters":{},"paginator":{"size":100}}`)
	require.NotNil(t, first.Paginator.Next)

	var compacted bytes.Buffer
	require.NoError(t, json.Compact(&compacted, first.Paginator.Next))
	r := b.post(t, nhanhfake.EndpointCustomerList, `{"paginator":{"next":`+compacted.String()+`}}`)
	require.Equal(t, 0, r.Code)
	require.Equal(t, "ERR_INVALID_FORM_FIELDS", r.ErrorCode)
	var fields map[string]string
	require.NoError(t, json.Unmarshal(r.Messages, &fields), "validation messages are a field map")
	require.Contains(t, fields, "paginator.next")
}

func TestCustomerFilters(t *testing.T) {
	t.Parallel()
	ds := &dataset.Dataset{NhanhCustomers: []dataset.NhanhCustomer{
		{ID: 1, Type: dataset.NhanhRetail, Mobile: "0901", LastBoughtDate: "2026-01-10", UpdatedAt: 100, TotalAmount: 1500.5},
		{ID: 2, Type: dataset.NhanhWholesale, Mobile: "0902", LastBoughtDate: "2026-02-10", UpdatedAt: 200},
		{ID: 3, Type: dataset.NhanhAgent, Mobile: "0903", UpdatedAt: 300},
	}}
	b := setup(t, ds, nhanhfake.Options{})
	tests := []struct {
		filters string
		want    []int64
	}{
		{`{}`, []int64{1, 2, 3}},
		{`[]`, []int64{1, 2, 3}},
		{`{"ids":[3,1]}`, []int64{1, 3}},
		{`{"ids":[3,99,3,2]}`, []int64{2, 3}}, // unknown ids are no rows, repeated ones one
		{`{"ids":[3,2],"type":3}`, []int64{3}},
		{`{"mobile":"0902"}`, []int64{2}},
		{`{"mobile":"902"}`, []int64{}},
		{`{"type":3}`, []int64{3}},
		{`{"lastBoughtDateFrom":"2026-01-10"}`, []int64{1, 2}},
		{`{"lastBoughtDateFrom":"2026-01-11","lastBoughtDateTo":"2026-02-10"}`, []int64{2}},
		{`{"updatedAtFrom":200}`, []int64{2, 3}},
		{`{"updatedAtFrom":100,"updatedAtTo":200}`, []int64{1, 2}},
		{`{"updatedAtTo":100}`, []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.filters, func(t *testing.T) {
			t.Parallel()
			r := b.post(t, nhanhfake.EndpointCustomerList, `{"filters":`+tt.filters+`}`)
			require.Equal(t, 1, r.Code, string(r.Raw))
			require.Equal(t, tt.want, rowIDs(t, r.Data, "id"))
			require.Nil(t, r.Paginator.Next)
		})
	}
}

func TestCustomerFields(t *testing.T) {
	t.Parallel()
	ds := &dataset.Dataset{NhanhCustomers: []dataset.NhanhCustomer{{
		ID: 9, Type: dataset.NhanhWholesale, Name: "Nguyễn Văn A", Mobile: "+84 901 234 567", Email: "a@example.vn",
		Address: "12 Lê Lợi", CityName: "Hà Nội", TotalAmount: 1234567.25, LastBoughtDate: "2026-03-01", UpdatedAt: 1_760_000_000,
	}, {ID: 10}}}
	b := setup(t, ds, nhanhfake.Options{})
	r := b.post(t, nhanhfake.EndpointCustomerList, `{}`)
	require.Equal(t, 1, r.Code)
	require.JSONEq(t, `[
		{"id":9,"type":2,"name":"Nguyễn Văn A","mobile":"+84 901 234 567","email":"a@example.vn","address":"12 Lê Lợi",
		 "cityName":"Hà Nội","totalAmount":1234567.25,"lastBoughtDate":"2026-03-01","updatedAt":1760000000},
		{"id":10,"type":0,"name":"","mobile":"","email":"","address":"","cityName":"","totalAmount":0,"lastBoughtDate":null,"updatedAt":0}
	]`, string(r.Data))
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, customers(120), nhanhfake.Options{})
	many := strings.Repeat("1,", 100) + "1"
	tests := []struct {
		name, endpoint, body, field string
	}{
		{"too many ids", nhanhfake.EndpointCustomerList, `{"filters":{"ids":[` + many + `]}}`, "filters.ids"},
		{"size over 100 on products", nhanhfake.EndpointProductList, `{"paginator":{"size":101}}`, "paginator.size"},
		{"size zero", nhanhfake.EndpointProductInventory, `{"paginator":{"size":0}}`, "paginator.size"},
		{"bad date", nhanhfake.EndpointCustomerList, `{"filters":{"lastBoughtDateFrom":"10/01/2026"}}`, "filters.lastBoughtDateFrom"},
		{"bad type", nhanhfake.EndpointCustomerList, `{"filters":{"type":7}}`, "filters.type"},
		{"wrong filter type", nhanhfake.EndpointCustomerList, `{"filters":{"ids":"1"}}`, "filters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := b.post(t, tt.endpoint, tt.body)
			require.Equal(t, 0, r.Code)
			require.Equal(t, "ERR_INVALID_FORM_FIELDS", r.ErrorCode)
			var fields map[string]string
			require.NoError(t, json.Unmarshal(r.Messages, &fields))
			require.Contains(t, fields, tt.field)
		})
	}

	t.Run("customer pages are capped, not refused", func(t *testing.T) {
		t.Parallel()
		r := b.post(t, nhanhfake.EndpointCustomerList, `{"paginator":{"size":1000}}`)
		require.Equal(t, 1, r.Code)
		require.Len(t, rowIDs(t, r.Data, "id"), 100)
		require.NotNil(t, r.Paginator.Next)
	})
	t.Run("broken JSON", func(t *testing.T) {
		t.Parallel()
		r := b.post(t, nhanhfake.EndpointCustomerList, `{"filters":`)
		require.Equal(t, "ERR_INVALID_DATA", r.ErrorCode)
		var msg string
		require.NoError(t, json.Unmarshal(r.Messages, &msg), "this failure's messages is a string")
	})
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	b := setup(t, customers(1), nhanhfake.Options{})
	tests := []struct {
		app, business, tok, code string
	}{
		{"1", businessID, token, "ERR_INVALID_APP_ID"},
		{appID, "1", token, "ERR_INVALID_BUSINESS_ID"},
		{appID, businessID, "Bearer " + token, "ERR_INVALID_ACCESS_TOKEN"},
		{appID, businessID, "", "ERR_INVALID_ACCESS_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			r := b.postAs(t, nhanhfake.EndpointBusinessDepot, `{}`, tt.app, tt.business, tt.tok)
			require.Equal(t, http.StatusOK, r.Status)
			require.Equal(t, 0, r.Code)
			require.Equal(t, tt.code, r.ErrorCode)
			require.NotContains(t, string(r.Raw), token)
			var msg string
			require.NoError(t, json.Unmarshal(r.Messages, &msg))
			require.NotEmpty(t, msg)
		})
	}
}

func TestProductsInventoryAndDepots(t *testing.T) {
	t.Parallel()
	ds := &dataset.Dataset{
		NhanhDepots: []dataset.NhanhDepot{{ID: 20, Name: "Kho HCM"}, {ID: 10, Name: "Kho HN"}},
		NhanhProducts: []dataset.NhanhProduct{
			{ID: 1, Code: "SKU-1", Barcode: "893", Name: "Áo", Price: 150000, Status: 1, UpdatedAt: 5,
				Available: map[extid.NhanhDepotID]int64{10: 3, 20: 4}},
			{ID: 2, Code: "SKU-2", Name: "Quần", Status: 2, UpdatedAt: 6},
			{ID: 3, Code: "SKU-3", Name: "Gone", Status: 1, Deleted: true, Available: map[extid.NhanhDepotID]int64{10: 9}},
		},
	}
	b := setup(t, ds, nhanhfake.Options{})

	r := b.post(t, nhanhfake.EndpointProductList, `{"filters":{}}`)
	require.Equal(t, 1, r.Code)
	require.JSONEq(t, `[
		{"id":1,"code":"SKU-1","barcode":"893","name":"Áo","status":1,"prices":{"retail":150000},
		 "inventory":{"available":7,"depots":[{"id":10,"available":3},{"id":20,"available":4}]},"updatedAt":5},
		{"id":2,"code":"SKU-2","barcode":"","name":"Quần","status":2,"prices":{"retail":0},
		 "inventory":{"available":0,"depots":[]},"updatedAt":6}
	]`, string(r.Data))

	r = b.post(t, nhanhfake.EndpointProductList, `{"filters":{"status":2}}`)
	require.Equal(t, []int64{2}, rowIDs(t, r.Data, "id"))

	r = b.post(t, nhanhfake.EndpointProductInventory, `{"filters":{"ids":[1,2,3]}}`)
	require.JSONEq(t, `[{"productId":1,"inventory":{"available":7,"depots":[{"id":10,"available":3},{"id":20,"available":4}]}}]`,
		string(r.Data), "zero-stock and deleted products are left out")

	require.True(t, b.fake.SetStock(2, 10, 5))
	require.True(t, b.fake.SetStock(1, 20, 0))
	require.False(t, b.fake.SetStock(99, 10, 1))
	r = b.post(t, nhanhfake.EndpointProductInventory, `{"filters":{"ids":[1,2]}}`)
	require.JSONEq(t, `[{"productId":1,"inventory":{"available":3,"depots":[{"id":10,"available":3}]}},
		{"productId":2,"inventory":{"available":5,"depots":[{"id":10,"available":5}]}}]`, string(r.Data))

	r = b.post(t, nhanhfake.EndpointBusinessDepot, `{"filters":{}}`)
	require.JSONEq(t, `[{"id":10,"name":"Kho HN"},{"id":20,"name":"Kho HCM"}]`, string(r.Data))
}

func TestInventoryPagesUseProductIDCursor(t *testing.T) {
	t.Parallel()
	ds := &dataset.Dataset{}
	for i := range 5 {
		ds.NhanhProducts = append(ds.NhanhProducts, dataset.NhanhProduct{ID: extid.NhanhProductID(i + 1), Available: map[extid.NhanhDepotID]int64{1: 1}})
	}
	b := setup(t, ds, nhanhfake.Options{PageSize: 2})
	r := b.post(t, nhanhfake.EndpointProductInventory, `{"paginator":{"size":100}}`)
	require.Equal(t, []int64{1, 2}, rowIDs(t, r.Data, "productId"))
	require.Equal(t, `{"productId": 2, "by": "productId"}`, string(r.Paginator.Next))
	r = b.post(t, nhanhfake.EndpointProductInventory, `{"paginator":{"next":`+string(r.Paginator.Next)+`}}`)
	require.Equal(t, []int64{3, 4}, rowIDs(t, r.Data, "productId"))
}

func TestRateWindowAndLock(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nhanhfake.Options{Scale: 10, LockSeconds: 20})
	require.Equal(t, 3*time.Second, b.fake.Window())
	require.Equal(t, 2*time.Second, b.fake.LockDuration())

	for i := range nhanhfake.Limit {
		r := b.post(t, nhanhfake.EndpointBusinessDepot, `{}`)
		require.Equal(t, 1, r.Code, "request %d", i)
	}
	// Other endpoints have their own window.
	require.Equal(t, 1, b.post(t, nhanhfake.EndpointCustomerList, `{}`).Code)

	lockedAt := b.clock.Now()
	r := b.post(t, nhanhfake.EndpointBusinessDepot, `{}`)
	require.Equal(t, "ERR_429", r.ErrorCode)
	require.JSONEq(t, fmt.Sprintf(`{"lockedSeconds":2,"unlockedAt":%d}`, lockedAt.Add(3*time.Second-1).Unix()), string(r.Data),
		"unlockedAt is rounded up to whole seconds")

	// Calling while locked extends the lock.
	b.clock.Advance(1500 * time.Millisecond)
	r = b.post(t, nhanhfake.EndpointBusinessDepot, `{}`)
	require.Equal(t, "ERR_429", r.ErrorCode)
	b.clock.Advance(time.Second) // past the first lock, inside the extended one
	require.Equal(t, "ERR_429", b.post(t, nhanhfake.EndpointBusinessDepot, `{}`).ErrorCode)

	b.clock.Advance(3 * time.Second) // the lock and the window are over
	require.Equal(t, 1, b.post(t, nhanhfake.EndpointBusinessDepot, `{}`).Code)

	rec := b.fake.Record()
	require.Equal(t, 2, rec.CallsWhileLocked)
	require.Len(t, rec.Violations, 3)
	require.Equal(t, nhanhfake.KindOverLimit, rec.Violations[0].Kind)
	require.Equal(t, lockedAt, rec.Violations[0].At)
	require.Equal(t, nhanhfake.KindCalledWhileLocked, rec.Violations[1].Kind)
	depot := rec.Endpoints[nhanhfake.EndpointBusinessDepot]
	require.Equal(t, nhanhfake.Limit+4, depot.Requests)
	require.Equal(t, nhanhfake.Limit, depot.MaxInWindow)
	require.Equal(t, 1, depot.Locks)
	require.Equal(t, 1, rec.Requests(nhanhfake.EndpointCustomerList))
}

func TestWindowSlides(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nhanhfake.Options{Scale: 30}) // 1 s window
	for range 100 {
		require.Equal(t, 1, b.post(t, nhanhfake.EndpointBusinessDepot, `{}`).Code)
	}
	b.clock.Advance(600 * time.Millisecond)
	for range 50 {
		require.Equal(t, 1, b.post(t, nhanhfake.EndpointBusinessDepot, `{}`).Code)
	}
	b.clock.Advance(400 * time.Millisecond) // the first 100 leave the window exactly now
	for range 100 {
		require.Equal(t, 1, b.post(t, nhanhfake.EndpointBusinessDepot, `{}`).Code)
	}
	require.Equal(t, "ERR_429", b.post(t, nhanhfake.EndpointBusinessDepot, `{}`).ErrorCode)
	require.Equal(t, nhanhfake.Limit, b.fake.Record().Endpoints[nhanhfake.EndpointBusinessDepot].MaxInWindow)
}

func TestInjectedFaults(t *testing.T) {
	t.Parallel()
	b := setup(t, customers(1), nhanhfake.Options{})

	b.fake.InjectNext(fault.Server, fault.Server, fault.Malformed, fault.Throttle)
	statuses := map[int]bool{}
	for range 2 {
		r := b.post(t, nhanhfake.EndpointCustomerList, `{}`)
		statuses[r.Status] = true
		require.Contains(t, string(r.Raw), "<html>")
	}
	require.Equal(t, map[int]bool{http.StatusBadGateway: true, http.StatusServiceUnavailable: true}, statuses)

	r := b.post(t, nhanhfake.EndpointCustomerList, `{}`)
	require.Equal(t, http.StatusOK, r.Status)
	require.False(t, json.Valid(r.Raw), "malformed bodies are truncated JSON")

	r = b.post(t, nhanhfake.EndpointCustomerList, `{}`)
	require.Equal(t, http.StatusTooManyRequests, r.Status)
	require.Equal(t, "ERR_429", r.ErrorCode)
	require.Equal(t, "Your app exceeded the API Rate Limit", r.Message, "this variant uses the singular field")

	// The chosen lock is real: the next call is refused and counted.
	r = b.post(t, nhanhfake.EndpointCustomerList, `{}`)
	require.Equal(t, "ERR_429", r.ErrorCode)
	rec := b.fake.Record()
	require.Equal(t, 1, rec.CallsWhileLocked)
	require.Len(t, rec.Violations, 1, "the injected lock itself is not a violation")

	b.clock.Advance(time.Minute)
	b.fake.InjectNext(fault.Lock)
	r = b.post(t, nhanhfake.EndpointCustomerList, `{}`)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "ERR_429", r.ErrorCode)
	require.JSONEq(t, `"Your app exceeded the API Rate Limit"`, string(r.Messages))
}

func TestTimeoutFaultStallsUntilClientGivesUp(t *testing.T) {
	t.Parallel()
	inj := fault.NewInjector(fault.Spec{Seed: 1, Rates: map[fault.Kind]float64{fault.Timeout: 1}})
	b := setup(t, nil, nhanhfake.Options{Faults: inj})
	client := b.http.Client()
	client.Timeout = 50 * time.Millisecond
	req, err := http.NewRequest(http.MethodPost, b.http.URL+"/v3.0/business/depot?appId="+appID+"&businessId="+businessID, strings.NewReader(`{}`))
	require.NoError(t, err)
	_, err = client.Do(req)
	require.ErrorContains(t, err, "Client.Timeout")
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nhanhfake.Options{})
	r := b.post(t, "order/add", `{}`)
	require.Equal(t, http.StatusNotFound, r.Status)
	resp, err := b.http.Client().Get(b.http.URL + "/v3.0/customer/list")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestSettersAreSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	ds := &dataset.Dataset{NhanhProducts: []dataset.NhanhProduct{{ID: 1, Available: map[extid.NhanhDepotID]int64{1: 1}}}}
	b := setup(t, ds, nhanhfake.Options{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				b.fake.SetCustomer(dataset.NhanhCustomer{ID: extid.NhanhCustomerID(j), UpdatedAt: int64(i)})
				b.fake.SetStock(1, extid.NhanhDepotID(i+1), int64(j+1))
				b.post(t, nhanhfake.EndpointProductInventory, `{}`)
			}
		})
	}
	wg.Wait()
	r := b.post(t, nhanhfake.EndpointCustomerList, `{"filters":{"ids":[5]}}`)
	require.Equal(t, []int64{5}, rowIDs(t, r.Data, "id"))
	require.Len(t, ds.NhanhProducts[0].Available, 1, "the fake works on its own copy of the dataset")
}
