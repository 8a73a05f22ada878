// Package pull holds the pull jobs, which copy the two sources into the
// local mirror: a full, resumable pull per source row type (Nhanh
// customers and products, Shopify customers and variants, by pages or by
// a Shopify bulk export) and the incremental pull of the customers changed
// since a watermark. pull.go draws the state machine of a pull stream.
package pull

import (
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/store"
)

// Job type names of the pull family.
const (
	PullNhanhCustomers       = "PULL_NHANH_CUSTOMERS"
	PullNhanhProducts        = "PULL_NHANH_PRODUCTS"
	PullShopifyCustomers     = "PULL_SHOPIFY_CUSTOMERS"
	PullShopifyProducts      = "PULL_SHOPIFY_PRODUCTS"
	IncrementalPullCustomers = "INCREMENTAL_PULL_CUSTOMERS"
)

// pullAttemptTimeout bounds one attempt of a pull; pulls checkpoint after
// every page and continue in a new attempt.
const pullAttemptTimeout = 2 * time.Minute

// Deps are what the pull bodies work with.
type Deps struct {
	Store   *store.Store
	Nhanh   *nhanh.Client
	Shopify *shopify.Client
	Clock   clockwork.Clock
}

var (
	restartParam = engine.ParamSpec{Name: "restart", Kind: engine.ParamBool,
		Help: "start from the beginning instead of resuming a stopped pull"}
	bulkParam = engine.ParamSpec{Name: "bulk", Kind: engine.ParamBool,
		Help: "true: a Shopify bulk export; false: pages; unset: a bulk export when Shopify counts at least " +
			SettingBulkThreshold + " records (default 10000)"}
)

// Kinds returns the pull job types with their bodies over d.
func Kinds(d Deps) []engine.Kind {
	return []engine.Kind{
		{Type: PullNhanhCustomers, Label: "Pull Nhanh customers", AttemptTimeout: pullAttemptTimeout,
			Description: "Page through Nhanh customers into the local mirror; resumes where a stopped pull left off.",
			Params: []engine.ParamSpec{
				{Name: "type", Kind: engine.ParamEnum, Enum: []string{"retail", "wholesale", "agent"},
					Help: "only customers of this Nhanh type (without it, every type is asked for in turn)"},
				{Name: "lastBoughtFrom", Kind: engine.ParamDate, Help: "only customers who last bought on or after this date"},
				{Name: "lastBoughtTo", Kind: engine.ParamDate, Help: "only customers who last bought on or before this date"},
				restartParam,
			},
			Run: d.pullNhanhCustomers},
		{Type: PullNhanhProducts, Label: "Pull Nhanh products", AttemptTimeout: pullAttemptTimeout,
			Description: "Page through Nhanh products (with stock per depot), status by status, into the local mirror.",
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
				Default: "both", Help: "which side to pull"},
				{Name: "bulk", Kind: engine.ParamBool,
					Help: "Shopify's side: true a bulk export, false pages; unset: a bulk export when Shopify counts at least " +
						SettingBulkThreshold + " changed customers (default 10000)"}},
			Run: d.incrementalPullCustomers},
	}
}
