// Package match holds the automatic matching jobs, which pair unmapped
// Nhanh customers and products with Shopify ones from the local mirrors
// and create the one-to-one mappings; match.go tells what becomes of every
// record. Matching reads only the mirrors, never the APIs.
package match

import (
	"context"

	"github.com/jonboulle/clockwork"

	"syncops/engine"
	"syncops/store"
)

// Job type names of the match family.
const (
	AutoMatchCustomers = "AUTO_MATCH_CUSTOMERS"
	AutoMatchProducts  = "AUTO_MATCH_PRODUCTS"
)

// Deps are what the match bodies work with.
type Deps struct {
	Store *store.Store
	Clock clockwork.Clock
	// BatchSize is how many Nhanh records are decided per checkpoint; zero
	// means matchBatch.
	BatchSize int
	// Checkpointed, when set, is called after each batch commits with the
	// id of the last Nhanh record decided; tests end an attempt there.
	Checkpointed func(ctx context.Context, done int64)
}

var dryRunParam = engine.ParamSpec{Name: "dryRun", Kind: engine.ParamBool,
	Help: "report what would be matched without creating mappings"}

// Kinds returns the match job types with their bodies over d.
func Kinds(d Deps) []engine.Kind {
	return []engine.Kind{
		{Type: AutoMatchCustomers, Items: engine.ItemRef{Kind: engine.MappingCustomers, ByNhanhID: true}, Label: "Auto-match customers",
			Description: "Map unmapped Nhanh customers to Shopify customers by phone, then unique email.",
			Params:      []engine.ParamSpec{dryRunParam},
			Run:         d.autoMatchCustomers},
		{Type: AutoMatchProducts, Items: engine.ItemRef{Kind: engine.MappingProducts, ByNhanhID: true}, Label: "Auto-match products",
			Description: "Map unmapped Nhanh products to Shopify variants by SKU, then barcode; parent and combo products, and variants of draft or archived products, are left out.",
			Params:      []engine.ParamSpec{dryRunParam, includeArchivedParam},
			Run:         d.autoMatchProducts},
	}
}
