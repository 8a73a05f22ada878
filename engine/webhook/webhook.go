// Package webhook processes Nhanh.vn's webhook deliveries once the engine
// has stored them (engine.ReceiveWebhook): it is the engine's
// WebhookProcessor. A drain claims the pending deliveries (the drains of
// several instances share them, never processing one twice) and handles
// them by effect:
//
//	inventoryChange        mirror stock from the payload, then one targeted
//	                       PRODUCT_SYNC of the mapped products of every
//	                       delivery in the drain
//	orderAdd/Update/       re-read the orders' customers from Nhanh into the
//	Delete/PartialReturn   mirror, then one targeted CUSTOMER_SYNC of the
//	                       mapped ones
//	productAdd/Update      the products into the mirror
//	productDelete          the products marked deleted in the mirror
//	webhooksEnabled,       acknowledged, nothing to do
//	unknown events
//
// While a job of the type a drain would start is pending or running, the
// deliveries that would start it stay pending and the drain asks to run
// again later: their ids go into the next job rather than being lost or
// making a second job run beside the first.
package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/mirror"
	"syncops/store"
)

// Source is the source name of Nhanh's deliveries.
const Source = "nhanh"

// Defaults of Config.
const (
	// DefaultRetryAfter is how long a drain waits for a running job before
	// it tries again to hand that job's successor the deliveries it kept.
	DefaultRetryAfter = 2 * time.Second
	// DefaultClaimFor is how long a drain holds its deliveries.
	DefaultClaimFor = 2 * time.Minute
	// pageSize is how many pending deliveries are claimed at once: a short
	// write, so the deliveries arriving meanwhile are answered quickly.
	pageSize = 250
)

// Actor is who the jobs a webhook causes are started by (and audited as).
var Actor = engine.Actor{Kind: engine.ActorHTTP, Name: "nhanh-webhook", Role: engine.RoleOperator}

// Config configures a Processor.
type Config struct {
	Store *store.Store
	// Nhanh re-reads the customers of order events; nil fails those
	// deliveries with a reason.
	Nhanh  *nhanh.Client
	Clock  clockwork.Clock
	Logger *slog.Logger
	// RetryAfter is the wait when a job to start is still running; zero
	// means DefaultRetryAfter.
	RetryAfter time.Duration
	// BusinessID is the Nhanh business syncops serves; a delivery for
	// another business (one Nhanh app can serve several) is ignored. Empty
	// accepts every business.
	BusinessID string
	// ClaimFor is how long a drain holds the deliveries it processes
	// (another instance's drain takes them after, should this one die);
	// zero means DefaultClaimFor.
	ClaimFor time.Duration
}

// Processor is the engine's WebhookProcessor for Nhanh.
type Processor struct {
	cfg Config
}

