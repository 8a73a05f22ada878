package nhanhfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"syncops/clients/sandbox/dataset"
)

// maxRequestBody bounds what the fake reads from one request.
const maxRequestBody = 1 << 20

// listRequest is the v3 request body of every endpoint served here.
type listRequest struct {
	Filters   json.RawMessage `json:"filters"`
	Paginator struct {
		Size *int            `json:"size"`
		Next json.RawMessage `json:"next"`
	} `json:"paginator"`
}

// filters is the union of the filters of the endpoints served here.
type filters struct {
	IDs                []int64 `json:"ids"`
	Mobile             string  `json:"mobile"`
	Type               int     `json:"type"`
	Status             int     `json:"status"`
	LastBoughtDateFrom string  `json:"lastBoughtDateFrom"`
	LastBoughtDateTo   string  `json:"lastBoughtDateTo"`
	UpdatedAtFrom      int64   `json:"updatedAtFrom"`
	UpdatedAtTo        int64   `json:"updatedAtTo"`
	CreatedAtFrom      int64   `json:"createdAtFrom"`
	CreatedAtTo        int64   `json:"createdAtTo"`
}

// query is a validated request: its filters, page size and cursor.
type query struct {
	filters
	size  int
	after int64 // rows with a larger id than this are on the page
}

// parse validates a request body for an endpoint; a non-nil envelope is the
// validation failure to send.
func (s *Server) parse(r *http.Request, endpoint, cursorKey string) (query, *envelope) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		env := failure("ERR_INVALID_DATA", "Could not read the request body")
		return query{}, &env
	}
	var req listRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		env := failure("ERR_INVALID_DATA", "Request body is not valid JSON")
		return query{}, &env
	}
	q := query{size: s.opts.PageSize}
	if f := bytes.TrimSpace(req.Filters); len(f) > 0 && !bytes.Equal(f, []byte("null")) && !bytes.Equal(f, []byte("[]")) {
		if err := json.Unmarshal(f, &q.filters); err != nil {
			env := invalidFields(map[string]string{"filters": "filters has a field of the wrong type"})
			return query{}, &env
		}
	}
	bad := map[string]string{}
	if len(q.IDs) > MaxIDs {
		bad["filters.ids"] = "ids must not have more than " + strconv.Itoa(MaxIDs) + " items"
	}
	if q.Type < 0 || q.Type > int(dataset.NhanhAgent) {
		bad["filters.type"] = "type must be 1, 2 or 3"
	}
	for field, v := range map[string]string{"filters.lastBoughtDateFrom": q.LastBoughtDateFrom, "filters.lastBoughtDateTo": q.LastBoughtDateTo} {
		if _, err := time.Parse(time.DateOnly, v); v != "" && err != nil {
			bad[field] = "must be a date Y-m-d"
		}
	}
	if size := req.Paginator.Size; size != nil {
		switch {
		case *size < 1:
			bad["paginator.size"] = "size must be a positive integer"
		case *size > DefaultPageSize && endpoint != EndpointCustomerList:
			bad["paginator.size"] = "size must not be greater than " + strconv.Itoa(DefaultPageSize)
		default:
			// customer/list silently caps large pages, as observed on Nhanh.
			q.size = min(*size, s.opts.PageSize)
		}
	}
	if next := bytes.TrimSpace(req.Paginator.Next); len(next) > 0 && !bytes.Equal(next, []byte("null")) {
		after, ok := parseCursor(req.Paginator.Next, cursorKey)
		if !ok {
			bad["paginator.next"] = "next must be sent back exactly as it was received"
		}
		q.after = after
	}
	if endpoint == EndpointOrderList {
		s.checkOrderWindow(q.filters, bad)
	}
	if len(bad) > 0 {
		env := invalidFields(bad)
		return query{}, &env
	}
	return q, nil
}

func (s *Server) serveEndpoint(w http.ResponseWriter, r *http.Request, endpoint string) {
	cursorKey := "id"
	if endpoint == EndpointProductInventory {
		cursorKey = "productId"
	}
	q, bad := s.parse(r, endpoint, cursorKey)
	if bad != nil {
		writeJSON(w, http.StatusOK, *bad)
		return
	}
	switch endpoint {
	case EndpointCustomerList:
		rows, next := s.customerPage(q)
		writePage(w, rows, next)
	case EndpointProductList:
		rows, next := s.productPage(q)
		writePage(w, rows, next)
	case EndpointProductInventory:
		rows, next := s.inventoryPage(q)
		writePage(w, rows, next)
	case EndpointBusinessDepot:
		writePage(w, s.depotList(q), nil)
	case EndpointOrderList:
		rows, next := s.orderPage(q)
		writePage(w, rows, next)
	}
}

