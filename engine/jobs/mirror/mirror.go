// Package mirror is what the job families that write the local mirror
// agree on: how each source row becomes its mirror row (one converter per
// source row type), and how far before a watermark rows changed at the
// source are read again. The pull family writes every kind of mirror row;
// the sync family refreshes Nhanh customers and stock before it writes, so
// both need the same conversions, and families never import each other.
package mirror

import (
	"time"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/store"
)

// ChangeOverlap is how far before a watermark a read of changed rows
// starts again, so a change written while the last read was under way is
// not missed.
const ChangeOverlap = 5 * time.Minute

// ChangedSince is where a read of the rows changed since watermark (unix
// seconds) starts: ChangeOverlap earlier, and never before 1, which the
// sources would take for "no filter".
func ChangedSince(watermark int64) int64 {
	return max(watermark-int64(ChangeOverlap/time.Second), 1)
}

// NhanhCustomer converts a Nhanh customer to its mirror row.
func NhanhCustomer(c nhanh.Customer) store.NhanhCustomer {
	return store.NhanhCustomer{ID: c.ID, Type: c.Type, Name: c.Name, Mobile: c.Mobile, Email: c.Email,
		Address: c.Address, City: c.CityName, TotalAmount: c.TotalAmount, TotalAmountNull: !c.HasTotalAmount,
		LastBoughtDate: c.LastBoughtDate, RemoteUpdatedAt: c.UpdatedAt}
}

// NhanhProduct converts a Nhanh product to its mirror row.
func NhanhProduct(p nhanh.Product) store.NhanhProduct {
	return store.NhanhProduct{ID: p.ID, Code: p.Code, Barcode: p.Barcode, Name: p.Name, Price: p.Price,
		Status: p.Status, Available: p.Available, Depots: p.Depots, RemoteUpdatedAt: p.UpdatedAt,
		ParentID: p.ParentID, Combo: p.IsCombo()}
}

// NhanhStock converts a product's stock as product/inventory reports it to
// the stock the mirror keeps.
func NhanhStock(s nhanh.Stock) store.Stock {
	return store.Stock{Available: s.Available, Depots: s.Depots}
}

// NhanhProductStock is a listed product's stock as the mirror keeps it.
func NhanhProductStock(p nhanh.Product) store.Stock {
	return store.Stock{Available: p.Available, Depots: p.Depots}
}

// ShopifyCustomer converts a Shopify customer to its mirror row.
func ShopifyCustomer(c shopify.Customer) store.ShopifyCustomer {
	return store.ShopifyCustomer{ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
		Phone: c.Phone, DefaultAddressPhone: c.DefaultAddressPhone, Note: c.Note, NumberOfOrders: c.NumberOfOrders,
		AmountSpent: c.AmountSpent, TotalSpent: metafieldValue(c.TotalSpent), RemoteUpdatedAt: unixOrZero(c.UpdatedAt)}
}

// metafieldValue is a metafield's value as the mirror keeps it: nil when
// the customer has none.
func metafieldValue(m *shopify.MetafieldValue) *string {
	if m == nil {
		return nil
	}
	v := m.Value
	return &v
}

// ShopifyVariant converts a Shopify variant to its mirror row.
func ShopifyVariant(v shopify.Variant) store.ShopifyVariant {
	return store.ShopifyVariant{ID: v.ID, ProductID: v.ProductID, ProductTitle: v.ProductTitle, Title: v.Title,
		SKU: v.SKU, Barcode: v.Barcode, ProductStatus: v.ProductStatus, InventoryItemID: v.InventoryItemID,
		RemoteUpdatedAt: unixOrZero(v.UpdatedAt)}
}

// unixOrZero stores a missing time as 0 rather than year 1's seconds.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
