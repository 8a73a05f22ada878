package jobs

import (
	"context"
	"database/sql"
	"fmt"

	"syncops/clients/extid"
)

// Customer matching reads the two largest mirrors whole, and reading was
// most of its time: store.EachNhanhCustomer and EachShopifyCustomer scan
// every column, 2.4 s for both mirrors at 500,000 rows each, where these
// projections of the match keys take 0.9 s. They also let the database
// leave out mapped Nhanh customers and say which Shopify customers are
// mapped, so no mapping set is held in memory.
//
// They run on Store.DB(), the only handle the store exports; on SQLite that
// is the single writer connection, which a read holds for well under a
// second. Nothing is written while they stream.

// unmappedNhanhCustomersQuery lists the match keys of live Nhanh customers
// that have no mapping row, in id order (failed items then come in id
// order too).
const unmappedNhanhCustomersQuery = `SELECT c.nhanh_id, c.mobile, c.email FROM nhanh_customers c
	WHERE c.deleted_at IS NULL
	AND NOT EXISTS (SELECT 1 FROM customer_mappings m WHERE m.nhanh_customer_id = c.nhanh_id)
	ORDER BY c.nhanh_id`

// shopifyContactsQuery lists the contact fields of live Shopify customers,
// with the Nhanh customer each is mapped to (0 when none).
const shopifyContactsQuery = `SELECT c.gid, c.phone, c.default_address_phone, c.note, c.email,
	COALESCE(m.nhanh_customer_id, 0)
	FROM shopify_customers c LEFT JOIN customer_mappings m ON m.shopify_customer_gid = c.gid
	WHERE c.deleted_at IS NULL`

// shopifyContact is what matching reads of a Shopify customer.
type shopifyContact struct {
	id                        extid.ShopifyCustomerGID
	phone, addressPhone, note string
	email                     string
	mappedTo                  extid.NhanhCustomerID
}

// eachUnmappedNhanhCustomer calls fn with the keys of every live Nhanh
// customer without a mapping, in id order.
func eachUnmappedNhanhCustomer(ctx context.Context, db *sql.DB, fn func(id extid.NhanhCustomerID, mobile, email string)) error {
	var id extid.NhanhCustomerID
	var mobile, email string
	err := streamRows(ctx, db, unmappedNhanhCustomersQuery, []any{&id, &mobile, &email}, func() { fn(id, mobile, email) })
	if err != nil {
		return fmt.Errorf("read unmapped Nhanh customers: %w", err)
	}
	return nil
}

// eachShopifyContact calls fn with the contact fields of every live
// Shopify customer.
func eachShopifyContact(ctx context.Context, db *sql.DB, fn func(shopifyContact)) error {
	var c shopifyContact
	err := streamRows(ctx, db, shopifyContactsQuery,
		[]any{&c.id, &c.phone, &c.addressPhone, &c.note, &c.email, &c.mappedTo}, func() { fn(c) })
	if err != nil {
		return fmt.Errorf("read Shopify customers: %w", err)
	}
	return nil
}

// streamRows runs query and calls fn after scanning each row into dest.
func streamRows(ctx context.Context, db *sql.DB, query string, dest []any, fn func()) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		fn()
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}