// New builds a processor.
func New(cfg Config) (*Processor, error) {
	if cfg.Store == nil {
		return nil, errors.New("webhook: no store")
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.ClaimFor <= 0 {
		cfg.ClaimFor = DefaultClaimFor
	}
	return &Processor{cfg: cfg}, nil
}

// batch is what one drain gathered from the pending deliveries, by effect.
type batch struct {
	report engine.WebhookReport
	// stock is the newest stock per product of the inventory deliveries.
	stock     map[extid.NhanhProductID]nhanh.Stock
	stockIDs  []int64
	products  map[extid.NhanhProductID]nhanh.Product
	deleted   map[extid.NhanhProductID]bool
	mirrorIDs []int64
	customers map[extid.NhanhCustomerID]bool
	orderIDs  []int64
	events    map[int64]string
}

// ProcessWebhooks implements engine.WebhookProcessor. On an error the
// deliveries it claimed and did not finish are released for the retry.
func (p *Processor) ProcessWebhooks(ctx context.Context, e *engine.Engine) (rep engine.WebhookReport, err error) {
	var claimed []int64
	defer func() {
		if err != nil && len(claimed) > 0 {
			// Finished ones keep their outcome; the others are free again.
			err = errors.Join(err, p.cfg.Store.ReleaseWebhookDeliveries(context.WithoutCancel(ctx), p.cfg.Store.DB(), claimed))
		}
	}()
	b := &batch{report: engine.WebhookReport{Counts: map[engine.WebhookCount]int{}},
		stock: map[extid.NhanhProductID]nhanh.Stock{}, products: map[extid.NhanhProductID]nhanh.Product{},
		deleted: map[extid.NhanhProductID]bool{}, customers: map[extid.NhanhCustomerID]bool{}, events: map[int64]string{}}
	for {
		now := p.cfg.Clock.Now()
		page, err := p.cfg.Store.ClaimWebhookDeliveries(ctx, p.cfg.Store.DB(), now, now.Add(p.cfg.ClaimFor), pageSize)
		if err != nil {
			return b.report, err
		}
		for _, d := range page {
			claimed = append(claimed, d.ID)
		}
		for _, d := range page {
			if err := p.gather(ctx, b, d); err != nil {
				return b.report, err
			}
		}
		if len(page) < pageSize {
			break
		}
	}
	if err := p.applyMirror(ctx, b); err != nil {
		return b.report, err
	}
	if err := p.syncStock(ctx, e, b); err != nil {
		return b.report, err
	}
	if err := p.syncSpend(ctx, e, b); err != nil {
		return b.report, err
	}
	return b.report, nil
}

// gather sorts one delivery by effect; a delivery with nothing to do is
// finished at once.
func (p *Processor) gather(ctx context.Context, b *batch, d store.WebhookDelivery) error {
	w, err := nhanh.ParseWebhook(d.Body)
	if err != nil {
		return p.finish(ctx, b, []int64{d.ID}, d.Event, engine.WebhookFailed, err.Error(), 0)
	}
	b.events[d.ID] = w.Event
	if p.cfg.BusinessID != "" && w.BusinessID != "" && w.BusinessID != p.cfg.BusinessID {
		return p.finish(ctx, b, []int64{d.ID}, w.Event, engine.WebhookIgnored, "for Nhanh business "+w.BusinessID+", not this one", 0)
	}
	switch w.Event {
	case nhanh.EventInventoryChange:
		stock, err := nhanh.WebhookInventory(w.Data)
		if err != nil {
			return p.finish(ctx, b, []int64{d.ID}, w.Event, engine.WebhookFailed, err.Error(), 0)
		}
		maps.Copy(b.stock, stock) // a later delivery's stock is newer
		b.stockIDs = append(b.stockIDs, d.ID)
	case nhanh.EventProductAdd, nhanh.EventProductUpdate:
		ps, err := nhanh.WebhookProducts(w.Data)
		if err != nil {
			return p.finish(ctx, b, []int64{d.ID}, w.Event, engine.WebhookFailed, err.Error(), 0)
		}
		for _, pr := range ps {
			b.products[pr.ID] = pr
			delete(b.deleted, pr.ID)
		}
		b.mirrorIDs = append(b.mirrorIDs, d.ID)
	case nhanh.EventProductDelete:
		ids, err := nhanh.WebhookProductIDs(w.Data)
		if err != nil {
			return p.finish(ctx, b, []int64{d.ID}, w.Event, engine.WebhookFailed, err.Error(), 0)
		}
		for _, id := range ids {
			b.deleted[id] = true
			delete(b.products, id)
		}
		b.mirrorIDs = append(b.mirrorIDs, d.ID)
	case nhanh.EventOrderAdd, nhanh.EventOrderUpdate, nhanh.EventOrderDelete, nhanh.EventOrderPartialReturn:
		orders, err := nhanh.WebhookOrders(w.Data)
		if err != nil {
			return p.finish(ctx, b, []int64{d.ID}, w.Event, engine.WebhookFailed, err.Error(), 0)
		}
		buyers := 0
		for _, o := range orders {
			if o.CustomerID > 0 {
				b.customers[o.CustomerID] = true
				buyers++
			}
		}
		if buyers == 0 {
			return p.finish(ctx, b, []int64{d.ID}, w.Event, engine.WebhookIgnored, "the order names no customer", 0)
		}
		b.orderIDs = append(b.orderIDs, d.ID)
	case nhanh.EventWebhooksEnabled:
		return p.finish(ctx, b, []int64{d.ID}, w.Event, engine.WebhookIgnored, "probe answered", 0)
	case nhanh.EventAppUninstalled:
		p.cfg.Logger.WarnContext(ctx, "Nhanh reports the app uninstalled: webhooks and API calls stop until it is granted again",
			slog.String("business_id", w.BusinessID))
		return p.finish(ctx, b, []int64{d.ID}, w.Event, engine.WebhookProcessed, "the app was uninstalled at Nhanh: grant it again (syncops init)", 0)
	default:
		return p.finish(ctx, b, []int64{d.ID}, w.Event, engine.WebhookIgnored, "event not used by syncops", 0)
	}
	return nil
}

// finish records the outcome of deliveries and counts it.
func (p *Processor) finish(ctx context.Context, b *batch, ids []int64, event, outcome, detail string, jobID engine.JobID) error {
	if len(ids) == 0 {
		return nil
	}
	if err := p.cfg.Store.FinishWebhookDeliveries(ctx, p.cfg.Store.DB(), ids, outcome, detail, int64(jobID), p.cfg.Clock.Now()); err != nil {
		return err
	}
	if event != "" {
		b.report.Counts[engine.WebhookCount{Event: event, Outcome: outcome}] += len(ids)
		return nil
	}
	for _, id := range ids {
		b.report.Counts[engine.WebhookCount{Event: b.events[id], Outcome: outcome}]++
	}
	return nil
}

// applyMirror writes the product events into the mirror.
func (p *Processor) applyMirror(ctx context.Context, b *batch) error {
	if len(b.mirrorIDs) == 0 {
		return nil
	}
	now := p.cfg.Clock.Now()
	rows := make([]store.NhanhProduct, 0, len(b.products))
	for _, id := range slices.Sorted(maps.Keys(b.products)) {
		rows = append(rows, mirror.NhanhProduct(b.products[id]))
	}
	var counts store.UpsertCounts
	var deleted int64
	err := p.cfg.Store.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if counts, err = p.cfg.Store.UpsertNhanhProducts(ctx, tx, rows, now); err != nil {
			return err
		}
		deleted, err = p.cfg.Store.MarkNhanhProductsDeletedByID(ctx, tx, slices.Sorted(maps.Keys(b.deleted)), now)
		return err
	})
	if err != nil {
		return fmt.Errorf("mirror product webhooks: %w", err)
	}
	detail := fmt.Sprintf("mirror: %d products added, %d updated, %d unchanged, %d deleted",
		counts.Created, counts.Updated, counts.Unchanged, deleted)
	return p.finish(ctx, b, b.mirrorIDs, "", engine.WebhookProcessed, detail, 0)
}

