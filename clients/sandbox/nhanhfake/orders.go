package nhanhfake

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
)

// MaxOrderWindow is the widest createdAt or updatedAt range order/list
// accepts in one call.
const MaxOrderWindow = 31 * 24 * time.Hour

// firstOrderID is the id of the first order the fake creates.
const firstOrderID extid.NhanhOrderID = 510000000

// Order statuses the fake uses (Nhanh's numeric codes for a delivered order
// and a partly returned one).
const (
	OrderStatusSuccess        = 60
	OrderStatusPartlyReturned = 72
)

// Errors of the living-shop methods.
var (
	ErrUnknownOrder    = errors.New("nhanhfake: no such order")
	ErrUnknownCustomer = errors.New("nhanhfake: no such customer")
	ErrUnknownProduct  = errors.New("nhanhfake: no such product")
	ErrBadReturn       = errors.New("nhanhfake: return exceeds what the order kept")
)

type orderJSON struct {
	Info struct {
		ID        int64 `json:"id"`
		DepotID   int64 `json:"depotId"`
		Type      int   `json:"type"`
		Status    int   `json:"status"`
		CreatedAt int64 `json:"createdAt"`
		UpdatedAt int64 `json:"updatedAt"`
	} `json:"info"`
	ShippingAddress *orderAddressJSON `json:"shippingAddress"`
	Products        []orderLineJSON   `json:"products"`
}

type orderAddressJSON struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Mobile string `json:"mobile"`
}

type orderLineJSON struct {
	ID       int64   `json:"id"`
	Quantity int64   `json:"quantity"`
	Price    float64 `json:"price"`
}

// checkOrderWindow adds to bad the order/list filter errors: a range must
// have both ends and span at most 31 days, and one range is required (the
// fake refuses an unbounded listing rather than guess Nhanh's default).
func (s *Server) checkOrderWindow(f filters, bad map[string]string) {
	limit := int64(MaxOrderWindow / time.Second)
	check := func(name string, from, to int64) {
		switch {
		case from == 0 && to == 0:
		case from <= 0 || to <= 0:
			bad["filters."+name+"From"] = name + "From and " + name + "To must both be given"
		case from > to:
			bad["filters."+name+"From"] = name + "From must not be after " + name + "To"
		case to-from > limit:
			bad["filters."+name+"From"] = "The time range must not exceed 31 days"
		}
	}
	check("createdAt", f.CreatedAtFrom, f.CreatedAtTo)
	check("updatedAt", f.UpdatedAtFrom, f.UpdatedAtTo)
	if f.CreatedAtFrom == 0 && f.CreatedAtTo == 0 && f.UpdatedAtFrom == 0 && f.UpdatedAtTo == 0 {
		bad["filters.createdAtFrom"] = "A time range (createdAt or updatedAt) of at most 31 days is required"
	}
}

func (s *Server) orderPage(q query) ([]orderJSON, []byte) {
	s.mu.Lock()
	var rows []dataset.NhanhOrder
	for _, o := range s.orders {
		if o.Deleted || !inRange(o.CreatedAt, q.CreatedAtFrom, q.CreatedAtTo) || !inRange(o.UpdatedAt, q.UpdatedAtFrom, q.UpdatedAtTo) {
			continue
		}
		rows = append(rows, cloneOrder(o))
	}
	names := map[extid.NhanhCustomerID]dataset.NhanhCustomer{}
	for _, o := range rows {
		names[o.CustomerID] = s.customers[o.CustomerID]
	}
	s.mu.Unlock()
	slices.SortFunc(rows, func(a, b dataset.NhanhOrder) int { return cmp.Compare(a.ID, b.ID) })
	rows, next := page(rows, q, func(o dataset.NhanhOrder) int64 { return int64(o.ID) }, "id")
	out := make([]orderJSON, 0, len(rows))
	for _, o := range rows {
		var oj orderJSON
		oj.Info.ID, oj.Info.DepotID, oj.Info.Type, oj.Info.Status = int64(o.ID), int64(o.DepotID), o.Type, o.Status
		oj.Info.CreatedAt, oj.Info.UpdatedAt = o.CreatedAt, o.UpdatedAt
		if o.CustomerID != 0 {
			c := names[o.CustomerID]
			oj.ShippingAddress = &orderAddressJSON{ID: int64(o.CustomerID), Name: c.Name, Mobile: c.Mobile}
		}
		for _, l := range o.Lines {
			oj.Products = append(oj.Products, orderLineJSON{ID: int64(l.ProductID), Quantity: l.Quantity - l.Returned, Price: l.Price})
		}
		out = append(out, oj)
	}
	return out, next
}

