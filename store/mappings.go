package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"syncops/clients/extid"
)

// MappingStatus is where a mapping stands in its sync life.
type MappingStatus string

// Mapping statuses.
const (
	MappingUnmapped MappingStatus = "UNMAPPED" // no Shopify side chosen yet
	MappingPending  MappingStatus = "PENDING"  // target chosen, not pushed yet
	MappingSynced   MappingStatus = "SYNCED"   // last push succeeded
	MappingFailed   MappingStatus = "FAILED"   // last push failed; SyncError says why
)

// Valid reports whether st is a known status.
func (st MappingStatus) Valid() bool {
	switch st {
	case MappingUnmapped, MappingPending, MappingSynced, MappingFailed:
		return true
	}
	return false
}

// Match methods recorded on mappings.
const (
	MatchPhone  = "phone"
	MatchEmail  = "email"
	MatchSKU    = "sku"
	MatchManual = "manual"
)

// maxSyncErrorBytes bounds a stored sync error: API errors can carry whole
// response bodies, and the row is read on every listing.
const maxSyncErrorBytes = 4000

// MappingFilter selects mapping rows, in id order. Empty fields do not filter.
type MappingFilter struct {
	IDs      []int64         // only these local mapping ids
	Statuses []MappingStatus // only these statuses
	AfterID  int64           // only ids above this (paging)
	Limit    int             // at most this many; <= 0 means no limit
	// Unsettled selects only the customer mappings with a Shopify side
	// whose write may differ from their last (CustomerMapping.InputVersion);
	// it takes no Statuses and no IDs.
	Unsettled bool
}

var customerMappings = &mappingTable{
	kind:         MappingKindCustomer,
	table:        "customer_mappings",
	nhanhCol:     "nhanh_customer_id",
	shopifyCol:   "shopify_customer_gid",
	nhanhLabel:   "Nhanh customer",
	shopifyLabel: "Shopify customer",
	versioned:    true,
}

var productMappings = &mappingTable{
	kind:         MappingKindProduct,
	table:        "product_mappings",
	nhanhCol:     "nhanh_product_id",
	shopifyCol:   "shopify_variant_gid",
	nhanhLabel:   "Nhanh product",
	shopifyLabel: "Shopify variant",
	withItem:     true,
}

// CustomerMapping links one Nhanh customer to at most one Shopify customer
// and carries the state of syncing its total spend.
type CustomerMapping struct {
	ID              int64 // local row id
	NhanhID         extid.NhanhCustomerID
	ShopifyID       extid.ShopifyCustomerGID // "" while unmapped
	Status          MappingStatus
	MatchMethod     string // MatchPhone, MatchEmail, MatchManual
	LastSyncedValue *int64 // total spend last written to Shopify; nil before the first sync
	LastSyncedAt    time.Time
	SyncError       string
	SyncAttempts    int
	// CreatedByJob is the job that created the mapping; 0 when it was made
	// by hand (or before jobs were recorded on mappings).
	CreatedByJob int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// InputVersion counts the changes of what the mapping's write is
	// planned from: its Nhanh customer's spend or deletion, its Shopify
	// customer's deletion or a value other than the one last written.
	// Triggers keep it (migration 0020), whoever writes the mirrors. A sync
	// that writes the mapping, or finds Nhanh's value written already,
	// records the InputVersion it planned from (RecordCustomerSync,
	// SettleCustomerMappings); the mapping is settled while the two agree
	// and it is SYNCED, and an auto-sync passes it by (MappingFilter
	// Unsettled).
	InputVersion InputVersion
}

// InputVersion is a customer mapping's count of input changes
// (CustomerMapping.InputVersion).
type InputVersion int64

