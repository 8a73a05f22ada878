package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"syncops/clients/extid"
)

// Customer matching reads the two largest mirrors whole, and reading was
// most of its time: EachNhanhCustomer and EachShopifyCustomer scan every
// column, 2.4 s for both mirrors at 500,000 rows each, where these
// projections of the match keys take 0.9 s. They also let the database leave
// out mapped Nhanh customers and say which Shopify customers are mapped, so
// no mapping set is held in memory. Give them Reader, so the walk never
// holds SQLite's single writer connection.

// A match that resumes after an interruption (the next attempt of the same
// job) must decide exactly as the interrupted attempt did, so the reads below
// take the matching job's id: mappings that job created count as not made
// yet, and are reported as its own (Own), so it can skip the work they
// record instead of finding them in its way.

// NhanhCustomerKeys is what customer matching reads of a Nhanh customer.
type NhanhCustomerKeys struct {
	ID     extid.NhanhCustomerID
	Mobile string
	Email  string
	// Own says the customer is mapped already, by the job reading.
	Own bool
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
	// Own says the mapping to MappedTo was created by the job reading.
	Own bool
}

// EachUnmappedNhanhCustomer calls fn with the keys of every live Nhanh
// customer that has no mapping row, or one created by job ownJob (Own), in
// id order (so failed items come in id order too).
func (s *Store) EachUnmappedNhanhCustomer(ctx context.Context, q Querier, ownJob int64, fn func(NhanhCustomerKeys)) error {
	var k NhanhCustomerKeys
	err := streamScan(ctx, q, `SELECT c.nhanh_id, c.mobile, c.email, m.nhanh_customer_id IS NOT NULL
		FROM nhanh_customers c LEFT JOIN customer_mappings m ON m.nhanh_customer_id = c.nhanh_id
		WHERE c.deleted_at IS NULL AND (m.nhanh_customer_id IS NULL OR m.created_by_job = $1)
		ORDER BY c.nhanh_id`, []any{ownJob}, []any{&k.ID, &k.Mobile, &k.Email, &k.Own}, func() { fn(k) })
	if err != nil {
		return fmt.Errorf("read unmapped Nhanh customers: %w", err)
	}
	return nil
}

// EachShopifyCustomerContact calls fn with the contact fields of every live
// Shopify customer, in no particular order; Own marks those mapped by job
// ownJob.
func (s *Store) EachShopifyCustomerContact(ctx context.Context, q Querier, ownJob int64, fn func(ShopifyCustomerContact)) error {
	var c ShopifyCustomerContact
	err := streamScan(ctx, q, `SELECT c.gid, c.phone, c.default_address_phone, c.note, c.email,
		COALESCE(m.nhanh_customer_id, 0), COALESCE(m.created_by_job = $1, FALSE)
		FROM shopify_customers c LEFT JOIN customer_mappings m ON m.shopify_customer_gid = c.gid
		WHERE c.deleted_at IS NULL`, []any{ownJob},
		[]any{&c.ID, &c.Phone, &c.AddressPhone, &c.Note, &c.Email, &c.MappedTo, &c.Own}, func() { fn(c) })
	if err != nil {
		return fmt.Errorf("read Shopify customer contacts: %w", err)
	}
	return nil
}

// streamScan runs query and calls fn after scanning each row into dest: one
// set of scan targets for the whole walk, which the row types' scan
// functions cannot offer.
func streamScan(ctx context.Context, q Querier, query string, args, dest []any, fn func()) error {
	rows, err := q.QueryContext(ctx, query, args...)
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

// ProductMappingSides is what product matching reads of a product mapping.
type ProductMappingSides struct {
	NhanhID   extid.NhanhProductID
	ShopifyID extid.ShopifyVariantGID // "" while unmapped
	// Own says the mapping was created by the job reading.
	Own bool
}

// EachProductMappingSides calls fn with the sides of every product mapping;
// Own marks those created by job ownJob.
func (s *Store) EachProductMappingSides(ctx context.Context, q Querier, ownJob int64, fn func(ProductMappingSides)) error {
	var m ProductMappingSides
	var shopify sql.NullString
	err := streamScan(ctx, q, `SELECT nhanh_product_id, shopify_variant_gid, COALESCE(created_by_job = $1, FALSE)
		FROM product_mappings`, []any{ownJob}, []any{&m.NhanhID, &shopify, &m.Own}, func() {
		m.ShopifyID = extid.ShopifyVariantGID(shopify.String)
		fn(m)
	})
	if err != nil {
		return fmt.Errorf("read product mappings: %w", err)
	}
	return nil
}

// ShopifyCustomerNames returns the names of the stored Shopify customers
// among ids, family and middle names (last name) first as Vietnamese write
// them, deleted or not: the few customers a batch of failed matches names,
// read at once instead of one query each. Ids the mirror does not hold are
// absent from the map.
func (s *Store) ShopifyCustomerNames(ctx context.Context, q Querier, ids []extid.ShopifyCustomerGID) (map[extid.ShopifyCustomerGID]string, error) {
	out := make(map[extid.ShopifyCustomerGID]string, len(ids))
	err := selectIn(ctx, s.dialect, q, "gid, last_name, first_name", "shopify_customers", "gid",
		shopifyCustomers.keyArgs(ids), func(sc scanner) error {
			var gid, last, first string
			if err := sc.Scan(&gid, &last, &first); err != nil {
				return err
			}
			out[extid.ShopifyCustomerGID(gid)] = strings.TrimSpace(last + " " + first)
			return nil
		})
	return out, err
}
