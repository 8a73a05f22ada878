package shopifyfake_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/shopifyfake"
)

const metafieldsSet = `mutation($m: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $m) { metafields { key value } userErrors { field message code elementIndex } }
}`

func metafield(owner, typ, value string) map[string]any {
	return map[string]any{"ownerId": owner, "namespace": "custom", "key": "total_spent", "type": typ, "value": value}
}

func TestMetafieldsSetIsAtomicAndValidates(t *testing.T) {
	t.Parallel()
	c1, c2 := gid("Customer", 1), gid("Customer", 2)
	many := make([]any, 26)
	for i := range many {
		many[i] = metafield(c1, "number_integer", "1")
	}
	cases := []struct {
		name      string
		inputs    []any
		wantCodes []string
		wantIndex []any
		wantSaved int
	}{
		{"all good", []any{metafield(c1, "number_integer", "1500"), metafield(c2, "number_integer", "-3")}, nil, nil, 2},
		{"a decimal into number_integer", []any{metafield(c1, "number_integer", "1"), metafield(c2, "number_integer", "1500.5")}, []string{"INVALID_VALUE"}, []any{1.0}, 0},
		{"unknown owner", []any{metafield("gid://shopify/Customer/99", "number_integer", "1")}, []string{"INVALID_VALUE"}, []any{0.0}, 0},
		{"unknown type", []any{metafield(c1, "number_integr", "1")}, []string{"INVALID_TYPE"}, []any{0.0}, 0},
		{"two bad", []any{metafield(c1, "number_integer", "x"), metafield(c2, "boolean", "yes")}, []string{"INVALID_VALUE", "INVALID_VALUE"}, []any{0.0, 1.0}, 0},
		{"more than 25", many, []string{"LESS_THAN_OR_EQUAL_TO"}, []any{nil}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, shopifyfake.Options{})
			r := b.post(t, "2026-10", metafieldsSet, map[string]any{"m": tc.inputs})
			require.Empty(t, r.Errors)
			ues, _ := dig(r.Data, "metafieldsSet", "userErrors").([]any)
			var codes []string
			var indexes []any
			for _, ue := range ues {
				codes = append(codes, dig(ue, "code").(string))
				indexes = append(indexes, dig(ue, "elementIndex"))
			}
			require.Equal(t, tc.wantCodes, codes)
			require.Equal(t, tc.wantIndex, indexes)
			require.Len(t, b.fake.Record().MetafieldWrites, tc.wantSaved)
			_, stored := b.fake.Metafield(extid.ShopifyCustomerGID(c1), "custom.total_spent")
			require.Equal(t, tc.wantSaved > 0, stored)
		})
	}
}

const inventorySet = `mutation($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id changes { delta quantityAfterChange } }
    userErrors { field message code }
  }
}`

const inventorySetWithoutKey = `mutation($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { inventoryAdjustmentGroup { id } userErrors { field code } }
}`

func quantity(item, loc int, qty int64, from any) map[string]any {
	return map[string]any{"inventoryItemId": gid("InventoryItem", item), "locationId": gid("Location", loc), "quantity": qty, "changeFromQuantity": from}
}

func inventoryInput(qs ...map[string]any) map[string]any {
	list := make([]any, len(qs))
	for i, q := range qs {
		list[i] = q
	}
	return map[string]any{"name": "available", "reason": "correction", "quantities": list}
}

func TestInventorySetQuantities(t *testing.T) {
	t.Parallel()
	noCheck := quantity(1, 1, 9, nil)
	withoutFrom := quantity(1, 1, 9, nil)
	delete(withoutFrom, "changeFromQuantity")
	cases := []struct {
		name      string
		version   string
		doc       string
		input     map[string]any
		wantError string // top-level error code
		wantCodes []string
		wantField []any
		wantAvail int64
	}{
		{"applies with a matching changeFromQuantity", "2026-10", inventorySet, inventoryInput(quantity(1, 1, 12, 5)), "", nil, nil, 12},
		{"null skips the check", "2026-10", inventorySet, inventoryInput(noCheck), "", nil, nil, 9},
		{"stale changeFromQuantity", "2026-10", inventorySet, inventoryInput(quantity(2, 1, 1, 5), quantity(1, 1, 12, 4)), "", []string{"CHANGE_FROM_QUANTITY_STALE"}, []any{"input", "quantities", "1", "changeFromQuantity"}, 5},
		{"unknown item", "2026-10", inventorySet, inventoryInput(quantity(77, 1, 1, nil)), "", []string{"INVALID_INVENTORY_ITEM"}, []any{"input", "quantities", "0", "inventoryItemId"}, 5},
		{"unknown location", "2026-10", inventorySet, inventoryInput(quantity(1, 9, 1, nil)), "", []string{"INVALID_LOCATION"}, []any{"input", "quantities", "0", "locationId"}, 5},
		{"changeFromQuantity left out from 2026-04", "2026-10", inventorySet, inventoryInput(withoutFrom), "", []string{"CHANGE_FROM_QUANTITY_REQUIRED"}, []any{"input", "quantities", "0", "changeFromQuantity"}, 5},
		{"@idempotent left out from 2026-04", "2026-10", inventorySetWithoutKey, inventoryInput(noCheck), "BAD_REQUEST", nil, nil, 5},
		{"neither needed before 2026-04", "2026-01", inventorySetWithoutKey, inventoryInput(withoutFrom), "", nil, nil, 9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, shopifyfake.Options{})
			r := b.post(t, tc.version, tc.doc, map[string]any{"input": tc.input, "key": "key-" + tc.name})
			if tc.wantError != "" {
				require.Equal(t, []string{tc.wantError}, r.errorCodes())
			} else {
				require.Empty(t, r.Errors)
				ues, _ := dig(r.Data, "inventorySetQuantities", "userErrors").([]any)
				var codes []string
				for _, ue := range ues {
					codes = append(codes, dig(ue, "code").(string))
				}
				require.Equal(t, tc.wantCodes, codes)
				if tc.wantField != nil {
					require.Equal(t, tc.wantField, dig(ues[0], "field"))
				}
			}
			got, _ := b.fake.Available(extid.ShopifyInventoryItemGID(gid("InventoryItem", 1)), extid.ShopifyLocationGID(gid("Location", 1)))
			require.Equal(t, tc.wantAvail, got)
		})
	}
}

