package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/fault"
)

type bundle struct {
	sb  *sandbox.Sandbox
	ep  sandbox.Endpoints
	ctx context.Context
}

// setup starts a sandbox over a tiny generated world and closes it when the
// test ends.
func setup(t *testing.T, opts sandbox.Options) bundle {
	t.Helper()
	if opts.Dataset == nil && opts.Customers == 0 {
		opts.Customers, opts.Products = 12, 9
	}
	sb, err := sandbox.Start(t.Context(), opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, sb.Close(ctx))
	})
	return bundle{sb: sb, ep: sb.Endpoints(), ctx: t.Context()}
}

// post sends a raw JSON request and decodes the JSON reply.
func post(t *testing.T, ctx context.Context, url string, header http.Header, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "reply: %s", raw)
	return resp.StatusCode, out
}

func nhanhURL(ep sandbox.Endpoints, endpoint string) string {
	return fmt.Sprintf("%s/v3.0/%s?appId=%s&businessId=%s", ep.NhanhBaseURL, endpoint, ep.NhanhAppID, ep.NhanhBusinessID)
}

func shopifyURL(ep sandbox.Endpoints) string {
	return fmt.Sprintf("%s/admin/api/%s/graphql.json", ep.ShopifyBaseURL, ep.ShopifyAPIVersion)
}

func TestSandboxServesBothFakes(t *testing.T) {
	t.Parallel()
	b := setup(t, sandbox.Options{Seed: 3})
	truth := b.sb.Truth()
	require.NotNil(t, truth)

	status, reply := post(t, b.ctx, nhanhURL(b.ep, "customer/list"),
		http.Header{"Authorization": {b.ep.NhanhToken}}, `{"paginator":{"size":100}}`)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 1, reply["code"], "reply: %v", reply)
	customers, ok := reply["data"].([]any)
	require.True(t, ok, "data: %T", reply["data"])
	require.Len(t, customers, 12)

	status, reply = post(t, b.ctx, shopifyURL(b.ep),
		http.Header{"X-Shopify-Access-Token": {b.ep.ShopifyToken}}, `{"query":"{ shop { myshopifyDomain } }"}`)
	require.Equal(t, http.StatusOK, status)
	require.Nil(t, reply["errors"], "reply: %v", reply)
	shop := reply["data"].(map[string]any)["shop"].(map[string]any)
	require.Equal(t, b.ep.ShopifyShop, shop["myshopifyDomain"])
}

// TestSandboxServesBulkResults follows a bulk query's result link, which the
// Shopify fake builds from the host alone, through the shared server.
func TestSandboxServesBulkResults(t *testing.T) {
	t.Parallel()
	b := setup(t, sandbox.Options{Seed: 8})
	header := http.Header{"X-Shopify-Access-Token": {b.ep.ShopifyToken}}
	_, reply := post(t, b.ctx, shopifyURL(b.ep), header,
		`{"query":"mutation { bulkOperationRunQuery(query: \"{ customers { edges { node { id } } } }\") { bulkOperation { id } userErrors { message } } }"}`)
	require.Nil(t, reply["errors"], "reply: %v", reply)

	_, reply = post(t, b.ctx, shopifyURL(b.ep), header, `{"query":"{ currentBulkOperation { status url } }"}`)
	require.Nil(t, reply["errors"], "reply: %v", reply)
	op := reply["data"].(map[string]any)["currentBulkOperation"].(map[string]any)
	require.Equal(t, "COMPLETED", op["status"])
	url, ok := op["url"].(string)
	require.True(t, ok, "url: %v", op["url"])

	req, err := http.NewRequestWithContext(b.ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	// Generation is deterministic, so the same config names the same world.
	ds := dataset.Generate(dataset.GenerateConfig{Seed: 8, Customers: 12, Products: 9})
	require.Len(t, lines, len(ds.ShopifyCustomers))
}

func TestSandboxRefusesOtherCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t, sandbox.Options{Seed: 4})
	other := setup(t, sandbox.Options{Seed: 4})
	require.NotEqual(t, b.ep.NhanhToken, other.ep.NhanhToken)
	require.NotEqual(t, b.ep.ShopifyToken, other.ep.ShopifyToken)

	// The other sandbox's token is refused, so a mis-wired client cannot
	// read a world that is not its own.
	_, reply := post(t, b.ctx, nhanhURL(b.ep, "customer/list"),
		http.Header{"Authorization": {other.ep.NhanhToken}}, `{}`)
	require.EqualValues(t, 0, reply["code"])
	require.Equal(t, "ERR_INVALID_ACCESS_TOKEN", reply["errorCode"])

	status, _ := post(t, b.ctx, shopifyURL(b.ep),
		http.Header{"X-Shopify-Access-Token": {other.ep.ShopifyToken}}, `{"query":"{ shop { name } }"}`)
	require.Equal(t, http.StatusUnauthorized, status)
}