type customerJSON struct {
	ID             int64    `json:"id"`
	Type           int      `json:"type"`
	Name           string   `json:"name"`
	Mobile         string   `json:"mobile"`
	Email          string   `json:"email"`
	Address        string   `json:"address"`
	CityName       string   `json:"cityName"`
	TotalAmount    *float64 `json:"totalAmount"`
	LastBoughtDate *string  `json:"lastBoughtDate"`
	UpdatedAt      int64    `json:"updatedAt"`
}

type productJSON struct {
	ID      int64  `json:"id"`
	Code    string `json:"code"`
	Barcode string `json:"barcode"`
	Name    string `json:"name"`
	Status  int    `json:"status"`
	Prices  struct {
		Retail float64 `json:"retail"`
	} `json:"prices"`
	Inventory inventoryJSON `json:"inventory"`
	UpdatedAt int64         `json:"updatedAt"`
	ParentID  int64         `json:"parentId,omitempty"`
	Combos    []comboJSON   `json:"combos,omitempty"`
}

type comboJSON struct {
	ID       int64 `json:"id"`
	Quantity int64 `json:"quantity"`
}

type inventoryJSON struct {
	// Available is null for a product whose stock the dataset marks null.
	Available *int64           `json:"available"`
	Depots    []depotStockJSON `json:"depots"`
}

type depotStockJSON struct {
	ID        int64 `json:"id"`
	Available int64 `json:"available"`
}

type inventoryRowJSON struct {
	ProductID int64         `json:"productId"`
	Inventory inventoryJSON `json:"inventory"`
}

type depotJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (s *Server) customerPage(q query) ([]customerJSON, []byte) {
	// Walk the sorted ids from the cursor and copy only the page's rows (one
	// more tells whether a next page exists): scanning and sorting every
	// customer for each page made a 500,000-customer pull measure the fake,
	// not the client (5,000 pages, each sorting up to 500,000 ids).
	s.mu.Lock()
	f := q.filters
	if f.Type == 0 && s.opts.OmittedTypeMeansRetail {
		f.Type = int(dataset.NhanhRetail)
	}
	rows := make([]dataset.NhanhCustomer, 0, q.size+1)
	ids := lookedAt(s.customerIDs, f.IDs)
	for _, id := range ids[after(ids, q.after):] {
		if c, ok := s.customers[id]; ok && matchCustomer(c, f) {
			if rows = append(rows, c); len(rows) > q.size {
				break
			}
		}
	}
	s.mu.Unlock()
	rows, next := page(rows, q, func(c dataset.NhanhCustomer) int64 { return int64(c.ID) }, "id")
	out := make([]customerJSON, 0, len(rows))
	for _, c := range rows {
		cj := customerJSON{
			ID: int64(c.ID), Type: int(c.Type), Name: c.Name, Mobile: c.Mobile, Email: c.Email,
			Address: c.Address, CityName: c.CityName, UpdatedAt: c.UpdatedAt,
		}
		if !c.TotalAmountNull {
			cj.TotalAmount = &c.TotalAmount
		}
		if c.LastBoughtDate != "" {
			cj.LastBoughtDate = &c.LastBoughtDate
		}
		out = append(out, cj)
	}
	return out, next
}

// matchCustomer applies the filters other than ids, which lookedAt has
// applied by walking only those.
func matchCustomer(c dataset.NhanhCustomer, f filters) bool {
	switch {
	case f.Mobile != "" && c.Mobile != f.Mobile:
		return false
	case f.Type != 0 && int(c.Type) != f.Type:
		return false
	case f.LastBoughtDateFrom != "" && (c.LastBoughtDate == "" || c.LastBoughtDate < f.LastBoughtDateFrom):
		return false
	case f.LastBoughtDateTo != "" && (c.LastBoughtDate == "" || c.LastBoughtDate > f.LastBoughtDateTo):
		return false
	}
	return matchUpdated(c.UpdatedAt, f)
}

func matchUpdated(updatedAt int64, f filters) bool {
	if f.UpdatedAtFrom != 0 && updatedAt < f.UpdatedAtFrom {
		return false
	}
	return f.UpdatedAtTo == 0 || updatedAt <= f.UpdatedAtTo
}

