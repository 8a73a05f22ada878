package shopify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// schemaFile is the published Admin API SDL, copied into testdata so the
// tests need nothing outside the repository (testdata/README.md says where
// it comes from and how to refresh it).
var schemaFile = filepath.Join("testdata", "admin-2025-01.graphql")

var (
	schemaOnce sync.Once
	schema     *ast.Schema
	schemaErr  error
)

// loadSchema loads the Admin schema plus our overlay once per test binary:
// the 2.5 MB SDL takes a noticeable moment to parse.
func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		base, err := os.ReadFile(schemaFile)
		if err != nil {
			schemaErr = err
			return
		}
		overlay, err := os.ReadFile(filepath.Join("testdata", "overlay-2026.graphql"))
		if err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = gqlparser.LoadSchema(
			&ast.Source{Name: "admin-2025-01.graphql", Input: string(base)},
			&ast.Source{Name: "overlay-2026.graphql", Input: string(overlay)},
		)
	})
	require.NoError(t, schemaErr, "load Admin schema + overlay")
	return schema
}

// validate parses and validates doc against the schema.
func validate(t *testing.T, doc string) error {
	t.Helper()
	_, errs := gqlparser.LoadQueryWithRules(loadSchema(t), doc, nil)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func TestDocumentsValidateAgainstSchema(t *testing.T) {
	t.Parallel()
	cases := map[string]string{}
	for _, op := range documents {
		cases[op.name] = op.document
	}
	cases["bulk customers"] = fmt.Sprintf(bulkCustomersTemplate, queryArgument(`updated_at:>'2026-01-01T00:00:00Z'`))
	cases["bulk customers, all"] = fmt.Sprintf(bulkCustomersTemplate, queryArgument(""))
	cases["bulk variants"] = fmt.Sprintf(bulkVariantsTemplate, queryArgument(`product_status:active "quoted \" text"`), "")
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.NoError(t, validate(t, doc))
		})
	}
}

func TestSchemaValidationCatchesMistakes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, doc, want string
	}{
		{
			name: "unknown field",
			doc:  strings.Replace(customersDocument, "numberOfOrders", "numberOfOrdrs", 1),
			want: "numberOfOrdrs",
		},
		{
			name: "misspelled field inside a type the overlay adds",
			doc:  `query { customers(first: 1) { nodes { defaultPhoneNumber { phoneNumberr } } } }`,
			want: "phoneNumberr",
		},
		{
			name: "wrong argument type",
			doc:  strings.Replace(customersDocument, "$first: Int!", "$first: String!", 1),
			want: "first",
		},
		{
			name: "undeclared directive",
			doc:  strings.Replace(inventorySetDocument, "@idempotent(key: $key)", "@idempotentt(key: $key)", 1),
			want: "idempotentt",
		},
		{
			name: "unknown input field",
			doc:  `mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: [{inventoryItemId: "x", locationId: "y", quantity: 1, changeFromQuantityy: 0}]}) { userErrors { message } } }`,
			want: "changeFromQuantityy",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := validate(t, tc.doc)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestOverlayIsNeeded proves the overlay adds what the 2025-01 schema
// lacks: without it, our customer and inventory documents do not validate.
func TestOverlayIsNeeded(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile(schemaFile)
	require.NoError(t, err)
	bare, err := gqlparser.LoadSchema(
		&ast.Source{Name: "admin-2025-01.graphql", Input: string(base)},
		&ast.Source{Name: "roots", Input: "schema { query: QueryRoot mutation: Mutation }"},
	)
	require.NoError(t, err)
	for _, op := range []operation{opCustomers, opInventorySet} {
		_, errs := gqlparser.LoadQueryWithRules(bare, op.document, nil)
		require.NotEmpty(t, errs, "%s should need the overlay", op.name)
	}
}

// TestVariablesMatchSchema checks the variables the client builds against
// the documents' variable types, e.g. that changeFromQuantity null is
// accepted and the input objects have no unknown fields.
func TestVariablesMatchSchema(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	from := int64(3)
	input := inventorySetInput{Name: "available", Reason: "correction", Quantities: []inventoryQuantityVar{
		{InventoryItemID: "gid://shopify/InventoryItem/1", LocationID: "gid://shopify/Location/1", Quantity: 5, ChangeFromQuantity: &from},
		{InventoryItemID: "gid://shopify/InventoryItem/2", LocationID: "gid://shopify/Location/1", Quantity: 0},
	}}
	cases := []struct {
		op   operation
		vars map[string]any
	}{
		{opCustomers, pageVars("updated_at:>'2026-01-01T00:00:00Z'", "abc", PageSize)},
		{opVariants, pageVars("", "", 125)},
		{opMetafieldsSet, map[string]any{"metafields": []metafieldsSetVar{{OwnerID: "gid://shopify/Customer/1", Namespace: "custom", Key: "total_spent", Type: "number_integer", Value: "12"}}}},
		{opInventorySet, map[string]any{"input": input, "key": "k"}},
		{opBulkRun, map[string]any{"query": "{ customers { edges { node { id } } } }"}},
		{opBulkPoll, map[string]any{"id": "gid://shopify/BulkOperation/1"}},
	}
	for _, tc := range cases {
		doc, errs := gqlparser.LoadQueryWithRules(s, tc.op.document, nil)
		require.Empty(t, errs)
		// Round-trip through JSON, as the variables travel.
		raw := mustJSON(t, tc.vars)
		_, err := validator.VariableValues(s, doc.Operations[0], raw)
		require.NoError(t, err, tc.op.name)
	}
}
