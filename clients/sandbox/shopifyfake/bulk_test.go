package shopifyfake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/shopifyfake"
)

// stageVariables uploads lines as a bulk mutation's variables the way
// Shopify's storage takes them (stagedUploadsCreate, then a multipart POST
// of the target's parameters and the file) and returns the path
// bulkOperationRunMutation takes.
func (b bundle) stageVariables(t *testing.T, lines []map[string]any) string {
	t.Helper()
	r := b.post(t, "2026-10", `mutation($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) {
		stagedTargets { url parameters { name value } } userErrors { message } } }`,
		map[string]any{"input": []any{map[string]any{"resource": "BULK_MUTATION_VARIABLES", "filename": "bulk.jsonl",
			"mimeType": "text/jsonl", "httpMethod": "POST"}}})
	require.Empty(t, r.Errors)
	target := dig(r.Data, "stagedUploadsCreate", "stagedTargets", 0)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	key := ""
	for _, p := range dig(target, "parameters").([]any) {
		name, value := dig(p, "name").(string), dig(p, "value").(string)
		if name == "key" {
			key = value
		}
		require.NoError(t, mw.WriteField(name, value))
	}
	fw, err := mw.CreateFormFile("file", "bulk.jsonl")
	require.NoError(t, err)
	enc := json.NewEncoder(fw)
	for _, l := range lines {
		require.NoError(t, enc.Encode(l))
	}
	require.NoError(t, mw.Close())
	resp, err := b.srv.Client().Post(dig(target, "url").(string), mw.FormDataContentType(), &form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	return key
}

// TestBulkInventoryMutationRunsEachLine: a bulk mutation of
// inventorySetQuantities runs once Shopify gets to it (nothing is written
// while it runs), each line as its own request with its own idempotency
// key and compare-and-set: a matching changeFromQuantity applies, a stale
// one fails that line alone, a key already used with the same input
// replays its result (applied once), a key reused with another input is
// refused, and an unknown location fails its line; each line's result
// carries its __lineNumber.
func TestBulkInventoryMutationRunsEachLine(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Options{BulkDelay: 10 * time.Second})
	line := func(key string, q map[string]any) map[string]any {
		return map[string]any{"input": inventoryInput(q), "key": key}
	}
	// A paced write of item 3 with key k3, before the bulk operation.
	paced := b.post(t, "2026-10", inventorySet, line("k3", quantity(3, 1, 9, 5)))
	require.Empty(t, dig(paced.Data, "inventorySetQuantities", "userErrors"))

	lines := []map[string]any{
		line("k1", quantity(1, 1, 12, 5)), // applies
		line("k2", quantity(2, 1, 8, 4)),  // stale: item 2 holds 5
		line("k3", quantity(3, 1, 9, 5)),  // the paced write again: replayed
		line("k1", quantity(4, 1, 3, 5)),  // k1 with another input
		line("k5", quantity(5, 9, 1, 5)),  // no location 9
	}
	path := b.stageVariables(t, lines)
	r := b.post(t, "2026-10", `mutation($m: String!, $p: String!) { bulkOperationRunMutation(mutation: $m, stagedUploadPath: $p) {
		bulkOperation { id status } userErrors { message } } }`, map[string]any{"m": inventorySet, "p": path})
	require.Empty(t, r.Errors)
	require.Empty(t, dig(r.Data, "bulkOperationRunMutation", "userErrors"))
	id := dig(r.Data, "bulkOperationRunMutation", "bulkOperation", "id")

	poll := `query($id: ID!) { node(id: $id) { ... on BulkOperation { status objectCount url } } }`
	available := func(item int) int64 {
		n, ok := b.fake.Available(extid.ShopifyInventoryItemGID(gid("InventoryItem", item)), extid.ShopifyLocationGID(gid("Location", 1)))
		require.True(t, ok)
		return n
	}
	b.clock.Advance(9 * time.Second)
	r = b.post(t, "2026-10", poll, map[string]any{"id": id})
	require.Equal(t, "RUNNING", dig(r.Data, "node", "status"), "longer than BulkDelay")
	require.EqualValues(t, 5, available(1), "nothing written while it runs")

	b.clock.Advance(time.Second)
	r = b.post(t, "2026-10", poll, map[string]any{"id": id})
	require.Equal(t, "COMPLETED", dig(r.Data, "node", "status"))
	require.Equal(t, "5", dig(r.Data, "node", "objectCount"))
	resp, err := b.srv.Client().Get(dig(r.Data, "node", "url").(string))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	results := strings.Split(strings.TrimSpace(string(body)), "\n")
	require.Len(t, results, len(lines))
	var codes []any
	for i, text := range results {
		var res map[string]any
		require.NoError(t, json.Unmarshal([]byte(text), &res))
		require.EqualValues(t, i, res["__lineNumber"])
		codes = append(codes, dig(res, "data", "inventorySetQuantities", "userErrors", 0, "code"))
	}
	require.Equal(t, []any{nil, "CHANGE_FROM_QUANTITY_STALE", nil, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "INVALID_LOCATION"}, codes)
	require.EqualValues(t, []int64{12, 5, 9, 5}, []int64{available(1), available(2), available(3), available(4)})

	rec := b.fake.Record()
	require.Len(t, rec.InventoryWrites, 2, "the paced write and line 0")
	require.Equal(t, 1, rec.IdempotentReplays, "line 2 replayed the paced write")
	require.Equal(t, []string{"k3", "k1", "k2", "k3", "k1", "k5"}, rec.IdempotencyKeys)
	require.Equal(t, 1, rec.BulkMutations)
	require.Equal(t, 1, rec.Operations["inventorySetQuantities"], "the lines are not requests")
}
