package shopify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/clients/extid"
	"syncops/clients/sandbox/fault"
	"syncops/clients/sandbox/shopifyfake"
	"syncops/clients/shopify"
)

func TestListCustomersPagesThroughEveryone(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 600, autoAdvance: true})
	var got []shopify.Customer
	pages := 0
	after := ""
	for {
		page, err := b.client.ListCustomers(b.ctx, "", after)
		require.NoError(t, err)
		pages++
		got = append(got, page.Customers...)
		if !page.HasNextPage {
			break
		}
		require.NotEmpty(t, page.EndCursor)
		after = page.EndCursor
	}
	require.Equal(t, 4, pages, "600 customers at 166 a page: (1000-2)/6, each with five object fields")
	require.Zero(t, b.fake.Record().MaxCostExceeded)
	require.Zero(t, b.fake.Record().Throttles)
	require.Len(t, got, 600)
	seen := map[extid.ShopifyCustomerGID]bool{}
	for i, c := range got {
		require.False(t, seen[c.ID], "customer %s twice", c.ID)
		seen[c.ID] = true
		if i > 0 {
			require.False(t, c.UpdatedAt.Before(got[i-1].UpdatedAt), "ordered by updatedAt")
		}
	}

	// Every field arrives, numberOfOrders from its JSON string.
	c42 := got[slices.IndexFunc(got, func(c shopify.Customer) bool { return c.ID == b.ds.ShopifyCustomers[41].ID })]
	want := b.ds.ShopifyCustomers[41]
	require.Equal(t, shopify.Customer{
		ID: want.ID, FirstName: want.FirstName, LastName: want.LastName, Email: want.Email, Phone: want.Phone,
		DefaultAddressPhone: want.DefaultAddressPhone, NumberOfOrders: want.NumberOfOrders, AmountSpent: want.AmountSpent,
		UpdatedAt: time.Unix(want.UpdatedAt, 0).UTC(),
	}, c42)
	require.Equal(t, int64(4), b.client.Stats().Requests)
	require.Zero(t, b.fake.Record().Throttles)
}

func TestListCustomersUpdatedSince(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 300})
	since := baseTime.Add(200 * time.Minute)
	var want []extid.ShopifyCustomerGID
	for _, c := range b.ds.ShopifyCustomers {
		if c.UpdatedAt > since.Unix() {
			want = append(want, c.ID)
		}
	}
	query := fmt.Sprintf("updated_at:>'%s'", since.Format(time.RFC3339))
	var got []extid.ShopifyCustomerGID
	for after := ""; ; {
		page, err := b.client.ListCustomers(b.ctx, query, after)
		require.NoError(t, err)
		for _, c := range page.Customers {
			require.True(t, c.UpdatedAt.After(since))
			got = append(got, c.ID)
		}
		if !page.HasNextPage {
			break
		}
		after = page.EndCursor
	}
	require.ElementsMatch(t, want, got)
	require.Len(t, got, 99, "minutes 201..299 of 300")
}

func TestListVariantsPagesAndFilters(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{variants: 400, autoAdvance: true})
	cases := []struct {
		query string
		want  int
	}{
		{"", 400},
		{"product_status:active", 133},
		{"status:draft,archived", 267},
		{"sku:SKU-0007", 1},
	}
	for _, tc := range cases {
		var got []shopify.Variant
		for after := ""; ; {
			page, err := b.client.ListVariants(b.ctx, tc.query, after)
			require.NoError(t, err)
			got = append(got, page.Variants...)
			if !page.HasNextPage {
				break
			}
			after = page.EndCursor
		}
		require.Len(t, got, tc.want, tc.query)
	}
	page, err := b.client.ListVariants(b.ctx, "sku:SKU-0007", "")
	require.NoError(t, err)
	want := b.ds.ShopifyVariants[6]
	require.Equal(t, shopify.Variant{
		ID: want.ID, ProductID: want.ProductID, ProductTitle: want.ProductTitle, Title: want.Title, SKU: want.SKU,
		Barcode: want.Barcode, ProductStatus: want.ProductStatus, InventoryItemID: want.InventoryItemID,
		UpdatedAt: time.Unix(want.UpdatedAt, 0).UTC(), Tracked: true,
	}, page.Variants[0])
}

