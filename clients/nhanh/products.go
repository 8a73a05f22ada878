package nhanh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"syncops/clients/extid"
)

// maxPagesPerList bounds the pages one internal listing follows, so a server
// that keeps handing out cursors cannot loop a call forever.
const maxPagesPerList = 10_000

var (
	errMissingID      = errors.New("a row has no id")
	errRepeatedCursor = errors.New("paginator.next repeated the previous cursor")
	errTooManyPages   = errors.New("listing did not end within the page bound")
)

// Product statuses of product/list (1 active, 2 inactive, as the sandbox
// and the reference clients use them).
const (
	ProductStatusAll      = 0 // no status filter
	ProductStatusActive   = 1
	ProductStatusInactive = 2
)

// ProductStatuses lists every product status, for a pull that must see all
// products: whether leaving the status out returns every status is not
// documented, so a complete pass asks for each.
var ProductStatuses = []int{ProductStatusActive, ProductStatusInactive}

// ParentIDParent is the parentId Nhanh gives a parent product (one that
// groups child products, e.g. a shirt whose children are its sizes). A
// parent is not a sellable unit. This value is taken from Nhanh's older
// product documentation and is an assumption for v3: a child's parentId is
// its parent's id, and a parent is also recognisable as the parentId of
// another listed product (see ParentProductIDs).
const ParentIDParent = -2

// ProductFilter selects products; zero fields do not filter.
type ProductFilter struct {
	// IDs selects these products (at most MaxIDs).
	IDs []extid.NhanhProductID
	// Status is Nhanh's product status (1 active, 2 inactive); 0 for all.
	Status int
	// UpdatedAtFrom and UpdatedAtTo are unix seconds, inclusive. Nhanh's
	// product updatedAt ignores stock changes.
	UpdatedAtFrom, UpdatedAtTo int64
}

// Product is one Nhanh product with its stock.
type Product struct {
	ID extid.NhanhProductID
	// Code is the SKU.
	Code    string
	Barcode string
	Name    string
	// Price is the retail price in VND.
	Price  float64
	Status int
	// Available is the sellable stock over all depots the grant covers;
	// 0 when HasAvailable is false.
	Available int64
	// HasAvailable is false when Nhanh sent no stock for the product (the
	// inventory object or its available total null or missing): the stock
	// is unknown, which is not the same as 0.
	HasAvailable bool
	// Depots is the sellable stock per depot; depots Nhanh did not list are
	// absent. A depot may be negative (sold ahead of stock).
	Depots    map[extid.NhanhDepotID]int64
	UpdatedAt int64
	// ParentID is Nhanh's parentId: ParentIDParent for a parent product,
	// the parent's id for a child, and 0 or -1 for a standalone product.
	ParentID int64
	// Combos lists the component products of a combo product (a bundle
	// sold as one); empty for an ordinary product.
	Combos []ComboItem
}

// ComboItem is one component of a combo product.
type ComboItem struct {
	ProductID extid.NhanhProductID
	Quantity  int64
}

// IsParent reports whether p is a parent product by its own parentId.
// A caller holding the whole catalogue should also use ParentProductIDs.
func (p Product) IsParent() bool { return p.ParentID == ParentIDParent }

// IsCombo reports whether p is a combo product.
func (p Product) IsCombo() bool { return len(p.Combos) > 0 }

// ParentProductIDs returns the ids of products that are parents: marked
// ParentIDParent, or named as the parentId of another product in products.
func ParentProductIDs(products []Product) map[extid.NhanhProductID]bool {
	out := map[extid.NhanhProductID]bool{}
	for _, p := range products {
		switch {
		case p.IsParent():
			out[p.ID] = true
		case p.ParentID > 0:
			out[extid.NhanhProductID(p.ParentID)] = true
		}
	}
	return out
}

// ProductPage is one page of products.
type ProductPage struct {
	Products []Product
	// Next is the cursor of the next page exactly as Nhanh sent it; nil on
	// the last page.
	Next json.RawMessage
}

// Stock is one product's sellable stock.
type Stock struct {
	// Available is the total over all depots the grant covers.
	Available int64
	// Depots is the sellable stock per depot.
	Depots map[extid.NhanhDepotID]int64
	// HasAvailable is false when Nhanh sent the product without a stock
	// value (null or missing available): unknown, not 0.
	HasAvailable bool
}

// Depot is a Nhanh depot (warehouse or shop).
type Depot struct {
	ID   extid.NhanhDepotID
	Name string
}

