// Package sync holds the sync jobs, which write Nhanh's values to Shopify
// (customers' lifetime spend, products' stock per location), forced or only
// what changed, and the retries of the mappings whose last sync failed.
// sync.go draws the batch pipeline they share.
package sync

import (
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/store"
)

// Job type names of the sync family.
const (
	CustomerSync         = "CUSTOMER_SYNC"
	ProductSync          = "PRODUCT_SYNC"
	AutoSyncCustomers    = "AUTO_SYNC_CUSTOMERS"
	AutoSyncProducts     = "AUTO_SYNC_PRODUCTS"
	RetryFailedCustomers = "RETRY_FAILED_CUSTOMERS"
	RetryFailedProducts  = "RETRY_FAILED_PRODUCTS"
)

// Settings keys and defaults of the sync family.
const (
	// SettingCustomerThreshold is the smallest change of lifetime spend (VND)
	// an auto-sync pushes; smaller changes are skipped as unchanged.
	SettingCustomerThreshold = "customer_sync_threshold_vnd"
	// DefaultCustomerThreshold is the reference system's 1,000 VND.
	DefaultCustomerThreshold = 1000
	// SettingBulkWriteThreshold is the smallest number of mappings in a
	// customer sync's scope for which it writes through Shopify bulk
	// mutations (outside the cost bucket) instead of paced metafieldsSet
	// calls.
	SettingBulkWriteThreshold = "shopify_bulk_write_threshold"
	// DefaultBulkWriteThreshold is SettingBulkWriteThreshold's default: at
	// about 71 customers a second paced, 10,000 take over two minutes.
	DefaultBulkWriteThreshold = 10000
	// SettingProductBulkWriteThreshold is the smallest number of mappings
	// in a product sync's scope (PRODUCT_SYNC, AUTO_SYNC_PRODUCTS,
	// RETRY_FAILED_PRODUCTS) for which it writes stock through Shopify bulk
	// mutations of inventorySetQuantities instead of paced calls.
	SettingProductBulkWriteThreshold = "shopify_bulk_inventory_threshold"
	// DefaultProductBulkWriteThreshold is SettingProductBulkWriteThreshold's
	// default. Paced inventory calls are cheap (250 quantities for 10
	// points); above 10,000 mappings the bulk path keeps a large sync's
	// writes out of the cost bucket the pulls and other instances share.
	DefaultProductBulkWriteThreshold = 10000
	// SettingInventoryActivate ("true"/"false", default false): a product
	// sync stocks an item at a mapped location where Shopify does not stock
	// it (inventoryActivate) and writes its quantity there, instead of
	// skipping that location with a reason naming it.
	SettingInventoryActivate = "inventory_activate_at_mapped_locations"
)

// InventoryLane is the write lane of every kind that writes Shopify
// inventory (engine.Kind.Lane): they never run at the same time, across
// processes, so an older read of Nhanh's stock never overwrites a newer
// one. A second writer waits behind the first (engine.LaneParam=wait, the
// default) or is refused with its id (refuse). A webhook-driven targeted
// PRODUCT_SYNC takes the same lane.
const InventoryLane = "inventory"

// syncAttemptTimeout bounds one attempt of a sync; syncs checkpoint after
// every batch.
const syncAttemptTimeout = 2 * time.Minute

// Deps are what the sync bodies work with.
type Deps struct {
	Store   *store.Store
	Nhanh   *nhanh.Client
	Shopify *shopify.Client
	Clock   clockwork.Clock
}

var (
	idsParam = engine.ParamSpec{Name: "ids", Kind: engine.ParamIDs,
		Help: "mapping ids to sync (default: every mapped item)"}
	limitParam = engine.ParamSpec{Name: "limit", Kind: engine.ParamInt, Min: 0,
		Help: "at most this many items (0: all)"}
	acceptDropSpec = engine.ParamSpec{Name: acceptDropParam, Kind: engine.ParamBool,
		Help: "write even if many values drop sharply (the drop brake would stop the run)"}
	reconcileSpec = engine.ParamSpec{Name: "reconcile", Kind: engine.ParamBool,
		Help: "read Shopify's current custom.total_spent first and correct what drifted"}
)

// Kinds returns the sync job types with their bodies over d.
func Kinds(d Deps) []engine.Kind {
	return []engine.Kind{
		{Type: CustomerSync, Label: "Customer sync", SyncNow: true, Items: engine.ItemRef{Kind: engine.MappingCustomers}, AttemptTimeout: syncAttemptTimeout, RetryItems: true, Diff: true,
			Description: "Write each mapped customer's Nhanh lifetime spend to custom.total_spent (forced).",
			Params:      []engine.ParamSpec{idsParam, acceptDropSpec, dryRunSpec},
			Run:         d.customerSync},
		{Type: ProductSync, Label: "Product sync", SyncNow: true, Items: engine.ItemRef{Kind: engine.MappingProducts}, AttemptTimeout: syncAttemptTimeout, RetryItems: true, Diff: true,
			Lane:        InventoryLane,
			Description: "Write each mapped product's live Nhanh available stock to Shopify inventory (forced).",
			Params:      []engine.ParamSpec{idsParam, acceptDropSpec, engine.LaneParamSpec, dryRunSpec},
			Run:         d.productSync},
		{Type: AutoSyncCustomers, Items: engine.ItemRef{Kind: engine.MappingCustomers}, Label: "Auto-sync customers", AttemptTimeout: syncAttemptTimeout, RetryItems: true, Diff: true,
			Description: "Refresh changed Nhanh customers, then push spend that differs from what Shopify has.",
			Params:      []engine.ParamSpec{limitParam, acceptDropSpec, reconcileSpec, dryRunSpec},
			Run:         d.autoSyncCustomers},
		{Type: AutoSyncProducts, Items: engine.ItemRef{Kind: engine.MappingProducts}, Label: "Auto-sync products", AttemptTimeout: syncAttemptTimeout, RetryItems: true, Diff: true,
			Lane:        InventoryLane,
			Description: "Read live Nhanh stock of mapped products, then push quantities that differ from Shopify's.",
			Params:      []engine.ParamSpec{limitParam, acceptDropSpec, engine.LaneParamSpec, dryRunSpec},
			Run:         d.autoSyncProducts},
		{Type: RetryFailedCustomers, Items: engine.ItemRef{Kind: engine.MappingCustomers}, Label: "Retry failed customers", AttemptTimeout: syncAttemptTimeout, RetryItems: true, Diff: true,
			Description: "Sync again the customer mappings whose last sync failed.",
			Params:      []engine.ParamSpec{limitParam, acceptDropSpec, dryRunSpec},
			Run:         d.retryFailedCustomers},
		{Type: RetryFailedProducts, Items: engine.ItemRef{Kind: engine.MappingProducts}, Label: "Retry failed products", AttemptTimeout: syncAttemptTimeout, RetryItems: true, Diff: true,
			Lane:        InventoryLane,
			Description: "Sync again, from live Nhanh stock, the product mappings whose last sync failed.",
			Params:      []engine.ParamSpec{limitParam, acceptDropSpec, engine.LaneParamSpec, dryRunSpec},
			Run:         d.retryFailedProducts},
	}
}
