package nhanh

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"syncops/clients/apierr"
	"syncops/clients/extid"
)

// EndpointOrderList is v3 order/list. syncops reads orders only to find the
// customers whose spend may have changed: Nhanh has no customer webhook and a
// customer's updatedAt is not known to move when totalAmount does.
const EndpointOrderList = "order/list"

// errStopped ends a listing early when the caller's callback failed.
var errStopped = errors.New("listing stopped by the caller")

// MaxOrderWindowSeconds is the widest createdAt or updatedAt range one
// order/list call may ask for: 31 days, inclusive of both ends.
const MaxOrderWindowSeconds = 31 * 24 * 60 * 60

// OrderFilter selects orders by when they were created or last updated, in
// unix seconds, both ends inclusive. At least one range must be set, with
// both ends; a range wider than MaxOrderWindowSeconds is refused by
// ListOrders and split into windows by EachOrder.
type OrderFilter struct {
	CreatedAtFrom, CreatedAtTo int64
	UpdatedAtFrom, UpdatedAtTo int64
}

// Order is one Nhanh order, as far as spend tracking needs it.
type Order struct {
	ID      extid.NhanhOrderID
	DepotID extid.NhanhDepotID
	// Type and Status are Nhanh's numeric order type and status.
	Type, Status int
	// CreatedAt and UpdatedAt are unix seconds on Nhanh's clock.
	CreatedAt, UpdatedAt int64
	// CustomerID is shippingAddress.id, the buyer's customer id; 0 when the
	// order names no customer (a walk-in sale).
	CustomerID     extid.NhanhCustomerID
	CustomerName   string
	CustomerMobile string
}

// OrderPage is one page of orders.
type OrderPage struct {
	Orders []Order
	// Next is the cursor of the next page exactly as Nhanh sent it; nil on
	// the last page.
	Next json.RawMessage
}

type orderFilterJSON struct {
	CreatedAtFrom int64 `json:"createdAtFrom,omitempty"`
	CreatedAtTo   int64 `json:"createdAtTo,omitempty"`
	UpdatedAtFrom int64 `json:"updatedAtFrom,omitempty"`
	UpdatedAtTo   int64 `json:"updatedAtTo,omitempty"`
}

type orderWire struct {
	Info struct {
		ID        flexInt `json:"id"`
		DepotID   flexInt `json:"depotId"`
		Type      flexInt `json:"type"`
		Status    flexInt `json:"status"`
		CreatedAt flexInt `json:"createdAt"`
		UpdatedAt flexInt `json:"updatedAt"`
	} `json:"info"`
	ShippingAddress phpObject[struct {
		ID     flexInt    `json:"id"`
		Name   flexString `json:"name"`
		Mobile flexString `json:"mobile"`
	}] `json:"shippingAddress"`
}

// checkWindow validates one range of f: unset, or both ends set with
// from <= to and at most MaxOrderWindowSeconds apart.
func checkWindow(op, name string, from, to int64) *apierr.Error {
	switch {
	case from == 0 && to == 0:
		return nil
	case from <= 0 || to <= 0:
		return validation(op, name+" range needs both ends, unix seconds")
	case from > to:
		return validation(op, name+" range must have from <= to")
	case to-from > MaxOrderWindowSeconds:
		return validation(op, fmt.Sprintf("%s range spans %.1f days; Nhanh allows at most 31 days per order/list call (EachOrder splits longer ranges)",
			name, float64(to-from)/86400))
	}
	return nil
}

func (f OrderFilter) wire(op string) (orderFilterJSON, error) {
	if f.CreatedAtFrom == 0 && f.CreatedAtTo == 0 && f.UpdatedAtFrom == 0 && f.UpdatedAtTo == 0 {
		return orderFilterJSON{}, validation(op, "order/list needs a createdAt or updatedAt range")
	}
	if err := checkWindow(op, "createdAt", f.CreatedAtFrom, f.CreatedAtTo); err != nil {
		return orderFilterJSON{}, err
	}
	if err := checkWindow(op, "updatedAt", f.UpdatedAtFrom, f.UpdatedAtTo); err != nil {
		return orderFilterJSON{}, err
	}
	return orderFilterJSON(f), nil
}

// ListOrders returns one page of orders matching f, whose ranges must each
// fit one window. Pass nil as next for the first page, then each page's Next.
func (c *Client) ListOrders(ctx context.Context, f OrderFilter, next json.RawMessage) (OrderPage, error) {
	const op = EndpointOrderList
	filters, err := f.wire(op)
	if err != nil {
		return OrderPage{}, err
	}
	body, err := listBody(op, filters, next)
	if err != nil {
		return OrderPage{}, err
	}
	env, err := c.call(ctx, op, body)
	if err != nil {
		return OrderPage{}, err
	}
	orders, err := decodeOrders(env.Data)
	if err != nil {
		return OrderPage{}, decodeError(op, env, err)
	}
	return OrderPage{Orders: orders, Next: env.Next}, nil
}