// ProductMapping links one Nhanh product to at most one Shopify variant and
// carries the state of syncing its inventory.
type ProductMapping struct {
	ID              int64 // local row id
	NhanhID         extid.NhanhProductID
	ShopifyID       extid.ShopifyVariantGID // "" while unmapped
	InventoryItemID extid.ShopifyInventoryItemGID
	Status          MappingStatus
	MatchMethod     string // MatchSKU, MatchManual
	// LastSyncedValue is the quantity last set at each Shopify location; nil
	// before the first sync.
	LastSyncedValue map[extid.ShopifyLocationGID]int64
	LastSyncedAt    time.Time
	SyncError       string
	SyncAttempts    int
	// CreatedByJob is the job that created the mapping; 0 when it was made
	// by hand (or before jobs were recorded on mappings).
	CreatedByJob int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// defaultStatus is UNMAPPED without a Shopify side and PENDING with one.
func defaultStatus(st MappingStatus, shopifyID string) MappingStatus {
	switch {
	case st != "":
		return st
	case shopifyID == "":
		return MappingUnmapped
	default:
		return MappingPending
	}
}

func (m CustomerMapping) row() mappingRow {
	return mappingRow{NhanhID: int64(m.NhanhID), ShopifyID: string(m.ShopifyID),
		Status: defaultStatus(m.Status, string(m.ShopifyID)), MatchMethod: m.MatchMethod, CreatedByJob: m.CreatedByJob}
}

func customerMappingFrom(r mappingRow) (CustomerMapping, error) {
	m := CustomerMapping{ID: r.ID, NhanhID: extid.NhanhCustomerID(r.NhanhID), ShopifyID: extid.ShopifyCustomerGID(r.ShopifyID),
		Status: r.Status, MatchMethod: r.MatchMethod, LastSyncedAt: r.LastSyncedAt, SyncError: r.SyncError,
		SyncAttempts: r.SyncAttempts, CreatedByJob: r.CreatedByJob, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		InputVersion: InputVersion(r.InputVersion)}
	if r.LastSyncedValue.Valid {
		v, err := strconv.ParseInt(r.LastSyncedValue.String, 10, 64)
		if err != nil {
			return m, fmt.Errorf("customer mapping %d: bad last synced value %q", r.ID, r.LastSyncedValue.String)
		}
		m.LastSyncedValue = &v
	}
	return m, nil
}

func (m ProductMapping) row() mappingRow {
	return mappingRow{NhanhID: int64(m.NhanhID), ShopifyID: string(m.ShopifyID), InventoryItemID: string(m.InventoryItemID),
		Status: defaultStatus(m.Status, string(m.ShopifyID)), MatchMethod: m.MatchMethod, CreatedByJob: m.CreatedByJob}
}

func productMappingFrom(r mappingRow) (ProductMapping, error) {
	m := ProductMapping{ID: r.ID, NhanhID: extid.NhanhProductID(r.NhanhID), ShopifyID: extid.ShopifyVariantGID(r.ShopifyID),
		InventoryItemID: extid.ShopifyInventoryItemGID(r.InventoryItemID), Status: r.Status, MatchMethod: r.MatchMethod,
		LastSyncedAt: r.LastSyncedAt, SyncError: r.SyncError, SyncAttempts: r.SyncAttempts,
		CreatedByJob: r.CreatedByJob, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.LastSyncedValue.Valid {
		if err := json.Unmarshal([]byte(r.LastSyncedValue.String), &m.LastSyncedValue); err != nil {
			return m, fmt.Errorf("product mapping %d: bad last synced value: %w", r.ID, err)
		}
	}
	return m, nil
}

// convertRows turns stored rows into typed mappings.
func convertRows[M any](rows []mappingRow, conv func(mappingRow) (M, error)) ([]M, error) {
	out := make([]M, 0, len(rows))
	for _, r := range rows {
		m, err := conv(r)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// CreateCustomerMappings inserts new mappings in q; sync fields are ignored
// and an empty Status defaults to UNMAPPED or PENDING by whether ShopifyID
// is set. Both sides are unique: if a Nhanh customer already has a mapping,
// or a Shopify customer is already the target of one (or either repeats in
// ms), nothing is inserted and the error wraps ErrConflict and names the
// side and the mapping in the way. On PostgreSQL a conflict found by the
// database itself (a concurrent writer) aborts q's transaction.
func (s *Store) CreateCustomerMappings(ctx context.Context, q Querier, ms []CustomerMapping, now time.Time) error {
	rows := make([]mappingRow, len(ms))
	for i, m := range ms {
		rows[i] = m.row()
	}
	return customerMappings.create(ctx, s.dialect, q, rows, now)
}

// CustomerMappings returns the mappings matching f, in id order.
func (s *Store) CustomerMappings(ctx context.Context, q Querier, f MappingFilter) ([]CustomerMapping, error) {
	rows, err := customerMappings.list(ctx, s.dialect, q, f)
	if err != nil {
		return nil, err
	}
	return convertRows(rows, customerMappingFrom)
}

// CustomerMapping returns one mapping by local id, or ErrNotFound.
func (s *Store) CustomerMapping(ctx context.Context, q Querier, id int64) (CustomerMapping, error) {
	ms, err := s.CustomerMappings(ctx, q, MappingFilter{IDs: []int64{id}})
	if err != nil {
		return CustomerMapping{}, err
	}
	if len(ms) == 0 {
		return CustomerMapping{}, fmt.Errorf("customer mapping %d: %w", id, ErrNotFound)
	}
	return ms[0], nil
}

// MappedShopifyCustomers returns every Shopify customer that is the target of
// a mapping, with the Nhanh customer it is mapped to.
func (s *Store) MappedShopifyCustomers(ctx context.Context, q Querier) (map[extid.ShopifyCustomerGID]extid.NhanhCustomerID, error) {
	out := make(map[extid.ShopifyCustomerGID]extid.NhanhCustomerID)
	err := customerMappings.pairs(ctx, q, func(nhanhID int64, shopifyID string) {
		if shopifyID != "" {
			out[extid.ShopifyCustomerGID(shopifyID)] = extid.NhanhCustomerID(nhanhID)
		}
	})
	return out, err
}

// MappedNhanhCustomers returns every Nhanh customer that has a mapping row,
// mapped or not (automatic matching leaves them alone).
func (s *Store) MappedNhanhCustomers(ctx context.Context, q Querier) (map[extid.NhanhCustomerID]struct{}, error) {
	out := make(map[extid.NhanhCustomerID]struct{})
	err := customerMappings.pairs(ctx, q, func(nhanhID int64, _ string) {
		out[extid.NhanhCustomerID(nhanhID)] = struct{}{}
	})
	return out, err
}

// RecordCustomerSync records, in q, that value was written to the mapping's
// Shopify customer at at, planned from the mapping as it stood at
// InputVersion seen: the mapping becomes SYNCED with value as its
// baseline, its error is cleared, its attempts grow by one, and a sync log
// row old -> new is appended. jobID 0 means no job. A mapping without a
// Shopify side cannot be synced. Record the mapping before the Shopify
// mirror takes the value written (SetShopifyTotalSpent), so that value
// reads as the last written and not as a change.
func (s *Store) RecordCustomerSync(ctx context.Context, q Querier, mappingID, value int64, seen InputVersion, at time.Time, jobID int64) error {
	return customerMappings.record(ctx, q, mappingID, syncOutcome{
		valueArg: value, valueText: strconv.FormatInt(value, 10), seen: int64(seen), at: at, jobID: jobID}, false)
}

// SettleCustomerMappings records, in q, that a sync planned each SYNCED
// mapping at the InputVersion given and found nothing to write (Nhanh's
// value is the one last written and Shopify has not drifted from it), so
// an auto-sync passes it by until an input changes again. Mappings no
// longer SYNCED are left alone.
func (s *Store) SettleCustomerMappings(ctx context.Context, q Querier, seen map[int64]InputVersion) error {
	for id, v := range seen {
		if _, err := q.ExecContext(ctx, "UPDATE customer_mappings SET synced_version = $1 WHERE id = $2 AND status = $3",
			int64(v), id, string(MappingSynced)); err != nil {
			return fmt.Errorf("settle customer mapping %d: %w", id, err)
		}
	}
	return nil
}

// CountUnsettledCustomerMappings counts the customer mappings with ids up
// to upTo that MappingFilter Unsettled selects.
func (s *Store) CountUnsettledCustomerMappings(ctx context.Context, q Querier, upTo int64) (int64, error) {
	// The kinds are apart (by status), so their counts add up.
	b := binder{dialect: s.dialect}
	counts := make([]string, len(unsettledKinds))
	for i, kind := range unsettledKinds {
		counts[i] = "(SELECT COUNT(*) FROM customer_mappings WHERE " + kind + " AND id <= " + b.bind(upTo) + ")"
	}
	var n int64
	if err := q.QueryRowContext(ctx, "SELECT "+strings.Join(counts, " + "), b.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unsettled customer mappings: %w", err)
	}
	return n, nil
}

// RecordCustomerSyncFailure records, in q, a failed write: the mapping
// becomes FAILED with errMsg (cut to a few KB), its attempts grow by one, its
// baseline stays, and a FAILED sync log row is appended.
func (s *Store) RecordCustomerSyncFailure(ctx context.Context, q Querier, mappingID int64, errMsg string, at time.Time, jobID int64) error {
	return customerMappings.record(ctx, q, mappingID, syncOutcome{errMsg: errMsg, at: at, jobID: jobID}, true)
}

// DeleteCustomerMapping removes a mapping and its sync log in q, or returns
// ErrNotFound.
func (s *Store) DeleteCustomerMapping(ctx context.Context, q Querier, id int64) error {
	return customerMappings.delete(ctx, q, id)
}

// CreateProductMappings is CreateCustomerMappings for products: each Nhanh
// product and each Shopify variant appears in at most one mapping.
func (s *Store) CreateProductMappings(ctx context.Context, q Querier, ms []ProductMapping, now time.Time) error {
	rows := make([]mappingRow, len(ms))
	for i, m := range ms {
		rows[i] = m.row()
	}
	return productMappings.create(ctx, s.dialect, q, rows, now)
}

// ProductMappings returns the mappings matching f, in id order.
func (s *Store) ProductMappings(ctx context.Context, q Querier, f MappingFilter) ([]ProductMapping, error) {
	rows, err := productMappings.list(ctx, s.dialect, q, f)
	if err != nil {
		return nil, err
	}
	return convertRows(rows, productMappingFrom)
}

// ProductMapping returns one mapping by local id, or ErrNotFound.
func (s *Store) ProductMapping(ctx context.Context, q Querier, id int64) (ProductMapping, error) {
	ms, err := s.ProductMappings(ctx, q, MappingFilter{IDs: []int64{id}})
	if err != nil {
		return ProductMapping{}, err
	}
	if len(ms) == 0 {
		return ProductMapping{}, fmt.Errorf("product mapping %d: %w", id, ErrNotFound)
	}
	return ms[0], nil
}

// MappedShopifyVariants returns every Shopify variant that is the target of a
// mapping, with the Nhanh product it is mapped to.
func (s *Store) MappedShopifyVariants(ctx context.Context, q Querier) (map[extid.ShopifyVariantGID]extid.NhanhProductID, error) {
	out := make(map[extid.ShopifyVariantGID]extid.NhanhProductID)
	err := productMappings.pairs(ctx, q, func(nhanhID int64, shopifyID string) {
		if shopifyID != "" {
			out[extid.ShopifyVariantGID(shopifyID)] = extid.NhanhProductID(nhanhID)
		}
	})
	return out, err
}

// MappedNhanhProducts returns every Nhanh product that has a mapping row.
func (s *Store) MappedNhanhProducts(ctx context.Context, q Querier) (map[extid.NhanhProductID]struct{}, error) {
	out := make(map[extid.NhanhProductID]struct{})
	err := productMappings.pairs(ctx, q, func(nhanhID int64, _ string) {
		out[extid.NhanhProductID(nhanhID)] = struct{}{}
	})
	return out, err
}

// RecordProductSync records, in q, that the quantities in value were set at
// their Shopify locations at at; see RecordCustomerSync. The value is stored
// and logged as JSON with locations in sorted order.
func (s *Store) RecordProductSync(ctx context.Context, q Querier, mappingID int64, value map[extid.ShopifyLocationGID]int64, at time.Time, jobID int64) error {
	if value == nil {
		value = map[extid.ShopifyLocationGID]int64{}
	}
	text, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("record product sync %d: %w", mappingID, err)
	}
	return productMappings.record(ctx, q, mappingID, syncOutcome{
		valueArg: string(text), valueText: string(text), at: at, jobID: jobID}, false)
}

// RecordProductSyncFailure is RecordCustomerSyncFailure for products.
func (s *Store) RecordProductSyncFailure(ctx context.Context, q Querier, mappingID int64, errMsg string, at time.Time, jobID int64) error {
	return productMappings.record(ctx, q, mappingID, syncOutcome{errMsg: errMsg, at: at, jobID: jobID}, true)
}

// DeleteProductMapping removes a mapping and its sync log in q, or returns
// ErrNotFound.
func (s *Store) DeleteProductMapping(ctx context.Context, q Querier, id int64) error {
	return productMappings.delete(ctx, q, id)
}

// mappingTableOf is the table of a mapping kind.
func mappingTableOf(kind MappingKind) (*mappingTable, error) {
	switch kind {
	case MappingKindCustomer:
		return customerMappings, nil
	case MappingKindProduct:
		return productMappings, nil
	}
	return nil, fmt.Errorf("unknown mapping kind %q", kind)
}

// CountMappings counts the mappings of kind in one of statuses (any status
// when none is given) and returns the highest id among them (0 when none):
// the size and the end of a sync's scope.
func (s *Store) CountMappings(ctx context.Context, q Querier, kind MappingKind, statuses []MappingStatus) (n, maxID int64, err error) {
	t, err := mappingTableOf(kind)
	if err != nil {
		return 0, 0, err
	}
	b := binder{dialect: s.dialect}
	query := "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM " + t.table + t.statusWhere(&b, statuses)
	if err := q.QueryRowContext(ctx, query, b.args...).Scan(&n, &maxID); err != nil {
		return 0, 0, fmt.Errorf("count %s mappings: %w", kind, err)
	}
	return n, maxID, nil
}

// NthMappingID returns the id of the n-th (1-based) mapping of kind in one
// of statuses, in id order: the last id a sync limited to n mappings covers.
// It returns ErrNotFound when there are fewer than n.
func (s *Store) NthMappingID(ctx context.Context, q Querier, kind MappingKind, statuses []MappingStatus, n int64) (int64, error) {
	t, err := mappingTableOf(kind)
	if err != nil {
		return 0, err
	}
	b := binder{dialect: s.dialect}
	query := "SELECT id FROM " + t.table + t.statusWhere(&b, statuses) + " ORDER BY id LIMIT 1 OFFSET " + b.bind(n-1)
	var id int64
	err = q.QueryRowContext(ctx, query, b.args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("the %d-th %s mapping: %w", n, kind, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("find the %d-th %s mapping: %w", n, kind, err)
	}
	return id, nil
}

// CacheInventoryItem stores on a product mapping the inventory item id a
// sync took from the variant mirror, so later syncs need not look it up. A
// mapping that already has one is left alone.
func (s *Store) CacheInventoryItem(ctx context.Context, q Querier, mappingID int64, item extid.ShopifyInventoryItemGID) error {
	_, err := q.ExecContext(ctx, "UPDATE product_mappings SET inventory_item_gid = $1 WHERE id = $2 AND inventory_item_gid = ''",
		string(item), mappingID)
	if err != nil {
		return fmt.Errorf("cache inventory item of product mapping %d: %w", mappingID, err)
	}
	return nil
}

// InsertMatchedCustomerMappings inserts, in tx, mappings whose both sides
// the caller has just seen free (automatic matching read every mapping).
// The rows are validated as CreateCustomerMappings validates them, but no
// stored mapping is looked up, which made up most of the time of creating
// 450,000 of them: the unique constraints alone refuse a mapping made
// meanwhile by someone else, as an error wrapping ErrConflict
// (CustomerMappingsInTheWay names the mapping). The rest of ms may then be
// written already: the caller rolls tx back.
func (s *Store) InsertMatchedCustomerMappings(ctx context.Context, tx *sql.Tx, ms []CustomerMapping, now time.Time) error {
	rows := make([]mappingRow, len(ms))
	for i, m := range ms {
		rows[i] = m.row()
	}
	return customerMappings.insertFree(ctx, s.dialect, tx, rows, now)
}

// CustomerMappingsInTheWay returns the stored mappings that share a Nhanh or
// a Shopify customer with one of ms, in id order.
func (s *Store) CustomerMappingsInTheWay(ctx context.Context, q Querier, ms []CustomerMapping) ([]CustomerMapping, error) {
	rows := make([]mappingRow, len(ms))
	for i, m := range ms {
		rows[i] = m.row()
	}
	found, err := customerMappings.inTheWay(ctx, s.dialect, q, rows)
	if err != nil {
		return nil, err
	}
	return convertRows(found, customerMappingFrom)
}

// InsertMatchedProductMappings is InsertMatchedCustomerMappings for products.
func (s *Store) InsertMatchedProductMappings(ctx context.Context, tx *sql.Tx, ms []ProductMapping, now time.Time) error {
	rows := make([]mappingRow, len(ms))
	for i, m := range ms {
		rows[i] = m.row()
	}
	return productMappings.insertFree(ctx, s.dialect, tx, rows, now)
}

// ProductMappingsInTheWay is CustomerMappingsInTheWay for products.
func (s *Store) ProductMappingsInTheWay(ctx context.Context, q Querier, ms []ProductMapping) ([]ProductMapping, error) {
	rows := make([]mappingRow, len(ms))
	for i, m := range ms {
		rows[i] = m.row()
	}
	found, err := productMappings.inTheWay(ctx, s.dialect, q, rows)
	if err != nil {
		return nil, err
	}
	return convertRows(found, productMappingFrom)
}