// listedProducts returns the products a product endpoint can see, sorted by
// id: deleted ones are gone, and keep (if set) filters further.
func (s *Server) listedProducts(q query, keep func(dataset.NhanhProduct) bool) []dataset.NhanhProduct {
	f := q.filters
	if f.Status == 0 && s.opts.OmittedStatusMeansActive {
		f.Status = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := lookedAt(s.productIDs, f.IDs)
	// From the cursor on, up to one row more than a page (as customerPage).
	rows := make([]dataset.NhanhProduct, 0, q.size+1)
	for _, id := range ids[after(ids, q.after):] {
		p, ok := s.products[id]
		if !ok || p.Deleted {
			continue
		}
		if f.Status != 0 && p.Status != f.Status {
			continue
		}
		if matchUpdated(p.UpdatedAt, f) && keep(p) {
			if rows = append(rows, cloneProduct(p)); len(rows) > q.size {
				break
			}
		}
	}
	return rows
}

// lookedAt returns the ids a list walks, in order: every record's (all, in
// order), or, when the request filters by ids, those, looked up rather
// than searched for (a product sync asks for 100 ids of a shop of 100,000
// products in every batch, and scanning the shop for them made the scale
// run measure the fake).
func lookedAt[ID ~int64](all []ID, filter []int64) []ID {
	if len(filter) == 0 {
		return all
	}
	ids := make([]ID, 0, len(filter))
	for _, id := range filter {
		ids = append(ids, ID(id))
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// after is the position in sorted ids of the first id above cursor.
func after[ID ~int64](ids []ID, cursor int64) int {
	i, found := slices.BinarySearch(ids, ID(cursor))
	if found {
		i++
	}
	return i
}

func (s *Server) productPage(q query) ([]productJSON, []byte) {
	rows := s.listedProducts(q, func(dataset.NhanhProduct) bool { return true })
	rows, next := page(rows, q, func(p dataset.NhanhProduct) int64 { return int64(p.ID) }, "id")
	out := make([]productJSON, 0, len(rows))
	for _, p := range rows {
		pj := productJSON{ID: int64(p.ID), Code: p.Code, Barcode: p.Barcode, Name: p.Name, Status: p.Status, UpdatedAt: p.UpdatedAt}
		pj.Prices.Retail = p.Price
		pj.Inventory = stockOf(p)
		pj.ParentID = p.ParentID
		for _, c := range p.Combos {
			pj.Combos = append(pj.Combos, comboJSON{ID: int64(c.ProductID), Quantity: c.Quantity})
		}
		out = append(out, pj)
	}
	return out, next
}

// inventoryPage serves product/inventory, which leaves out products without
// stock (as the real API may do).
func (s *Server) inventoryPage(q query) ([]inventoryRowJSON, []byte) {
	rows := s.listedProducts(q, func(p dataset.NhanhProduct) bool {
		a := stockOf(p).Available
		return a == nil || *a != 0
	})
	rows, next := page(rows, q, func(p dataset.NhanhProduct) int64 { return int64(p.ID) }, "productId")
	out := make([]inventoryRowJSON, 0, len(rows))
	for _, p := range rows {
		out = append(out, inventoryRowJSON{ProductID: int64(p.ID), Inventory: stockOf(p)})
	}
	return out, next
}

func stockOf(p dataset.NhanhProduct) inventoryJSON {
	inv := inventoryJSON{Depots: make([]depotStockJSON, 0, len(p.Available))}
	var total int64
	for d, n := range p.Available {
		total += n
		inv.Depots = append(inv.Depots, depotStockJSON{ID: int64(d), Available: n})
	}
	if !p.StockNull {
		inv.Available = &total
	}
	slices.SortFunc(inv.Depots, func(a, b depotStockJSON) int { return cmpID(a.ID, b.ID) })
	return inv
}

func (s *Server) depotList(q query) []depotJSON {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]depotJSON, 0, len(s.depots))
	for _, d := range s.depots {
		if len(q.IDs) == 0 || slices.Contains(q.IDs, int64(d.ID)) {
			out = append(out, depotJSON{ID: int64(d.ID), Name: d.Name})
		}
	}
	return out
}

// page cuts one page from rows sorted by id and returns the cursor of the
// next page, or nil on the last one.
func page[T any](rows []T, q query, id func(T) int64, cursorKey string) ([]T, []byte) {
	start, _ := slices.BinarySearchFunc(rows, q.after, func(row T, after int64) int {
		if id(row) <= after {
			return -1
		}
		return 1
	})
	rows = rows[start:]
	if len(rows) <= q.size {
		return rows, nil
	}
	rows = rows[:q.size]
	return rows, cursor(cursorKey, id(rows[len(rows)-1]))
}
