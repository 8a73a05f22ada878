package nhanhfake

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
)

// The fake delivers webhooks as Nhanh's v3 does, once a target is set: a
// POST of {"event", "businessId", "data"} with the verify token, raw, in the
// Authorization header, for every change it makes to stock (inventoryChange
// with the products whose stock moved, their stock as it is right after the
// change) and to orders (orderAdd, orderPartialReturn, orderDelete with the
// order as order/list shows it). Deliveries go out in order from one
// sender; one not answered 200 is tried again, up to webhookAttempts times
// in all, as Nhanh retries (sooner: the fake's gaps are short).

// webhookAttempts is how often a delivery is tried (Nhanh: once and up to
// three retries).
const webhookAttempts = 4

// webhookRetryGap is the wait before a retry.
const webhookRetryGap = 50 * time.Millisecond

// WebhookStats counts the fake's deliveries.
type WebhookStats struct {
	Queued    int // deliveries made
	Delivered int // answered 200
	Failed    int // given up after every attempt
	Attempts  int // requests sent
}

// webhooks is the fake's webhook sender.
type webhooks struct {
	mu      sync.Mutex
	cond    *sync.Cond
	url     string
	token   string
	client  *http.Client
	queue   [][]byte
	busy    bool // a delivery is being sent
	stats   WebhookStats
	running bool
	closed  bool
}

// SetWebhookTarget makes the fake deliver its webhooks to url with token as
// the verify token; an empty url stops deliveries (those queued are
// dropped). client nil is http.DefaultClient.
func (s *Server) SetWebhookTarget(url, token string, client *http.Client) {
	h := s.hooks()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.url, h.token, h.client = url, token, client
	if h.client == nil {
		h.client = http.DefaultClient
	}
	if url == "" {
		h.queue = nil
		h.cond.Broadcast()
		return
	}
	if !h.running && !h.closed {
		h.running = true
		go s.sendWebhooks(h)
	}
}

// WebhookStats returns what the fake delivered so far.
func (s *Server) WebhookStats() WebhookStats {
	h := s.hooks()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stats
}

// FlushWebhooks waits until every queued delivery has been sent (or given
// up), or ctx ends.
func (s *Server) FlushWebhooks(ctx context.Context) error {
	h := s.hooks()
	stop := context.AfterFunc(ctx, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.cond.Broadcast()
	})
	defer stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	for (len(h.queue) > 0 || h.busy) && ctx.Err() == nil && !h.closed {
		h.cond.Wait()
	}
	return ctx.Err()
}

// hooks returns the sender, creating it on first use.
func (s *Server) hooks() *webhooks {
	s.hooksOnce.Do(func() {
		s.webhooks = &webhooks{}
		s.webhooks.cond = sync.NewCond(&s.webhooks.mu)
		go func() {
			<-s.closed
			h := s.webhooks
			h.mu.Lock()
			defer h.mu.Unlock()
			h.closed = true
			h.cond.Broadcast()
		}()
	})
	return s.webhooks
}

// InventoryChangeBody is the inventoryChange delivery the fake makes for
// products ids as their stock is now (unknown ids are left out).
func (s *Server) InventoryChangeBody(ids ...extid.NhanhProductID) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inventoryChangeBody(ids)
}

type webhookJSON struct {
	Event      string `json:"event"`
	BusinessID string `json:"businessId"`
	Data       any    `json:"data"`
}

type inventoryChangeJSON struct {
	ID        int64            `json:"id"`
	Code      string           `json:"code"`
	Available *int64           `json:"available"`
	Depots    []depotStockJSON `json:"depots"`
}

// inventoryChangeBody builds the body; the caller holds s.mu.
func (s *Server) inventoryChangeBody(ids []extid.NhanhProductID) []byte {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	rows := make([]inventoryChangeJSON, 0, len(ids))
	for _, id := range ids {
		p, ok := s.products[id]
		if !ok {
			continue
		}
		inv := stockOf(p)
		rows = append(rows, inventoryChangeJSON{ID: int64(id), Code: p.Code, Available: inv.Available, Depots: inv.Depots})
	}
	return s.webhookBody("inventoryChange", rows)
}

// orderBody builds an order event's body; the caller holds s.mu.
func (s *Server) orderBody(event string, o dataset.NhanhOrder) []byte {
	var oj orderJSON
	oj.Info.ID, oj.Info.DepotID, oj.Info.Type, oj.Info.Status = int64(o.ID), int64(o.DepotID), o.Type, o.Status
	oj.Info.CreatedAt, oj.Info.UpdatedAt = o.CreatedAt, o.UpdatedAt
	if o.CustomerID != 0 {
		c := s.customers[o.CustomerID]
		oj.ShippingAddress = &orderAddressJSON{ID: int64(o.CustomerID), Name: c.Name, Mobile: c.Mobile}
	}
	for _, l := range o.Lines {
		oj.Products = append(oj.Products, orderLineJSON{ID: int64(l.ProductID), Quantity: l.Quantity - l.Returned, Price: l.Price})
	}
	return s.webhookBody(event, oj)
}

func (s *Server) webhookBody(event string, data any) []byte {
	body, err := json.Marshal(webhookJSON{Event: event, BusinessID: s.opts.BusinessID, Data: data})
	if err != nil {
		panic(err) // plain structs always encode
	}
	return body
}

// hooksOn reports whether deliveries are wanted; the caller holds s.mu
// and uses it to skip building bodies nobody receives.
func (s *Server) hooksOn() bool {
	h := s.hooks()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.url != ""
}

// enqueueWebhook queues a delivery (s.mu may be held: sending happens on
// the sender's goroutine).
func (s *Server) enqueueWebhook(body []byte) {
	h := s.hooks()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.url == "" {
		return
	}
	h.queue = append(h.queue, body)
	h.stats.Queued++
	h.cond.Broadcast()
}

// stockChanged queues the inventoryChange delivery of ids; the caller
// holds s.mu.
func (s *Server) stockChanged(ids ...extid.NhanhProductID) {
	if len(ids) == 0 || !s.hooksOn() {
		return
	}
	s.enqueueWebhook(s.inventoryChangeBody(ids))
}

// orderChanged queues an order event's delivery; the caller holds s.mu.
func (s *Server) orderChanged(event string, o dataset.NhanhOrder) {
	if !s.hooksOn() {
		return
	}
	s.enqueueWebhook(s.orderBody(event, o))
}

// sendWebhooks delivers the queue in order until the fake closes.
func (s *Server) sendWebhooks(h *webhooks) {
	for {
		h.mu.Lock()
		for len(h.queue) == 0 && !h.closed {
			h.cond.Wait()
		}
		if h.closed {
			h.mu.Unlock()
			return
		}
		body := h.queue[0]
		h.queue = h.queue[1:]
		h.busy = true
		url, token, client := h.url, h.token, h.client
		h.mu.Unlock()

		ok, tries := false, 0
		for tries < webhookAttempts && !ok {
			if tries > 0 {
				select {
				case <-s.closed:
				case <-time.After(webhookRetryGap * time.Duration(tries)):
				}
			}
			tries++
			ok = deliver(client, url, token, body)
		}

		h.mu.Lock()
		h.busy = false
		h.stats.Attempts += tries
		if ok {
			h.stats.Delivered++
		} else {
			h.stats.Failed++
		}
		h.cond.Broadcast()
		h.mu.Unlock()
	}
}

func deliver(client *http.Client, url, token string, body []byte) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