func inRange(v, from, to int64) bool {
	return (from == 0 || v >= from) && (to == 0 || v <= to)
}

func cloneOrder(o dataset.NhanhOrder) dataset.NhanhOrder {
	o.Lines = slices.Clone(o.Lines)
	return o
}

// PlaceOrder records a sale at the fake's current time, as a shop till
// would: each line's stock at the order's depot goes down (it may go
// negative, as Nhanh allows selling ahead of stock), and the customer's
// totalAmount goes up by the order's amount. Neither the products' nor the
// customer's updatedAt moves: Nhanh's updatedAt ignores stock, and it is
// not known to move for spend. A zero ID is assigned; the stored order is
// returned.
func (s *Server) PlaceOrder(o dataset.NhanhOrder) (dataset.NhanhOrder, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.placeOrder(o)
}

func (s *Server) placeOrder(o dataset.NhanhOrder) (dataset.NhanhOrder, error) {
	if _, ok := s.customers[o.CustomerID]; o.CustomerID != 0 && !ok {
		return dataset.NhanhOrder{}, fmt.Errorf("%w: %d", ErrUnknownCustomer, o.CustomerID)
	}
	for _, l := range o.Lines {
		if p, ok := s.products[l.ProductID]; !ok || p.Deleted {
			return dataset.NhanhOrder{}, fmt.Errorf("%w: %d", ErrUnknownProduct, l.ProductID)
		}
	}
	if _, taken := s.orders[o.ID]; o.ID == 0 || taken {
		o.ID = s.nextOrder
	}
	s.nextOrder = max(s.nextOrder, o.ID+1)
	now := s.opts.Clock.Now()
	o.CreatedAt, o.UpdatedAt, o.Deleted = now.Unix(), now.Unix(), false
	if o.Status == 0 {
		o.Status = OrderStatusSuccess
	}
	if o.Type == 0 {
		o.Type = 2
	}
	o = cloneOrder(o)
	for _, l := range o.Lines {
		s.moveStock(l.ProductID, o.DepotID, -(l.Quantity - l.Returned))
	}
	s.addSpend(o.CustomerID, o.Amount(), now)
	s.orders[o.ID] = o
	s.orderChanged("orderAdd", o)
	s.stockChanged(lineProducts(o)...)
	return cloneOrder(o), nil
}

// ReturnPart records a partial return of quantity units of product from an
// order: the stock comes back to the order's depot, the customer's spend
// drops by their price, and the order's updatedAt moves to now (so
// order/list by updatedAt finds it).
func (s *Server) ReturnPart(id extid.NhanhOrderID, product extid.NhanhProductID, quantity int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.returnPart(id, product, quantity)
}

func (s *Server) returnPart(id extid.NhanhOrderID, product extid.NhanhProductID, quantity int64) error {
	o, ok := s.orders[id]
	if !ok || o.Deleted {
		return fmt.Errorf("%w: %d", ErrUnknownOrder, id)
	}
	i := slices.IndexFunc(o.Lines, func(l dataset.NhanhOrderLine) bool { return l.ProductID == product })
	if i < 0 || quantity <= 0 || o.Lines[i].Returned+quantity > o.Lines[i].Quantity {
		return fmt.Errorf("%w: order %d product %d quantity %d", ErrBadReturn, id, product, quantity)
	}
	o.Lines[i].Returned += quantity
	s.moveStock(product, o.DepotID, quantity)
	now := s.opts.Clock.Now()
	s.addSpend(o.CustomerID, -float64(quantity)*o.Lines[i].Price, now)
	o.Status, o.UpdatedAt = OrderStatusPartlyReturned, now.Unix()
	s.orders[id] = o
	s.orderChanged("orderPartialReturn", o)
	s.stockChanged(product)
	return nil
}

// DeleteOrder deletes an order: what it kept goes back to stock and off the
// customer's spend, and order/list no longer lists it.
func (s *Server) DeleteOrder(id extid.NhanhOrderID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteOrder(id)
}

