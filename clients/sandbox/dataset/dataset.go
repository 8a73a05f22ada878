// Package dataset describes the world the sandbox fakes serve: Nhanh.vn
// customers, products, depots and stock, and Shopify customers, variants and
// locations. A Dataset is plain data; Generate fills one from a seed with the
// hard cases real shops have (see generate.go), and tests build small ones by
// hand with known answers.
//
// The fakes own their copy of a Dataset and mutate it as writes arrive, so
// tests assert the final state of the shop, not the calls that produced it.
package dataset

import "syncops/clients/extid"

// NhanhCustomerType is Nhanh's customer type: 1 retail, 2 wholesale, 3 agent.
type NhanhCustomerType int

// Nhanh customer types.
const (
	NhanhRetail    NhanhCustomerType = 1
	NhanhWholesale NhanhCustomerType = 2
	NhanhAgent     NhanhCustomerType = 3
)

// NhanhCustomer is one customer as Nhanh's customer/list returns it.
type NhanhCustomer struct {
	ID     extid.NhanhCustomerID
	Type   NhanhCustomerType
	Name   string
	Mobile string // as typed at the till: any Vietnamese format, or empty
	Email  string
	// TotalAmount is the lifetime spend in VND; it may have a fractional part.
	TotalAmount float64
	Address     string
	CityName    string
	// LastBoughtDate is yyyy-mm-dd or empty.
	LastBoughtDate string
	// UpdatedAt is unix seconds.
	UpdatedAt int64
}

// NhanhDepot is one Nhanh depot (business/depot).
type NhanhDepot struct {
	ID   extid.NhanhDepotID
	Name string
}

// NhanhProduct is one Nhanh product with its stock per depot.
type NhanhProduct struct {
	ID      extid.NhanhProductID
	Code    string // the SKU; may differ in case or spaces from Shopify's
	Barcode string
	Name    string
	Price   float64
	Status  int // 1 active, 2 inactive
	// Available is the sellable stock per depot; a depot absent here has none.
	Available map[extid.NhanhDepotID]int64
	UpdatedAt int64
	// Deleted products are no longer listed by product/list or product/inventory.
	Deleted bool
}

// ShopifyCustomer is one Shopify customer.
type ShopifyCustomer struct {
	ID                  extid.ShopifyCustomerGID
	FirstName, LastName string
	Email               string
	Phone               string // defaultPhoneNumber.phoneNumber (E.164 in real shops, free text here)
	DefaultAddressPhone string
	Note                string
	NumberOfOrders      int64
	AmountSpent         string // decimal string
	UpdatedAt           int64  // unix seconds
	// Metafields holds what was written, keyed "namespace.key".
	Metafields map[string]Metafield
}

// Metafield is a stored metafield value.
type Metafield struct {
	Type  string
	Value string
}

// ShopifyVariant is one Shopify product variant with its inventory item.
type ShopifyVariant struct {
	ID              extid.ShopifyVariantGID
	ProductID       extid.ShopifyProductGID
	ProductTitle    string
	Title           string // "Default Title" for single-variant products
	SKU             string
	Barcode         string
	ProductStatus   string // ACTIVE, DRAFT, ARCHIVED
	InventoryItemID extid.ShopifyInventoryItemGID
	// Available is the "available" quantity per location.
	Available map[extid.ShopifyLocationGID]int64
	UpdatedAt int64
}

// ShopifyLocation is one Shopify location.
type ShopifyLocation struct {
	ID      extid.ShopifyLocationGID
	Name    string
	Primary bool
}

// Dataset is the whole sandbox world.
type Dataset struct {
	NhanhCustomers   []NhanhCustomer
	NhanhDepots      []NhanhDepot
	NhanhProducts    []NhanhProduct
	ShopifyCustomers []ShopifyCustomer
	ShopifyVariants  []ShopifyVariant
	ShopifyLocations []ShopifyLocation
}