func TestSandboxServesGivenDataset(t *testing.T) {
	t.Parallel()
	ds := &dataset.Dataset{NhanhDepots: []dataset.NhanhDepot{{ID: 7, Name: "Kho A"}, {ID: 9, Name: "Kho B"}}}
	b := setup(t, sandbox.Options{Dataset: ds})
	require.Nil(t, b.sb.Truth(), "the caller owns the answers of its own dataset")

	_, reply := post(t, b.ctx, nhanhURL(b.ep, "business/depot"),
		http.Header{"Authorization": {b.ep.NhanhToken}}, `{}`)
	require.EqualValues(t, 1, reply["code"], "reply: %v", reply)
	require.Len(t, reply["data"], 2)
}

func TestSandboxFaultsAreSeeded(t *testing.T) {
	t.Parallel()
	// Every Nhanh request fails with an injected 5xx: the spec reaches the fake.
	b := setup(t, sandbox.Options{Seed: 5, Faults: fault.Spec{Rates: map[fault.Kind]float64{fault.Server: 1}}})
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, nhanhURL(b.ep, "customer/list"), strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", b.ep.NhanhToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.GreaterOrEqual(t, resp.StatusCode, 500)
}

func TestSandboxCloseIsIdempotent(t *testing.T) {
	t.Parallel()
	sb, err := sandbox.Start(t.Context(), sandbox.Options{Customers: 3, Products: 3})
	require.NoError(t, err)
	url := nhanhURL(sb.Endpoints(), "customer/list")

	require.NoError(t, sb.Close(t.Context()))
	require.NoError(t, sb.Close(t.Context()))

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader([]byte(`{}`)))
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err, "a closed sandbox must not answer")
}

func TestSandboxCloseEndsStalledRequests(t *testing.T) {
	t.Parallel()
	sb, err := sandbox.Start(t.Context(), sandbox.Options{
		Customers: 3, Products: 3,
		Faults: fault.Spec{Rates: map[fault.Kind]float64{fault.Timeout: 1}},
	})
	require.NoError(t, err)
	ep := sb.Endpoints()

	// The request stalls in the fake until its context ends; once the fake
	// has it, Close must end it rather than wait out its own deadline.
	done := make(chan error, 1)
	go func() {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost,
			nhanhURL(ep, "customer/list"), strings.NewReader(`{}`))
		if err != nil {
			done <- err
			return
		}
		req.Header.Set("Authorization", ep.NhanhToken)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			err = resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return sb.Nhanh().Record().Requests("customer/list") == 1 },
		5*time.Second, 5*time.Millisecond, "the request never reached the fake")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, sb.Close(ctx), "graceful: the stalled request ended, the deadline was not needed")
	<-done
}

func TestEndpointsHideTokens(t *testing.T) {
	t.Parallel()
	b := setup(t, sandbox.Options{Seed: 6})
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		text := fmt.Sprintf(format, b.ep)
		// require.False, not NotContains: a failure must not print the token.
		require.False(t, strings.Contains(text, b.ep.NhanhToken), "%s shows the Nhanh token", format)
		require.False(t, strings.Contains(text, b.ep.ShopifyToken), "%s shows the Shopify token", format)
		require.Contains(t, text, b.ep.NhanhBaseURL, format)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    sandbox.Options
		wantErr string
	}{
		{"defaults", sandbox.Options{}, ""},
		{"negative scale", sandbox.Options{Scale: -1}, "scale must not be negative"},
		{"negative customers", sandbox.Options{Customers: -5}, "customers must not be negative"},
		{"sizes ignored with a dataset", sandbox.Options{Dataset: &dataset.Dataset{}, Customers: -5}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.opts.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			_, err = sandbox.Start(t.Context(), tt.opts)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
