package sandbox

import (
	"context"
	"time"

	"syncops/clients/sandbox/nhanhfake"
)

// DeliverWebhooks makes the Nhanh fake deliver Nhanh's v3 webhooks, with
// token as the verify token, to url: an inventoryChange for every stock
// change it makes and an order event for every order change.
func (sb *Sandbox) DeliverWebhooks(url, token string) {
	sb.nhanh.SetWebhookTarget(url, token, nil)
}

// Trade keeps the Nhanh shop trading in the background until ctx ends:
// every interval a few orders, a partial return and a deletion, which move
// stock and spend (and, with DeliverWebhooks, send their webhooks).
func (sb *Sandbox) Trade(ctx context.Context, every time.Duration) {
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for seed := uint64(1); ; seed++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				sb.nhanh.Sell(nhanhfake.SellOptions{Seed: seed, Orders: 3, Returns: 1, Deletes: 1})
			}
		}
	}()
}