func TestInventoryIdempotencyKeys(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Options{})
	input := inventoryInput(quantity(1, 1, 12, 5))
	first := b.post(t, "2026-10", inventorySet, map[string]any{"input": input, "key": "k1"})
	again := b.post(t, "2026-10", inventorySet, map[string]any{"input": input, "key": "k1"})
	require.Equal(t, first.Data, again.Data, "the same result, replayed")
	require.Equal(t, 12.0, dig(first.Data, "inventorySetQuantities", "inventoryAdjustmentGroup", "changes", 0, "quantityAfterChange"))
	require.Equal(t, 7.0, dig(first.Data, "inventorySetQuantities", "inventoryAdjustmentGroup", "changes", 0, "delta"))

	other := b.post(t, "2026-10", inventorySet, map[string]any{"input": inventoryInput(quantity(1, 1, 13, 12)), "key": "k1"})
	require.Equal(t, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", dig(other.Data, "inventorySetQuantities", "userErrors", 0, "code"))

	rec := b.fake.Record()
	require.Len(t, rec.InventoryWrites, 1)
	require.Equal(t, shopifyfake.InventoryWrite{
		InventoryItemID: extid.ShopifyInventoryItemGID(gid("InventoryItem", 1)), LocationID: extid.ShopifyLocationGID(gid("Location", 1)),
		Previous: 5, Quantity: 12, IdempotencyKey: "k1",
	}, rec.InventoryWrites[0])
	require.Equal(t, []string{"k1", "k1", "k1"}, rec.IdempotencyKeys)
	require.Equal(t, 1, rec.IdempotentReplays)
}

func TestBulkOperationLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Options{BulkDelay: 10 * time.Second})
	inner := `{ customers(query: "updated_at:>'` + start.Add(4*time.Hour).Format(time.RFC3339) + `'") { edges { node { id numberOfOrders } } } }`
	r := b.post(t, "2026-10", `mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { message } } }`, map[string]any{"q": inner})
	require.Empty(t, r.Errors)
	require.Empty(t, dig(r.Data, "bulkOperationRunQuery", "userErrors"))
	require.Equal(t, "CREATED", dig(r.Data, "bulkOperationRunQuery", "bulkOperation", "status"))
	id := dig(r.Data, "bulkOperationRunQuery", "bulkOperation", "id")
	require.Equal(t, 10.0, r.Extensions.Cost.RequestedQueryCost)

	poll := `query($id: ID!) { node(id: $id) { ... on BulkOperation { id status objectCount url } } }`
	r = b.post(t, "2026-10", poll, map[string]any{"id": id})
	require.Equal(t, "RUNNING", dig(r.Data, "node", "status"))
	require.Nil(t, dig(r.Data, "node", "url"))

	b.clock.Advance(10 * time.Second)
	r = b.post(t, "2026-10", poll, map[string]any{"id": id})
	require.Equal(t, "COMPLETED", dig(r.Data, "node", "status"))
	require.Equal(t, "6", dig(r.Data, "node", "objectCount"))
	url := dig(r.Data, "node", "url").(string)
	require.True(t, strings.HasPrefix(url, b.srv.URL+"/bulk/"), url)

	cur := b.post(t, "2026-10", `{ currentBulkOperation { id status } }`, nil)
	require.Equal(t, id, dig(cur.Data, "currentBulkOperation", "id"))

	resp, err := b.srv.Client().Get(url) // a signed link: no token needed
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	require.Len(t, lines, 6)
	require.Equal(t, fmt.Sprintf(`{"id":%q,"numberOfOrders":"5"}`, gid("Customer", 5)), lines[0])
}

func TestBulkRunRefusesBadQueries(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Options{})
	for _, inner := range []string{
		`{ customers { edges { node { idd } } } }`,
		`{ shop { name } }`,
		`{ customers { pageInfo { hasNextPage } } }`,
		`{ customers(`,
	} {
		r := b.post(t, "2026-10", `mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } userErrors { field message } } }`, map[string]any{"q": inner})
		require.Empty(t, r.Errors, inner)
		require.Nil(t, dig(r.Data, "bulkOperationRunQuery", "bulkOperation"), inner)
		require.NotEmpty(t, dig(r.Data, "bulkOperationRunQuery", "userErrors", 0, "message"), inner)
	}
}
