package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"syncops/clients/extid"
)

// NhanhCustomer is the local copy of one Nhanh.vn customer.
type NhanhCustomer struct {
	ID          extid.NhanhCustomerID
	Type        int // 1 retail, 2 wholesale, 3 agent
	Name        string
	Mobile      string // as typed at the till; matching normalises it
	Email       string
	Address     string
	City        string
	TotalAmount float64 // lifetime spend in VND, the value synced to Shopify
	// TotalAmountNull says Nhanh sent no totalAmount (null or missing): the
	// spend is unknown, stored as NULL, and TotalAmount is 0 but means
	// nothing. A sync fails such a customer rather than write 0.
	TotalAmountNull bool
	LastBoughtDate  string
	RemoteUpdatedAt int64     // Nhanh's updatedAt, unix seconds
	DeletedAt       time.Time // zero while the customer exists at the source
	PulledAt        time.Time // when a pull last saw it; set by the store
}

// ShopifyCustomer is the local copy of one Shopify customer.
type ShopifyCustomer struct {
	ID                  extid.ShopifyCustomerGID
	FirstName           string
	LastName            string
	Email               string
	Phone               string
	DefaultAddressPhone string
	Note                string // matching mines it for phone numbers
	NumberOfOrders      int64
	AmountSpent         string // decimal string, informational
	// TotalSpent is the custom.total_spent metafield value as the last pull
	// read it (or the last value a sync wrote since); nil when the customer
	// has none or it was never read.
	TotalSpent      *string
	RemoteUpdatedAt int64 // Shopify's updatedAt, unix seconds
	DeletedAt       time.Time
	PulledAt        time.Time
}

var nhanhCustomers = &mirror[extid.NhanhCustomerID, NhanhCustomer]{
	side:  SideNhanhCustomer,
	terms: nhanhCustomerTerms,
	table: "nhanh_customers",
	key:   "nhanh_id",
	columns: []string{"customer_type", "name", "mobile", "email", "address", "city",
		"total_amount", "last_bought_date", "remote_updated_at"},
	keyArg: func(id extid.NhanhCustomerID) any { return int64(id) },
	keyOf:  func(c *NhanhCustomer) extid.NhanhCustomerID { return c.ID },
	values: func(c *NhanhCustomer) []any {
		return []any{int64(c.Type), c.Name, c.Mobile, c.Email, c.Address, c.City,
			nullableSpend(c.TotalAmount, c.TotalAmountNull), c.LastBoughtDate, c.RemoteUpdatedAt}
	},
	deletedAt: func(c *NhanhCustomer) time.Time { return c.DeletedAt },
	scan: func(sc scanner) (NhanhCustomer, error) {
		var c NhanhCustomer
		var deleted sql.NullInt64
		var total sql.NullFloat64
		var pulled int64
		err := sc.Scan(&c.ID, &c.Type, &c.Name, &c.Mobile, &c.Email, &c.Address, &c.City,
			&total, &c.LastBoughtDate, &c.RemoteUpdatedAt, &deleted, &pulled)
		c.TotalAmount, c.TotalAmountNull = total.Float64, !total.Valid
		c.DeletedAt, c.PulledAt = fromNullMillis(deleted), FromMillis(pulled)
		return c, err
	},
}

var shopifyCustomers = &mirror[extid.ShopifyCustomerGID, ShopifyCustomer]{
	side:  SideShopifyCustomer,
	terms: shopifyCustomerTerms,
	table: "shopify_customers",
	key:   "gid",
	columns: []string{"first_name", "last_name", "email", "phone", "default_address_phone", "note",
		"number_of_orders", "amount_spent", "total_spent", "remote_updated_at"},
	keyArg: func(id extid.ShopifyCustomerGID) any { return string(id) },
	keyOf:  func(c *ShopifyCustomer) extid.ShopifyCustomerGID { return c.ID },
	values: func(c *ShopifyCustomer) []any {
		return []any{c.FirstName, c.LastName, c.Email, c.Phone, c.DefaultAddressPhone, c.Note,
			c.NumberOfOrders, c.AmountSpent, nullableText(c.TotalSpent), c.RemoteUpdatedAt}
	},
	deletedAt: func(c *ShopifyCustomer) time.Time { return c.DeletedAt },
	scan: func(sc scanner) (ShopifyCustomer, error) {
		var c ShopifyCustomer
		var deleted sql.NullInt64
		var spent sql.NullString
		var pulled int64
		err := sc.Scan(&c.ID, &c.FirstName, &c.LastName, &c.Email, &c.Phone, &c.DefaultAddressPhone, &c.Note,
			&c.NumberOfOrders, &c.AmountSpent, &spent, &c.RemoteUpdatedAt, &deleted, &pulled)
		if spent.Valid {
			c.TotalSpent = &spent.String
		}
		c.DeletedAt, c.PulledAt = fromNullMillis(deleted), FromMillis(pulled)
		return c, err
	},
}

