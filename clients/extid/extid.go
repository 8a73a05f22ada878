// Package extid holds the typed identifiers of records on the two external
// systems. A local row id is never one of these, and the compiler keeps the
// two sides apart: a Nhanh customer id cannot be passed where a Shopify
// customer GID is expected (the reference system mixed local ids, Nhanh ids,
// GIDs and numeric ids and paid for it in several incidents).
package extid

import (
	"fmt"
	"strconv"
	"strings"
)

// NhanhCustomerID is a customer id on Nhanh.vn (an integer in the API).
type NhanhCustomerID int64

// NhanhProductID is a product id on Nhanh.vn.
type NhanhProductID int64

// NhanhDepotID is a depot (warehouse, shop) id on Nhanh.vn.
type NhanhDepotID int64

// NhanhOrderID is an order id on Nhanh.vn.
type NhanhOrderID int64

// ShopifyCustomerGID is a Shopify customer global id, gid://shopify/Customer/<n>.
type ShopifyCustomerGID string

// ShopifyVariantGID is a Shopify product variant global id,
// gid://shopify/ProductVariant/<n>.
type ShopifyVariantGID string

// ShopifyProductGID is a Shopify product global id, gid://shopify/Product/<n>.
type ShopifyProductGID string

// ShopifyInventoryItemGID is a Shopify inventory item global id,
// gid://shopify/InventoryItem/<n>.
type ShopifyInventoryItemGID string

// ShopifyLocationGID is a Shopify location global id, gid://shopify/Location/<n>.
type ShopifyLocationGID string

// Resource names used in Shopify global ids.
const (
	ResourceCustomer      = "Customer"
	ResourceProduct       = "Product"
	ResourceVariant       = "ProductVariant"
	ResourceInventoryItem = "InventoryItem"
	ResourceLocation      = "Location"
)

const gidPrefix = "gid://shopify/"

// FormatGID builds a Shopify global id from its resource name and number.
func FormatGID(resource string, n int64) string {
	return gidPrefix + resource + "/" + strconv.FormatInt(n, 10)
}

// ParseGID splits a Shopify global id into its resource name and number. It
// accepts exactly gid://shopify/<Resource>/<positive integer>.
func ParseGID(gid string) (resource string, n int64, err error) {
	rest, ok := strings.CutPrefix(gid, gidPrefix)
	if !ok {
		return "", 0, fmt.Errorf("not a Shopify global id: %q", gid)
	}
	resource, num, ok := strings.Cut(rest, "/")
	if !ok || resource == "" {
		return "", 0, fmt.Errorf("not a Shopify global id: %q", gid)
	}
	n, err = strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return "", 0, fmt.Errorf("bad number in Shopify global id %q", gid)
	}
	return resource, n, nil
}

// ParseTypedGID parses gid and checks that it names the wanted resource.
func ParseTypedGID(gid, wantResource string) (int64, error) {
	resource, n, err := ParseGID(gid)
	if err != nil {
		return 0, err
	}
	if resource != wantResource {
		return 0, fmt.Errorf("the Shopify global id %q is a %s, want a %s", gid, resource, wantResource)
	}
	return n, nil
}
