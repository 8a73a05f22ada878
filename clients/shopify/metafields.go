package shopify

import (
	"context"
	"net/http"

	"syncops/clients/apierr"
	"syncops/clients/extid"
)

// MaxMetafieldsPerCall is metafieldsSet's documented limit.
const MaxMetafieldsPerCall = 25

// MetafieldInput is one metafield to set. Value is always a string, in the
// format Type demands (number_integer: an integer, no decimals).
type MetafieldInput struct {
	OwnerID   string // the owner's GID, e.g. a customer's
	Namespace string
	Key       string
	Type      string
	Value     string
}

// metafieldOwnerWeights are metafieldsSet's per-owner costs by owner type
// since 2026-09-15: each distinct owner of one invocation adds its type's
// weight to the base mutation cost; other types add nothing.
var metafieldOwnerWeights = map[string]float64{"Order": 10, "Product": 4, "Customer": 1, "Collection": 1, "Shop": 1}

// MetafieldsSetCost is the requested cost of one metafieldsSet call for
// metafields of owners (GIDs): 10 plus the weight of each distinct owner's
// type, so 25 customers cost 35 points. It plans the governor's reservation
// and the spend sync's pace.
func MetafieldsSetCost(owners []string) float64 {
	cost := float64(mutationCost)
	seen := make(map[string]bool, len(owners))
	for _, o := range owners {
		if seen[o] {
			continue
		}
		seen[o] = true
		if resource, _, err := extid.ParseGID(o); err == nil {
			cost += metafieldOwnerWeights[resource]
		}
	}
	return cost
}

type metafieldsSetVar struct {
	OwnerID   string `json:"ownerId"`
	Namespace string `json:"namespace"`
	Key       string `json:"key"`
	Type      string `json:"type"`
	Value     string `json:"value"`
}

// SetMetafields writes inputs with metafieldsSet, MaxMetafieldsPerCall per
// call. The result has one entry per input (Err nil when written). A call is
// atomic on Shopify's side, so inputs Shopify names in userErrors are marked
// failed (class validation, with Shopify's message and code) and the others
// are sent again without them.
//
// The error is non-nil when a whole call failed: auth failures and
// cancellation stop at once (every unwritten input carries the error);
// other call failures are recorded on that call's inputs, later calls still
// run, and the first such failure is returned.
func (c *Client) SetMetafields(ctx context.Context, inputs []MetafieldInput) ([]ItemResult, error) {
	send := func(ctx context.Context, items []int) ([]userError, error) {
		vars := make([]metafieldsSetVar, len(items))
		for k, i := range items {
			vars[k] = metafieldsSetVar(inputs[i])
		}
		var data struct {
			MetafieldsSet *struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"metafieldsSet"`
		}
		owners := make([]string, len(vars))
		for k, v := range vars {
			owners[k] = v.OwnerID
		}
		op := opMetafieldsSet.withCost(MetafieldsSetCost(owners))
		if err := c.do(ctx, op, map[string]any{"metafields": vars}, &data); err != nil {
			return nil, err
		}
		if data.MetafieldsSet == nil {
			return nil, c.newError(opMetafieldsSet.name, apierr.ClassUnknown, http.StatusOK, "", "", errUserErrorsWithoutPayload)
		}
		return data.MetafieldsSet.UserErrors, nil
	}
	locate := func(ue userError, n int) (int, bool) {
		if ue.ElementIndex != nil {
			return *ue.ElementIndex, *ue.ElementIndex >= 0 && *ue.ElementIndex < n
		}
		return indexFromField(ue.Field, "metafields", n)
	}
	newErr := func(ue userError) error {
		return c.newError(opMetafieldsSet.name, apierr.ClassValidation, http.StatusOK, ue.Code, userErrorMessage(ue), nil)
	}
	return writeAtomicBatches(ctx, len(inputs), MaxMetafieldsPerCall, send, locate, newErr)
}
