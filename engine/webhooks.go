package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"syncops/store"
)

// Webhooks arrive from an API (Nhanh) at the HTTP face, which hands each
// one to ReceiveWebhook. The engine stores the delivery, deduplicated, and
// in the same transaction enqueues a River drain job for the current
// debounce slot; only then does the face answer 200. So a delivery that was
// answered is on disk with a job that will process it, whatever happens to
// the process next.
//
//	ReceiveWebhook ──> delivery PENDING + drain job of slot N (one per slot)
//	                              │
//	drain job N (queue "webhooks", one at a time per process; the drains of
//	several instances claim the deliveries they take): waits for slot N to end
//	and, while deliveries keep coming, until they pause for a window (at
//	most WebhookMaxDelayWindows windows after the oldest pending one
//	arrived); then the WebhookProcessor handles every pending delivery
//	──> processed (or snoozes while a job it would start is still running)
//
// Deliveries left pending (a drain whose slot had already run, an instance
// without a processor) are picked up by the maintenance run and at start.

// Webhook types, as stored.
type (
	// WebhookDelivery is one stored delivery and what it caused.
	WebhookDelivery = store.WebhookDelivery
	// WebhookFilter pages through deliveries, newest first.
	WebhookFilter = store.WebhookFilter
)

// Outcomes of a webhook delivery, as stored and counted.
const (
	// WebhookReceived counts a new delivery stored (a metric only).
	WebhookReceived = "received"
	// WebhookDuplicate counts a delivery whose body was stored already (a
	// metric only: the first one is processed, once).
	WebhookDuplicate = "duplicate"
	// WebhookProcessed: the delivery caused something (a job, a mirror update).
	WebhookProcessed = "processed"
	// WebhookIgnored: nothing to do (unknown event, nothing mapped, a probe).
	WebhookIgnored = "ignored"
	// WebhookFailed: processing failed; Detail says why.
	WebhookFailed = "failed"
)

// WebhookDedupWindow is how long a delivery's body counts as a duplicate
// of a stored one: longer than Nhanh's retries of one delivery (after 5,
// 10 and 30 minutes), short enough that the same state again later (stock
// back to where it was) is processed as the change it is.
const WebhookDedupWindow = time.Hour

// DefaultWebhookWindow is how long deliveries are gathered before a drain
// processes them: a burst of stock changes becomes one targeted sync.
const DefaultWebhookWindow = 2 * time.Second

// WebhookMaxDelayWindows bounds the debounce under a steady stream of
// deliveries: the oldest pending one waits at most this many windows.
const WebhookMaxDelayWindows = 10

// webhookQueue runs a process's drains one at a time.
const webhookQueue = "webhooks"

// WebhookIn is one webhook request as the face received it.
type WebhookIn struct {
	Source string // "nhanh"
	Event  string
	Body   []byte
}

// WebhookReceipt says what ReceiveWebhook did.
type WebhookReceipt struct {
	// ID is the stored delivery's id (the first one's, for a duplicate).
	ID int64
	// Duplicate is true when the same body was stored before; it is not
	// processed again.
	Duplicate bool
}

// WebhookCount is a key of the webhook counters: an event and an outcome.
type WebhookCount struct{ Event, Outcome string }

// WebhookReport is what one drain did.
type WebhookReport struct {
	// Counts are the deliveries finished, by event and outcome.
	Counts map[WebhookCount]int
	// RetryAfter, when positive, asks for another drain after it: some
	// deliveries were left pending on purpose (a job they would start is
	// still running and takes them next time).
	RetryAfter time.Duration
}

// WebhookProcessor processes the pending deliveries (engine/webhook holds
// Nhanh's). It is called by one drain at a time in a process; drains of
// several instances run at once, so it claims the deliveries it takes. It
// marks each delivery it finishes with its outcome, and starts jobs
// through e.
type WebhookProcessor interface {
	ProcessWebhooks(ctx context.Context, e *Engine) (WebhookReport, error)
}

// webhookState is the engine's webhook counters, for the metrics, and the
// last debounce slot whose drain this process enqueued.
type webhookState struct {
	mu     sync.Mutex
	counts map[WebhookCount]int64
	// slot's drain job is committed: later deliveries of the same slot need
	// not insert it again (River would skip the insert as a duplicate, at
	// the cost of a unique-insert on every delivery).
	slot int64
}

