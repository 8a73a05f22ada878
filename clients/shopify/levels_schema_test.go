package shopify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"
)

// TestLevelDocumentsValidateAgainstSchema validates the documents built
// around the caller's locations, with none, one and several locations.
func TestLevelDocumentsValidateAgainstSchema(t *testing.T) {
	t.Parallel()
	locationSets := map[string][]string{
		"no locations":  nil,
		"one location":  {"gid://shopify/Location/1"},
		"three, quoted": {"gid://shopify/Location/1", "gid://shopify/Location/22", "gid://shopify/Location/333"},
	}
	for name, locs := range locationSets {
		levels := levelSelection(locs)
		docs := map[string]string{
			"variants page":   variantsOperation(levels, len(locs)).document,
			"bulk variants":   fmt.Sprintf(bulkVariantsTemplate, queryArgument("product_status:active"), levels),
			"inventory items": inventoryItemsOperation(levels).document,
		}
		for doc, text := range docs {
			t.Run(name+"/"+doc, func(t *testing.T) {
				t.Parallel()
				require.NoError(t, validate(t, text))
				require.Equal(t, len(locs), strings.Count(text, "inventoryLevel(locationId:"))
			})
		}
	}
	t.Run("customer pull reads the total_spent metafield", func(t *testing.T) {
		t.Parallel()
		require.Contains(t, customersDocument, `totalSpent: metafield(namespace: "custom", key: "total_spent")`)
		require.NoError(t, validate(t, fmt.Sprintf(bulkCustomersTemplate, "")))
	})
	t.Run("a misspelt level field is caught", func(t *testing.T) {
		t.Parallel()
		bad := strings.Replace(inventoryItemsOperation(levelSelection([]string{"gid://shopify/Location/1"})).document, "quantities(", "quantitys(", 1)
		require.ErrorContains(t, validate(t, bad), "quantitys")
	})
}

func TestLevelVariablesMatchSchema(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	cases := []struct {
		op   operation
		vars map[string]any
	}{
		{inventoryItemsOperation(levelSelection([]string{"gid://shopify/Location/1"})), map[string]any{"ids": []string{"gid://shopify/InventoryItem/1"}}},
		{opInventoryActivate, map[string]any{"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": "gid://shopify/Location/1"}},
		{variantsOperation(levelSelection([]string{"gid://shopify/Location/1"}), 1), pageVars("", "", 50)},
	}
	for _, tc := range cases {
		doc, errs := gqlparser.LoadQueryWithRules(s, tc.op.document, nil)
		require.Empty(t, errs, tc.op.name)
		_, err := validator.VariableValues(s, doc.Operations[0], mustJSON(t, tc.vars))
		require.NoError(t, err, tc.op.name)
	}
}