type idsFilterJSON struct {
	IDs           []int64 `json:"ids,omitempty"`
	Status        int     `json:"status,omitempty"`
	UpdatedAtFrom int64   `json:"updatedAtFrom,omitempty"`
	UpdatedAtTo   int64   `json:"updatedAtTo,omitempty"`
}

type productWire struct {
	ID        flexInt                  `json:"id"`
	Code      flexString               `json:"code"`
	Barcode   flexString               `json:"barcode"`
	Name      flexString               `json:"name"`
	Status    flexInt                  `json:"status"`
	Prices    phpObject[pricesWire]    `json:"prices"`
	Inventory phpObject[inventoryWire] `json:"inventory"`
	UpdatedAt flexInt                  `json:"updatedAt"`
	ParentID  flexInt                  `json:"parentId"`
	Combos    phpObject[[]comboWire]   `json:"combos"`
}

// comboWire is one combo component. Nhanh's v3 page lists combos without
// its item shape; id (or productId) and quantity are what the reference
// clients read.
type comboWire struct {
	ID        flexInt `json:"id"`
	ProductID flexInt `json:"productId"`
	Quantity  flexQty `json:"quantity"`
}

type pricesWire struct {
	Retail flexFloat `json:"retail"`
}

type inventoryWire struct {
	Available optQty      `json:"available"`
	Depots    depotStocks `json:"depots"`
}

type inventoryRowWire struct {
	ProductID flexInt                  `json:"productId"`
	ID        flexInt                  `json:"id"`
	Inventory phpObject[inventoryWire] `json:"inventory"`
}

type depotWire struct {
	ID   flexInt    `json:"id"`
	Name flexString `json:"name"`
}

// phpObject decodes a JSON object, and treats [] (how PHP encodes an empty
// associative array) and null as the zero value.
type phpObject[T any] struct{ V T }

// UnmarshalJSON implements json.Unmarshaler.
func (o *phpObject[T]) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "null", "[]":
		var zero T
		o.V = zero
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

// depotStocks is inventory.depots: an array of {id, available} in v3, or an
// object keyed by depot id as v2 and some replies send it.
type depotStocks map[extid.NhanhDepotID]int64

// UnmarshalJSON implements json.Unmarshaler.
func (d *depotStocks) UnmarshalJSON(b []byte) error {
	type row struct {
		ID        flexInt `json:"id"`
		Available flexQty `json:"available"`
	}
	out := depotStocks{}
	t := bytes.TrimSpace(b)
	switch {
	case string(t) == "null":
	case len(t) > 0 && t[0] == '[':
		var rows []row
		if err := json.Unmarshal(t, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			if r.ID <= 0 {
				return errMissingID
			}
			out[extid.NhanhDepotID(r.ID)] += int64(r.Available)
		}
	default:
		var byID map[string]row
		if err := json.Unmarshal(t, &byID); err != nil {
			return err
		}
		for key, r := range byID {
			id, err := strconv.ParseInt(key, 10, 64)
			if err != nil || id <= 0 {
				return errMissingID
			}
			out[extid.NhanhDepotID(id)] += int64(r.Available)
		}
	}
	*d = out
	return nil
}

func (inv inventoryWire) stock() Stock {
	s := Stock{Available: int64(inv.Available.V), HasAvailable: inv.Available.Valid, Depots: map[extid.NhanhDepotID]int64(inv.Depots)}
	if s.Depots == nil {
		s.Depots = map[extid.NhanhDepotID]int64{}
	}
	return s
}

func (r productWire) comboItems() ([]ComboItem, error) {
	var out []ComboItem
	for _, c := range r.Combos.V {
		id := c.ProductID
		if id == 0 {
			id = c.ID
		}
		if id <= 0 {
			return nil, errMissingID
		}
		out = append(out, ComboItem{ProductID: extid.NhanhProductID(id), Quantity: int64(c.Quantity)})
	}
	return out, nil
}

// product converts one product/list row (also the data of a product
// webhook).
func (r productWire) product() (Product, error) {
	if r.ID <= 0 {
		return Product{}, errMissingID
	}
	stock := r.Inventory.V.stock()
	combos, err := r.comboItems()
	if err != nil {
		return Product{}, err
	}
	return Product{
		ID: extid.NhanhProductID(r.ID), Code: string(r.Code), Barcode: string(r.Barcode), Name: string(r.Name),
		Price: float64(r.Prices.V.Retail), Status: int(r.Status),
		Available: stock.Available, HasAvailable: stock.HasAvailable, Depots: stock.Depots, UpdatedAt: int64(r.UpdatedAt),
		ParentID: int64(r.ParentID), Combos: combos,
	}, nil
}