func (w *webhookState) enqueued(slot int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.slot == slot
}

func (w *webhookState) markEnqueued(slot int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.slot = max(w.slot, slot)
}

func (w *webhookState) add(c WebhookCount, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.counts == nil {
		w.counts = map[WebhookCount]int64{}
	}
	w.counts[c] += int64(n)
}

// WebhookCounts returns how many deliveries this process received and
// finished, by event and outcome, since it started.
func (e *Engine) WebhookCounts() map[WebhookCount]int64 {
	e.webhooks.mu.Lock()
	defer e.webhooks.mu.Unlock()
	out := make(map[WebhookCount]int64, len(e.webhooks.counts))
	for k, v := range e.webhooks.counts {
		out[k] = v
	}
	return out
}

// ReceiveWebhook stores a delivery durably, deduplicated on its body (within
// WebhookDedupWindow), and enqueues its processing, in one transaction: when
// it returns nil the delivery will be processed even if the process dies the
// next moment. A duplicate is counted on the stored delivery and not
// processed again.
//
// The delivery row is the record of who sent what (the audit log is kept
// forever, and a shop sends thousands of deliveries a day); the jobs the
// deliveries cause are audited as started by the webhook actor.
func (e *Engine) ReceiveWebhook(ctx context.Context, in WebhookIn, actor Actor) (WebhookReceipt, error) {
	if err := actor.Authorize("receive a webhook"); err != nil {
		return WebhookReceipt{}, err
	}
	if in.Source == "" {
		return WebhookReceipt{}, errors.New("receive webhook: no source")
	}
	sum := sha256.Sum256(in.Body)
	now := e.clock.Now()
	var rec WebhookReceipt
	slot := e.webhookSlot(now)
	enqueued := false
	err := e.store.InTx(ctx, func(tx *sql.Tx) error {
		id, dup, err := e.store.InsertWebhookDelivery(ctx, tx, store.WebhookDelivery{Source: in.Source, Event: in.Event,
			Digest: hex.EncodeToString(sum[:]), Body: in.Body, ReceivedAt: now}, now.Add(-WebhookDedupWindow))
		if err != nil {
			return err
		}
		rec = WebhookReceipt{ID: id, Duplicate: dup}
		if dup {
			return nil
		}
		if !e.webhooks.enqueued(slot) {
			if err := e.enqueueDrain(ctx, tx, slot); err != nil {
				return err
			}
			enqueued = true
		}
		return nil
	})
	if err != nil {
		return WebhookReceipt{}, fmt.Errorf("receive webhook: %w", err)
	}
	if enqueued {
		e.webhooks.markEnqueued(slot)
	}
	outcome := WebhookReceived
	if rec.Duplicate {
		outcome = WebhookDuplicate
	}
	e.webhooks.add(WebhookCount{Event: in.Event, Outcome: outcome}, 1)
	return rec, nil
}

// WebhookDeliveries lists stored deliveries, newest first.
func (e *Engine) WebhookDeliveries(ctx context.Context, f WebhookFilter) ([]WebhookDelivery, error) {
	return e.store.WebhookDeliveries(ctx, e.store.Reader(), f)
}

// webhookWindow is the debounce window; negative means none.
func (e *Engine) webhookWindow() time.Duration {
	if e.cfg.WebhookWindow < 0 {
		return 0
	}
	return e.cfg.WebhookWindow
}

// webhookSlot is the debounce slot that holds t.
func (e *Engine) webhookSlot(t time.Time) int64 {
	if w := e.webhookWindow(); w > 0 {
		return t.UnixNano() / int64(w)
	}
	return t.UnixNano()
}

// enqueueDrain inserts the drain job of slot, unless it exists already (in
// any state: a slot is drained once; a drain waits for its slot to end, so
// what arrives in the slot is pending when it reads).
func (e *Engine) enqueueDrain(ctx context.Context, tx *sql.Tx, slot int64) error {
	return e.insertDrain(ctx, tx, webhookDrainArgs{Slot: slot})
}

