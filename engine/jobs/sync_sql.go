package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"syncops/clients/extid"
	"syncops/store"
)

// The queries here are the few a sync needs that the store does not offer:
// counting a mapping scope and reading the mirror rows of one batch of
// mappings at once (one IN list instead of a query per mapping). They are
// written once with $N placeholders and run on both databases.

// mappingTables names the mapping table of each kind.
var mappingTables = map[store.MappingKind]string{
	store.MappingKindCustomer: "customer_mappings",
	store.MappingKindProduct:  "product_mappings",
}

// placeholders returns "$from, $from+1, ..." for n arguments.
func placeholders(from, n int) string {
	var sb strings.Builder
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("$" + strconv.Itoa(from+i))
	}
	return sb.String()
}

// statusArgs turns statuses into query arguments.
func statusArgs(statuses []store.MappingStatus) []any {
	out := make([]any, len(statuses))
	for i, st := range statuses {
		out[i] = string(st)
	}
	return out
}

// countMappings counts the mappings of kind in one of statuses and returns
// the highest id among them (0 when none).
func countMappings(ctx context.Context, q store.Querier, kind store.MappingKind, statuses []store.MappingStatus) (n, maxID int64, err error) {
	query := "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM " + mappingTables[kind] +
		" WHERE status IN (" + placeholders(1, len(statuses)) + ")"
	if err := q.QueryRowContext(ctx, query, statusArgs(statuses)...).Scan(&n, &maxID); err != nil {
		return 0, 0, fmt.Errorf("count %s mappings: %w", kind, err)
	}
	return n, maxID, nil
}

// nthMappingID returns the id of the n-th (1-based) mapping of kind in one of
// statuses, in id order: the last id a limited run covers.
func nthMappingID(ctx context.Context, q store.Querier, kind store.MappingKind, statuses []store.MappingStatus, n int64) (int64, error) {
	args := statusArgs(statuses)
	query := "SELECT id FROM " + mappingTables[kind] + " WHERE status IN (" + placeholders(1, len(statuses)) +
		") ORDER BY id LIMIT 1 OFFSET $" + strconv.Itoa(len(args)+1)
	var id int64
	if err := q.QueryRowContext(ctx, query, append(args, n-1)...).Scan(&id); err != nil {
		return 0, fmt.Errorf("find the %d-th %s mapping: %w", n, kind, err)
	}
	return id, nil
}

// queryIn runs "SELECT cols FROM table WHERE key IN (ids)" and hands every
// row to scan.
func queryIn(ctx context.Context, q store.Querier, cols, table, key string, ids []any, scan func(*sql.Rows) error) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.QueryContext(ctx, "SELECT "+cols+" FROM "+table+" WHERE "+key+" IN ("+placeholders(1, len(ids))+")", ids...)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("scan %s: %w", table, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}

// nhanhCustomerRow is what a customer sync needs of a mirrored Nhanh customer.
type nhanhCustomerRow struct {
	Name        string
	TotalAmount float64
	Deleted     bool
}

func loadNhanhCustomers(ctx context.Context, q store.Querier, ids []extid.NhanhCustomerID) (map[extid.NhanhCustomerID]nhanhCustomerRow, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	out := make(map[extid.NhanhCustomerID]nhanhCustomerRow, len(ids))
	err := queryIn(ctx, q, "nhanh_id, name, total_amount, deleted_at", "nhanh_customers", "nhanh_id", args, func(rows *sql.Rows) error {
		var id int64
		var r nhanhCustomerRow
		var deleted sql.NullInt64
		if err := rows.Scan(&id, &r.Name, &r.TotalAmount, &deleted); err != nil {
			return err
		}
		r.Deleted = deleted.Valid
		out[extid.NhanhCustomerID(id)] = r
		return nil
	})
	return out, err
}

// loadDeletedShopifyCustomers returns which of ids the mirror holds as
// deleted in Shopify.
func loadDeletedShopifyCustomers(ctx context.Context, q store.Querier, ids []extid.ShopifyCustomerGID) (map[extid.ShopifyCustomerGID]bool, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = string(id)
	}
	out := map[extid.ShopifyCustomerGID]bool{}
	err := queryIn(ctx, q, "gid, deleted_at", "shopify_customers", "gid", args, func(rows *sql.Rows) error {
		var gid string
		var deleted sql.NullInt64
		if err := rows.Scan(&gid, &deleted); err != nil {
			return err
		}
		if deleted.Valid {
			out[extid.ShopifyCustomerGID(gid)] = true
		}
		return nil
	})
	return out, err
}

// nhanhProductRow is what a product sync needs of a mirrored Nhanh product.
type nhanhProductRow struct {
	Name      string
	Available int64
	Depots    map[extid.NhanhDepotID]int64
	Deleted   bool
}

func loadNhanhProducts(ctx context.Context, q store.Querier, ids []extid.NhanhProductID) (map[extid.NhanhProductID]nhanhProductRow, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	out := make(map[extid.NhanhProductID]nhanhProductRow, len(ids))
	err := queryIn(ctx, q, "nhanh_id, name, available, depots, deleted_at", "nhanh_products", "nhanh_id", args, func(rows *sql.Rows) error {
		var id int64
		var r nhanhProductRow
		var depots string
		var deleted sql.NullInt64
		if err := rows.Scan(&id, &r.Name, &r.Available, &depots, &deleted); err != nil {
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

// shopifyVariantRow is what a product sync needs of a mirrored variant.
type shopifyVariantRow struct {
	InventoryItemID extid.ShopifyInventoryItemGID
	Deleted         bool
}

func loadShopifyVariants(ctx context.Context, q store.Querier, ids []extid.ShopifyVariantGID) (map[extid.ShopifyVariantGID]shopifyVariantRow, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = string(id)
	}
	out := make(map[extid.ShopifyVariantGID]shopifyVariantRow, len(ids))
	err := queryIn(ctx, q, "gid, inventory_item_gid, deleted_at", "shopify_variants", "gid", args, func(rows *sql.Rows) error {
		var gid, item string
		var deleted sql.NullInt64
		if err := rows.Scan(&gid, &item, &deleted); err != nil {
			return err
		}
		out[extid.ShopifyVariantGID(gid)] = shopifyVariantRow{InventoryItemID: extid.ShopifyInventoryItemGID(item), Deleted: deleted.Valid}
		return nil
	})
	return out, err
}

// maxNhanhCustomerUpdatedAt is the newest Nhanh updatedAt in the mirror (0
// when it is empty): where an auto-sync that has never run starts reading
// changes.
func maxNhanhCustomerUpdatedAt(ctx context.Context, q store.Querier) (int64, error) {
	var v int64
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(remote_updated_at), 0) FROM nhanh_customers").Scan(&v); err != nil {
		return 0, fmt.Errorf("newest mirrored Nhanh customer: %w", err)
	}
	return v, nil
}

// cacheInventoryItem stores on a product mapping the inventory item id a
// sync took from the variant mirror, so later syncs need not look it up
// (the reference cached it the same way, §8.4). A mapping that has one is
// left alone.
func cacheInventoryItem(ctx context.Context, tx *sql.Tx, mappingID int64, item extid.ShopifyInventoryItemGID) error {
	_, err := tx.ExecContext(ctx, "UPDATE product_mappings SET inventory_item_gid = $1 WHERE id = $2 AND inventory_item_gid = ''",
		string(item), mappingID)
	if err != nil {
		return fmt.Errorf("cache inventory item of product mapping %d: %w", mappingID, err)
	}
	return nil
}
