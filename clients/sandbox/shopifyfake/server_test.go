package shopifyfake_test

import (
	"bytes"
	"context"
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
	"syncops/clients/sandbox/shopifyfake"
)

const token = "shpat_fake_test"

var start = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func gid(resource string, n int) string { return extid.FormatGID(resource, int64(n)) }

// world is a shop of 10 customers, 6 variants and 2 locations.
func world() *dataset.Dataset {
	ds := &dataset.Dataset{
		ShopifyLocations: []dataset.ShopifyLocation{
			{ID: extid.ShopifyLocationGID(gid("Location", 1)), Name: "Hà Nội"},
			{ID: extid.ShopifyLocationGID(gid("Location", 2)), Name: "Sài Gòn", Primary: true},
		},
	}
	for i := 1; i <= 10; i++ {
		ds.ShopifyCustomers = append(ds.ShopifyCustomers, dataset.ShopifyCustomer{
			ID: extid.ShopifyCustomerGID(gid("Customer", i)), FirstName: fmt.Sprintf("C%d", i), Email: fmt.Sprintf("c%d@x.vn", i),
			NumberOfOrders: int64(i), AmountSpent: fmt.Sprintf("%d.0", i*100), UpdatedAt: start.Add(time.Duration(i) * time.Hour).Unix(),
		})
	}
	statuses := []string{"ACTIVE", "DRAFT"}
	for i := 1; i <= 6; i++ {
		ds.ShopifyVariants = append(ds.ShopifyVariants, dataset.ShopifyVariant{
			ID: extid.ShopifyVariantGID(gid("ProductVariant", i)), ProductID: extid.ShopifyProductGID(gid("Product", i)),
			ProductTitle: "P", Title: "Default Title", SKU: fmt.Sprintf("S%d", i), ProductStatus: statuses[i%2],
			InventoryItemID: extid.ShopifyInventoryItemGID(gid("InventoryItem", i)),
			Available:       map[extid.ShopifyLocationGID]int64{ds.ShopifyLocations[0].ID: 5},
		})
	}
	return ds
}

type bundle struct {
	ctx   context.Context
	clock *clockwork.FakeClock
	fake  *shopifyfake.Server
	srv   *httptest.Server
}

func setup(t *testing.T, opts shopifyfake.Options) bundle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	clock := clockwork.NewFakeClockAt(start.Add(48 * time.Hour))
	opts.AccessToken = token
	opts.Clock = clock
	fake := shopifyfake.New(world(), opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return bundle{ctx: ctx, clock: clock, fake: fake, srv: srv}
}

