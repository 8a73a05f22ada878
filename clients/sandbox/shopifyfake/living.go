package shopifyfake

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
)

// fieldFunc is a field whose value depends on its arguments (metafield,
// inventoryLevel). project calls it with the selected field; arguments are
// read as literals, as the client's documents and bulk queries write them.
type fieldFunc func(f *ast.Field) any

// metafieldField serves Customer.metafield(namespace:, key:).
func metafieldField(c *dataset.ShopifyCustomer) fieldFunc {
	metafields := cloneMap(c.Metafields)
	owner := string(c.ID)
	return func(f *ast.Field) any {
		ns, key := stringArg(f, "namespace", nil), stringArg(f, "key", nil)
		m, ok := metafields[ns+"."+key]
		if !ok {
			return nil
		}
		return map[string]any{
			"__typename": "Metafield", "id": owner + "/metafield/" + ns + "." + key,
			"namespace": ns, "key": key, "type": m.Type, "value": m.Value, "compareDigest": digestOf(m.Value),
		}
	}
}

// inventoryItemObject is a variant's inventory item. Its inventoryLevel
// (locationId:) is null where the item is not stocked.
func inventoryItemObject(v *dataset.ShopifyVariant) map[string]any {
	available := cloneMap(v.Available)
	notStocked := slices.Clone(v.NotStockedAt)
	item := string(v.InventoryItemID)
	return map[string]any{
		"__typename": "InventoryItem",
		"id":         item,
		"sku":        nullable(v.SKU),
		"tracked":    !v.Untracked,
		"inventoryLevel": fieldFunc(func(f *ast.Field) any {
			loc := extid.ShopifyLocationGID(stringArg(f, "locationId", nil))
			if loc == "" || slices.Contains(notStocked, loc) {
				return nil
			}
			return levelObject(item, loc, available[loc])
		}),
	}
}

func levelObject(item string, loc extid.ShopifyLocationGID, available int64) map[string]any {
	return map[string]any{
		"__typename": "InventoryLevel",
		"id":         "gid://shopify/InventoryLevel/" + itoa(int(gidNumber(item))) + "?inventory_item_id=" + itoa(int(gidNumber(string(loc)))),
		"location":   map[string]any{"__typename": "Location", "id": string(loc)},
		"quantities": []any{map[string]any{"__typename": "InventoryQuantity", "name": "available", "quantity": available}},
	}
}

// resolveNodes answers nodes(ids:) for inventory items, variants and
// customers; unknown ids are null, as Shopify answers them.
func (s *Server) resolveNodes(rc *requestContext, f *ast.Field) (any, float64, error) {
	raw, _ := argValue(f, "ids", rc.vars)
	ids, _ := raw.([]any)
	if len(ids) > MaxInputArray {
		return nil, 0, &gqlError{Message: "The input array size is greater than the maximum allowed of 250.", Code: "MAX_INPUT_SIZE_EXCEEDED"}
	}
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		sub := &ast.Field{Name: "node", Arguments: ast.ArgumentList{{Name: "id", Value: &ast.Value{Kind: ast.StringValue, Raw: str(id)}}}}
		node, _, err := s.resolveNode(rc, sub)
		if err != nil {
			out = append(out, nil)
			continue
		}
		out = append(out, node)
	}
	return out, 0, nil
}

// resolveInventoryActivate stocks an item at a location. Activating an
// item already stocked there succeeds and changes nothing.
func (s *Server) resolveInventoryActivate(rc *requestContext, f *ast.Field) (any, float64, error) {
	item := extid.ShopifyInventoryItemGID(stringArg(f, "inventoryItemId", rc.vars))
	loc := extid.ShopifyLocationGID(stringArg(f, "locationId", rc.vars))
	payload := func(level any, errs ...any) map[string]any {
		if errs == nil {
			errs = []any{}
		}
		return map[string]any{"__typename": "InventoryActivatePayload", "inventoryLevel": level, "userErrors": errs}
	}
	userError := func(field, msg string) map[string]any {
		return map[string]any{"__typename": "UserError", "field": []any{field}, "message": msg}
	}
	vi, ok := s.variantByItem[item]
	if !ok {
		return payload(nil, userError("inventoryItemId", "The product couldn't be stocked because the inventory item wasn't found.")), 0, nil
	}
	if _, ok := s.locationByID[loc]; !ok {
		return payload(nil, userError("locationId", "The product couldn't be stocked because the location wasn't found.")), 0, nil
	}
	v := &s.variants[vi]
	if i := slices.Index(v.NotStockedAt, loc); i >= 0 {
		v.NotStockedAt = slices.Delete(v.NotStockedAt, i, i+1)
		if n, ok := toInt(mustArg(f, "available", rc.vars)); ok {
			v.Available[loc] = n
		} else {
			v.Available[loc] = 0
		}
		s.rec.Activations = append(s.rec.Activations, Activation{InventoryItemID: item, LocationID: loc})
	}
	return payload(levelObject(string(item), loc, v.Available[loc])), 0, nil
}

func mustArg(f *ast.Field, name string, vars map[string]any) any {
	v, _ := argValue(f, name, vars)
	return v
}

// Restock changes an item's available quantity at a location by delta, as
// a cancelled Shopify order or a hand count would: Shopify-side drift the
// sync must correct. The variant's updatedAt does not move. It reports
// whether the item is stocked there.
func (s *Server) Restock(item extid.ShopifyInventoryItemGID, loc extid.ShopifyLocationGID, delta int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.variantByItem[item]
	if !ok || slices.Contains(s.variants[i].NotStockedAt, loc) {
		return false
	}
	if _, ok := s.locationByID[loc]; !ok {
		return false
	}
	s.variants[i].Available[loc] += delta
	return true
}

// EditMetafield sets a customer's metafield "namespace.key" as a person in
// the Shopify admin would: drift the sync must correct. It is not recorded
// in MetafieldWrites (those are the app's writes) and the customer's
// updatedAt does not move. It reports whether the customer exists.
func (s *Server) EditMetafield(owner extid.ShopifyCustomerGID, namespaceKey string, m dataset.Metafield) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.customerByID[owner]
	if !ok {
		return false
	}
	if s.customers[i].Metafields == nil {
		s.customers[i].Metafields = map[string]dataset.Metafield{}
	}
	s.customers[i].Metafields[namespaceKey] = m
	return true
}

// DeleteCustomer removes a customer as a merchant deleting it in the admin
// would: later pulls no longer see it, and a mapping to it is orphaned. It
// reports whether the customer existed.
func (s *Server) DeleteCustomer(id extid.ShopifyCustomerGID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.customerByID[id]
	if !ok {
		return false
	}
	s.customers = slices.Delete(s.customers, i, i+1)
	delete(s.customerByID, id)
	for j := i; j < len(s.customers); j++ {
		s.customerByID[s.customers[j].ID] = j
	}
	return true
}
