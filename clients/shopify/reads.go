package shopify

import (
	"context"
	"net/http"
	"sync/atomic"

	"syncops/clients/apierr"
	"syncops/clients/extid"
)

// ListCustomers returns one page of up to PageSize customers matching
// query (Shopify search syntax, e.g. updated_at:>'2026-01-01T00:00:00Z'; empty
// for all), ordered by updatedAt, starting after the cursor after (empty
// for the first page).
func (c *Client) ListCustomers(ctx context.Context, query, after string) (CustomerPage, error) {
	var data struct {
		Customers struct {
			Nodes    []customerNode `json:"nodes"`
			PageInfo pageInfo       `json:"pageInfo"`
		} `json:"customers"`
	}
	if err := c.listPage(ctx, opCustomers, &c.customerPageSize, query, after, &data); err != nil {
		return CustomerPage{}, err
	}
	page := CustomerPage{
		Customers:   make([]Customer, 0, len(data.Customers.Nodes)),
		EndCursor:   data.Customers.PageInfo.cursor(),
		HasNextPage: data.Customers.PageInfo.HasNextPage,
	}
	for _, n := range data.Customers.Nodes {
		cust, err := n.customer()
		if err != nil {
			return CustomerPage{}, c.newError(opCustomers.name, apierr.ClassUnknown, http.StatusOK, "", "unexpected customer", err)
		}
		page.Customers = append(page.Customers, cust)
	}
	return page, nil
}

// ListVariants returns one page of up to PageSize product variants matching
// query (e.g. "product_status:active", "sku:ABC-1"; empty for all), ordered
// by id, starting after the cursor after.
func (c *Client) ListVariants(ctx context.Context, query, after string) (VariantPage, error) {
	var data struct {
		ProductVariants struct {
			Nodes    []variantNode `json:"nodes"`
			PageInfo pageInfo      `json:"pageInfo"`
		} `json:"productVariants"`
	}
	if err := c.listPage(ctx, opVariants, &c.variantPageSize, query, after, &data); err != nil {
		return VariantPage{}, err
	}
	page := VariantPage{
		Variants:    make([]Variant, 0, len(data.ProductVariants.Nodes)),
		EndCursor:   data.ProductVariants.PageInfo.cursor(),
		HasNextPage: data.ProductVariants.PageInfo.HasNextPage,
	}
	for _, n := range data.ProductVariants.Nodes {
		v, err := n.variant()
		if err != nil {
			return VariantPage{}, c.newError(opVariants.name, apierr.ClassUnknown, http.StatusOK, "", "unexpected variant", err)
		}
		page.Variants = append(page.Variants, v)
	}
	return page, nil
}

// Locations returns every active location, the shop's primary one marked.
// When Shopify names no primary location, the first (oldest) one is taken,
// as the reference system did.
func (c *Client) Locations(ctx context.Context) ([]Location, error) {
	var out []Location
	primary, after := "", ""
	for {
		var data struct {
			Primary *struct {
				ID string `json:"id"`
			} `json:"primary"`
			Locations struct {
				Nodes []struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"nodes"`
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"locations"`
		}
		vars := map[string]any{"first": PageSize}
		if after != "" {
			vars["after"] = after
		}
		if err := c.do(ctx, opLocations, vars, &data); err != nil {
			return nil, err
		}
		if data.Primary != nil && primary == "" {
			primary = data.Primary.ID
		}
		for _, n := range data.Locations.Nodes {
			if _, err := extid.ParseTypedGID(n.ID, extid.ResourceLocation); err != nil {
				return nil, c.newError(opLocations.name, apierr.ClassUnknown, http.StatusOK, "", "unexpected location", err)
			}
			out = append(out, Location{ID: extid.ShopifyLocationGID(n.ID), Name: n.Name})
		}
		if !data.Locations.PageInfo.HasNextPage || data.Locations.PageInfo.cursor() == "" {
			break
		}
		after = data.Locations.PageInfo.cursor()
	}
	markPrimary(out, primary)
	return out, nil
}

// markPrimary flags the location whose id is primary, or the first one when
// none matches.
func markPrimary(locs []Location, primary string) {
	for i := range locs {
		if string(locs[i].ID) == primary {
			locs[i].Primary = true
			return
		}
	}
	if len(locs) > 0 {
		locs[0].Primary = true
	}
}

// listPage fetches one page of op into out. The page holds as many
// records as keep the document's requested cost within Shopify's
// single-query cap (op.maxPage), and the governor reserves exactly that
// cost. Should Shopify price a document above our reckoning and refuse it
// (MAX_COST_EXCEEDED), the page size is halved until one is accepted, and
// remembered in size for the next pages. Cursors do not depend on it.
func (c *Client) listPage(ctx context.Context, op operation, size *atomic.Int64, query, after string, out any) error {
	for {
		n := min(size.Load(), op.maxPage())
		err := c.do(ctx, op.withCost(op.pageCost(n)), pageVars(query, after, n), out)
		if err == nil || n <= 1 || !hasErrorCode(err, codeMaxCostExceeded) {
			return err
		}
		size.CompareAndSwap(size.Load(), n/2)
		c.log.Warn("shopify page too costly, asking for fewer records", "op", op.name, "page_size", n/2)
	}
}

// pageVars builds the variables of a paged query.
func pageVars(query, after string, first int64) map[string]any {
	vars := map[string]any{"first": first}
	if query != "" {
		vars["query"] = query
	}
	if after != "" {
		vars["after"] = after
	}
	return vars
}