// UpsertNhanhCustomers stores a page of pulled customers in q (pass the pull's
// transaction: the work is a handful of statements per thousand rows). Every
// row's pulled time becomes now; only new or changed rows are written, and a
// row marked deleted comes back to life. Given DeletedAt and PulledAt are
// ignored. When an id repeats, the last row wins.
func (s *Store) UpsertNhanhCustomers(ctx context.Context, q Querier, rows []NhanhCustomer, now time.Time) (UpsertCounts, error) {
	return nhanhCustomers.upsert(ctx, s, q, rows, now)
}

// MarkNhanhCustomersDeleted marks as deleted, at now, every live customer no
// pull has seen since notPulledSince. Call it only after a complete,
// unfiltered pull that started at notPulledSince.
func (s *Store) MarkNhanhCustomersDeleted(ctx context.Context, q Querier, notPulledSince, now time.Time) (int64, error) {
	return nhanhCustomers.markDeleted(ctx, q, notPulledSince, now)
}

// NhanhCustomer returns one stored customer, deleted or not, or ErrNotFound.
func (s *Store) NhanhCustomer(ctx context.Context, q Querier, id extid.NhanhCustomerID) (NhanhCustomer, error) {
	return nhanhCustomers.get(ctx, q, id)
}

// ListNhanhCustomers returns a page of stored customers in id order.
func (s *Store) ListNhanhCustomers(ctx context.Context, q Querier, opts ListOpts[extid.NhanhCustomerID]) ([]NhanhCustomer, error) {
	return nhanhCustomers.list(ctx, q, opts)
}

// CountNhanhCustomers counts the stored customers not marked deleted.
func (s *Store) CountNhanhCustomers(ctx context.Context, q Querier) (int64, error) {
	return nhanhCustomers.count(ctx, q)
}

// EachNhanhCustomer calls fn with every stored customer not marked deleted, in
// id order, without holding them all in memory. fn's error stops the walk and
// is returned as is. Give it Reader: the walk then holds a reader connection,
// not SQLite's single writer, and fn may write through InTx meanwhile.
func (s *Store) EachNhanhCustomer(ctx context.Context, q Querier, fn func(NhanhCustomer) error) error {
	return nhanhCustomers.each(ctx, q, fn)
}

// UpsertShopifyCustomers is UpsertNhanhCustomers for Shopify customers.
func (s *Store) UpsertShopifyCustomers(ctx context.Context, q Querier, rows []ShopifyCustomer, now time.Time) (UpsertCounts, error) {
	return shopifyCustomers.upsert(ctx, s, q, rows, now)
}

// MarkShopifyCustomersDeleted is MarkNhanhCustomersDeleted for Shopify
// customers.
func (s *Store) MarkShopifyCustomersDeleted(ctx context.Context, q Querier, notPulledSince, now time.Time) (int64, error) {
	return shopifyCustomers.markDeleted(ctx, q, notPulledSince, now)
}

// ShopifyCustomer returns one stored customer, deleted or not, or ErrNotFound.
func (s *Store) ShopifyCustomer(ctx context.Context, q Querier, id extid.ShopifyCustomerGID) (ShopifyCustomer, error) {
	return shopifyCustomers.get(ctx, q, id)
}

// ListShopifyCustomers returns a page of stored customers in GID order (the
// database's text order).
func (s *Store) ListShopifyCustomers(ctx context.Context, q Querier, opts ListOpts[extid.ShopifyCustomerGID]) ([]ShopifyCustomer, error) {
	return shopifyCustomers.list(ctx, q, opts)
}

// CountShopifyCustomers counts the stored customers not marked deleted.
func (s *Store) CountShopifyCustomers(ctx context.Context, q Querier) (int64, error) {
	return shopifyCustomers.count(ctx, q)
}

// EachShopifyCustomer is EachNhanhCustomer for Shopify customers.
func (s *Store) EachShopifyCustomer(ctx context.Context, q Querier, fn func(ShopifyCustomer) error) error {
	return shopifyCustomers.each(ctx, q, fn)
}

// NhanhCustomerSpend is what a customer sync reads of a mirrored Nhanh
// customer: one batch of them at a time, without the columns it never uses.
type NhanhCustomerSpend struct {
	Name        string
	TotalAmount float64
	// Unknown says Nhanh sent no totalAmount: there is no value to write.
	Unknown bool
	Deleted bool // marked deleted in Nhanh
}