// syncStock mirrors the delivered stock and starts one PRODUCT_SYNC of the
// mapped products, or keeps the deliveries for the next one while a product
// sync is active.
func (p *Processor) syncStock(ctx context.Context, e *engine.Engine, b *batch) error {
	if len(b.stockIDs) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(b.stock))
	stock := make(map[extid.NhanhProductID]store.Stock, len(b.stock))
	for id, s := range b.stock {
		if s.HasAvailable {
			stock[id] = mirror.NhanhStock(s)
		}
	}
	if _, err := p.cfg.Store.UpdateNhanhStock(ctx, p.cfg.Store.DB(), stock); err != nil {
		return fmt.Errorf("mirror webhook stock: %w", err)
	}
	mapped, err := p.cfg.Store.MappedProductsOf(ctx, p.cfg.Store.Reader(), ids)
	if err != nil {
		return err
	}
	if len(mapped) == 0 {
		return p.finish(ctx, b, b.stockIDs, "", engine.WebhookIgnored,
			fmt.Sprintf("stock mirrored; none of the %d products is mapped", len(ids)), 0)
	}
	if busy, err := p.deferWhileActive(ctx, e, b, jobs.ProductSync, b.stockIDs); err != nil || busy {
		return err
	}
	id, joined, err := start(ctx, e, jobs.ProductSync, slices.Collect(maps.Values(mapped)))
	if err != nil {
		return p.finish(ctx, b, b.stockIDs, "", engine.WebhookFailed, "start "+jobs.ProductSync+": "+err.Error(), 0)
	}
	return p.finish(ctx, b, b.stockIDs, "", engine.WebhookProcessed,
		fmt.Sprintf("%s job %d%s: %d mapped of %d products", jobs.ProductSync, id, joinedNote(joined), len(mapped), len(ids)), id)
}

