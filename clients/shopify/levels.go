package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"syncops/clients/apierr"
	"syncops/clients/extid"
)

// MaxInventoryItemsPerCall is how many inventory items one InventoryLevels
// request reads.
const MaxInventoryItemsPerCall = 100

// MaxLevelLocations bounds the locations one read asks levels for: each is
// an aliased field on every item, and a page's cost grows with them.
const MaxLevelLocations = 50

// itemNode is the wire shape of an inventory item: id, tracked and the
// aliased levels l0, l1, ... (levelSelection).
type itemNode struct {
	ID      string
	Tracked *bool
	// levels holds the raw aliased levels by alias.
	levels map[string]json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler: the aliases are not known
// statically, so the object is read as a map.
func (n *itemNode) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*n = itemNode{levels: m}
	if raw, ok := m["id"]; ok {
		if err := json.Unmarshal(raw, &n.ID); err != nil {
			return fmt.Errorf("inventory item id: %w", err)
		}
	}
	if raw, ok := m["tracked"]; ok {
		if err := json.Unmarshal(raw, &n.Tracked); err != nil {
			return fmt.Errorf("inventory item tracked: %w", err)
		}
	}
	return nil
}

// levelsAt reads the levels at locations (in alias order): stocked
// locations with their available quantity.
func (n itemNode) levelsAt(locations []string) (map[extid.ShopifyLocationGID]int64, error) {
	out := make(map[extid.ShopifyLocationGID]int64, len(locations))
	for i, loc := range locations {
		raw, ok := n.levels[levelAlias(i)]
		if !ok {
			return nil, fmt.Errorf("inventory item %s: level %s missing from the reply", n.ID, levelAlias(i))
		}
		var level *struct {
			Quantities []struct {
				Name     string `json:"name"`
				Quantity int64  `json:"quantity"`
			} `json:"quantities"`
		}
		if err := json.Unmarshal(raw, &level); err != nil {
			return nil, fmt.Errorf("inventory item %s level at %s: %w", n.ID, loc, err)
		}
		if level == nil {
			continue // not stocked there
		}
		var available int64
		for _, q := range level.Quantities {
			if q.Name == "available" {
				available = q.Quantity
			}
		}
		out[extid.ShopifyLocationGID(loc)] = available
	}
	return out, nil
}

// checkLocations validates and converts the locations a read asks for.
func (c *Client) checkLocations(op string, locations []extid.ShopifyLocationGID) ([]string, error) {
	if len(locations) > MaxLevelLocations {
		return nil, c.newError(op, apierr.ClassValidation, 0, "", fmt.Sprintf("at most %d locations per read", MaxLevelLocations), nil)
	}
	out := make([]string, 0, len(locations))
	for _, l := range locations {
		if _, err := extid.ParseTypedGID(string(l), extid.ResourceLocation); err != nil {
			return nil, c.newError(op, apierr.ClassValidation, 0, "", "bad location id", err)
		}
		if slices.Contains(out, string(l)) {
			return nil, c.newError(op, apierr.ClassValidation, 0, "", "location "+string(l)+" asked twice", nil)
		}
		out = append(out, string(l))
	}
	return out, nil
}

// variantWithLevels decodes one variant and, when locations were asked
// for, its levels there.
func variantWithLevels(n variantNode, locations []string) (Variant, error) {
	v, err := n.variant()
	if err != nil || locations == nil {
		return v, err
	}
	v.LevelsRead = true
	if n.InventoryItem == nil {
		v.Levels = map[extid.ShopifyLocationGID]int64{}
		return v, nil
	}
	v.Levels, err = n.InventoryItem.levelsAt(locations)
	return v, err
}

// ListVariantsAt is ListVariants that also reads, for each variant, where
// its inventory item is stocked among locations and the available quantity
// there (Variant.Levels). Pass the mapped locations; nil reads no levels.
func (c *Client) ListVariantsAt(ctx context.Context, query, after string, locations []extid.ShopifyLocationGID) (VariantPage, error) {
	locs, err := c.checkLocations(opVariants.name, locations)
	if err != nil {
		return VariantPage{}, err
	}
	if locations == nil {
		locs = nil
	}
	op := variantsOperation(levelSelection(locs), len(locs))
	var data struct {
		ProductVariants struct {
			Nodes    []variantNode `json:"nodes"`
			PageInfo pageInfo      `json:"pageInfo"`
		} `json:"productVariants"`
	}
	if err := c.listPage(ctx, op, &c.variantPageSize, query, after, &data); err != nil {
		return VariantPage{}, err
	}
	page := VariantPage{
		Variants:    make([]Variant, 0, len(data.ProductVariants.Nodes)),
		EndCursor:   data.ProductVariants.PageInfo.cursor(),
		HasNextPage: data.ProductVariants.PageInfo.HasNextPage,
	}
	for _, n := range data.ProductVariants.Nodes {
		v, err := variantWithLevels(n, locs)
		if err != nil {
			return VariantPage{}, c.newError(op.name, apierr.ClassUnknown, http.StatusOK, "", "unexpected variant", err)
		}
		page.Variants = append(page.Variants, v)
	}
	return page, nil
}

