package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"syncops/clients/extid"
)

// stockRowsPerStatement is the rows per multi-row stock UPDATE (3 parameters
// each).
const stockRowsPerStatement = 300

// NhanhProduct is the local copy of one Nhanh.vn product.
type NhanhProduct struct {
	ID        extid.NhanhProductID
	Code      string // the SKU
	Barcode   string
	Name      string
	Price     float64
	Status    int   // 1 active, 2 inactive
	Available int64 // total "available" over all depots
	// Depots is "available" per depot; an empty map reads back as nil.
	Depots          map[extid.NhanhDepotID]int64
	RemoteUpdatedAt int64 // unix seconds
	// ParentID is Nhanh's parentId as sent: the parent's id for a child,
	// -2 for a parent product, 0 or -1 for a standalone one.
	ParentID int64
	// Combo is true for a combo product (a bundle of other products).
	Combo     bool
	DeletedAt time.Time
	PulledAt  time.Time
}

// ShopifyVariant is the local copy of one Shopify product variant (matching
// and inventory sync work per variant).
type ShopifyVariant struct {
	ID              extid.ShopifyVariantGID
	ProductID       extid.ShopifyProductGID
	ProductTitle    string
	Title           string // "Default Title" for single-variant products
	SKU             string
	Barcode         string
	ProductStatus   string // ACTIVE, DRAFT, ARCHIVED
	InventoryItemID extid.ShopifyInventoryItemGID
	RemoteUpdatedAt int64 // unix seconds
	DeletedAt       time.Time
	PulledAt        time.Time
}

// Stock is a product's "available" quantity, in total and per depot.
type Stock struct {
	Available int64
	Depots    map[extid.NhanhDepotID]int64
}

// StockCounts says what UpdateNhanhStock did with each product it was given.
type StockCounts struct {
	Updated   int // stock differed and was written
	Unchanged int // stock was already as given
	Unknown   int // no such product is stored (pull products first)
}

// depotsJSON is the stored form of per-depot stock: JSON with keys in
// encoding/json's sorted order, so equal maps store equal text.
func depotsJSON(d map[extid.NhanhDepotID]int64) string {
	if len(d) == 0 {
		return "{}"
	}
	b, err := json.Marshal(d)
	if err != nil { // a map of integers always marshals
		panic(fmt.Sprintf("marshal depots: %v", err))
	}
	return string(b)
}

func parseDepots(text string) (map[extid.NhanhDepotID]int64, error) {
	var d map[extid.NhanhDepotID]int64
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return nil, fmt.Errorf("parse depots %q: %w", text, err)
	}
	if len(d) == 0 {
		return nil, nil
	}
	return d, nil
}

var nhanhProducts = &mirror[extid.NhanhProductID, NhanhProduct]{
	side:  SideNhanhProduct,
	terms: nhanhProductTerms,
	table: "nhanh_products",
	key:   "nhanh_id",
	columns: []string{"code", "barcode", "name", "price", "status", "available", "depots",
		"remote_updated_at", "parent_id", "combo"},
	keyArg: func(id extid.NhanhProductID) any { return int64(id) },
	keyOf:  func(p *NhanhProduct) extid.NhanhProductID { return p.ID },
	values: func(p *NhanhProduct) []any {
		return []any{p.Code, p.Barcode, p.Name, p.Price, int64(p.Status), p.Available,
			depotsJSON(p.Depots), p.RemoteUpdatedAt, p.ParentID, boolInt(p.Combo)}
	},
	deletedAt: func(p *NhanhProduct) time.Time { return p.DeletedAt },
	scan: func(sc scanner) (NhanhProduct, error) {
		var p NhanhProduct
		var depots string
		var deleted sql.NullInt64
		var pulled, combo int64
		if err := sc.Scan(&p.ID, &p.Code, &p.Barcode, &p.Name, &p.Price, &p.Status, &p.Available,
			&depots, &p.RemoteUpdatedAt, &p.ParentID, &combo, &deleted, &pulled); err != nil {
			return p, err
		}
		p.DeletedAt, p.PulledAt, p.Combo = fromNullMillis(deleted), FromMillis(pulled), combo != 0
		var err error
		p.Depots, err = parseDepots(depots)
		return p, err
	},
}

var shopifyVariants = &mirror[extid.ShopifyVariantGID, ShopifyVariant]{
	side:  SideShopifyVariant,
	terms: shopifyVariantTerms,
	table: "shopify_variants",
	key:   "gid",
	columns: []string{"product_gid", "product_title", "title", "sku", "barcode", "product_status",
		"inventory_item_gid", "remote_updated_at"},
	keyArg: func(id extid.ShopifyVariantGID) any { return string(id) },
	keyOf:  func(v *ShopifyVariant) extid.ShopifyVariantGID { return v.ID },
	values: func(v *ShopifyVariant) []any {
		return []any{string(v.ProductID), v.ProductTitle, v.Title, v.SKU, v.Barcode, v.ProductStatus,
			string(v.InventoryItemID), v.RemoteUpdatedAt}
	},
	deletedAt: func(v *ShopifyVariant) time.Time { return v.DeletedAt },
	scan: func(sc scanner) (ShopifyVariant, error) {
		var v ShopifyVariant
		var deleted sql.NullInt64
		var pulled int64
		err := sc.Scan(&v.ID, &v.ProductID, &v.ProductTitle, &v.Title, &v.SKU, &v.Barcode, &v.ProductStatus,
			&v.InventoryItemID, &v.RemoteUpdatedAt, &deleted, &pulled)
		v.DeletedAt, v.PulledAt = fromNullMillis(deleted), FromMillis(pulled)
		return v, err
	},
}

