package mirror

import (
	"context"
	"fmt"
	"slices"
	"time"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
)

// OrderLookahead is how far past the host's clock a read of changed orders
// reaches. order/list needs both ends of a range, and the only "now" the
// host has is its own clock, which may be behind Nhanh's: orders stamped up
// to this much ahead of the host are still read at once. Orders further
// ahead are not lost, only found by a later run (the watermark never passes
// what was seen).
const OrderLookahead = 2 * 24 * time.Hour

// OrderFirstLookback is how far back a first read of changed orders goes
// when nothing says where the mirror's spend was read: one order/list
// window.
const OrderFirstLookback = 31 * 24 * time.Hour

// SpendChanges is what a read of changed orders found.
type SpendChanges struct {
	// Customers are the buyers (shippingAddress.id) of the orders created
	// or updated in the range, sorted, each once; walk-in sales (no
	// customer) are left out.
	Customers []extid.NhanhCustomerID
	// Orders counts the orders read (an order found by both its createdAt
	// and its updatedAt counts twice).
	Orders int
	// Newest is the newest createdAt or updatedAt seen, unix seconds on
	// Nhanh's clock: the next watermark. 0 when no order was seen.
	Newest int64
	// To is the end of the range read (unix seconds).
	To int64
}

// ReadSpendChanges finds the customers whose spend may have changed since
// from (unix seconds; pass ChangedSince of the watermark): a customer's
// updatedAt is not known to move when its totalAmount does, so the orders
// are the signal. It lists order/list by createdAt and by updatedAt from
// from up to hostNow plus OrderLookahead, each range cut into windows of at
// most 31 days. Deleted orders are not listed by order/list; the nightly
// full customer pull corrects the spend they lowered.
func ReadSpendChanges(ctx context.Context, c *nhanh.Client, from int64, hostNow time.Time) (SpendChanges, error) {
	to := max(hostNow.Add(OrderLookahead).Unix(), from)
	out := SpendChanges{To: to}
	seen := map[extid.NhanhCustomerID]bool{}
	visit := func(o nhanh.Order) error {
		out.Orders++
		out.Newest = max(out.Newest, o.CreatedAt, o.UpdatedAt)
		if o.CustomerID > 0 && !seen[o.CustomerID] {
			seen[o.CustomerID] = true
			out.Customers = append(out.Customers, o.CustomerID)
		}
		return nil
	}
	for _, f := range []nhanh.OrderFilter{{CreatedAtFrom: from, CreatedAtTo: to}, {UpdatedAtFrom: from, UpdatedAtTo: to}} {
		if err := c.EachOrder(ctx, f, visit); err != nil {
			return SpendChanges{}, fmt.Errorf("read Nhanh orders changed since %s: %w",
				time.Unix(from, 0).UTC().Format(time.RFC3339), err)
		}
	}
	slices.Sort(out.Customers)
	return out, nil
}

// OrdersFrom is where a read of changed orders starts: ChangedSince of the
// orders watermark when there is one; else ChangedSince of baseline (the
// newest Nhanh updatedAt the mirror holds, when the spend there was last
// read); else OrderFirstLookback before the host's clock.
func OrdersFrom(watermark int64, hasWatermark bool, baseline int64, hostNow time.Time) int64 {
	switch {
	case hasWatermark:
		return ChangedSince(watermark)
	case baseline > 0:
		return ChangedSince(baseline)
	}
	return max(hostNow.Add(-OrderFirstLookback).Unix(), 1)
}
