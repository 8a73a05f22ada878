package store

import (
	"context"
	"fmt"

	"syncops/clients/extid"
)

// Customer matching reads the two largest mirrors whole, and reading was
// most of its time: EachNhanhCustomer and EachShopifyCustomer scan every
// column, 2.4 s for both mirrors at 500,000 rows each, where these
// projections of the match keys take 0.9 s. They also let the database leave
// out mapped Nhanh customers and say which Shopify customers are mapped, so
// no mapping set is held in memory. Give them Reader, so the walk never
// holds SQLite's single writer connection.

// NhanhCustomerKeys is what customer matching reads of a Nhanh customer.
type NhanhCustomerKeys struct {
	ID     extid.NhanhCustomerID
	Mobile string
	Email  string
}

// ShopifyCustomerContact is what customer matching reads of a Shopify
// customer: its contact fields, and the Nhanh customer it is mapped to (0
// when none).
type ShopifyCustomerContact struct {
	ID           extid.ShopifyCustomerGID
	Phone        string
	AddressPhone string // the default address's phone
	Note         string
	Email        string
	MappedTo     extid.NhanhCustomerID
}

// EachUnmappedNhanhCustomer calls fn with the keys of every live Nhanh
// customer that has no mapping row, in id order (so failed items come in id
// order too).
func (s *Store) EachUnmappedNhanhCustomer(ctx context.Context, q Querier, fn func(NhanhCustomerKeys)) error {
	var k NhanhCustomerKeys
	err := streamScan(ctx, q, `SELECT c.nhanh_id, c.mobile, c.email FROM nhanh_customers c
		WHERE c.deleted_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM customer_mappings m WHERE m.nhanh_customer_id = c.nhanh_id)
		ORDER BY c.nhanh_id`, []any{&k.ID, &k.Mobile, &k.Email}, func() { fn(k) })
	if err != nil {
		return fmt.Errorf("read unmapped Nhanh customers: %w", err)
	}
	return nil
}

// EachShopifyCustomerContact calls fn with the contact fields of every live
// Shopify customer, in no particular order.
func (s *Store) EachShopifyCustomerContact(ctx context.Context, q Querier, fn func(ShopifyCustomerContact)) error {
	var c ShopifyCustomerContact
	err := streamScan(ctx, q, `SELECT c.gid, c.phone, c.default_address_phone, c.note, c.email,
		COALESCE(m.nhanh_customer_id, 0)
		FROM shopify_customers c LEFT JOIN customer_mappings m ON m.shopify_customer_gid = c.gid
		WHERE c.deleted_at IS NULL`,
		[]any{&c.ID, &c.Phone, &c.AddressPhone, &c.Note, &c.Email, &c.MappedTo}, func() { fn(c) })
	if err != nil {
		return fmt.Errorf("read Shopify customer contacts: %w", err)
	}
	return nil
}

// streamScan runs query and calls fn after scanning each row into dest: one
// set of scan targets for the whole walk, which the row types' scan
// functions cannot offer.
func streamScan(ctx context.Context, q Querier, query string, dest []any, fn func()) error {
	rows, err := q.QueryContext(ctx, query)
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
	return closeRows(rows)
}