// order converts one order/list row (also the data of an order webhook).
func (r orderWire) order() (Order, error) {
	if r.Info.ID <= 0 {
		return Order{}, errMissingID
	}
	sa := r.ShippingAddress.V
	return Order{
		ID: extid.NhanhOrderID(r.Info.ID), DepotID: extid.NhanhDepotID(r.Info.DepotID),
		Type: int(r.Info.Type), Status: int(r.Info.Status),
		CreatedAt: int64(r.Info.CreatedAt), UpdatedAt: int64(r.Info.UpdatedAt),
		CustomerID: extid.NhanhCustomerID(max(sa.ID, 0)), CustomerName: string(sa.Name), CustomerMobile: string(sa.Mobile),
	}, nil
}

func decodeOrders(data json.RawMessage) ([]Order, error) {
	rows, err := decodeRows[orderWire](data)
	if err != nil {
		return nil, err
	}
	out := make([]Order, 0, len(rows))
	for _, r := range rows {
		o, err := r.order()
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// OrderWindow is one inclusive range of unix seconds.
type OrderWindow struct{ From, To int64 }

// OrderWindows cuts the inclusive range [from, to] into consecutive windows
// of at most MaxOrderWindowSeconds each, oldest first. It returns nothing
// when from > to.
func OrderWindows(from, to int64) []OrderWindow {
	var out []OrderWindow
	for start := from; start <= to; {
		end := min(to, start+MaxOrderWindowSeconds)
		out = append(out, OrderWindow{From: start, To: end})
		if end == to {
			break
		}
		start = end + 1
	}
	return out
}

// EachOrder lists every order matching f, calling fn for each. Exactly one
// of f's ranges may be set; it may be of any length: it is cut into
// OrderWindows and each window is paged to its end. fn's error stops the
// listing and is returned unchanged. An order updated while the listing
// runs may be seen twice or not at all in this pass; callers keep an
// overlap on their watermark for that reason.
func (c *Client) EachOrder(ctx context.Context, f OrderFilter, fn func(Order) error) error {
	const op = EndpointOrderList
	byCreated := f.CreatedAtFrom != 0 || f.CreatedAtTo != 0
	byUpdated := f.UpdatedAtFrom != 0 || f.UpdatedAtTo != 0
	if byCreated == byUpdated {
		return validation(op, "EachOrder needs exactly one of the createdAt and updatedAt ranges")
	}
	from, to := f.CreatedAtFrom, f.CreatedAtTo
	if byUpdated {
		from, to = f.UpdatedAtFrom, f.UpdatedAtTo
	}
	if from <= 0 || to <= 0 || from > to {
		return validation(op, "order range needs both ends, unix seconds, with from <= to")
	}
	for _, w := range OrderWindows(from, to) {
		window := OrderFilter{CreatedAtFrom: w.From, CreatedAtTo: w.To}
		if byUpdated {
			window = OrderFilter{UpdatedAtFrom: w.From, UpdatedAtTo: w.To}
		}
		filters, err := window.wire(op)
		if err != nil {
			return err
		}
		var stop error
		err = c.eachPage(ctx, op, filters, func(data json.RawMessage) error {
			orders, err := decodeOrders(data)
			if err != nil {
				return err
			}
			for _, o := range orders {
				if err := fn(o); err != nil {
					stop = err
					return errStopped
				}
			}
			return nil
		})
		if stop != nil {
			return stop
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// CustomersByID reads the given customers with customer/list's ids filter,
// MaxIDs per call, following each call's pages. Each customer type is asked
// for explicitly (whether leaving the type out means all is not
// documented): retail for all the ids first, then the next type for the
// ids not yet found, and so on. Asking one type for every id before the
// next packs the calls: 1,000 buyers of whom 15% are not retail take
// 10 + 2 + 1 calls, where a type after another per 100 ids took 30 (a
// hundred customers are almost never all retail). Callers hand it up to
// CustomersByIDBatch ids at a time for that reason. Customers Nhanh does
// not return (deleted ones) are absent from the result, which is in id
// order.
func (c *Client) CustomersByID(ctx context.Context, ids []extid.NhanhCustomerID) ([]Customer, error) {
	const op = EndpointCustomerList
	unique := slices.Clone(ids)
	slices.Sort(unique)
	unique = slices.Compact(unique)
	if len(unique) > 0 && unique[0] <= 0 {
		return nil, validation(op, "customer ids must be positive")
	}
	var out []Customer
	found := map[extid.NhanhCustomerID]bool{}
	wanted := unique
	for _, typ := range CustomerTypes {
		for chunk := range slices.Chunk(wanted, MaxIDs) {
			var next json.RawMessage
			for range maxPagesPerList {
				page, err := c.ListCustomers(ctx, CustomerFilter{IDs: chunk, Type: typ}, next)
				if err != nil {
					return nil, err
				}
				for _, cu := range page.Customers {
					if !found[cu.ID] {
						found[cu.ID] = true
						out = append(out, cu)
					}
				}
				if page.Next == nil {
					break
				}
				if string(page.Next) == string(next) {
					return nil, decodeError(op, envelope{}, errRepeatedCursor)
				}
				next = page.Next
			}
		}
		wanted = slices.DeleteFunc(wanted, func(id extid.NhanhCustomerID) bool { return found[id] })
		if len(wanted) == 0 {
			break
		}
	}
	slices.SortFunc(out, func(a, b Customer) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
