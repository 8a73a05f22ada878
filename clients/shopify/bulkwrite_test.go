package shopify_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/clients/shopify"
)

// TestSetMetafieldsInBulk writes metafields through a staged upload and a
// bulk mutation: every valid input is written, an invalid one fails alone
// with Shopify's message, and the bucket pays only for the few requests
// around the operation, not per metafield.
func TestSetMetafieldsInBulk(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 300, autoAdvance: true})
	var inputs []shopify.MetafieldInput
	for i, c := range b.ds.ShopifyCustomers {
		value := fmt.Sprint(i * 1000)
		if i == 7 {
			value = "not a number"
		}
		inputs = append(inputs, shopify.MetafieldInput{OwnerID: string(c.ID), Namespace: shopify.TotalSpentNamespace,
			Key: shopify.TotalSpentKey, Type: "number_integer", Value: value})
	}
	results, err := b.client.SetMetafieldsInBulk(b.ctx, inputs)
	require.NoError(t, err)
	require.Len(t, results, len(inputs))
	for i, r := range results {
		require.Equal(t, i, r.Index)
		if i == 7 {
			require.Error(t, r.Err)
			require.Equal(t, apierr.ClassValidation, apierr.ClassOf(r.Err))
			continue
		}
		require.NoError(t, r.Err, "input %d", i)
	}
	rec := b.fake.Record()
	require.Len(t, rec.MetafieldWrites, len(inputs)-1)
	require.Equal(t, 1, rec.BulkMutations)
	require.Equal(t, 1, rec.StagedUploads)
	require.Zero(t, rec.Operations["metafieldsSet"], "no metafieldsSet request: the operation ran them")
	require.Less(t, rec.Points, 50.0, "a handful of requests, whatever the number of metafields")
}

// TestSetInventoryInBulk writes quantities through a bulk mutation, each
// line with its compare-and-set: the quantities whose changeFromQuantity
// matches are written, a stale one fails alone with Shopify's code.
func TestSetInventoryInBulk(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{variants: 40, autoAdvance: true})
	loc := b.ds.ShopifyLocations[0].ID
	var qs []shopify.InventoryQuantity
	for i, v := range b.ds.ShopifyVariants {
		from := v.Available[loc]
		if i == 3 {
			from += 99 // stale: Shopify holds another quantity
		}
		qs = append(qs, shopify.InventoryQuantity{InventoryItemID: v.InventoryItemID, LocationID: loc,
			Quantity: int64(100 + i), ChangeFromQuantity: &from})
	}
	id, err := b.client.StartBulkInventory(b.ctx, qs, shopify.InventoryOptions{KeyPrefix: "bulk-test"})
	require.NoError(t, err)
	op, err := b.client.AwaitBulk(b.ctx, id, nil)
	require.NoError(t, err)
	results, err := b.client.BulkInventoryResults(b.ctx, op.URL, len(qs))
	require.NoError(t, err)
	for i, r := range results {
		if i == 3 {
			require.Error(t, r.Err)
			continue
		}
		require.NoError(t, r.Err, "quantity %d", i)
	}
	rec := b.fake.Record()
	require.Len(t, rec.InventoryWrites, len(qs)-1)
	require.Zero(t, rec.Operations["inventorySetQuantities"], "the operation ran them, not requests")
}

// TestBulkStartOutlivesItsCaller: the caller's time runs out while the
// request that starts a bulk mutation is on its way. Shopify starts the
// operation either way, so the request is seen through and its id
// returned; dropping it would leave the operation running unrecorded.
func TestBulkStartOutlivesItsCaller(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := setup(t, setupOptions{customers: 3, autoAdvance: true, wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, []byte("bulkOperationRunMutation")) {
				cancel()
				// A client that gives up closes the request: give it the
				// time to. The reply comes either way.
				select {
				case <-r.Context().Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
			next.ServeHTTP(w, r)
		})
	}})
	c := b.ds.ShopifyCustomers[0]
	id, err := b.client.StartBulkMetafields(ctx, []shopify.MetafieldInput{{OwnerID: string(c.ID),
		Namespace: shopify.TotalSpentNamespace, Key: shopify.TotalSpentKey, Type: "number_integer", Value: "1000"}})
	require.NoError(t, err)
	require.NotEmpty(t, id)
	require.Equal(t, 1, b.fake.Record().BulkMutations)

	_, err = b.client.StartBulkMetafields(ctx, nil)
	require.ErrorIs(t, err, context.Canceled, "a caller already ended starts nothing")
}