func (e *Engine) insertDrain(ctx context.Context, tx *sql.Tx, args webhookDrainArgs) error {
	_, err := e.river.InsertTx(ctx, tx, args, &river.InsertOpts{Queue: webhookQueue,
		MaxAttempts: maxRiverAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		return fmt.Errorf("enqueue webhook drain: %w", err)
	}
	return nil
}

// nudgeWebhooks enqueues a drain when deliveries are pending: the safety net
// for deliveries whose own drain had already run.
func (e *Engine) nudgeWebhooks(ctx context.Context) error {
	n, err := e.store.CountPendingWebhookDeliveries(ctx, e.store.Reader())
	if err != nil || n == 0 {
		return err
	}
	now := e.clock.Now()
	// A drain of its own: the current slot's may have run already (a
	// restart within the slot).
	args := webhookDrainArgs{Slot: e.webhookSlot(now), Nudge: now.UnixNano()}
	return e.store.InTx(ctx, func(tx *sql.Tx) error { return e.insertDrain(ctx, tx, args) })
}

// webhookDrainArgs is the River job that processes the deliveries of one
// debounce slot (and any others pending).
type webhookDrainArgs struct {
	Slot int64 `json:"slot" river:"unique"`
	// Nudge, when set, makes the safety net's drain unique of its own.
	Nudge int64 `json:"nudge,omitempty" river:"unique"`
}

func (webhookDrainArgs) Kind() string { return "syncops_webhook_drain" }

type webhookDrainWorker struct {
	river.WorkerDefaults[webhookDrainArgs]
	engine *Engine
}

// Timeout bounds one drain: the debounce, then the processing.
func (w *webhookDrainWorker) Timeout(*river.Job[webhookDrainArgs]) time.Duration {
	return (WebhookMaxDelayWindows+1)*w.engine.webhookWindow() + w.engine.cfg.AttemptTimeout
}

func (w *webhookDrainWorker) Work(ctx context.Context, job *river.Job[webhookDrainArgs]) error {
	e := w.engine
	if win := e.webhookWindow(); win > 0 && job.Attempt <= 1 {
		// Debounce: gather the slot's deliveries before processing them.
		end := time.Unix(0, (job.Args.Slot+1)*int64(win))
		if wait := end.Sub(e.clock.Now()); wait > 0 {
			select {
			case <-ctx.Done():
				return river.JobSnooze(0) // shutting down: drain on the next start
			case <-e.clock.After(wait):
			}
		}
	}
	if e.cfg.Webhooks == nil {
		e.logger.WarnContext(ctx, "webhook deliveries wait: this instance has no webhook processor")
		return nil
	}
	if pending, err := e.awaitPause(ctx); err != nil || !pending {
		if ctx.Err() != nil {
			return river.JobSnooze(0)
		}
		return err
	}
	rep, err := e.cfg.Webhooks.ProcessWebhooks(ctx, e)
	for c, n := range rep.Counts {
		e.webhooks.add(c, n)
	}
	if err != nil {
		e.logger.ErrorContext(ctx, "webhook processing failed", slog.Any("error", err))
		return err
	}
	if rep.RetryAfter == 0 {
		// A delivery stamped in this slot may have committed after the read
		// (it waited for the writer): run again rather than leave it to the
		// next slot's drain, which may never come.
		span, err := e.store.PendingWebhookSpan(ctx, e.store.Reader())
		if err != nil {
			return err
		}
		if span.Count > 0 {
			rep.RetryAfter = max(e.webhookWindow(), minWebhookRetry)
		}
	}
	if rep.RetryAfter > 0 {
		return river.JobSnooze(rep.RetryAfter)
	}
	return nil
}

// minWebhookRetry is the shortest wait before a drain runs again.
const minWebhookRetry = 100 * time.Millisecond

// awaitPause waits, while deliveries keep arriving, until they pause for a
// window or the oldest pending one has waited WebhookMaxDelayWindows
// windows: a burst becomes one batch. It reports whether any is pending.
func (e *Engine) awaitPause(ctx context.Context) (bool, error) {
	win := e.webhookWindow()
	for {
		span, err := e.store.PendingWebhookSpan(ctx, e.store.Reader())
		if err != nil || span.Count == 0 {
			return false, err
		}
		now := e.clock.Now()
		quiet, waited := now.Sub(span.Newest), now.Sub(span.Oldest)
		if win <= 0 || quiet >= win || waited >= WebhookMaxDelayWindows*win {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-e.clock.After(min(win-quiet, WebhookMaxDelayWindows*win-waited)):
		}
	}
}