func (s *Server) deleteOrder(id extid.NhanhOrderID) error {
	o, ok := s.orders[id]
	if !ok || o.Deleted {
		return fmt.Errorf("%w: %d", ErrUnknownOrder, id)
	}
	for _, l := range o.Lines {
		s.moveStock(l.ProductID, o.DepotID, l.Quantity-l.Returned)
	}
	now := s.opts.Clock.Now()
	s.addSpend(o.CustomerID, -o.Amount(), now)
	o.Deleted, o.UpdatedAt = true, now.Unix()
	s.orders[id] = o
	s.orderChanged("orderDelete", o)
	s.stockChanged(lineProducts(o)...)
	return nil
}

// lineProducts are the products of an order's lines.
func lineProducts(o dataset.NhanhOrder) []extid.NhanhProductID {
	ids := make([]extid.NhanhProductID, len(o.Lines))
	for i, l := range o.Lines {
		ids[i] = l.ProductID
	}
	return ids
}

// moveStock changes a product's stock at a depot by delta without touching
// its updatedAt. The caller holds s.mu.
func (s *Server) moveStock(id extid.NhanhProductID, depot extid.NhanhDepotID, delta int64) {
	p, ok := s.products[id]
	if !ok {
		return
	}
	p.Available[depot] += delta
	s.products[id] = p
}

// addSpend changes a customer's totalAmount without touching its updatedAt.
// A customer whose total is null stays null. The caller holds s.mu.
func (s *Server) addSpend(id extid.NhanhCustomerID, delta float64, now time.Time) {
	c, ok := s.customers[id]
	if !ok || id == 0 {
		return
	}
	if !c.TotalAmountNull {
		c.TotalAmount = max(0, c.TotalAmount+delta)
	}
	if delta > 0 {
		c.LastBoughtDate = now.UTC().Format(time.DateOnly)
	}
	s.customers[id] = c
}

// SellOptions is one burst of trading for Sell.
type SellOptions struct {
	// Seed makes the burst reproducible: the same seed on the same state
	// sells the same things.
	Seed uint64
	// Orders is how many orders to place.
	Orders int
	// Returns is how many partial returns to make on live orders.
	Returns int
	// Deletes is how many live orders to delete.
	Deletes int
	// MaxLines and MaxQuantity bound an order's lines and each line's
	// quantity (defaults 3 and 2).
	MaxLines, MaxQuantity int
}

// SellReport says what a burst of trading changed.
type SellReport struct {
	Placed, Returned, Deleted []extid.NhanhOrderID
	// Customers and Products are the ids whose spend or stock moved,
	// sorted, each once.
	Customers []extid.NhanhCustomerID
	Products  []extid.NhanhProductID
}

// Sell trades for a while, deterministically: it places opts.Orders orders
// for customers and sellable products chosen from opts.Seed (products that
// are listed, not parents, not combos and in stock at a depot), then makes
// opts.Returns partial returns and opts.Deletes deletions among the live
// orders. Every timestamp is the fake clock's now; nothing runs in the
// background. No customer's or product's updatedAt moves.
func (s *Server) Sell(opts SellOptions) SellReport {
	if opts.MaxLines <= 0 {
		opts.MaxLines = 3
	}
	if opts.MaxQuantity <= 0 {
		opts.MaxQuantity = 2
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed5a1e))
	s.mu.Lock()
	defer s.mu.Unlock()
	var rep SellReport
	customers := sortedKeys(s.customers)
	products := sortedKeys(s.products)
	touchedC := map[extid.NhanhCustomerID]bool{}
	touchedP := map[extid.NhanhProductID]bool{}
	for range opts.Orders {
		if len(customers) == 0 || len(s.depots) == 0 {
			break
		}
		depot := s.depots[rng.IntN(len(s.depots))].ID
		o := dataset.NhanhOrder{DepotID: depot, CustomerID: customers[rng.IntN(len(customers))]}
		lines := 1 + rng.IntN(opts.MaxLines)
		for range lines * 4 { // a few tries to find stocked products
			if len(o.Lines) == lines {
				break
			}
			p := s.products[products[rng.IntN(len(products))]]
			if p.Deleted || p.ParentID == -2 || len(p.Combos) > 0 || p.Available[depot] <= 0 ||
				slices.ContainsFunc(o.Lines, func(l dataset.NhanhOrderLine) bool { return l.ProductID == p.ID }) {
				continue
			}
			q := min(int64(1+rng.IntN(opts.MaxQuantity)), p.Available[depot])
			o.Lines = append(o.Lines, dataset.NhanhOrderLine{ProductID: p.ID, Quantity: q, Price: p.Price})
		}
		if len(o.Lines) == 0 {
			continue
		}
		placed, err := s.placeOrder(o)
		if err != nil {
			continue // chosen from the fake's own records, so it cannot fail
		}
		rep.Placed = append(rep.Placed, placed.ID)
		touch(placed, touchedC, touchedP)
	}
	for range opts.Returns {
		live := s.liveOrders(func(o dataset.NhanhOrder) bool {
			return slices.ContainsFunc(o.Lines, func(l dataset.NhanhOrderLine) bool { return l.Returned < l.Quantity })
		})
		if len(live) == 0 {
			break
		}
		o := s.orders[live[rng.IntN(len(live))]]
		var open []int
		for i, l := range o.Lines {
			if l.Returned < l.Quantity {
				open = append(open, i)
			}
		}
		l := o.Lines[open[rng.IntN(len(open))]]
		o.Lines = []dataset.NhanhOrderLine{l}
		if err := s.returnPart(o.ID, l.ProductID, 1); err == nil {
			rep.Returned = append(rep.Returned, o.ID)
			touch(o, touchedC, touchedP)
		}
	}
	for range opts.Deletes {
		live := s.liveOrders(func(dataset.NhanhOrder) bool { return true })
		if len(live) == 0 {
			break
		}
		id := live[rng.IntN(len(live))]
		if err := s.deleteOrder(id); err == nil {
			rep.Deleted = append(rep.Deleted, id)
			touch(s.orders[id], touchedC, touchedP)
		}
	}
	rep.Customers = sortedKeys(touchedC)
	rep.Products = sortedKeys(touchedP)
	return rep
}

