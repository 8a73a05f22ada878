// Package jobs holds the bodies of syncops' thirteen job types: pulls into
// the local mirror, matching, and syncs of Nhanh's values to Shopify. Each
// body is a plain function over the store and the two API clients; all pacing
// lives in the clients' governors, never in sleeps here.
package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/store"
)

// Job type names.
const (
	PullNhanhCustomers       = "PULL_NHANH_CUSTOMERS"
	PullNhanhProducts        = "PULL_NHANH_PRODUCTS"
	PullShopifyCustomers     = "PULL_SHOPIFY_CUSTOMERS"
	PullShopifyProducts      = "PULL_SHOPIFY_PRODUCTS"
	IncrementalPullCustomers = "INCREMENTAL_PULL_CUSTOMERS"
	AutoMatchCustomers       = "AUTO_MATCH_CUSTOMERS"
	AutoMatchProducts        = "AUTO_MATCH_PRODUCTS"
	CustomerSync             = "CUSTOMER_SYNC"
	ProductSync              = "PRODUCT_SYNC"
	AutoSyncCustomers        = "AUTO_SYNC_CUSTOMERS"
	AutoSyncProducts         = "AUTO_SYNC_PRODUCTS"
	RetryFailedCustomers     = "RETRY_FAILED_CUSTOMERS"
	RetryFailedProducts      = "RETRY_FAILED_PRODUCTS"
)

// Settings keys and defaults.
const (
	// SettingCustomerThreshold is the smallest change of lifetime spend (VND)
	// an auto-sync pushes; smaller changes are skipped as unchanged.
	SettingCustomerThreshold = "customer_sync_threshold_vnd"
	// DefaultCustomerThreshold is the reference system's 1,000 VND.
	DefaultCustomerThreshold = 1000
	// IncrementalOverlap is how far before the watermark an incremental pull
	// starts again, so a change written while the last run was reading is
	// not missed.
	IncrementalOverlap = 5 * time.Minute
	// pullAttemptTimeout bounds one attempt of a pull; pulls checkpoint after
	// every page and continue in a new attempt.
	pullAttemptTimeout = 2 * time.Minute
	// syncAttemptTimeout bounds one attempt of a sync; syncs checkpoint after
	// every batch.
	syncAttemptTimeout = 2 * time.Minute
)

// Deps are what the bodies work with.
type Deps struct {
	Store   *store.Store
	Nhanh   *nhanh.Client
	Shopify *shopify.Client
	Clock   clockwork.Clock
	Logger  *slog.Logger
}

// Validate checks that every dependency is present.
func (d Deps) Validate() error {
	var errs []error
	if d.Store == nil {
		errs = append(errs, errors.New("jobs: no store"))
	}
	if d.Nhanh == nil {
		errs = append(errs, errors.New("jobs: no Nhanh client"))
	}
	if d.Shopify == nil {
		errs = append(errs, errors.New("jobs: no Shopify client"))
	}
	if d.Clock == nil {
		errs = append(errs, errors.New("jobs: no clock"))
	}
	return errors.Join(errs...)
}

var (
	restartParam = engine.ParamSpec{Name: "restart", Kind: engine.ParamBool,
		Help: "start from the beginning instead of resuming a stopped pull"}
	bulkParam = engine.ParamSpec{Name: "bulk", Kind: engine.ParamBool,
		Help: "use a Shopify bulk export (for large shops)"}
	dryRunParam = engine.ParamSpec{Name: "dryRun", Kind: engine.ParamBool,
		Help: "report what would be matched without creating mappings"}
	idsParam = engine.ParamSpec{Name: "ids", Kind: engine.ParamIDs,
		Help: "mapping ids to sync (default: every mapped item)"}
	limitParam = engine.ParamSpec{Name: "limit", Kind: engine.ParamInt, Min: 0,
		Help: "at most this many items (0: all)"}
)

// Kinds returns the thirteen job types with their bodies.
func Kinds(d Deps) ([]engine.Kind, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return definitions(d), nil
}

// Unavailable returns the thirteen job types, each of which fails at once
// with reason: what a syncops without API credentials registers, so an
// operator can still list and inspect jobs and sees why a start fails.
func Unavailable(reason error) []engine.Kind {
	kinds := definitions(Deps{})
	for i := range kinds {
		kinds[i].Run = func(context.Context, *engine.Run) error { return reason }
	}
	return kinds
}

