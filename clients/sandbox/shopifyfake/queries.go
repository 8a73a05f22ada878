package shopifyfake

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
)

// The caller of every resolver holds s.mu.

func (s *Server) queryResolvers() map[string]resolver {
	return map[string]resolver{
		"customers":            s.resolveCustomers,
		"productVariants":      s.resolveVariants,
		"locations":            s.resolveLocations,
		"location":             s.resolveLocation,
		"shop":                 s.resolveShop,
		"node":                 s.resolveNode,
		"currentBulkOperation": s.resolveCurrentBulkOperation,
		"customersCount":       s.resolveCustomersCount,
		"productVariantsCount": s.resolveVariantsCount,
		"nodes":                s.resolveNodes,
		// setup.go
		"currentAppInstallation": s.resolveAppInstallation,
		"metafieldDefinitions":   s.resolveMetafieldDefinitions,
	}
}

// sortKey orders records for paging; the cursor is the key of the last
// record of a page.
type sortKey struct{ a, b int64 }

func (k sortKey) less(o sortKey) bool { return k.a < o.a || (k.a == o.a && k.b < o.b) }

func encodeCursor(k sortKey) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d", k.a, k.b))
}

func decodeCursor(c string) (sortKey, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return sortKey{}, false
	}
	a, b, ok := strings.Cut(string(raw), ":")
	if !ok {
		return sortKey{}, false
	}
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	return sortKey{x, y}, err1 == nil && err2 == nil
}

// gidNumber is the number in a GID, 0 when it has none.
func gidNumber(gid string) int64 {
	_, n, err := extid.ParseGID(gid)
	if err != nil {
		return 0
	}
	return n
}

// pageArgs reads first/after/reverse, enforcing Shopify's limits.
func pageArgs(f *ast.Field, vars map[string]any) (first int64, after *sortKey, reverse bool, err error) {
	first, ok := intArg(f, "first", vars)
	if !ok {
		if _, hasLast := intArg(f, "last", vars); hasLast {
			return 0, nil, false, &gqlError{Message: "The fake supports paging forward with first only"}
		}
		return 0, nil, false, &gqlError{Message: "you must provide one of first or last"}
	}
	if first < 0 || first > MaxPageSize {
		return 0, nil, false, &gqlError{Message: fmt.Sprintf("Argument 'first' on Field '%s' has an invalid value (%d). Expected a value between 0 and %d.", f.Name, first, MaxPageSize), Code: "argumentLiteralsIncompatible"}
	}
	if c := stringArg(f, "after", vars); c != "" {
		k, ok := decodeCursor(c)
		if !ok {
			return 0, nil, false, &gqlError{Message: "Invalid cursor for current pagination sort."}
		}
		after = &k
	}
	return first, after, boolArg(f, "reverse", vars), nil
}

// paginate sorts keys, skips to after and returns up to first positions
// and the connection's pageInfo.
// A positive limit models a paging cap: the connection ends, silently, after
// that many objects.
func paginate(keys []sortKey, first int64, after *sortKey, reverse bool, limit int) ([]int, map[string]any) {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int {
		switch {
		case keys[x].less(keys[y]):
			return -1
		case keys[y].less(keys[x]):
			return 1
		}
		return 0
	})
	if reverse {
		slices.Reverse(order)
	}
	if limit > 0 && len(order) > limit {
		order = order[:limit]
	}
	start := 0
	if after != nil {
		start = len(order)
		for i, pos := range order {
			k := keys[pos]
			if (!reverse && after.less(k)) || (reverse && k.less(*after)) {
				start = i
				break
			}
		}
	}
	end := min(len(order), start+int(first))
	page := order[start:end]
	info := map[string]any{
		"__typename":      "PageInfo",
		"hasNextPage":     end < len(order),
		"hasPreviousPage": start > 0,
		"startCursor":     nil,
		"endCursor":       nil,
	}
	if len(page) > 0 {
		info["startCursor"] = encodeCursor(keys[page[0]])
		info["endCursor"] = encodeCursor(keys[page[len(page)-1]])
	}
	return page, info
}

// connection builds a connection value from positions and their nodes.
func connection(typeName string, keys []sortKey, page []int, info map[string]any, node func(int) map[string]any) map[string]any {
	nodes := make([]any, 0, len(page))
	edges := make([]any, 0, len(page))
	for _, pos := range page {
		n := node(pos)
		nodes = append(nodes, n)
		edges = append(edges, map[string]any{"__typename": typeName + "Edge", "cursor": encodeCursor(keys[pos]), "node": n})
	}
	return map[string]any{"__typename": typeName + "Connection", "nodes": nodes, "edges": edges, "pageInfo": info}
}

