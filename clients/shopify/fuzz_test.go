package shopify

import (
	"encoding/json"
	"net/http"
	"testing"

	"syncops/clients/apierr"
	"syncops/clients/extid"
)

// fuzzClient is a client for calling the reply parsers; it sends nothing.
func fuzzClient(t testing.TB) *Client {
	c, err := New(Config{Shop: "fuzz.myshopify.com", AccessToken: "shpat_fuzz"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzParseEnvelope feeds arbitrary reply bodies, with any status, through
// envelope parsing and classification: nothing may panic, a usable reply
// must have data, and the token never shows in an error.
func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(`{"data":{"shop":{"name":"x"}},"extensions":{"cost":{"requestedQueryCost":1,"actualQueryCost":1,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1999,"restoreRate":100.0}}}}`), 200)
	f.Add([]byte(`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":252,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":3,"restoreRate":100.0}}}}`), 200)
	f.Add([]byte(`{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`), 401)
	f.Add([]byte(`{"errors":{"query":"Required parameter missing or invalid"}}`), 400)
	f.Add([]byte(`{"data":{"customers":{"nodes":[{"id":"gid://sho`), 200)
	f.Add([]byte(`<html><body><h1>Bad Gateway</h1></body></html>`), 502)
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		env, parseErr := parseEnvelope(body)
		err := c.classify("fuzz", status, http.Header{}, env, parseErr)
		if err == nil {
			if parseErr != nil || len(env.Data) == 0 {
				t.Fatalf("usable reply without data: status %d parseErr %v", status, parseErr)
			}
			return
		}
		if err.Class == "" || err.API != apiName {
			t.Fatalf("unclassified error %#v", err)
		}
		_ = apierr.ClassOf(err)
	})
}

// FuzzPageData feeds arbitrary data objects through the page decoders and
// record conversion: nothing may panic, and every record that converts has
// ids of the right resource.
func FuzzPageData(f *testing.F) {
	f.Add([]byte(`{"customers":{"nodes":[{"id":"gid://shopify/Customer/1","firstName":"Lan","numberOfOrders":"3","amountSpent":{"amount":"1500.50"},"updatedAt":"2026-01-02T03:04:05Z","defaultEmailAddress":{"emailAddress":"a@b.vn"},"defaultPhoneNumber":null,"defaultAddress":{"phone":null}}],"pageInfo":{"hasNextPage":true,"endCursor":"abc"}}}`))
	f.Add([]byte(`{"productVariants":{"nodes":[{"id":"gid://shopify/ProductVariant/9","title":"Default Title","sku":null,"barcode":"893","updatedAt":"2026-01-02T03:04:05Z","product":{"id":"gid://shopify/Product/4","title":"Áo","status":"ACTIVE"},"inventoryItem":{"id":"gid://shopify/InventoryItem/9"}}],"pageInfo":{"hasNextPage":false,"endCursor":null}}}`))
	f.Add([]byte(`{"customers":{"nodes":[{"id":"gid://shopify/Product/1","numberOfOrders":12,"amountSpent":{"amount":12.5}}]}}`))
	f.Add([]byte(`{"metafieldsSet":{"userErrors":[{"field":["metafields","3","value"],"message":"bad","code":"INVALID_VALUE","elementIndex":3}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var page struct {
			Customers struct {
				Nodes    []customerNode `json:"nodes"`
				PageInfo pageInfo       `json:"pageInfo"`
			} `json:"customers"`
			ProductVariants struct {
				Nodes []variantNode `json:"nodes"`
			} `json:"productVariants"`
			MetafieldsSet struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"metafieldsSet"`
		}
		if json.Unmarshal(data, &page) != nil {
			return
		}
		_ = page.Customers.PageInfo.cursor()
		for _, n := range page.Customers.Nodes {
			if c, err := n.customer(); err == nil {
				if _, err := extid.ParseTypedGID(string(c.ID), extid.ResourceCustomer); err != nil {
					t.Fatalf("converted customer with bad id %q", c.ID)
				}
			}
		}
		for _, n := range page.ProductVariants.Nodes {
			if v, err := n.variant(); err == nil {
				if _, err := extid.ParseTypedGID(string(v.ID), extid.ResourceVariant); err != nil {
					t.Fatalf("converted variant with bad id %q", v.ID)
				}
			}
		}
		for _, ue := range page.MetafieldsSet.UserErrors {
			if i, ok := indexFromField(ue.Field, "metafields", 25); ok && (i < 0 || i >= 25) {
				t.Fatalf("index %d out of range", i)
			}
		}
	})
}

// FuzzBulkLine feeds arbitrary JSONL lines to the bulk line handling: child
// lines are skipped, parent lines decode or fail cleanly.
func FuzzBulkLine(f *testing.F) {
	f.Add([]byte(`{"id":"gid://shopify/Customer/1","firstName":"Lan","numberOfOrders":"0","updatedAt":"2026-01-02T03:04:05Z"}` + "\n"))
	f.Add([]byte(`{"id":"gid://shopify/ProductVariant/2","product":{"id":"gid://shopify/Product/1","title":"x","status":"DRAFT"},"inventoryItem":{"id":"gid://shopify/InventoryItem/2"}}`))
	f.Add([]byte(`{"id":"gid://shopify/InventoryLevel/1","__parentId":"gid://shopify/ProductVariant/2"}`))
	f.Add([]byte("   \n"))
	f.Add([]byte(`{"__parentId":null,"id":"gid://shopify/Customer/3"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		delivered := 0
		_, err := deliverLine(line, func(l []byte) error {
			delivered++
			if isChildLine(l) {
				t.Fatalf("child line delivered: %s", l)
			}
			var n customerNode
			if json.Unmarshal(l, &n) == nil {
				_, _ = n.customer()
			}
			var v variantNode
			if json.Unmarshal(l, &v) == nil {
				_, _ = v.variant()
			}
			return nil
		})
		if err != nil {
			t.Fatalf("deliverLine failed without a callback error: %v", err)
		}
		if delivered > 1 {
			t.Fatalf("one line delivered %d times", delivered)
		}
	})
}