func definitions(d Deps) []engine.Kind {
	return []engine.Kind{
		{Type: PullNhanhCustomers, Label: "Pull Nhanh customers", AttemptTimeout: pullAttemptTimeout,
			Description: "Page through Nhanh customers into the local mirror; resumes where a stopped pull left off.",
			Params: []engine.ParamSpec{
				{Name: "type", Kind: engine.ParamEnum, Enum: []string{"retail", "wholesale", "agent"},
					Help: "only customers of this Nhanh type"},
				{Name: "lastBoughtFrom", Kind: engine.ParamDate, Help: "only customers who last bought on or after this date"},
				{Name: "lastBoughtTo", Kind: engine.ParamDate, Help: "only customers who last bought on or before this date"},
				restartParam,
			},
			Run: d.pullNhanhCustomers},
		{Type: PullNhanhProducts, Label: "Pull Nhanh products", AttemptTimeout: pullAttemptTimeout,
			Description: "Page through Nhanh products (with stock per depot) into the local mirror.",
			Params:      []engine.ParamSpec{restartParam},
			Run:         d.pullNhanhProducts},
		{Type: PullShopifyCustomers, Label: "Pull Shopify customers", AttemptTimeout: pullAttemptTimeout,
			Description: "Page through Shopify customers into the local mirror.",
			Params: []engine.ParamSpec{
				{Name: "query", Kind: engine.ParamString, Help: "Shopify search query, e.g. state:ENABLED"},
				bulkParam, restartParam,
			},
			Run: d.pullShopifyCustomers},
		{Type: PullShopifyProducts, Label: "Pull Shopify products", AttemptTimeout: pullAttemptTimeout,
			Description: "Page through Shopify product variants into the local mirror.",
			Params: []engine.ParamSpec{
				{Name: "status", Kind: engine.ParamEnum, Enum: []string{"active", "draft", "archived"},
					Help: "only products in this status"},
				bulkParam, restartParam,
			},
			Run: d.pullShopifyProducts},
		{Type: IncrementalPullCustomers, Label: "Pull changed customers", AttemptTimeout: pullAttemptTimeout,
			Description: "Pull only customers changed since the last complete incremental pull.",
			Params: []engine.ParamSpec{{Name: "source", Kind: engine.ParamEnum, Enum: []string{"both", "nhanh", "shopify"},
				Default: "both", Help: "which side to pull"}},
			Run: d.incrementalPullCustomers},
		{Type: AutoMatchCustomers, Label: "Auto-match customers",
			Description: "Map unmapped Nhanh customers to Shopify customers by phone, then unique email.",
			Params:      []engine.ParamSpec{dryRunParam},
			Run:         d.autoMatchCustomers},
		{Type: AutoMatchProducts, Label: "Auto-match products",
			Description: "Map unmapped Nhanh products to Shopify variants by SKU, then barcode.",
			Params:      []engine.ParamSpec{dryRunParam},
			Run:         d.autoMatchProducts},
		{Type: CustomerSync, Label: "Customer sync", AttemptTimeout: syncAttemptTimeout, RetryItems: true,
			Description: "Write each mapped customer's Nhanh lifetime spend to custom.total_spent (forced).",
			Params:      []engine.ParamSpec{idsParam},
			Run:         d.customerSync},
		{Type: ProductSync, Label: "Product sync", AttemptTimeout: syncAttemptTimeout, RetryItems: true,
			Description: "Write each mapped product's Nhanh available stock to Shopify inventory (forced).",
			Params:      []engine.ParamSpec{idsParam},
			Run:         d.productSync},
		{Type: AutoSyncCustomers, Label: "Auto-sync customers", AttemptTimeout: syncAttemptTimeout, RetryItems: true,
			Description: "Refresh changed Nhanh customers, then push spend that differs from what Shopify has.",
			Params:      []engine.ParamSpec{limitParam},
			Run:         d.autoSyncCustomers},
		{Type: AutoSyncProducts, Label: "Auto-sync products", AttemptTimeout: syncAttemptTimeout, RetryItems: true,
			Description: "Refresh Nhanh stock of mapped products, then push quantities that differ.",
			Params:      []engine.ParamSpec{limitParam},
			Run:         d.autoSyncProducts},
		{Type: RetryFailedCustomers, Label: "Retry failed customers", AttemptTimeout: syncAttemptTimeout, RetryItems: true,
			Description: "Sync again the customer mappings whose last sync failed.",
			Params:      []engine.ParamSpec{limitParam},
			Run:         d.retryFailedCustomers},
		{Type: RetryFailedProducts, Label: "Retry failed products", AttemptTimeout: syncAttemptTimeout, RetryItems: true,
			Description: "Sync again the product mappings whose last sync failed.",
			Params:      []engine.ParamSpec{limitParam},
			Run:         d.retryFailedProducts},
	}
}
