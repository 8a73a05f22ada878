package shopify

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The documents of the inventory-level reads and inventoryActivate. They are
// built per call around the caller's locations; schema_test.go validates
// them with sample locations.

// The customer metafield the spend sync writes and the pulls read back, so
// a sync can compare with Shopify's current value (drift) and write only
// differences.
const (
	TotalSpentNamespace = "custom"
	TotalSpentKey       = "total_spent"
)

// levelFields is the selection of one inventory level: its available
// quantity only.
const levelFields = `{ quantities(names: ["available"]) { name quantity } }`

// levelAlias is the response key of the level at the i-th location.
func levelAlias(i int) string { return fmt.Sprintf("l%d", i) }

// levelSelection asks for the inventory level at each location, aliased
// l0, l1, ...: null where the item is not stocked. Location ids must have
// been checked to be location GIDs; they are quoted as GraphQL strings.
func levelSelection(locations []string) string {
	var b strings.Builder
	for i, loc := range locations {
		quoted, _ := json.Marshal(loc) // a string always marshals
		fmt.Fprintf(&b, "\n        %s: inventoryLevel(locationId: %s) %s", levelAlias(i), quoted, levelFields)
	}
	return b.String()
}

// variantNodeCost is the cost of one node of variantFields reading levels
// at n locations: the node, product and inventoryItem, and per location the
// level and its quantities.
func variantNodeCost(n int) float64 { return 3 + 2*float64(n) }

// variantsOperation is the paged variant query reading levels at the given
// locations' selection (levels, for n locations).
func variantsOperation(levels string, n int) operation {
	return operation{name: "productVariants", document: fmt.Sprintf(variantsDocumentTemplate, levels), nodeCost: variantNodeCost(n)}
}

// inventoryItemsTemplate reads inventory items by id with their levels at
// the caller's locations (%s).
const inventoryItemsTemplate = `query InventoryItems($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      tracked%s
    }
  }
}`

func inventoryItemsOperation(levels string) operation {
	return operation{name: "nodes", document: fmt.Sprintf(inventoryItemsTemplate, levels), cost: 1 + MaxInventoryItemsPerCall}
}

// inventoryActivateDocument stocks an item at a location (with no initial
// quantity: the sync sets it afterwards with inventorySetQuantities).
const inventoryActivateDocument = `mutation InventoryActivate($inventoryItemId: ID!, $locationId: ID!) {
  inventoryActivate(inventoryItemId: $inventoryItemId, locationId: $locationId) {
    inventoryLevel { id quantities(names: ["available"]) { name quantity } }
    userErrors { field message }
  }
}`

var opInventoryActivate = operation{name: "inventoryActivate", document: inventoryActivateDocument, cost: mutationCost}