func (s *Server) resolveCustomers(rc *requestContext, f *ast.Field) (any, float64, error) {
	first, after, reverse, err := pageArgs(f, rc.vars)
	if err != nil {
		return nil, 0, err
	}
	filter := parseSearch(stringArg(f, "query", rc.vars))
	byUpdated := stringArg(f, "sortKey", rc.vars) == "UPDATED_AT"
	var matched []int
	var keys []sortKey
	for i := range s.customers {
		c := &s.customers[i]
		if !filter.customer(c) {
			continue
		}
		k := sortKey{a: gidNumber(string(c.ID))}
		if byUpdated {
			k = sortKey{a: c.UpdatedAt, b: k.a}
		}
		matched = append(matched, i)
		keys = append(keys, k)
	}
	page, info := paginate(keys, first, after, reverse, s.opts.PagingCap)
	conn := connection("Customer", keys, page, info, func(pos int) map[string]any {
		return customerObject(rc, &s.customers[matched[pos]])
	})
	return conn, float64(first-int64(len(page))) * nodeCost(f, rc.vars), nil
}

func (s *Server) resolveVariants(rc *requestContext, f *ast.Field) (any, float64, error) {
	first, after, reverse, err := pageArgs(f, rc.vars)
	if err != nil {
		return nil, 0, err
	}
	filter := parseSearch(stringArg(f, "query", rc.vars))
	var matched []int
	var keys []sortKey
	for i := range s.variants {
		if v := &s.variants[i]; filter.variant(v) {
			matched = append(matched, i)
			keys = append(keys, sortKey{a: gidNumber(string(v.ID))})
		}
	}
	page, info := paginate(keys, first, after, reverse, s.opts.PagingCap)
	conn := connection("ProductVariant", keys, page, info, func(pos int) map[string]any {
		return variantObject(&s.variants[matched[pos]])
	})
	return conn, float64(first-int64(len(page))) * nodeCost(f, rc.vars), nil
}

func (s *Server) resolveLocations(rc *requestContext, f *ast.Field) (any, float64, error) {
	first, after, reverse, err := pageArgs(f, rc.vars)
	if err != nil {
		return nil, 0, err
	}
	byName := stringArg(f, "sortKey", rc.vars) == "NAME" || argMissing(f, "sortKey")
	// shown are the positions in s.locations of the locations listed:
	// inactive ones only when asked for.
	var shown []int
	for i, l := range s.locations {
		if s.locationActive(l.ID) || boolArg(f, "includeInactive", rc.vars) {
			shown = append(shown, i)
		}
	}
	keys := make([]sortKey, len(shown))
	names := make([]string, len(shown))
	for i, at := range shown {
		names[i] = s.locations[at].Name
		keys[i] = sortKey{a: gidNumber(string(s.locations[at].ID))}
	}
	if byName {
		// Rank by name, so the key stays two integers.
		sorted := slices.Clone(names)
		slices.Sort(sorted)
		for i := range keys {
			keys[i] = sortKey{a: int64(slices.Index(sorted, names[i])), b: keys[i].a}
		}
	}
	page, info := paginate(keys, first, after, reverse, 0)
	conn := connection("Location", keys, page, info, func(pos int) map[string]any {
		obj := locationObject(&s.locations[shown[pos]])
		obj["isActive"] = s.locationActive(s.locations[shown[pos]].ID)
		return obj
	})
	return conn, float64(first-int64(len(page))) * nodeCost(f, rc.vars), nil
}

func argMissing(f *ast.Field, name string) bool { return f.Arguments.ForName(name) == nil }

// resolveLocation answers location(id:); without an id, Shopify returns
// the shop's primary location.
func (s *Server) resolveLocation(rc *requestContext, f *ast.Field) (any, float64, error) {
	if id := stringArg(f, "id", rc.vars); id != "" {
		if i, ok := s.locationByID[extid.ShopifyLocationGID(id)]; ok {
			return locationObject(&s.locations[i]), 0, nil
		}
		return nil, 0, nil
	}
	for i := range s.locations {
		if s.locations[i].Primary {
			return locationObject(&s.locations[i]), 0, nil
		}
	}
	if len(s.locations) > 0 {
		return locationObject(&s.locations[0]), 0, nil
	}
	return nil, 0, nil
}

func (s *Server) resolveShop(*requestContext, *ast.Field) (any, float64, error) {
	name, _, _ := strings.Cut(s.opts.Shop, ".")
	return map[string]any{
		"__typename":      "Shop",
		"id":              "gid://shopify/Shop/1",
		"name":            name,
		"email":           "owner@" + s.opts.Shop,
		"myshopifyDomain": s.opts.Shop,
		"currencyCode":    "VND",
		"primaryDomain":   map[string]any{"__typename": "Domain", "host": s.opts.Shop, "url": "https://" + s.opts.Shop},
	}, 0, nil
}