// reply is a decoded GraphQL reply.
type reply struct {
	Status     int
	Data       map[string]any `json:"data"`
	Errors     []any          `json:"errors"`
	Extensions struct {
		Cost struct {
			RequestedQueryCost float64  `json:"requestedQueryCost"`
			ActualQueryCost    *float64 `json:"actualQueryCost"`
			ThrottleStatus     struct {
				MaximumAvailable   float64 `json:"maximumAvailable"`
				CurrentlyAvailable float64 `json:"currentlyAvailable"`
				RestoreRate        float64 `json:"restoreRate"`
			} `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
}

// errorCodes lists errors[].extensions.code ("" for none).
func (r reply) errorCodes() []string {
	var codes []string
	for _, e := range r.Errors {
		code, _ := dig(e, "extensions", "code").(string)
		codes = append(codes, code)
	}
	return codes
}

func (b bundle) post(t *testing.T, version, query string, vars map[string]any) reply {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, b.srv.URL+"/admin/api/"+version+"/graphql.json", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Shopify-Access-Token", token)
	resp, err := b.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var r reply
	require.NoError(t, json.Unmarshal(raw, &r), string(raw))
	r.Status = resp.StatusCode
	return r
}

// dig walks nested maps and lists by key or index.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch key := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[key]
		case int:
			l, _ := v.([]any)
			if key >= len(l) {
				return nil
			}
			v = l[key]
		}
	}
	return v
}

func TestConnectionShapesAndCost(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Options{})
	q := `query($first: Int!, $after: String) { customers(first: $first, after: $after) {
		nodes { id numberOfOrders amountSpent { amount } defaultEmailAddress { emailAddress } }
		edges { cursor node { id } }
		pageInfo { hasNextPage endCursor } } }`
	r := b.post(t, "2026-10", q, map[string]any{"first": 4})
	require.Equal(t, http.StatusOK, r.Status)
	require.Empty(t, r.Errors)
	require.Equal(t, gid("Customer", 1), dig(r.Data, "customers", "nodes", 0, "id"))
	require.Equal(t, "1", dig(r.Data, "customers", "nodes", 0, "numberOfOrders"), "UnsignedInt64 travels as a string")
	require.Equal(t, "100.0", dig(r.Data, "customers", "nodes", 0, "amountSpent", "amount"))
	require.Equal(t, "c1@x.vn", dig(r.Data, "customers", "nodes", 0, "defaultEmailAddress", "emailAddress"))
	require.Equal(t, dig(r.Data, "customers", "edges", 3, "cursor"), dig(r.Data, "customers", "pageInfo", "endCursor"))
	require.Equal(t, true, dig(r.Data, "customers", "pageInfo", "hasNextPage"))
	cost := r.Extensions.Cost
	require.Equal(t, 14.0, cost.RequestedQueryCost, "2 + first x (1 + two object fields)")
	require.Equal(t, 14.0, *cost.ActualQueryCost)
	require.Equal(t, 2000.0, cost.ThrottleStatus.MaximumAvailable)
	require.Equal(t, 100.0, cost.ThrottleStatus.RestoreRate)
	require.Equal(t, 1986.0, cost.ThrottleStatus.CurrentlyAvailable)

	// The last page: 6 of 250 asked for come back, the rest is refunded.
	after := dig(r.Data, "customers", "pageInfo", "endCursor")
	r = b.post(t, "2026-10", q, map[string]any{"first": 250, "after": after})
	require.Len(t, dig(r.Data, "customers", "nodes"), 6)
	require.Equal(t, false, dig(r.Data, "customers", "pageInfo", "hasNextPage"))
	require.Equal(t, 752.0, r.Extensions.Cost.RequestedQueryCost)
	require.Equal(t, 20.0, *r.Extensions.Cost.ActualQueryCost)
	require.Equal(t, 1966.0, r.Extensions.Cost.ThrottleStatus.CurrentlyAvailable)
}

func TestQueryArgumentsFilterAndSort(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Options{})
	cases := []struct {
		name, query string
		vars        map[string]any
		field       string
		want        []string
	}{
		{
			name:  "updated_at with RFC 3339, newest last",
			query: `query($q: String) { customers(first: 10, query: $q, sortKey: UPDATED_AT) { nodes { id } } }`,
			vars:  map[string]any{"q": "updated_at:>'" + start.Add(7*time.Hour).Format(time.RFC3339) + "'"},
			field: "customers", want: []string{gid("Customer", 8), gid("Customer", 9), gid("Customer", 10)},
		},
		{
			name:  "reverse",
			query: `{ customers(first: 2, reverse: true) { nodes { id } } }`,
			field: "customers", want: []string{gid("Customer", 10), gid("Customer", 9)},
		},
		{
			name:  "product_status and free text ignored",
			query: `{ productVariants(first: 10, query: "product_status:active shirt") { nodes { id } } }`,
			field: "productVariants", want: []string{gid("ProductVariant", 2), gid("ProductVariant", 4), gid("ProductVariant", 6)},
		},
		{
			name:  "status list with AND",
			query: `{ productVariants(first: 10, query: "status:draft AND sku:S3") { nodes { id } } }`,
			field: "productVariants", want: []string{gid("ProductVariant", 3)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := b.post(t, "2026-10", tc.query, tc.vars)
			require.Empty(t, r.Errors)
			var got []string
			for _, n := range dig(r.Data, tc.field, "nodes").([]any) {
				got = append(got, dig(n, "id").(string))
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, version, query string
		wantCode, wantMsg    string
	}{
		{"first above 250", "2026-10", `{ customers(first: 251) { nodes { id } } }`, "argumentLiteralsIncompatible", "first"},
		{"no first", "2026-10", `{ customers { nodes { id } } }`, "", "first or last"},
		{"unknown field", "2026-10", `{ customers(first: 1) { nodes { idd } } }`, "undefinedField", "idd"},
		{"unknown root", "2026-10", `{ orders(first: 1) { nodes { id } } }`, "undefinedField", "orders"},
		{"field newer than the version", "2025-01", `{ customers(first: 1) { nodes { defaultPhoneNumber { phoneNumber } } } }`, "undefinedField", "defaultPhoneNumber"},
		{"over the single query cap", "2026-10", `{ a: customers(first: 250) { nodes { id } } b: customers(first: 250) { nodes { id } } c: customers(first: 250) { nodes { id } } d: customers(first: 250) { nodes { id } } }`, "MAX_COST_EXCEEDED", "1008"},
		{"syntax error", "2026-10", `{ customers(first: 1) { nodes { id }`, "parseError", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, shopifyfake.Options{})
			r := b.post(t, tc.version, tc.query, nil)
			require.Equal(t, http.StatusOK, r.Status)
			require.NotEmpty(t, r.Errors)
			require.Equal(t, tc.wantCode, r.errorCodes()[0])
			require.Contains(t, dig(r.Errors[0], "message"), tc.wantMsg)
		})
	}
}

func TestThrottlingIsRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Options{Scale: 0.5, InitialFill: 0.1}) // 1000 bucket, 100 available, 50/s
	q := `{ customers(first: 250) { nodes { id } } }`
	r := b.post(t, "2026-10", q, nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, []string{"THROTTLED"}, r.errorCodes())
	require.Nil(t, r.Data)
	require.Nil(t, r.Extensions.Cost.ActualQueryCost)
	require.Equal(t, 252.0, r.Extensions.Cost.RequestedQueryCost)
	require.Equal(t, 100.0, r.Extensions.Cost.ThrottleStatus.CurrentlyAvailable)
	require.Equal(t, 50.0, r.Extensions.Cost.ThrottleStatus.RestoreRate)
	require.Equal(t, 1, b.fake.Record().Throttles)

	// After (252-100)/50 s the bucket can pay.
	b.clock.Advance(3040 * time.Millisecond)
	r = b.post(t, "2026-10", q, nil)
	require.Empty(t, r.Errors)
	require.Equal(t, 1, b.fake.Record().Throttles)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind  fault.Kind
		check func(t *testing.T, resp *http.Response, body []byte, err error)
	}{
		{fault.Server, func(t *testing.T, resp *http.Response, _ []byte, err error) {
			require.NoError(t, err)
			require.GreaterOrEqual(t, resp.StatusCode, 500)
		}},
		{fault.Malformed, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.False(t, json.Valid(body))
		}},
		{fault.Timeout, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}},
		{fault.Throttle, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Contains(t, string(body), `"THROTTLED"`)
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			b := setup(t, shopifyfake.Options{Faults: fault.NewInjector(fault.Spec{Seed: 1, Rates: map[fault.Kind]float64{tc.kind: 1}})})
			ctx, cancel := context.WithTimeout(b.ctx, 100*time.Millisecond)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.srv.URL+"/admin/api/2026-10/graphql.json",
				strings.NewReader(`{"query":"{ shop { name } }"}`))
			require.NoError(t, err)
			req.Header.Set("X-Shopify-Access-Token", token)
			resp, err := b.srv.Client().Do(req)
			var body []byte
			if err == nil {
				body, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			tc.check(t, resp, body, err)
			rec := b.fake.Record()
			require.Equal(t, 1, rec.InjectedFaults[tc.kind])
			require.Zero(t, rec.Throttles, "an injected fault is not the client's violation")
		})
	}
}

func TestAuthAndRouting(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Options{})
	cases := []struct {
		name, path, token string
		want              int
	}{
		{"wrong token", "/admin/api/2026-10/graphql.json", "nope", http.StatusUnauthorized},
		{"version from the future", "/admin/api/2099-01/graphql.json", token, http.StatusNotFound},
		{"not the API", "/admin/oauth", token, http.StatusNotFound},
	}
	for _, tc := range cases {
		req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, b.srv.URL+tc.path, strings.NewReader(`{"query":"{ shop { name } }"}`))
		require.NoError(t, err)
		req.Header.Set("X-Shopify-Access-Token", tc.token)
		resp, err := b.srv.Client().Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, tc.want, resp.StatusCode, tc.name)
		require.NotContains(t, string(body), token)
	}
	require.Equal(t, 1, b.fake.Record().AuthFailures)
}

func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Options{Scale: 10})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			owner := gid("Customer", i%10+1)
			r := b.post(t, "2026-10", `mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { userErrors { message } } }`,
				map[string]any{"m": []any{map[string]any{"ownerId": owner, "namespace": "custom", "key": "total_spent", "type": "number_integer", "value": fmt.Sprint(i)}}})
			require.Empty(t, r.Errors)
			b.post(t, "2026-10", `{ customers(first: 5) { nodes { id } } }`, nil)
		})
	}
	wg.Wait()
	rec := b.fake.Record()
	require.Equal(t, 40, rec.Requests)
	require.Len(t, rec.MetafieldWrites, 20)
	require.Equal(t, 20, rec.Operations["customers"])
}

func TestAccessorsReturnCopies(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Options{})
	v, ok := b.fake.Variant(extid.ShopifyVariantGID(gid("ProductVariant", 1)))
	require.True(t, ok)
	v.Available[extid.ShopifyLocationGID(gid("Location", 1))] = 999
	got, ok := b.fake.Available(extid.ShopifyInventoryItemGID(gid("InventoryItem", 1)), extid.ShopifyLocationGID(gid("Location", 1)))
	require.True(t, ok)
	require.Equal(t, int64(5), got)
	_, ok = b.fake.Customer("gid://shopify/Customer/404")
	require.False(t, ok)
}