func TestLocationsMarksThePrimary(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	locs, err := b.client.Locations(b.ctx)
	require.NoError(t, err)
	require.Len(t, locs, 3)
	for _, l := range locs {
		require.Equal(t, l.ID == b.ds.ShopifyLocations[1].ID, l.Primary, l.ID)
	}
}

// totalSpent is the metafield the customer sync writes.
func totalSpent(owner extid.ShopifyCustomerGID, value string) shopify.MetafieldInput {
	return shopify.MetafieldInput{OwnerID: string(owner), Namespace: "custom", Key: "total_spent", Type: "number_integer", Value: value}
}

func TestSetMetafieldsIsolatesABadItem(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 30})
	inputs := make([]shopify.MetafieldInput, 25)
	for i := range inputs {
		inputs[i] = totalSpent(b.ds.ShopifyCustomers[i].ID, fmt.Sprint(1000*(i+1)))
	}
	inputs[7].Value = "1500.5" // number_integer refuses decimals, as real Shopify does

	results, err := b.client.SetMetafields(b.ctx, inputs)
	require.NoError(t, err)
	require.Len(t, results, 25)
	for i, r := range results {
		require.Equal(t, i, r.Index)
		if i == 7 {
			var apiErr *apierr.Error
			require.ErrorAs(t, r.Err, &apiErr)
			require.Equal(t, apierr.ClassValidation, apiErr.Class)
			require.Equal(t, "INVALID_VALUE", apiErr.Code)
			_, ok := b.fake.Metafield(b.ds.ShopifyCustomers[i].ID, "custom.total_spent")
			require.False(t, ok, "the bad item is not stored")
			continue
		}
		require.NoError(t, r.Err, i)
		m, ok := b.fake.Metafield(b.ds.ShopifyCustomers[i].ID, "custom.total_spent")
		require.True(t, ok, i)
		require.Equal(t, fmt.Sprint(1000*(i+1)), m.Value)
	}
	rec := b.fake.Record()
	require.Len(t, rec.MetafieldWrites, 24)
	require.Equal(t, 2, rec.Operations["metafieldsSet"], "one refused atomic call, one with the 24 good items")
}

func TestSetMetafieldsBatchesOf25(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 60})
	inputs := make([]shopify.MetafieldInput, 0, 60)
	for _, c := range b.ds.ShopifyCustomers {
		inputs = append(inputs, totalSpent(c.ID, "5"))
	}
	inputs[0].OwnerID = "gid://shopify/Customer/999999" // unknown owner
	inputs[59].Value = "x"
	results, err := b.client.SetMetafields(b.ctx, inputs)
	require.NoError(t, err)
	var failed []int
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r.Index)
		}
	}
	require.Equal(t, []int{0, 59}, failed)
	rec := b.fake.Record()
	require.Len(t, rec.MetafieldWrites, 58)
	require.Equal(t, 5, rec.Operations["metafieldsSet"], "25+25+10, two of them sent twice")
}