// syncSpend re-reads the customers of the order deliveries and starts one
// CUSTOMER_SYNC of the mapped ones, or keeps the deliveries for the next
// one while a customer sync is active.
func (p *Processor) syncSpend(ctx context.Context, e *engine.Engine, b *batch) error {
	if len(b.orderIDs) == 0 {
		return nil
	}
	if p.cfg.Nhanh == nil {
		return p.finish(ctx, b, b.orderIDs, "", engine.WebhookFailed, "the Nhanh API is not configured: customers cannot be re-read", 0)
	}
	if busy, err := p.deferWhileActive(ctx, e, b, jobs.CustomerSync, b.orderIDs); err != nil || busy {
		return err
	}
	ids := slices.Sorted(maps.Keys(b.customers))
	for chunk := range slices.Chunk(ids, nhanh.CustomersByIDBatch) {
		cs, err := p.cfg.Nhanh.CustomersByID(ctx, chunk)
		if err != nil {
			return p.finish(ctx, b, b.orderIDs, "", engine.WebhookFailed,
				"re-read the orders' customers: "+err.Error()+" (the next auto-sync of customers finds them by their orders)", 0)
		}
		rows := make([]store.NhanhCustomer, len(cs))
		for i, c := range cs {
			rows[i] = mirror.NhanhCustomer(c)
		}
		if _, err := p.cfg.Store.UpsertNhanhCustomers(ctx, p.cfg.Store.DB(), rows, p.cfg.Clock.Now()); err != nil {
			return fmt.Errorf("mirror re-read customers: %w", err)
		}
	}
	mapped, err := p.cfg.Store.MappedCustomersOf(ctx, p.cfg.Store.Reader(), ids)
	if err != nil {
		return err
	}
	if len(mapped) == 0 {
		return p.finish(ctx, b, b.orderIDs, "", engine.WebhookIgnored,
			fmt.Sprintf("spend re-read; none of the %d customers is mapped", len(ids)), 0)
	}
	id, joined, err := start(ctx, e, jobs.CustomerSync, slices.Collect(maps.Values(mapped)))
	if err != nil {
		return p.finish(ctx, b, b.orderIDs, "", engine.WebhookFailed, "start "+jobs.CustomerSync+": "+err.Error(), 0)
	}
	return p.finish(ctx, b, b.orderIDs, "", engine.WebhookProcessed,
		fmt.Sprintf("%s job %d%s: %d mapped of %d customers", jobs.CustomerSync, id, joinedNote(joined), len(mapped), len(ids)), id)
}

// deferWhileActive leaves the deliveries ids pending (claim released) and
// asks for another drain when a job of jobType is pending or running: the
// next one takes them.
func (p *Processor) deferWhileActive(ctx context.Context, e *engine.Engine, b *batch, jobType string, ids []int64) (bool, error) {
	busy, err := activeJob(ctx, e, jobType)
	if err != nil || !busy {
		return false, err
	}
	b.report.RetryAfter = p.cfg.RetryAfter
	return true, p.cfg.Store.ReleaseWebhookDeliveries(ctx, p.cfg.Store.DB(), ids)
}

// activeJob reports whether a job of jobType is pending or running.
func activeJob(ctx context.Context, e *engine.Engine, jobType string) (bool, error) {
	active, err := e.List(ctx, engine.ListFilter{Types: []string{jobType},
		Statuses: []engine.Status{engine.StatusPending, engine.StatusRunning}, Limit: 1})
	if err != nil {
		return false, fmt.Errorf("look for an active %s: %w", jobType, err)
	}
	return len(active) > 0, nil
}

// start starts jobType over the mapping ids; an identical job already
// active is joined (its id returned with joined set).
func start(ctx context.Context, e *engine.Engine, jobType string, mappingIDs []int64) (engine.JobID, bool, error) {
	slices.Sort(mappingIDs)
	parts := make([]string, len(mappingIDs))
	for i, id := range mappingIDs {
		parts[i] = strconv.FormatInt(id, 10)
	}
	id, err := e.Start(ctx, jobType, engine.Params{"ids": strings.Join(parts, ",")}, engine.StartOptions{Actor: Actor})
	var conflict *engine.ConflictError
	if errors.As(err, &conflict) {
		return conflict.Existing, true, nil
	}
	return id, false, err
}

func joinedNote(joined bool) string {
	if joined {
		return " (already running)"
	}
	return ""
}

// EventOf returns the event name of a Nhanh webhook body, for the face that
// receives it; a body that is not a Nhanh webhook is an error.
func EventOf(body []byte) (string, error) {
	w, err := nhanh.ParseWebhook(body)
	if err != nil {
		return "", err
	}
	return w.Event, nil
}

// IsProbe reports whether event is Nhanh's webhooksEnabled probe.
func IsProbe(event string) bool { return event == nhanh.EventWebhooksEnabled }