func touch(o dataset.NhanhOrder, customers map[extid.NhanhCustomerID]bool, products map[extid.NhanhProductID]bool) {
	if o.CustomerID != 0 {
		customers[o.CustomerID] = true
	}
	for _, l := range o.Lines {
		products[l.ProductID] = true
	}
}

// liveOrders lists the ids of orders not deleted that keep, sorted. The
// caller holds s.mu.
func (s *Server) liveOrders(keep func(dataset.NhanhOrder) bool) []extid.NhanhOrderID {
	var out []extid.NhanhOrderID
	for id, o := range s.orders {
		if !o.Deleted && keep(o) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// CollapseSpend makes the spend of a share of customers (those with a known,
// positive total, chosen from seed) collapse, for a brake test: half of
// them drop to 0, the others to a tenth. updatedAt does not move. It
// returns the collapsed customers, sorted.
func (s *Server) CollapseSpend(share float64, seed uint64) []extid.NhanhCustomerID {
	rng := rand.New(rand.NewPCG(seed, seed^0xc011a95e))
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []extid.NhanhCustomerID
	for _, id := range sortedKeys(s.customers) {
		c := s.customers[id]
		if c.TotalAmountNull || c.TotalAmount <= 0 || rng.Float64() >= share {
			continue
		}
		if len(out)%2 == 0 {
			c.TotalAmount = 0
		} else {
			c.TotalAmount /= 10
		}
		s.customers[id] = c
		out = append(out, id)
	}
	return out
}

// Orders returns every order the fake holds, deleted ones included, by id.
func (s *Server) Orders() []dataset.NhanhOrder {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]dataset.NhanhOrder, 0, len(s.orders))
	for _, id := range sortedKeys(s.orders) {
		out = append(out, cloneOrder(s.orders[id]))
	}
	return out
}

// Snapshot returns a copy of the fake's current Nhanh world (customers,
// products, depots and orders, each sorted by id), from which the expected
// final state of a sync is computed (dataset.ExpectedTotalSpent,
// dataset.ExpectedAvailable). The Shopify fields are empty.
func (s *Server) Snapshot() *dataset.Dataset {
	s.mu.Lock()
	defer s.mu.Unlock()
	ds := &dataset.Dataset{NhanhDepots: slices.Clone(s.depots)}
	for _, id := range sortedKeys(s.customers) {
		ds.NhanhCustomers = append(ds.NhanhCustomers, s.customers[id])
	}
	for _, id := range sortedKeys(s.products) {
		ds.NhanhProducts = append(ds.NhanhProducts, cloneProduct(s.products[id]))
	}
	for _, id := range sortedKeys(s.orders) {
		ds.NhanhOrders = append(ds.NhanhOrders, cloneOrder(s.orders[id]))
	}
	return ds
}
