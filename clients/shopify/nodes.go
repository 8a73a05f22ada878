package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"syncops/clients/extid"
)

// Customer is one Shopify customer as the sync needs it.
type Customer struct {
	ID                  extid.ShopifyCustomerGID
	FirstName, LastName string
	Email               string // defaultEmailAddress.emailAddress
	Phone               string // defaultPhoneNumber.phoneNumber
	DefaultAddressPhone string // defaultAddress.phone
	Note                string
	NumberOfOrders      int64
	AmountSpent         string // decimal string, as Shopify sends it
	UpdatedAt           time.Time
	// TotalSpent is the current custom.total_spent metafield, nil when the
	// customer has none: what a sync compares with Nhanh's spend to find
	// drift (a hand edit) and to skip writing what is already right.
	TotalSpent *MetafieldValue
}

// MetafieldValue is a metafield's current value and the digest to send as
// compareDigest to write it only if it has not changed since.
type MetafieldValue struct {
	Value         string
	CompareDigest string
}

// CustomerPage is one page of customers and where the next one starts.
type CustomerPage struct {
	Customers   []Customer
	EndCursor   string
	HasNextPage bool
}

// Variant is one product variant with its product and inventory item.
type Variant struct {
	ID              extid.ShopifyVariantGID
	ProductID       extid.ShopifyProductGID
	ProductTitle    string
	Title           string
	SKU             string
	Barcode         string
	ProductStatus   string // ACTIVE, DRAFT, ARCHIVED
	InventoryItemID extid.ShopifyInventoryItemGID
	UpdatedAt       time.Time
	// Tracked is inventoryItem.tracked: false for an item whose quantities
	// Shopify does not track (a sync skips it). True when Shopify did not
	// say, so replies from before this field count as tracked.
	Tracked bool
	// LevelsRead is true when the pull asked for levels (ListVariantsAt,
	// BulkVariantsAt); Levels is meaningful only then.
	LevelsRead bool
	// Levels is the available quantity at each asked-for location where
	// the item is stocked; a location absent here has no inventory level
	// (inventorySetQuantities there fails ITEM_NOT_STOCKED_AT_LOCATION
	// until inventoryActivate).
	Levels map[extid.ShopifyLocationGID]int64
}

// VariantPage is one page of variants and where the next one starts.
type VariantPage struct {
	Variants    []Variant
	EndCursor   string
	HasNextPage bool
}

// Location is one active Shopify location.
type Location struct {
	ID      extid.ShopifyLocationGID
	Name    string
	Primary bool
}

// pageInfo is a connection's pageInfo.
type pageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

func (p pageInfo) cursor() string {
	if p.EndCursor == nil {
		return ""
	}
	return *p.EndCursor
}

// customerNode is the wire shape of customerFields.
type customerNode struct {
	ID                  string    `json:"id"`
	FirstName           string    `json:"firstName"`
	LastName            string    `json:"lastName"`
	Note                string    `json:"note"`
	NumberOfOrders      flexInt64 `json:"numberOfOrders"`
	UpdatedAt           time.Time `json:"updatedAt"`
	DefaultEmailAddress *struct {
		EmailAddress string `json:"emailAddress"`
	} `json:"defaultEmailAddress"`
	DefaultPhoneNumber *struct {
		PhoneNumber string `json:"phoneNumber"`
	} `json:"defaultPhoneNumber"`
	DefaultAddress *struct {
		Phone string `json:"phone"`
	} `json:"defaultAddress"`
	AmountSpent *struct {
		Amount flexDecimal `json:"amount"`
	} `json:"amountSpent"`
	TotalSpent *struct {
		Value         string `json:"value"`
		CompareDigest string `json:"compareDigest"`
	} `json:"totalSpent"`
}

func (n customerNode) customer() (Customer, error) {
	if _, err := extid.ParseTypedGID(n.ID, extid.ResourceCustomer); err != nil {
		return Customer{}, fmt.Errorf("customer id: %w", err)
	}
	c := Customer{
		ID:             extid.ShopifyCustomerGID(n.ID),
		FirstName:      n.FirstName,
		LastName:       n.LastName,
		Note:           n.Note,
		NumberOfOrders: int64(n.NumberOfOrders),
		UpdatedAt:      n.UpdatedAt,
	}
	if n.DefaultEmailAddress != nil {
		c.Email = n.DefaultEmailAddress.EmailAddress
	}
	if n.DefaultPhoneNumber != nil {
		c.Phone = n.DefaultPhoneNumber.PhoneNumber
	}
	if n.DefaultAddress != nil {
		c.DefaultAddressPhone = n.DefaultAddress.Phone
	}
	if n.AmountSpent != nil {
		c.AmountSpent = string(n.AmountSpent.Amount)
	}
	if n.TotalSpent != nil {
		c.TotalSpent = &MetafieldValue{Value: n.TotalSpent.Value, CompareDigest: n.TotalSpent.CompareDigest}
	}
	return c, nil
}

// variantNode is the wire shape of variantFields.
type variantNode struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	SKU       string    `json:"sku"`
	Barcode   string    `json:"barcode"`
	UpdatedAt time.Time `json:"updatedAt"`
	Product   *struct {
		ID     string `json:"id"`
		Title  string `json:"title"`
		Status string `json:"status"`
	} `json:"product"`
	InventoryItem *itemNode `json:"inventoryItem"`
}

func (n variantNode) variant() (Variant, error) {
	if _, err := extid.ParseTypedGID(n.ID, extid.ResourceVariant); err != nil {
		return Variant{}, fmt.Errorf("variant id: %w", err)
	}
	v := Variant{
		ID:        extid.ShopifyVariantGID(n.ID),
		Title:     n.Title,
		SKU:       n.SKU,
		Barcode:   n.Barcode,
		UpdatedAt: n.UpdatedAt,
	}
	if n.Product != nil {
		if _, err := extid.ParseTypedGID(n.Product.ID, extid.ResourceProduct); err != nil {
			return Variant{}, fmt.Errorf("variant %s product id: %w", n.ID, err)
		}
		v.ProductID = extid.ShopifyProductGID(n.Product.ID)
		v.ProductTitle = n.Product.Title
		v.ProductStatus = n.Product.Status
	}
	if n.InventoryItem != nil {
		if _, err := extid.ParseTypedGID(n.InventoryItem.ID, extid.ResourceInventoryItem); err != nil {
			return Variant{}, fmt.Errorf("variant %s inventory item id: %w", n.ID, err)
		}
		v.InventoryItemID = extid.ShopifyInventoryItemGID(n.InventoryItem.ID)
		v.Tracked = n.InventoryItem.Tracked == nil || *n.InventoryItem.Tracked
	} else {
		v.Tracked = true
	}
	return v, nil
}

// flexInt64 decodes an integer sent as a JSON number or, as Shopify sends
// UnsignedInt64 (numberOfOrders), as a JSON string.
type flexInt64 int64

// UnmarshalJSON accepts 12, "12" and null.
func (f *flexInt64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s := string(bytes.Trim(b, `"`))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("integer %s: %w", b, err)
	}
	*f = flexInt64(n)
	return nil
}

// flexDecimal keeps a Decimal as its exact text, whether it arrives as a
// JSON string (Shopify's way) or a number.
type flexDecimal string

// UnmarshalJSON accepts "12.50", 12.5 and null.
func (f *flexDecimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexDecimal(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("decimal %s: %w", b, err)
	}
	*f = flexDecimal(n.String())
	return nil
}