// BulkVariantsAt is BulkVariants that also reads each variant's levels at
// locations, as ListVariantsAt does; nil reads no levels. The levels are
// aliased fields, not a nested connection, so the result has no child lines.
func (c *Client) BulkVariantsAt(ctx context.Context, query string, locations []extid.ShopifyLocationGID, fn func(Variant) error) error {
	locs, err := c.checkLocations(opBulkRun.name, locations)
	if err != nil {
		return err
	}
	if locations == nil {
		locs = nil
	}
	inner := fmt.Sprintf(bulkVariantsTemplate, queryArgument(query), levelSelection(locs))
	return c.bulkExport(ctx, inner, func(line []byte) error {
		var n variantNode
		if err := json.Unmarshal(line, &n); err != nil {
			return c.newError(opBulkDownload, apierr.ClassUnknown, http.StatusOK, "", "unexpected variant line", err)
		}
		v, err := variantWithLevels(n, locs)
		if err != nil {
			return c.newError(opBulkDownload, apierr.ClassUnknown, http.StatusOK, "", "unexpected variant line", err)
		}
		return fn(v)
	})
}

// ItemInventory is an inventory item's tracking and current levels.
type ItemInventory struct {
	Tracked bool
	// Levels is the available quantity at each asked-for location where
	// the item is stocked.
	Levels map[extid.ShopifyLocationGID]int64
}

// InventoryLevels reads the current levels of items at locations, for a
// reconcile that writes only differences. MaxInventoryItemsPerCall items
// per request; items Shopify does not know are absent from the result.
func (c *Client) InventoryLevels(ctx context.Context, items []extid.ShopifyInventoryItemGID, locations []extid.ShopifyLocationGID) (map[extid.ShopifyInventoryItemGID]ItemInventory, error) {
	locs, err := c.checkLocations("nodes", locations)
	if err != nil {
		return nil, err
	}
	op := inventoryItemsOperation(levelSelection(locs))
	unique := slices.Clone(items)
	slices.Sort(unique)
	unique = slices.Compact(unique)
	out := make(map[extid.ShopifyInventoryItemGID]ItemInventory, len(unique))
	for chunk := range slices.Chunk(unique, MaxInventoryItemsPerCall) {
		ids := make([]string, 0, len(chunk))
		for _, id := range chunk {
			if _, err := extid.ParseTypedGID(string(id), extid.ResourceInventoryItem); err != nil {
				return nil, c.newError(op.name, apierr.ClassValidation, 0, "", "bad inventory item id", err)
			}
			ids = append(ids, string(id))
		}
		var data struct {
			Nodes []*itemNode `json:"nodes"`
		}
		if err := c.do(ctx, op, map[string]any{"ids": ids}, &data); err != nil {
			return nil, err
		}
		for _, n := range data.Nodes {
			if n == nil || n.ID == "" {
				continue
			}
			levels, err := n.levelsAt(locs)
			if err != nil {
				return nil, c.newError(op.name, apierr.ClassUnknown, http.StatusOK, "", "unexpected inventory item", err)
			}
			out[extid.ShopifyInventoryItemGID(n.ID)] = ItemInventory{Tracked: n.Tracked == nil || *n.Tracked, Levels: levels}
		}
	}
	return out, nil
}

// ActivateInventory stocks an inventory item at a location
// (inventoryActivate), so inventorySetQuantities can set it there, and
// returns the available quantity the new level starts with. Activating an
// item already stocked there changes nothing. A refusal (unknown item or
// location) is a ClassValidation error carrying Shopify's message.
func (c *Client) ActivateInventory(ctx context.Context, item extid.ShopifyInventoryItemGID, location extid.ShopifyLocationGID) (int64, error) {
	op := opInventoryActivate
	if _, err := extid.ParseTypedGID(string(item), extid.ResourceInventoryItem); err != nil {
		return 0, c.newError(op.name, apierr.ClassValidation, 0, "", "bad inventory item id", err)
	}
	if _, err := extid.ParseTypedGID(string(location), extid.ResourceLocation); err != nil {
		return 0, c.newError(op.name, apierr.ClassValidation, 0, "", "bad location id", err)
	}
	var data struct {
		InventoryActivate *struct {
			InventoryLevel *struct {
				Quantities []struct {
					Name     string `json:"name"`
					Quantity int64  `json:"quantity"`
				} `json:"quantities"`
			} `json:"inventoryLevel"`
			UserErrors []userError `json:"userErrors"`
		} `json:"inventoryActivate"`
	}
	vars := map[string]any{"inventoryItemId": string(item), "locationId": string(location)}
	if err := c.do(ctx, op, vars, &data); err != nil {
		return 0, err
	}
	payload := data.InventoryActivate
	if payload == nil {
		return 0, c.newError(op.name, apierr.ClassUnknown, http.StatusOK, "", "", errUserErrorsWithoutPayload)
	}
	if len(payload.UserErrors) > 0 {
		ue := payload.UserErrors[0]
		return 0, c.newError(op.name, apierr.ClassValidation, http.StatusOK, ue.Code, userErrorMessage(ue), nil)
	}
	if payload.InventoryLevel == nil {
		return 0, c.newError(op.name, apierr.ClassUnknown, http.StatusOK, "", "no inventory level in the reply", nil)
	}
	for _, q := range payload.InventoryLevel.Quantities {
		if q.Name == "available" {
			return q.Quantity, nil
		}
	}
	return 0, nil
}
