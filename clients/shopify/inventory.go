package shopify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"syncops/clients/apierr"
	"syncops/clients/extid"
)

// MaxInventoryQuantitiesPerCall is how many quantities one
// inventorySetQuantities call carries. Shopify documents no limit of its own
// for this mutation; 250 is the global cap on any input array.
const MaxInventoryQuantitiesPerCall = 250

// DefaultInventoryReason is the reason recorded in the shop's inventory
// history when the caller gives none.
const DefaultInventoryReason = "correction"

// CodeChangeFromQuantityStale is the userError code of a quantity whose
// changeFromQuantity is not what Shopify holds: the quantity moved since
// the caller read it, and nothing was written.
const CodeChangeFromQuantityStale = "CHANGE_FROM_QUANTITY_STALE"

// codeIdempotencyConcurrent is the userError code Shopify returns while an
// earlier request with the same idempotency key is still running.
const codeIdempotencyConcurrent = "IDEMPOTENCY_CONCURRENT_REQUEST"

// InventoryQuantity sets the "available" quantity of one inventory item at
// one location.
type InventoryQuantity struct {
	InventoryItemID extid.ShopifyInventoryItemGID
	LocationID      extid.ShopifyLocationGID
	Quantity        int64
	// ChangeFromQuantity is the quantity the caller believes is there now;
	// Shopify refuses the change when it is not. Nil skips the check (sent
	// as an explicit null, which API 2026-04 requires).
	ChangeFromQuantity *int64
}

// InventoryOptions describes a SetInventory batch.
type InventoryOptions struct {
	// Reason is Shopify's inventory change reason; DefaultInventoryReason
	// when empty.
	Reason string
	// ReferenceDocumentURI shows in the shop's inventory history, e.g.
	// gid://syncops/Job/42.
	ReferenceDocumentURI string
	// KeyPrefix scopes the idempotency keys, e.g. the job id. A key is
	// derived from the prefix and the exact content of a call, so a retry
	// or a resumed job that sends the same call again reuses its key and
	// Shopify applies it at most once.
	KeyPrefix string
}

type inventoryQuantityVar struct {
	InventoryItemID    string `json:"inventoryItemId"`
	LocationID         string `json:"locationId"`
	Quantity           int64  `json:"quantity"`
	ChangeFromQuantity *int64 `json:"changeFromQuantity"` // null is meaningful: no check
}

type inventorySetInput struct {
	Name                 string                 `json:"name"`
	Reason               string                 `json:"reason"`
	ReferenceDocumentURI string                 `json:"referenceDocumentUri,omitempty"`
	Quantities           []inventoryQuantityVar `json:"quantities"`
}

// SetInventory sets "available" quantities with inventorySetQuantities,
// MaxInventoryQuantitiesPerCall per call, each call carrying an
// @idempotent key derived from opts.KeyPrefix and the call's content. The
// result has one entry per quantity; quantities Shopify names in userErrors
// (unknown item or location, a stale changeFromQuantity, ...) are marked
// failed and the rest are sent again. Errors follow SetMetafields.
func (c *Client) SetInventory(ctx context.Context, quantities []InventoryQuantity, opts InventoryOptions) ([]ItemResult, error) {
	reason := opts.Reason
	if reason == "" {
		reason = DefaultInventoryReason
	}
	send := func(ctx context.Context, items []int) ([]userError, error) {
		input := inventorySetInput{Name: "available", Reason: reason, ReferenceDocumentURI: opts.ReferenceDocumentURI}
		for _, i := range items {
			q := quantities[i]
			input.Quantities = append(input.Quantities, inventoryQuantityVar{
				InventoryItemID: string(q.InventoryItemID), LocationID: string(q.LocationID),
				Quantity: q.Quantity, ChangeFromQuantity: q.ChangeFromQuantity,
			})
		}
		key, err := idempotencyKey(opts.KeyPrefix, input)
		if err != nil {
			return nil, c.newError(opInventorySet.name, apierr.ClassValidation, 0, "", "derive idempotency key", err)
		}
		vars := map[string]any{"input": input, "key": key}
		for attempt := 1; ; attempt++ {
			var data struct {
				InventorySetQuantities *struct {
					UserErrors []userError `json:"userErrors"`
				} `json:"inventorySetQuantities"`
			}
			if err := c.do(ctx, opInventorySet, vars, &data); err != nil {
				return nil, err
			}
			if data.InventorySetQuantities == nil {
				return nil, c.newError(opInventorySet.name, apierr.ClassUnknown, http.StatusOK, "", "", errUserErrorsWithoutPayload)
			}
			ues := data.InventorySetQuantities.UserErrors
			if !hasCode(ues, codeIdempotencyConcurrent) || c.retry.Exhausted(attempt) {
				return ues, nil
			}
			// Our earlier attempt with this key is still running on
			// Shopify's side: wait and ask again with the same key.
			c.stats.retries.Add(1)
			if err := c.retry.Wait(ctx, c.retry.Backoff(attempt)); err != nil {
				return nil, c.newError(opInventorySet.name, apierr.ClassCanceled, 0, "", "", err)
			}
		}
	}
	locate := func(ue userError, n int) (int, bool) {
		if ue.ElementIndex != nil {
			return *ue.ElementIndex, *ue.ElementIndex >= 0 && *ue.ElementIndex < n
		}
		return indexFromField(ue.Field, "quantities", n)
	}
	newErr := func(ue userError) error {
		return c.newError(opInventorySet.name, apierr.ClassValidation, http.StatusOK, ue.Code, userErrorMessage(ue), nil)
	}
	return writeAtomicBatches(ctx, len(quantities), MaxInventoryQuantitiesPerCall, send, locate, newErr)
}

// idempotencyKey derives a UUID-shaped key from prefix and the call's
// content: the same call always gets the same key, a different one never.
func idempotencyKey(prefix string, input inventorySetInput) (string, error) {
	body, err := json.Marshal(input)
	if err != nil {
		return "", fmt.Errorf("encode inventory input: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(prefix))
	h.Write([]byte{0})
	h.Write(body)
	sum := h.Sum(nil)[:16]
	sum[6] = sum[6]&0x0f | 0x80 // UUID version 8: custom, here a hash
	sum[8] = sum[8]&0x3f | 0x80 // RFC 9562 variant
	x := hex.EncodeToString(sum)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32], nil
}

func hasCode(ues []userError, code string) bool {
	for _, ue := range ues {
		if ue.Code == code {
			return true
		}
	}
	return false
}
