package nhanh

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"syncops/clients/extid"
)

// Nhanh's v3 webhooks: Nhanh POSTs {"event", "businessId", "data"} to the
// app's callback URL with the app's verify token, raw, in the Authorization
// header (no signature). Anything but HTTP 200 is a failure Nhanh retries
// (up to 3 times) and holds against the receiver. The data of product and
// order events has the shape of one product/list or order/list row; the
// data of inventoryChange is an array of products with their stock (a
// combo arrives together with its component products).

// Webhook event names (v3).
const (
	// EventWebhooksEnabled is the probe Nhanh sends when webhooks are
	// switched on, and again to check the receiver's health.
	EventWebhooksEnabled    = "webhooksEnabled"
	EventAppUninstalled     = "appUninstalled"
	EventInventoryChange    = "inventoryChange"
	EventProductAdd         = "productAdd"
	EventProductUpdate      = "productUpdate"
	EventProductDelete      = "productDelete"
	EventOrderAdd           = "orderAdd"
	EventOrderUpdate        = "orderUpdate"
	EventOrderDelete        = "orderDelete"
	EventOrderPartialReturn = "orderPartialReturn"
)

// Webhook is one webhook request's envelope.
type Webhook struct {
	Event      string
	BusinessID string
	Data       json.RawMessage
}

// ErrNotWebhook is a body that is not a Nhanh webhook envelope.
var ErrNotWebhook = errors.New("not a Nhanh webhook (want a JSON object with an event)")

// ParseWebhook reads a webhook request body's envelope.
func ParseWebhook(body []byte) (Webhook, error) {
	var w struct {
		Event      flexString      `json:"event"`
		BusinessID flexString      `json:"businessId"`
		Data       json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return Webhook{}, fmt.Errorf("%w: %w", ErrNotWebhook, err)
	}
	if w.Event == "" {
		return Webhook{}, ErrNotWebhook
	}
	return Webhook{Event: string(w.Event), BusinessID: string(w.BusinessID), Data: w.Data}, nil
}

// webhookRows decodes data that is one row or an array of rows.
func webhookRows[T any](data json.RawMessage) ([]T, error) {
	t := bytes.TrimSpace(data)
	if len(t) > 0 && t[0] == '{' {
		var one T
		if err := json.Unmarshal(t, &one); err != nil {
			return nil, err
		}
		return []T{one}, nil
	}
	return decodeRows[T](t)
}

// WebhookInventory reads an inventoryChange event's data: the stock of each
// product it names. Data as v2 sends it (an object keyed by product id) is
// read too.
func WebhookInventory(data json.RawMessage) (map[extid.NhanhProductID]Stock, error) {
	type row struct {
		ID        flexInt     `json:"id"`
		Available optQty      `json:"available"`
		Depots    depotStocks `json:"depots"`
	}
	var rows []row
	t := bytes.TrimSpace(data)
	if len(t) > 0 && t[0] == '{' {
		var byID map[string]row
		if err := json.Unmarshal(t, &byID); err != nil {
			return nil, fmt.Errorf("inventoryChange data: %w", err)
		}
		for key, r := range byID {
			if r.ID == 0 {
				var id flexInt
				if err := id.UnmarshalJSON([]byte(key)); err != nil {
					return nil, fmt.Errorf("inventoryChange data: product key %q: %w", key, err)
				}
				r.ID = id
			}
			rows = append(rows, r)
		}
	} else {
		var err error
		if rows, err = decodeRows[row](t); err != nil {
			return nil, fmt.Errorf("inventoryChange data: %w", err)
		}
	}
	out := make(map[extid.NhanhProductID]Stock, len(rows))
	for _, r := range rows {
		if r.ID <= 0 {
			return nil, fmt.Errorf("inventoryChange data: %w", errMissingID)
		}
		s := inventoryWire{Available: r.Available, Depots: r.Depots}.stock()
		out[extid.NhanhProductID(r.ID)] = s
	}
	return out, nil
}

// WebhookProducts reads a productAdd or productUpdate event's data (one
// product/list row, or an array of them).
func WebhookProducts(data json.RawMessage) ([]Product, error) {
	rows, err := webhookRows[productWire](data)
	if err != nil {
		return nil, fmt.Errorf("product data: %w", err)
	}
	out := make([]Product, 0, len(rows))
	for _, r := range rows {
		p, err := r.product()
		if err != nil {
			return nil, fmt.Errorf("product data: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// WebhookProductIDs reads the product ids of a productDelete event's data:
// an object with an id, an array of such objects, or an array of ids.
func WebhookProductIDs(data json.RawMessage) ([]extid.NhanhProductID, error) {
	t := bytes.TrimSpace(data)
	var ids []flexInt
	if err := json.Unmarshal(t, &ids); err != nil {
		var rows []struct {
			ID flexInt `json:"id"`
		}
		if rows, err = webhookRows[struct {
			ID flexInt `json:"id"`
		}](t); err != nil {
			return nil, fmt.Errorf("productDelete data: %w", err)
		}
		ids = ids[:0]
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
	}
	out := make([]extid.NhanhProductID, 0, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return nil, fmt.Errorf("productDelete data: %w", errMissingID)
		}
		out = append(out, extid.NhanhProductID(id))
	}
	return out, nil
}

// WebhookOrders reads an order event's data (one order/list row, or an
// array of them).
func WebhookOrders(data json.RawMessage) ([]Order, error) {
	rows, err := webhookRows[orderWire](data)
	if err != nil {
		return nil, fmt.Errorf("order data: %w", err)
	}
	out := make([]Order, 0, len(rows))
	for _, r := range rows {
		o, err := r.order()
		if err != nil {
			return nil, fmt.Errorf("order data: %w", err)
		}
		out = append(out, o)
	}
	return out, nil
}
