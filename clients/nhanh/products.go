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
	// Available is the sellable stock over all depots the grant covers.
	Available int64
	// Depots is the sellable stock per depot; depots Nhanh did not list are absent.
	Depots    map[extid.NhanhDepotID]int64
	UpdatedAt int64
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
}

type pricesWire struct {
	Retail flexFloat `json:"retail"`
}

type inventoryWire struct {
	Available flexQty     `json:"available"`
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
	s := Stock{Available: int64(inv.Available), Depots: map[extid.NhanhDepotID]int64(inv.Depots)}
	if s.Depots == nil {
		s.Depots = map[extid.NhanhDepotID]int64{}
	}
	return s
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
		if r.ID <= 0 {
			return ProductPage{}, decodeError(op, env, errMissingID)
		}
		stock := r.Inventory.V.stock()
		page.Products = append(page.Products, Product{
			ID: extid.NhanhProductID(r.ID), Code: string(r.Code), Barcode: string(r.Barcode), Name: string(r.Name),
			Price: float64(r.Prices.V.Retail), Status: int(r.Status),
			Available: stock.Available, Depots: stock.Depots, UpdatedAt: int64(r.UpdatedAt),
		})
	}
	return page, nil
}

// Inventory returns the stock of the given products, asking product/inventory
// for at most MaxIDs ids per request and following its pages. Nhanh may leave
// products without stock out of the reply; they are absent from the map too,
// and the caller decides what absence means.
func (c *Client) Inventory(ctx context.Context, ids []extid.NhanhProductID) (map[extid.NhanhProductID]Stock, error) {
	const op = EndpointProductInventory
	unique := slices.Clone(ids)
	slices.Sort(unique)
	unique = slices.Compact(unique)
	if len(unique) > 0 && unique[0] <= 0 {
		return nil, validation(op, "product ids must be positive")
	}
	out := make(map[extid.NhanhProductID]Stock, len(unique))
	for chunk := range slices.Chunk(unique, MaxIDs) {
		err := c.eachPage(ctx, op, idsFilterJSON{IDs: productIDs(chunk)}, func(data json.RawMessage) error {
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