// UpsertNhanhProducts stores a page of pulled products; see
// UpsertNhanhCustomers for the rules.
func (s *Store) UpsertNhanhProducts(ctx context.Context, q Querier, rows []NhanhProduct, now time.Time) (UpsertCounts, error) {
	return nhanhProducts.upsert(ctx, s, q, rows, now)
}

// MarkNhanhProductsDeleted marks as deleted every live product no pull has
// seen since notPulledSince (only after a complete, unfiltered pull).
func (s *Store) MarkNhanhProductsDeleted(ctx context.Context, q Querier, notPulledSince, now time.Time) (int64, error) {
	return nhanhProducts.markDeleted(ctx, q, notPulledSince, now)
}

// NhanhProduct returns one stored product, deleted or not, or ErrNotFound.
func (s *Store) NhanhProduct(ctx context.Context, q Querier, id extid.NhanhProductID) (NhanhProduct, error) {
	return nhanhProducts.get(ctx, q, id)
}

// ListNhanhProducts returns a page of stored products in id order.
func (s *Store) ListNhanhProducts(ctx context.Context, q Querier, opts ListOpts[extid.NhanhProductID]) ([]NhanhProduct, error) {
	return nhanhProducts.list(ctx, q, opts)
}

// CountNhanhProducts counts the stored products not marked deleted.
func (s *Store) CountNhanhProducts(ctx context.Context, q Querier) (int64, error) {
	return nhanhProducts.count(ctx, q)
}

// EachNhanhProduct calls fn with every live stored product in id order; see
// EachNhanhCustomer.
func (s *Store) EachNhanhProduct(ctx context.Context, q Querier, fn func(NhanhProduct) error) error {
	return nhanhProducts.each(ctx, q, fn)
}