func TestSetInventoryReusesTheKeyOnRetry(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{variants: 10, autoAdvance: true})
	loc := b.ds.ShopifyLocations[0].ID
	var qs []shopify.InventoryQuantity
	for i, v := range b.ds.ShopifyVariants[:5] {
		from := int64(i + 1)
		qs = append(qs, shopify.InventoryQuantity{InventoryItemID: v.InventoryItemID, LocationID: loc, Quantity: 100 + int64(i), ChangeFromQuantity: &from})
	}
	// The first reply is lost after Shopify applied the change.
	b.fake.Script(shopifyfake.ScriptedFault{Op: "inventorySetQuantities", Kind: fault.Server, AfterApply: true})

	results, err := b.client.SetInventory(b.ctx, qs, shopify.InventoryOptions{KeyPrefix: "job-7", ReferenceDocumentURI: "gid://syncops/Job/7"})
	require.NoError(t, err)
	for _, r := range results {
		require.NoError(t, r.Err)
	}
	rec := b.fake.Record()
	require.Len(t, rec.IdempotencyKeys, 2)
	require.Equal(t, rec.IdempotencyKeys[0], rec.IdempotencyKeys[1], "the retry carries the same key")
	require.Equal(t, 1, rec.IdempotentReplays)
	require.Len(t, rec.InventoryWrites, 5, "applied once")
	for i, v := range b.ds.ShopifyVariants[:5] {
		got, ok := b.fake.Available(v.InventoryItemID, loc)
		require.True(t, ok)
		require.Equal(t, 100+int64(i), got)
	}

	// A resumed job sending the same batch again reuses the key too, and
	// Shopify does not apply it twice (its changeFromQuantity is stale now,
	// which would otherwise fail).
	again, err := b.client.SetInventory(b.ctx, qs, shopify.InventoryOptions{KeyPrefix: "job-7", ReferenceDocumentURI: "gid://syncops/Job/7"})
	require.NoError(t, err)
	for _, r := range again {
		require.NoError(t, r.Err)
	}
	rec = b.fake.Record()
	require.Equal(t, rec.IdempotencyKeys[0], rec.IdempotencyKeys[2])
	require.Len(t, rec.InventoryWrites, 5)
}

func TestSetInventoryIsolatesStaleAndUnknownItems(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{variants: 10})
	loc := b.ds.ShopifyLocations[0].ID
	stale := int64(999)
	qs := []shopify.InventoryQuantity{
		{InventoryItemID: b.ds.ShopifyVariants[0].InventoryItemID, LocationID: loc, Quantity: 7},                             // no check
		{InventoryItemID: b.ds.ShopifyVariants[1].InventoryItemID, LocationID: loc, Quantity: 8, ChangeFromQuantity: &stale}, // stale
		{InventoryItemID: "gid://shopify/InventoryItem/424242", LocationID: loc, Quantity: 9},                                // unknown
		{InventoryItemID: b.ds.ShopifyVariants[3].InventoryItemID, LocationID: "gid://shopify/Location/77", Quantity: 1},     // unknown location
		{InventoryItemID: b.ds.ShopifyVariants[4].InventoryItemID, LocationID: b.ds.ShopifyLocations[2].ID, Quantity: 3},
	}
	results, err := b.client.SetInventory(b.ctx, qs, shopify.InventoryOptions{KeyPrefix: "job-8"})
	require.NoError(t, err)
	codes := make([]string, len(results))
	for i, r := range results {
		var apiErr *apierr.Error
		if errors.As(r.Err, &apiErr) {
			require.Equal(t, apierr.ClassValidation, apiErr.Class)
			codes[i] = apiErr.Code
		}
	}
	require.Equal(t, []string{"", "CHANGE_FROM_QUANTITY_STALE", "INVALID_INVENTORY_ITEM", "INVALID_LOCATION", ""}, codes)
	got, _ := b.fake.Available(b.ds.ShopifyVariants[0].InventoryItemID, loc)
	require.Equal(t, int64(7), got)
	got, _ = b.fake.Available(b.ds.ShopifyVariants[4].InventoryItemID, b.ds.ShopifyLocations[2].ID)
	require.Equal(t, int64(3), got)
	got, _ = b.fake.Available(b.ds.ShopifyVariants[1].InventoryItemID, loc)
	require.Equal(t, int64(2), got, "the stale item is untouched")
	keys := b.fake.Record().IdempotencyKeys
	require.Len(t, keys, 2)
	require.NotEqual(t, keys[0], keys[1], "a different batch gets a different key")
}

