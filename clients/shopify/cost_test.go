package shopify_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/shopify"
)

// costRecorder keeps the requestedQueryCost of every reply, by top-level
// operation name as the client's documents name them.
type costRecorder struct {
	mu        sync.Mutex
	requested []float64
}

func (c *costRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var env struct {
			Extensions struct {
				Cost *struct {
					RequestedQueryCost float64 `json:"requestedQueryCost"`
				} `json:"cost"`
			} `json:"extensions"`
		}
		body := rec.Body.Bytes()
		if json.Unmarshal(body, &env) == nil && env.Extensions.Cost != nil {
			c.mu.Lock()
			c.requested = append(c.requested, env.Extensions.Cost.RequestedQueryCost)
			c.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = io.Copy(w, bytes.NewReader(body))
	})
}

func (c *costRecorder) max() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := 0.0
	for _, v := range c.requested {
		m = max(m, v)
	}
	return m
}

// TestPagesAreSizedFromTheDocumentsCost pages through customers and
// through variants with their levels at 0 to 3 locations: every page is as
// large as Shopify's 1,000-point query maximum allows for its document
// (250 records, or at least 90% of the maximum), none is
// refused for its cost and the governor lets none be throttled.
func TestPagesAreSizedFromTheDocumentsCost(t *testing.T) {
	t.Parallel()
	allLocations := []extid.ShopifyLocationGID{}
	for i := 1; i <= 3; i++ {
		allLocations = append(allLocations, extid.ShopifyLocationGID(extid.FormatGID(extid.ResourceLocation, int64(i))))
	}
	type lister func(b bundle, after string) (next string, n int, err error)
	cases := []struct {
		name string
		list lister
	}{
		{"customers", func(b bundle, after string) (string, int, error) {
			p, err := b.client.ListCustomers(b.ctx, "", after)
			return p.EndCursor, len(p.Customers), err
		}},
	}
	for k := 0; k <= 3; k++ {
		cases = append(cases, struct {
			name string
			list lister
		}{fmt.Sprintf("variants at %d locations", k), func(b bundle, after string) (string, int, error) {
			var locs []extid.ShopifyLocationGID
			if k > 0 {
				locs = allLocations[:k]
			}
			p, err := b.client.ListVariantsAt(b.ctx, "", after, locs)
			if !p.HasNextPage {
				p.EndCursor = ""
			}
			return p.EndCursor, len(p.Variants), err
		}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			costs := &costRecorder{}
			b := setup(t, setupOptions{customers: 600, variants: 600, autoAdvance: true, wrap: costs.wrap})
			total, first := 0, 0
			for after := ""; ; {
				next, n, err := tc.list(b, after)
				require.NoError(t, err)
				if total == 0 {
					first = n
				}
				total += n
				if next == "" || n == 0 {
					break
				}
				after = next
			}
			require.Equal(t, 600, total)
			rec := b.fake.Record()
			require.Zero(t, rec.MaxCostExceeded, "no page asked for more than the query maximum")
			require.Zero(t, rec.Throttles, "the governor let no request be throttled")
			require.LessOrEqual(t, costs.max(), float64(shopify.MaxQueryCost))
			if first < shopify.PageSize {
				require.GreaterOrEqual(t, costs.max(), 0.9*shopify.MaxQueryCost, "pages of %d fill the query maximum", first)
			}
		})
	}
}

// TestMetafieldsSetIsPlannedAtItsOwnerCost writes metafields whose calls
// have 1 to 25 distinct owners against a bucket too small for the old flat
// estimate to be safe: the governor reserves 10 + 1 per distinct customer,
// exactly what the sandbox charges, so nothing is throttled and the points
// charged add up to the formula.
func TestMetafieldsSetIsPlannedAtItsOwnerCost(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 100, autoAdvance: true})
	var want float64
	for owners := 1; owners <= 25; owners += 6 {
		var inputs []shopify.MetafieldInput
		var ids []string
		for i := range 25 {
			c := b.ds.ShopifyCustomers[i%owners]
			ids = append(ids, string(c.ID))
			inputs = append(inputs, shopify.MetafieldInput{OwnerID: string(c.ID), Namespace: "custom",
				Key: fmt.Sprintf("key_%d", i), Type: "number_integer", Value: "1"})
		}
		require.Equal(t, float64(10+owners), shopify.MetafieldsSetCost(ids))
		want += shopify.MetafieldsSetCost(ids)
		results, err := b.client.SetMetafields(b.ctx, inputs)
		require.NoError(t, err)
		for _, r := range results {
			require.NoError(t, r.Err)
		}
	}
	rec := b.fake.Record()
	require.Equal(t, want, rec.Points, "the sandbox charged 10 + 1 per distinct customer")
	require.Zero(t, rec.Throttles)
	require.Equal(t, 15.0, shopify.MetafieldsSetCost([]string{"gid://shopify/Product/1", "gid://shopify/Customer/2", "gid://shopify/Customer/2"}))
}