// NhanhParentProductIDs returns the live products that are parents: marked
// as one by their own parentId (-2), or named as the parentId of another
// live product. Matching needs the whole set before it reads the products,
// since a child may be listed after its parent.
func (s *Store) NhanhParentProductIDs(ctx context.Context, q Querier) (map[extid.NhanhProductID]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT nhanh_id FROM nhanh_products WHERE parent_id = $1 AND deleted_at IS NULL
		UNION SELECT DISTINCT parent_id FROM nhanh_products WHERE parent_id > 0 AND deleted_at IS NULL`, NhanhParentMark)
	if err != nil {
		return nil, fmt.Errorf("read nhanh parent products: %w", err)
	}
	defer rows.Close()
	out := map[extid.NhanhProductID]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read nhanh parent products: %w", err)
		}
		out[extid.NhanhProductID(id)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read nhanh parent products: %w", err)
	}
	return out, nil
}

// NhanhParentMark is the parentId Nhanh gives a parent product (the
// client's nhanh.ParentIDParent; the store does not import the client).
const NhanhParentMark = -2

// boolInt stores a flag as 0 or 1, a value both databases compare alike.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// UpsertShopifyVariants stores a page of pulled variants; see
// UpsertNhanhCustomers for the rules.
func (s *Store) UpsertShopifyVariants(ctx context.Context, q Querier, rows []ShopifyVariant, now time.Time) (UpsertCounts, error) {
	return shopifyVariants.upsert(ctx, s, q, rows, now)
}

// MarkShopifyVariantsDeleted marks as deleted every live variant no pull has
// seen since notPulledSince (only after a complete, unfiltered pull).
func (s *Store) MarkShopifyVariantsDeleted(ctx context.Context, q Querier, notPulledSince, now time.Time) (int64, error) {
	return shopifyVariants.markDeleted(ctx, q, notPulledSince, now)
}

// ShopifyVariant returns one stored variant, deleted or not, or ErrNotFound.
func (s *Store) ShopifyVariant(ctx context.Context, q Querier, id extid.ShopifyVariantGID) (ShopifyVariant, error) {
	return shopifyVariants.get(ctx, q, id)
}

// ListShopifyVariants returns a page of stored variants in GID order.
func (s *Store) ListShopifyVariants(ctx context.Context, q Querier, opts ListOpts[extid.ShopifyVariantGID]) ([]ShopifyVariant, error) {
	return shopifyVariants.list(ctx, q, opts)
}

// CountShopifyVariants counts the stored variants not marked deleted.
func (s *Store) CountShopifyVariants(ctx context.Context, q Querier) (int64, error) {
	return shopifyVariants.count(ctx, q)
}

// EachShopifyVariant calls fn with every live stored variant in GID order; see
// EachNhanhCustomer.
func (s *Store) EachShopifyVariant(ctx context.Context, q Querier, fn func(ShopifyVariant) error) error {
	return shopifyVariants.each(ctx, q, fn)
}

// UpdateNhanhStock writes refreshed inventory onto stored products, leaving
// every other field and the pulled time alone. Products not stored are
// counted as Unknown and skipped.
func (s *Store) UpdateNhanhStock(ctx context.Context, q Querier, stock map[extid.NhanhProductID]Stock) (StockCounts, error) {
	var counts StockCounts
	ids := slices.Sorted(maps.Keys(stock))
	stored, err := nhanhProducts.load(ctx, s.dialect, q, ids)
	if err != nil {
		return counts, err
	}
	var changed []extid.NhanhProductID
	for _, id := range ids {
		old, ok := stored[id]
		switch {
		case !ok:
			counts.Unknown++
		case old.Available == stock[id].Available && depotsJSON(old.Depots) == depotsJSON(stock[id].Depots):
			counts.Unchanged++
		default:
			counts.Updated++
			changed = append(changed, id)
		}
	}
	// One UPDATE ... FROM (VALUES ...) per chunk; SQLite and PostgreSQL both
	// name the columns of an unaliased VALUES list column1, column2, ...
	for chunk := range slices.Chunk(changed, stockRowsPerStatement) {
		var sb strings.Builder
		sb.WriteString("UPDATE nhanh_products SET available = v.column2, depots = v.column3 FROM (VALUES ")
		b := binder{dialect: s.dialect}
		for i, id := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(CAST(" + b.bind(int64(id)) + " AS BIGINT), CAST(" + b.bind(stock[id].Available) +
				" AS BIGINT), CAST(" + b.bind(depotsJSON(stock[id].Depots)) + " AS TEXT))")
		}
		sb.WriteString(") AS v WHERE nhanh_products.nhanh_id = v.column1")
		if _, err := q.ExecContext(ctx, sb.String(), b.args...); err != nil {
			return counts, fmt.Errorf("update nhanh stock: %w", err)
		}
	}
	return counts, nil
}

// NhanhProductStock is what a product sync reads of a mirrored Nhanh
// product: one batch of them at a time, without the columns it never uses.
type NhanhProductStock struct {
	Name      string
	Available int64
	Depots    map[extid.NhanhDepotID]int64
	Deleted   bool // marked deleted in Nhanh
}

// NhanhProductStocks reads the mirrored Nhanh products among ids, deleted or
// not. Ids the mirror does not hold are absent from the map.
func (s *Store) NhanhProductStocks(ctx context.Context, q Querier, ids []extid.NhanhProductID) (map[extid.NhanhProductID]NhanhProductStock, error) {
	out := make(map[extid.NhanhProductID]NhanhProductStock, len(ids))
	err := selectIn(ctx, s.dialect, q, "nhanh_id, name, available, depots, deleted_at", "nhanh_products", "nhanh_id",
		nhanhProducts.keyArgs(ids), func(sc scanner) error {
			var id int64
			var r NhanhProductStock
			var depots string
			var deleted sql.NullInt64
			if err := sc.Scan(&id, &r.Name, &r.Available, &depots, &deleted); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(depots), &r.Depots); err != nil {
				return fmt.Errorf("nhanh product %d: depots %q: %w", id, depots, err)
			}
			r.Deleted = deleted.Valid
			out[extid.NhanhProductID(id)] = r
			return nil
		})
	return out, err
}

// ShopifyVariantItem is what a product sync reads of a mirrored variant.
type ShopifyVariantItem struct {
	InventoryItemID extid.ShopifyInventoryItemGID
	Deleted         bool // marked deleted in Shopify
}

// ShopifyVariantItems reads the mirrored variants among ids, deleted or not.
// Ids the mirror does not hold are absent from the map.
func (s *Store) ShopifyVariantItems(ctx context.Context, q Querier, ids []extid.ShopifyVariantGID) (map[extid.ShopifyVariantGID]ShopifyVariantItem, error) {
	out := make(map[extid.ShopifyVariantGID]ShopifyVariantItem, len(ids))
	err := selectIn(ctx, s.dialect, q, "gid, inventory_item_gid, deleted_at", "shopify_variants", "gid",
		shopifyVariants.keyArgs(ids), func(sc scanner) error {
			var gid, item string
			var deleted sql.NullInt64
			if err := sc.Scan(&gid, &item, &deleted); err != nil {
				return err
			}
			out[extid.ShopifyVariantGID(gid)] = ShopifyVariantItem{InventoryItemID: extid.ShopifyInventoryItemGID(item), Deleted: deleted.Valid}
			return nil
		})
	return out, err
}