func (s *Server) resolveNode(rc *requestContext, f *ast.Field) (any, float64, error) {
	id := stringArg(f, "id", rc.vars)
	resource, _, err := extid.ParseGID(id)
	if err != nil {
		return nil, 0, &gqlError{Message: "Invalid global id '" + id + "'", Code: "argumentLiteralsIncompatible"}
	}
	switch resource {
	case "BulkOperation":
		for _, op := range s.bulkOps {
			if op.id == id {
				s.advanceBulk(op)
				return op.object(), 0, nil
			}
		}
	case extid.ResourceCustomer:
		if i, ok := s.customerByID[extid.ShopifyCustomerGID(id)]; ok {
			return customerObject(rc, &s.customers[i]), 0, nil
		}
	case extid.ResourceVariant:
		if i, ok := s.variantByID[extid.ShopifyVariantGID(id)]; ok {
			return variantObject(&s.variants[i]), 0, nil
		}
	case extid.ResourceInventoryItem:
		if i, ok := s.variantByItem[extid.ShopifyInventoryItemGID(id)]; ok {
			return inventoryItemObject(&s.variants[i]), 0, nil
		}
	case extid.ResourceLocation:
		if i, ok := s.locationByID[extid.ShopifyLocationGID(id)]; ok {
			return locationObject(&s.locations[i]), 0, nil
		}
	}
	return nil, 0, nil
}

func (s *Server) resolveCurrentBulkOperation(rc *requestContext, f *ast.Field) (any, float64, error) {
	kind := stringArg(f, "type", rc.vars)
	if kind == "" {
		kind = "QUERY"
	}
	for i := len(s.bulkOps) - 1; i >= 0; i-- {
		if op := s.bulkOps[i]; op.kind == kind {
			s.advanceBulk(op)
			return op.object(), 0, nil
		}
	}
	return nil, 0, nil
}

// nullable is nil for an empty string, as Shopify sends absent values.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func rfc3339(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

// customerObject is a customer with every field the fake can serve.
// defaultEmailAddress and defaultPhoneNumber exist from API 2025-04.
func customerObject(rc *requestContext, c *dataset.ShopifyCustomer) map[string]any {
	amount := c.AmountSpent
	if amount == "" {
		amount = "0.0"
	}
	display := strings.TrimSpace(c.FirstName + " " + c.LastName)
	if display == "" {
		display = c.Email
	}
	var addressPhone any
	if c.DefaultAddressPhone != "" {
		addressPhone = c.DefaultAddressPhone
	}
	m := map[string]any{
		"__typename":       "Customer",
		"id":               string(c.ID),
		"legacyResourceId": strconv.FormatInt(gidNumber(string(c.ID)), 10),
		"firstName":        nullable(c.FirstName),
		"lastName":         nullable(c.LastName),
		"displayName":      display,
		"note":             nullable(c.Note),
		"email":            nullable(c.Email),
		"phone":            nullable(c.Phone),
		"numberOfOrders":   strconv.FormatInt(c.NumberOfOrders, 10),
		"amountSpent":      map[string]any{"__typename": "MoneyV2", "amount": amount, "currencyCode": "VND"},
		"updatedAt":        rfc3339(c.UpdatedAt),
		"createdAt":        rfc3339(c.UpdatedAt),
		"state":            "ENABLED",
		"tags":             []any{},
		"defaultAddress":   map[string]any{"__typename": "MailingAddress", "phone": addressPhone},
		"metafield":        metafieldField(c),
	}
	if rc == nil || rc.versionAtLeast("2025-04") {
		m["defaultEmailAddress"] = nil
		if c.Email != "" {
			m["defaultEmailAddress"] = map[string]any{"__typename": "CustomerEmailAddress", "emailAddress": c.Email, "marketingState": "NOT_SUBSCRIBED"}
		}
		m["defaultPhoneNumber"] = nil
		if c.Phone != "" {
			m["defaultPhoneNumber"] = map[string]any{"__typename": "CustomerPhoneNumber", "phoneNumber": c.Phone, "marketingState": "NOT_SUBSCRIBED"}
		}
	}
	return m
}

func variantObject(v *dataset.ShopifyVariant) map[string]any {
	var total int64
	for _, q := range v.Available {
		total += q
	}
	return map[string]any{
		"__typename":        "ProductVariant",
		"id":                string(v.ID),
		"title":             v.Title,
		"displayName":       v.ProductTitle + " - " + v.Title,
		"sku":               nullable(v.SKU),
		"barcode":           nullable(v.Barcode),
		"inventoryQuantity": total,
		"updatedAt":         rfc3339(v.UpdatedAt),
		"product": map[string]any{
			"__typename": "Product",
			"id":         string(v.ProductID),
			"title":      v.ProductTitle,
			"status":     v.ProductStatus,
		},
		"inventoryItem": inventoryItemObject(v),
	}
}

func locationObject(l *dataset.ShopifyLocation) map[string]any {
	return map[string]any{
		"__typename":           "Location",
		"id":                   string(l.ID),
		"name":                 l.Name,
		"isActive":             true,
		"isPrimary":            l.Primary,
		"fulfillsOnlineOrders": true,
		"shipsInventory":       true,
	}
}