// NhanhCustomerSpends reads the mirrored Nhanh customers among ids, deleted
// or not. Ids the mirror does not hold are absent from the map.
func (s *Store) NhanhCustomerSpends(ctx context.Context, q Querier, ids []extid.NhanhCustomerID) (map[extid.NhanhCustomerID]NhanhCustomerSpend, error) {
	out := make(map[extid.NhanhCustomerID]NhanhCustomerSpend, len(ids))
	err := selectIn(ctx, s.dialect, q, "nhanh_id, name, total_amount, deleted_at", "nhanh_customers", "nhanh_id",
		nhanhCustomers.keyArgs(ids), func(sc scanner) error {
			var id int64
			var r NhanhCustomerSpend
			var deleted sql.NullInt64
			var total sql.NullFloat64
			if err := sc.Scan(&id, &r.Name, &total, &deleted); err != nil {
				return err
			}
			r.TotalAmount, r.Unknown, r.Deleted = total.Float64, !total.Valid, deleted.Valid
			out[extid.NhanhCustomerID(id)] = r
			return nil
		})
	return out, err
}

// DeletedShopifyCustomers returns which of ids the mirror holds as deleted
// in Shopify (only those are in the map).
func (s *Store) DeletedShopifyCustomers(ctx context.Context, q Querier, ids []extid.ShopifyCustomerGID) (map[extid.ShopifyCustomerGID]bool, error) {
	out := map[extid.ShopifyCustomerGID]bool{}
	err := selectIn(ctx, s.dialect, q, "gid, deleted_at", "shopify_customers", "gid",
		shopifyCustomers.keyArgs(ids), func(sc scanner) error {
			var gid string
			var deleted sql.NullInt64
			if err := sc.Scan(&gid, &deleted); err != nil {
				return err
			}
			if deleted.Valid {
				out[extid.ShopifyCustomerGID(gid)] = true
			}
			return nil
		})
	return out, err
}

// ShopifyCustomerSpend is what a customer sync reads of a mirrored Shopify
// customer.
type ShopifyCustomerSpend struct {
	// TotalSpent is custom.total_spent as last read or written; nil when
	// unknown (none, or never read).
	TotalSpent *string
	Deleted    bool // marked deleted in Shopify
}

// ShopifyCustomerSpends reads the mirrored Shopify customers among ids,
// deleted or not. Ids the mirror does not hold are absent from the map.
func (s *Store) ShopifyCustomerSpends(ctx context.Context, q Querier, ids []extid.ShopifyCustomerGID) (map[extid.ShopifyCustomerGID]ShopifyCustomerSpend, error) {
	out := make(map[extid.ShopifyCustomerGID]ShopifyCustomerSpend, len(ids))
	err := selectIn(ctx, s.dialect, q, "gid, total_spent, deleted_at", "shopify_customers", "gid",
		shopifyCustomers.keyArgs(ids), func(sc scanner) error {
			var gid string
			var spent sql.NullString
			var deleted sql.NullInt64
			if err := sc.Scan(&gid, &spent, &deleted); err != nil {
				return err
			}
			r := ShopifyCustomerSpend{Deleted: deleted.Valid}
			if spent.Valid {
				r.TotalSpent = &spent.String
			}
			out[extid.ShopifyCustomerGID(gid)] = r
			return nil
		})
	return out, err
}

// SetShopifyTotalSpent records in the mirror the custom.total_spent value a
// sync just wrote to Shopify, so the next comparison with Shopify's value
// sees the write rather than the value of the last pull. A customer the
// mirror does not hold is left alone.
func (s *Store) SetShopifyTotalSpent(ctx context.Context, q Querier, id extid.ShopifyCustomerGID, value string) error {
	if _, err := q.ExecContext(ctx, "UPDATE shopify_customers SET total_spent = $1 WHERE gid = $2", value, string(id)); err != nil {
		return fmt.Errorf("record total_spent of %s: %w", id, err)
	}
	return nil
}

// NewestNhanhCustomerUpdate is the newest Nhanh updatedAt (unix ms) in the
// mirror, deleted rows included, or 0 when the mirror is empty: where an
// auto-sync that has never run starts reading changes.
func (s *Store) NewestNhanhCustomerUpdate(ctx context.Context, q Querier) (int64, error) {
	var v int64
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(remote_updated_at), 0) FROM nhanh_customers").Scan(&v); err != nil {
		return 0, fmt.Errorf("newest mirrored Nhanh customer: %w", err)
	}
	return v, nil
}

// nullableSpend is a spend as the mirror stores it: NULL when unknown.
func nullableSpend(v float64, null bool) any {
	if null {
		return nil
	}
	return v
}

// nullableText is an optional text as the mirror stores it: NULL for nil.
func nullableText(v *string) any {
	if v == nil {
		return nil
	}
	return *v
}
