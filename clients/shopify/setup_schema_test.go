package shopify

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"
)

// TestSetupDocumentsValidate validates the setup documents and the
// variables the client sends with them against the Admin schema + overlay.
func TestSetupDocumentsValidate(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	vars := map[string]map[string]any{
		opMetafieldDefinition.name: {"ownerType": "CUSTOMER", "namespace": "custom", "key": "total_spent"},
		opMetafieldDefinitionCreate.name: {"definition": metafieldDefinitionInput{Name: "Total spent", Namespace: "custom",
			Key: "total_spent", OwnerType: "CUSTOMER", Type: "number_integer"}},
		opAllLocations.name: {"first": PageSize, "after": "abc"},
	}
	for _, op := range setupDocuments {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			doc, errs := gqlparser.LoadQueryWithRules(s, op.document, nil)
			require.Empty(t, errs)
			_, err := validator.VariableValues(s, doc.Operations[0], mustJSON(t, vars[op.name]))
			require.NoError(t, err)
		})
	}
}

func TestSetupValidationCatchesMistakes(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	doc, errs := gqlparser.LoadQueryWithRules(s, opMetafieldDefinitionCreate.document, nil)
	require.Empty(t, errs)
	bad := map[string]any{"definition": map[string]any{"name": "x", "namespace": "custom", "key": "k", "ownerType": "CUSTOMERS", "type": "number_integer"}}
	_, err := validator.VariableValues(s, doc.Operations[0], mustJSON(t, bad))
	require.Error(t, err, "an unknown owner type must be refused")
}