// ListProducts returns one page of products matching f (deleted products are
// not listed). Pass nil as next for the first page, then each page's Next.
func (c *Client) ListProducts(ctx context.Context, f ProductFilter, next json.RawMessage) (ProductPage, error) {
	const op = EndpointProductList
	if len(f.IDs) > MaxIDs {
		return ProductPage{}, validation(op, "at most 100 ids per request")
	}
	if err := checkUpdatedRange(op, f.UpdatedAtFrom, f.UpdatedAtTo); err != nil {
		return ProductPage{}, err
	}
	filters := idsFilterJSON{IDs: productIDs(f.IDs), Status: f.Status, UpdatedAtFrom: f.UpdatedAtFrom, UpdatedAtTo: f.UpdatedAtTo}
	body, err := listBody(op, filters, next)
	if err != nil {
		return ProductPage{}, err
	}
	env, err := c.call(ctx, op, body)
	if err != nil {
		return ProductPage{}, err
	}
	rows, err := decodeRows[productWire](env.Data)
	if err != nil {
		return ProductPage{}, decodeError(op, env, err)
	}
	page := ProductPage{Products: make([]Product, 0, len(rows)), Next: env.Next}
	for _, r := range rows {
		p, err := r.product()
		if err != nil {
			return ProductPage{}, decodeError(op, env, err)
		}
		page.Products = append(page.Products, p)
	}
	return page, nil
}

// Inventory returns the stock of the given products, asking product/inventory
// for at most MaxIDs ids per request and following its pages. Nhanh may leave
// products without stock out of the reply; they are absent from the map too,
// and the caller decides what absence means.
func (c *Client) Inventory(ctx context.Context, ids []extid.NhanhProductID) (map[extid.NhanhProductID]Stock, error) {
	return c.InventoryOf(ctx, ids, ProductStatusAll)
}

// InventoryOf is Inventory of the products with one status
// (ProductStatusActive, ProductStatusInactive; ProductStatusAll sends no
// status filter). A caller that needs every product asks for each status in
// ProductStatuses: whether leaving the filter out means all is not
// documented.
func (c *Client) InventoryOf(ctx context.Context, ids []extid.NhanhProductID, status int) (map[extid.NhanhProductID]Stock, error) {
	const op = EndpointProductInventory
	unique := slices.Clone(ids)
	slices.Sort(unique)
	unique = slices.Compact(unique)
	if len(unique) > 0 && unique[0] <= 0 {
		return nil, validation(op, "product ids must be positive")
	}
	out := make(map[extid.NhanhProductID]Stock, len(unique))
	for chunk := range slices.Chunk(unique, MaxIDs) {
		err := c.eachPage(ctx, op, idsFilterJSON{IDs: productIDs(chunk), Status: status}, func(data json.RawMessage) error {
			rows, err := decodeRows[inventoryRowWire](data)
			if err != nil {
				return err
			}
			for _, r := range rows {
				id := r.ProductID
				if id == 0 {
					id = r.ID
				}
				if id <= 0 {
					return errMissingID
				}
				out[extid.NhanhProductID(id)] = r.Inventory.V.stock()
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Depots returns every depot the grant covers.
func (c *Client) Depots(ctx context.Context) ([]Depot, error) {
	const op = EndpointBusinessDepot
	var out []Depot
	err := c.eachPage(ctx, op, struct{}{}, func(data json.RawMessage) error {
		rows, err := decodeRows[depotWire](data)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.ID <= 0 {
				return errMissingID
			}
			out = append(out, Depot{ID: extid.NhanhDepotID(r.ID), Name: string(r.Name)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachPage lists op with filters to its end, handing each page's data to fn.
// An error from fn is a data-shape error and is returned as such.
func (c *Client) eachPage(ctx context.Context, op string, filters any, fn func(json.RawMessage) error) error {
	var next json.RawMessage
	for range maxPagesPerList {
		body, err := listBody(op, filters, next)
		if err != nil {
			return err
		}
		env, err := c.call(ctx, op, body)
		if err != nil {
			return err
		}
		if err := fn(env.Data); err != nil {
			return decodeError(op, env, err)
		}
		if env.Next == nil {
			return nil
		}
		if bytes.Equal(env.Next, next) {
			return decodeError(op, env, errRepeatedCursor)
		}
		next = env.Next
	}
	return decodeError(op, envelope{}, errTooManyPages)
}

func productIDs(ids []extid.NhanhProductID) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		out = append(out, int64(id))
	}
	return out
}