// throttleWith429 answers the first n requests with HTTP 429 and a
// Retry-After header, as some of Shopify's edges do, before the fake sees them.
func throttleWith429(n int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var mu sync.Mutex
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			refuse := n > 0
			n--
			mu.Unlock()
			if refuse {
				w.Header().Set("Retry-After", "2.0")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestThrottledReplyIsRetried(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		script   []shopifyfake.ScriptedFault
		wrap     func(http.Handler) http.Handler
		wantWait time.Duration
	}{
		{
			name:   "THROTTLED with HTTP 200 and the bucket status",
			script: []shopifyfake.ScriptedFault{{Op: "customers", Kind: fault.Throttle}, {Op: "customers", Kind: fault.Throttle}},
		},
		{
			name:     "HTTP 429 with Retry-After and no bucket status",
			wrap:     throttleWith429(2),
			wantWait: 4 * time.Second,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOptions{customers: 10, autoAdvance: true, wrap: tc.wrap})
			b.fake.Script(tc.script...)
			page, err := b.client.ListCustomers(b.ctx, "", "")
			require.NoError(t, err)
			require.Len(t, page.Customers, 10)
			st := b.client.Stats()
			require.Equal(t, int64(2), st.Throttles)
			require.Equal(t, int64(3), st.Requests)
			require.GreaterOrEqual(t, st.WaitTime, tc.wantWait)
			require.Zero(t, b.fake.Record().Throttles, "injected, not the client's violation")
		})
	}
}

func TestAuthFailureIsNotRetriedAndHidesTheToken(t *testing.T) {
	t.Parallel()
	const wrongToken = "shpat_wrong_token_value_123"
	b := setup(t, setupOptions{config: func(c *shopify.Config) { c.AccessToken = wrongToken }})
	_, err := b.client.ListCustomers(b.ctx, "", "")
	var apiErr *apierr.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, apierr.ClassAuth, apiErr.Class)
	require.Equal(t, 401, apiErr.HTTPStatus)
	require.Equal(t, "shopify", apiErr.API)
	require.Equal(t, "customers", apiErr.Op)
	require.NotContains(t, err.Error(), wrongToken)
	require.NotContains(t, err.Error(), testToken)
	require.Equal(t, int64(1), b.client.Stats().Requests)
	rec := b.fake.Record()
	require.Equal(t, 1, rec.Requests)
	require.Equal(t, 1, rec.AuthFailures)
}

func TestTransientFailuresAreRetriedWithinBounds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		kind        fault.Kind
		faults      int
		maxAttempts int
		wantErr     bool
	}{
		{"5xx then success", fault.Server, 2, 5, false},
		{"truncated body then success", fault.Malformed, 1, 5, false},
		{"timeout then success", fault.Timeout, 1, 5, false},
		{"5xx until the attempts run out", fault.Server, 3, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOptions{customers: 5, autoAdvance: true, config: func(c *shopify.Config) {
				c.MaxAttempts = tc.maxAttempts
				c.RequestTimeout = 200 * time.Millisecond
			}})
			for range tc.faults {
				b.fake.Script(shopifyfake.ScriptedFault{Op: "customers", Kind: tc.kind})
			}
			page, err := b.client.ListCustomers(b.ctx, "", "")
			st := b.client.Stats()
			if tc.wantErr {
				var apiErr *apierr.Error
				require.ErrorAs(t, err, &apiErr)
				require.Equal(t, apierr.ClassTransient, apiErr.Class)
				require.Equal(t, int64(tc.maxAttempts), st.Requests)
				return
			}
			require.NoError(t, err)
			require.Len(t, page.Customers, 5)
			require.Equal(t, int64(tc.faults), st.Retries)
			require.Equal(t, int64(tc.faults+1), st.Requests)
		})
	}
}

