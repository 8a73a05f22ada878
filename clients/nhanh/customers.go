package nhanh

import (
	"context"
	"encoding/json"
	"time"

	"syncops/clients/apierr"
	"syncops/clients/extid"
)

// Customer types of customer/list.
const (
	CustomerTypeAll       = 0 // no type filter
	CustomerTypeRetail    = 1
	CustomerTypeWholesale = 2
	CustomerTypeAgent     = 3
)

// CustomerTypes lists every customer type, for a pull that must see all
// customers: Nhanh does not document that leaving the type out returns every
// type (clients always send one), so a complete pass asks for each.
var CustomerTypes = []int{CustomerTypeRetail, CustomerTypeWholesale, CustomerTypeAgent}

// CustomerFilter selects customers; zero fields do not filter.
type CustomerFilter struct {
	// IDs selects these customers (at most MaxIDs).
	IDs []extid.NhanhCustomerID
	// Mobile matches the mobile number exactly as stored.
	Mobile string
	// Type is one of the CustomerType constants; CustomerTypeAll for all.
	Type int
	// LastBoughtDateFrom and LastBoughtDateTo are yyyy-mm-dd, inclusive.
	LastBoughtDateFrom, LastBoughtDateTo string
	// UpdatedAtFrom and UpdatedAtTo are unix seconds, inclusive.
	UpdatedAtFrom, UpdatedAtTo int64
}

// Customer is one Nhanh customer.
type Customer struct {
	ID     extid.NhanhCustomerID
	Type   int
	Name   string
	Mobile string
	Email  string
	// Address and CityName are as typed in Nhanh.
	Address  string
	CityName string
	// TotalAmount is the lifetime spend in VND; it may have a fraction.
	// It is 0 when HasTotalAmount is false.
	TotalAmount float64
	// HasTotalAmount is false when Nhanh sent totalAmount as null or left
	// it out: the spend is unknown, which is not the same as 0.
	HasTotalAmount bool
	// LastBoughtDate is yyyy-mm-dd, or empty if the customer never bought.
	LastBoughtDate string
	// UpdatedAt is unix seconds.
	UpdatedAt int64
}

// CustomerPage is one page of customers.
type CustomerPage struct {
	Customers []Customer
	// Next is the cursor of the next page exactly as Nhanh sent it; nil on
	// the last page. Store it as bytes and pass it back unchanged.
	Next json.RawMessage
}

type customerFilterJSON struct {
	IDs                []int64 `json:"ids,omitempty"`
	Mobile             string  `json:"mobile,omitempty"`
	Type               int     `json:"type,omitempty"`
	LastBoughtDateFrom string  `json:"lastBoughtDateFrom,omitempty"`
	LastBoughtDateTo   string  `json:"lastBoughtDateTo,omitempty"`
	UpdatedAtFrom      int64   `json:"updatedAtFrom,omitempty"`
	UpdatedAtTo        int64   `json:"updatedAtTo,omitempty"`
}

type customerWire struct {
	ID             flexInt    `json:"id"`
	Type           flexInt    `json:"type"`
	Name           flexString `json:"name"`
	Mobile         flexString `json:"mobile"`
	Email          flexString `json:"email"`
	Address        flexString `json:"address"`
	CityName       flexString `json:"cityName"`
	TotalAmount    optFloat   `json:"totalAmount"`
	LastBoughtDate flexString `json:"lastBoughtDate"`
	UpdatedAt      flexInt    `json:"updatedAt"`
}

func (f CustomerFilter) wire(op string) (customerFilterJSON, error) {
	if len(f.IDs) > MaxIDs {
		return customerFilterJSON{}, validation(op, "at most 100 ids per request")
	}
	if f.Type < CustomerTypeAll || f.Type > CustomerTypeAgent {
		return customerFilterJSON{}, validation(op, "customer type must be 0 (all), 1, 2 or 3")
	}
	for _, d := range []string{f.LastBoughtDateFrom, f.LastBoughtDateTo} {
		if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
			return customerFilterJSON{}, validation(op, "last bought date "+d+" is not yyyy-mm-dd")
		}
	}
	if err := checkUpdatedRange(op, f.UpdatedAtFrom, f.UpdatedAtTo); err != nil {
		return customerFilterJSON{}, err
	}
	out := customerFilterJSON{
		Mobile: f.Mobile, Type: f.Type,
		LastBoughtDateFrom: f.LastBoughtDateFrom, LastBoughtDateTo: f.LastBoughtDateTo,
		UpdatedAtFrom: f.UpdatedAtFrom, UpdatedAtTo: f.UpdatedAtTo,
	}
	for _, id := range f.IDs {
		out.IDs = append(out.IDs, int64(id))
	}
	return out, nil
}

func checkUpdatedRange(op string, from, to int64) *apierr.Error {
	if from < 0 || to < 0 || (to != 0 && from > to) {
		return validation(op, "updatedAt range must be unix seconds with from <= to")
	}
	return nil
}

// ListCustomers returns one page of customers matching f. Pass nil as next
// for the first page, then each page's Next until it is nil.
func (c *Client) ListCustomers(ctx context.Context, f CustomerFilter, next json.RawMessage) (CustomerPage, error) {
	const op = EndpointCustomerList
	filters, err := f.wire(op)
	if err != nil {
		return CustomerPage{}, err
	}
	body, err := listBody(op, filters, next)
	if err != nil {
		return CustomerPage{}, err
	}
	env, err := c.call(ctx, op, body)
	if err != nil {
		return CustomerPage{}, err
	}
	rows, err := decodeRows[customerWire](env.Data)
	if err != nil {
		return CustomerPage{}, decodeError(op, env, err)
	}
	page := CustomerPage{Customers: make([]Customer, 0, len(rows)), Next: env.Next}
	for _, r := range rows {
		if r.ID <= 0 {
			return CustomerPage{}, decodeError(op, env, errMissingID)
		}
		page.Customers = append(page.Customers, Customer{
			ID:             extid.NhanhCustomerID(r.ID),
			Type:           int(r.Type),
			Name:           string(r.Name),
			Mobile:         string(r.Mobile),
			Email:          string(r.Email),
			Address:        string(r.Address),
			CityName:       string(r.CityName),
			TotalAmount:    float64(r.TotalAmount.V),
			HasTotalAmount: r.TotalAmount.Valid,
			LastBoughtDate: string(r.LastBoughtDate),
			UpdatedAt:      int64(r.UpdatedAt),
		})
	}
	return page, nil
}
