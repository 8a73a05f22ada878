// Package jobs assembles syncops' thirteen job types from their families:
//
//	jobs/pull    pulls of both sources into the local mirror (full, resumable
//	             streams and the incremental pull of changed customers)
//	jobs/match   automatic matching of Nhanh records to Shopify records
//	jobs/sync    syncs of Nhanh's values to Shopify, and their retries
//	jobs/mirror  what pull and sync share: source row -> mirror row
//
// It holds what callers outside the families need: the dependencies (Deps),
// the job type names and settings keys, Kinds (every family's kinds, in the
// order an operator meets them) and Unavailable. Each body is a plain
// function over the store and the two API clients; all pacing lives in the
// clients' governors, never in sleeps in a job. Families never import each
// other, nor this package.
package jobs

import (
	"context"
	"errors"
	"log/slog"

	"github.com/jonboulle/clockwork"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs/match"
	"syncops/engine/jobs/mirror"
	"syncops/engine/jobs/pull"
	jobsync "syncops/engine/jobs/sync"
	"syncops/store"
)

// Job type names, as each family names its kinds.
const (
	PullNhanhCustomers       = pull.PullNhanhCustomers
	PullNhanhProducts        = pull.PullNhanhProducts
	PullShopifyCustomers     = pull.PullShopifyCustomers
	PullShopifyProducts      = pull.PullShopifyProducts
	IncrementalPullCustomers = pull.IncrementalPullCustomers
	AutoMatchCustomers       = match.AutoMatchCustomers
	AutoMatchProducts        = match.AutoMatchProducts
	CustomerSync             = jobsync.CustomerSync
	ProductSync              = jobsync.ProductSync
	AutoSyncCustomers        = jobsync.AutoSyncCustomers
	AutoSyncProducts         = jobsync.AutoSyncProducts
	RetryFailedCustomers     = jobsync.RetryFailedCustomers
	RetryFailedProducts      = jobsync.RetryFailedProducts
)

// Settings keys and defaults.
const (
	// SettingCustomerThreshold is the smallest change of lifetime spend (VND)
	// an auto-sync pushes; smaller changes are skipped as unchanged.
	SettingCustomerThreshold = jobsync.SettingCustomerThreshold
	// DefaultCustomerThreshold is the reference system's 1,000 VND.
	DefaultCustomerThreshold = jobsync.DefaultCustomerThreshold
	// SettingBulkThreshold is the smallest record count for which a full
	// Shopify pull without the bulk parameter uses a bulk export.
	SettingBulkThreshold = pull.SettingBulkThreshold
	// DefaultBulkThreshold is SettingBulkThreshold's default.
	DefaultBulkThreshold = pull.DefaultBulkThreshold
	// SettingInventoryActivate ("true"/"false", default false): product
	// syncs stock an item at a mapped location where Shopify does not stock
	// it (inventoryActivate), instead of skipping that location.
	SettingInventoryActivate = jobsync.SettingInventoryActivate
	// IncrementalOverlap is how far before the watermark an incremental pull
	// (or an auto-sync's refresh) starts again, so a change written while
	// the last run was reading is not missed.
	IncrementalOverlap = mirror.ChangeOverlap
)

// Deps are what the bodies work with; each family gets the part it uses.
type Deps struct {
	Store   *store.Store
	Nhanh   *nhanh.Client
	Shopify *shopify.Client
	Clock   clockwork.Clock
	// Logger is the application's logger. The bodies log through their
	// run's logger (engine.Run.Logger), which carries the job's id.
	Logger *slog.Logger
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

// Kinds returns the thirteen job types with their bodies.
func Kinds(d Deps) ([]engine.Kind, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return definitions(d), nil
}

// Settings are the settings of every family, registered whether or not
// the APIs are configured.
func Settings() []engine.SettingSpec {
	return append(pull.Settings(), jobsync.Settings()...)
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

// definitions hands every family the dependencies it uses and joins their
// kinds: pulls, then matching, then syncs.
func definitions(d Deps) []engine.Kind {
	kinds := pull.Kinds(pull.Deps{Store: d.Store, Nhanh: d.Nhanh, Shopify: d.Shopify, Clock: d.Clock})
	kinds = append(kinds, match.Kinds(match.Deps{Store: d.Store, Clock: d.Clock})...)
	return append(kinds, jobsync.Kinds(jobsync.Deps{Store: d.Store, Nhanh: d.Nhanh, Shopify: d.Shopify, Clock: d.Clock})...)
}