func TestCancelWhileTheGovernorWaits(t *testing.T) {
	t.Parallel()
	// 15 points in a 2000 bucket that restores 100/s, on a clock that only
	// moves when the test says.
	b := setup(t, setupOptions{customers: 5, fake: shopifyfake.Options{InitialFill: 15.0 / 2000}})
	_, err := b.client.SetMetafields(b.ctx, []shopify.MetafieldInput{totalSpent(b.ds.ShopifyCustomers[0].ID, "1")})
	require.NoError(t, err)
	require.InDelta(t, 4, b.client.Stats().Available, 1e-6, "one customer's metafield costs 10 + 1")

	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan error, 1)
	go func() {
		_, err := b.client.ListCustomers(ctx, "", "") // requests 998 points: a 9.94 s wait
		done <- err
	}()
	require.NoError(t, b.fc.BlockUntilContext(b.ctx, 1))
	cancel()
	err = <-done
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, apierr.ClassCanceled, apierr.ClassOf(err))
	require.Equal(t, int64(1), b.client.Stats().Requests, "the page was never sent")
	require.Zero(t, b.fake.Record().Throttles)
}

func TestGovernorWaitsInsteadOfBeingThrottled(t *testing.T) {
	t.Parallel()
	// The bucket holds 300 points; three pages need 756, so the client must
	// wait for restores on the shared fake clock instead of being refused.
	b := setup(t, setupOptions{customers: 600, autoAdvance: true, fake: shopifyfake.Options{InitialFill: 300.0 / 2000}})
	_, err := b.client.SetMetafields(b.ctx, []shopify.MetafieldInput{totalSpent(b.ds.ShopifyCustomers[0].ID, "1")})
	require.NoError(t, err)
	total := 0
	for after := ""; ; {
		page, err := b.client.ListCustomers(b.ctx, "", after)
		require.NoError(t, err)
		total += len(page.Customers)
		if !page.HasNextPage {
			break
		}
		after = page.EndCursor
	}
	require.Equal(t, 600, total)
	require.Zero(t, b.fake.Record().Throttles)
	require.Zero(t, b.client.Stats().Throttles)
	require.Positive(t, b.client.Stats().WaitTime)
}

func TestPageShrinksWhenAFullPageCostsTooMuch(t *testing.T) {
	t.Parallel()
	// A shop whose cap (200) refuses the pages planned for Shopify's 1,000:
	// 166 customers (998), then 83 (500) and 41 (248) are refused, 20
	// (122) fit.
	b := setup(t, setupOptions{customers: 100, autoAdvance: true, fake: shopifyfake.Options{MaxQueryCost: 200}})
	total, pages := 0, 0
	for after := ""; ; {
		page, err := b.client.ListCustomers(b.ctx, "", after)
		require.NoError(t, err)
		total += len(page.Customers)
		pages++
		if !page.HasNextPage {
			break
		}
		after = page.EndCursor
	}
	require.Equal(t, 100, total)
	require.Equal(t, 5, pages, "20 a page after three refusals")
	require.Equal(t, 8, b.fake.Record().Operations["customers"])
	require.Equal(t, 3, b.fake.Record().MaxCostExceeded)
}

// TestTransientFailureHonoursRetryAfter: a 503 that names its wait is not
// retried sooner, even when the backoff would be shorter.
func TestTransientFailureHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	b := setup(t, setupOptions{customers: 2,
		config: func(c *shopify.Config) { c.RetryBaseDelay, c.RetryMaxDelay = time.Millisecond, time.Minute },
		wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Retry-After", "20")
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				next.ServeHTTP(w, r)
			})
		}})
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := b.client.ListCustomers(ctx, "", "")
		done <- err
	}()
	require.NoError(t, b.fc.BlockUntilContext(ctx, 1))
	b.fc.Advance(20*time.Second - time.Millisecond)
	require.NoError(t, b.fc.BlockUntilContext(ctx, 1), "still waiting just before the server's time")
	require.Equal(t, int32(1), calls.Load(), "retried before the server's time")
	b.fc.Advance(time.Millisecond)
	require.NoError(t, <-done)
	require.Equal(t, int32(2), calls.Load())
	require.Equal(t, int64(1), b.client.Stats().Retries)
}
