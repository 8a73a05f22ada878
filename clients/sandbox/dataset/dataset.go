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
	// TotalAmountNull makes customer/list send totalAmount as null, as
	// Nhanh does for some customers: the spend is unknown, not 0.
	TotalAmountNull bool
	Address         string
	CityName        string
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
	// StockNull makes the product's inventory available total null: its
	// stock is unknown, not 0.
	StockNull bool
	// ParentID is Nhanh's parentId: -2 for a parent product, the parent's
	// id for a child, 0 for a standalone product.
	ParentID int64
	// Combos are the components of a combo product; empty otherwise.
	Combos []NhanhComboItem
}

// NhanhComboItem is one component of a Nhanh combo product.
type NhanhComboItem struct {
	ProductID extid.NhanhProductID
	Quantity  int64
}

// NhanhOrder is one Nhanh order as order/list returns it, with the lines
// the fake needs to move stock and spend.
type NhanhOrder struct {
	ID      extid.NhanhOrderID
	DepotID extid.NhanhDepotID
	Type    int // 1 delivery, 2 at the shop (as the fake uses them)
	Status  int // a Nhanh order status code
	// CustomerID is shippingAddress.id; 0 for a walk-in sale.
	CustomerID extid.NhanhCustomerID
	Lines      []NhanhOrderLine
	// CreatedAt and UpdatedAt are unix seconds on the fake's clock.
	CreatedAt, UpdatedAt int64
	// Deleted orders are no longer listed by order/list.
	Deleted bool
}

// NhanhOrderLine is one product line of an order.
type NhanhOrderLine struct {
	ProductID extid.NhanhProductID
	Quantity  int64
	// Returned is how many of Quantity came back in partial returns.
	Returned int64
	Price    float64
}

// Amount is what the order counts toward its customer's spend: the
// lines' price times the quantity kept.
func (o NhanhOrder) Amount() float64 {
	var sum float64
	for _, l := range o.Lines {
		sum += float64(l.Quantity-l.Returned) * l.Price
	}
	return sum
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
	// Untracked marks an inventory item whose quantities Shopify does not
	// track (inventoryItem.tracked false).
	Untracked bool
	// NotStockedAt lists locations where the item has no inventory level:
	// inventorySetQuantities there fails with ITEM_NOT_STOCKED_AT_LOCATION
	// until inventoryActivate stocks it.
	NotStockedAt []extid.ShopifyLocationGID
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
	// NhanhOrders are the orders the Nhanh fake starts with (usually none;
	// a living shop creates them as it sells).
	NhanhOrders []NhanhOrder
}
