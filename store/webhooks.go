package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"syncops/clients/extid"
)

// WebhookDelivery is one webhook request as it arrived, and what processing
// it caused. A delivery is pending until ProcessedAt is set.
type WebhookDelivery struct {
	ID     int64
	Source string // "nhanh"
	Event  string // the sender's event name, e.g. inventoryChange
	// Digest identifies the body (a hash of it): a delivery whose body
	// equals a stored one is a duplicate.
	Digest     string
	Body       []byte
	ReceivedAt time.Time
	// Duplicates counts the later deliveries of the same body.
	Duplicates  int
	ProcessedAt time.Time // zero while pending
	// Outcome is how processing ended (see engine's WebhookOutcome values);
	// Detail says what it caused, JobID the job it started or joined.
	Outcome string
	Detail  string
	JobID   int64
}

// Pending reports whether the delivery has not been processed yet.
func (d WebhookDelivery) Pending() bool { return d.ProcessedAt.IsZero() }

// WebhookFilter pages through deliveries, newest first.
type WebhookFilter struct {
	Source   string // "" = every source
	Event    string // "" = every event
	BeforeID int64  // only deliveries with id < BeforeID; 0 = from the newest
	Limit    int    // <= 0 means DefaultWebhookListLimit
}

// DefaultWebhookListLimit is the page size when WebhookFilter.Limit is unset.
const DefaultWebhookListLimit = 50

// webhookWriteChunk bounds the deliveries one statement finishes: short
// statements keep SQLite's single writer free for the deliveries arriving
// meanwhile, whose answers wait for it.
const webhookWriteChunk = 250

const webhookColumns = `id, source, event, digest, body, received_at, duplicates, processed_at, outcome, detail, job_id`

func scanWebhookDelivery(sc scanner) (WebhookDelivery, error) {
	var d WebhookDelivery
	var body string
	var received int64
	var processed sql.NullInt64
	if err := sc.Scan(&d.ID, &d.Source, &d.Event, &d.Digest, &body, &received, &d.Duplicates, &processed,
		&d.Outcome, &d.Detail, &d.JobID); err != nil {
		return d, err
	}
	d.Body = []byte(body)
	d.ReceivedAt = FromMillis(received)
	if processed.Valid {
		d.ProcessedAt = FromMillis(processed.Int64)
	}
	return d, nil
}

// InsertWebhookDelivery stores d as pending, or, when a delivery of the same
// source and digest received at or after dedupSince is stored, counts a
// duplicate on it instead. An older one with the same digest is replaced:
// the same body long after is the same state again, not a retry. It returns
// the stored delivery's id and whether d was a duplicate.
func (s *Store) InsertWebhookDelivery(ctx context.Context, q Querier, d WebhookDelivery, dedupSince time.Time) (id int64, duplicate bool, err error) {
	if d.Source == "" || d.Digest == "" {
		return 0, false, fmt.Errorf("insert webhook delivery: no source or digest")
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE source = $1 AND digest = $2 AND received_at < $3`,
		d.Source, d.Digest, Millis(dedupSince)); err != nil {
		return 0, false, fmt.Errorf("insert webhook delivery: replace an old one: %w", err)
	}
	var dups int
	err = q.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (source, event, digest, body, received_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (source, digest) DO UPDATE SET duplicates = webhook_deliveries.duplicates + 1
		RETURNING id, duplicates`, d.Source, d.Event, d.Digest, string(d.Body), Millis(d.ReceivedAt)).Scan(&id, &dups)
	if err != nil {
		return 0, false, fmt.Errorf("insert webhook delivery: %w", err)
	}
	return id, dups > 0, nil
}

// PendingWebhookDeliveries returns up to limit pending deliveries with ids
// above afterID, oldest first.
func (s *Store) PendingWebhookDeliveries(ctx context.Context, q Querier, afterID int64, limit int) ([]WebhookDelivery, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhook_deliveries
		WHERE processed_at IS NULL AND id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("pending webhook deliveries: %w", err)
	}
	return collectWebhookDeliveries(rows)
}

// ClaimWebhookDeliveries claims up to limit pending deliveries no other
// drain holds (or whose claim expired by now) until until, oldest first,
// and returns them: drains of several instances share the work without
// processing a delivery twice.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, q Querier, now, until time.Time, limit int) ([]WebhookDelivery, error) {
	query := `UPDATE webhook_deliveries SET claimed_until = $2
		WHERE processed_at IS NULL AND claimed_until < $1 AND id IN (
			SELECT id FROM webhook_deliveries WHERE processed_at IS NULL AND claimed_until < $1 ORDER BY id LIMIT $3)
		RETURNING ` + webhookColumns
	if s.dialect == Postgres {
		// Rows another drain is claiming are skipped, not waited for; the
		// pick is a CTE so it runs once.
		query = `WITH picked AS (
			SELECT id FROM webhook_deliveries WHERE processed_at IS NULL AND claimed_until < $1
			ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE webhook_deliveries w SET claimed_until = $2 FROM picked WHERE w.id = picked.id
		RETURNING ` + qualified("w", webhookColumns)
	}
	rows, err := q.QueryContext(ctx, query, Millis(now), Millis(until), limit)
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	out, err := collectWebhookDeliveries(rows)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b WebhookDelivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// qualified prefixes every column of a column list with table.
func qualified(table, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		parts[i] = table + "." + c
	}
	return strings.Join(parts, ", ")
}

// ReleaseWebhookDeliveries gives up the claim on the deliveries ids, left
// pending for a later drain.
func (s *Store) ReleaseWebhookDeliveries(ctx context.Context, q Querier, ids []int64) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	for chunk := range slices.Chunk(args, inChunk(s.dialect)) {
		b := binder{dialect: s.dialect}
		if _, err := q.ExecContext(ctx, `UPDATE webhook_deliveries SET claimed_until = 0 WHERE `+b.in("id", chunk), b.args...); err != nil {
			return fmt.Errorf("release webhook deliveries: %w", err)
		}
	}
	return nil
}

// CountPendingWebhookDeliveries counts the deliveries not processed yet.
func (s *Store) CountPendingWebhookDeliveries(ctx context.Context, q Querier) (int64, error) {
	span, err := s.PendingWebhookSpan(ctx, q)
	return span.Count, err
}

// WebhookSpan is how many deliveries are pending and when the oldest and
// the newest of them arrived (zero times when none is).
type WebhookSpan struct {
	Count          int64
	Oldest, Newest time.Time
}

// PendingWebhookSpan reports the pending deliveries' count and arrival span.
func (s *Store) PendingWebhookSpan(ctx context.Context, q Querier) (WebhookSpan, error) {
	var span WebhookSpan
	var oldest, newest sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), MIN(received_at), MAX(received_at) FROM webhook_deliveries
		WHERE processed_at IS NULL`).Scan(&span.Count, &oldest, &newest); err != nil {
		return span, fmt.Errorf("pending webhook deliveries: %w", err)
	}
	if oldest.Valid {
		span.Oldest, span.Newest = FromMillis(oldest.Int64), FromMillis(newest.Int64)
	}
	return span, nil
}

// FinishWebhookDeliveries records how processing of the deliveries ids
// ended. Deliveries already processed keep their first outcome.
func (s *Store) FinishWebhookDeliveries(ctx context.Context, q Querier, ids []int64, outcome, detail string, jobID int64, at time.Time) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	for chunk := range slices.Chunk(args, webhookWriteChunk) {
		b := binder{dialect: s.dialect}
		set := `UPDATE webhook_deliveries SET processed_at = ` + b.bind(Millis(at)) + `, outcome = ` + b.bind(outcome) +
			`, detail = ` + b.bind(detail) + `, job_id = ` + b.bind(jobID) + ` WHERE processed_at IS NULL AND ` + b.in("id", chunk)
		if _, err := q.ExecContext(ctx, set, b.args...); err != nil {
			return fmt.Errorf("finish webhook deliveries: %w", err)
		}
	}
	return nil
}

// WebhookDeliveries lists deliveries newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, q Querier, f WebhookFilter) ([]WebhookDelivery, error) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Source != "" {
		conds = append(conds, "source = "+arg(f.Source))
	}
	if f.Event != "" {
		conds = append(conds, "event = "+arg(f.Event))
	}
	if f.BeforeID > 0 {
		conds = append(conds, "id < "+arg(f.BeforeID))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultWebhookListLimit
	}
	query := `SELECT ` + webhookColumns + ` FROM webhook_deliveries`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += " ORDER BY id DESC LIMIT " + arg(limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	return collectWebhookDeliveries(rows)
}

func collectWebhookDeliveries(rows *sql.Rows) ([]WebhookDelivery, error) {
	var out []WebhookDelivery
	for rows.Next() {
		d, err := scanWebhookDelivery(rows)
		if err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("scan webhook delivery: %w", err)
		}
		out = append(out, d)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read webhook deliveries: %w", err)
	}
	return out, nil
}

// MappedProductsOf returns, for the Nhanh products among ids that have a
// mapping with a Shopify side, the mapping's id (what a targeted sync takes).
func (s *Store) MappedProductsOf(ctx context.Context, q Querier, ids []extid.NhanhProductID) (map[extid.NhanhProductID]int64, error) {
	out := map[extid.NhanhProductID]int64{}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	err := selectIn(ctx, s.dialect, q, "nhanh_product_id, id, status", "product_mappings", "nhanh_product_id", args,
		func(sc scanner) error {
			var nhanhID, id int64
			var status MappingStatus
			if err := sc.Scan(&nhanhID, &id, &status); err != nil {
				return err
			}
			if status != MappingUnmapped {
				out[extid.NhanhProductID(nhanhID)] = id
			}
			return nil
		})
	return out, err
}

// MappedCustomersOf returns, for the Nhanh customers among ids that have a
// mapping with a Shopify side, the mapping's id.
func (s *Store) MappedCustomersOf(ctx context.Context, q Querier, ids []extid.NhanhCustomerID) (map[extid.NhanhCustomerID]int64, error) {
	out := map[extid.NhanhCustomerID]int64{}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	err := selectIn(ctx, s.dialect, q, "nhanh_customer_id, id, status", "customer_mappings", "nhanh_customer_id", args,
		func(sc scanner) error {
			var nhanhID, id int64
			var status MappingStatus
			if err := sc.Scan(&nhanhID, &id, &status); err != nil {
				return err
			}
			if status != MappingUnmapped {
				out[extid.NhanhCustomerID(nhanhID)] = id
			}
			return nil
		})
	return out, err
}

// MarkNhanhProductsDeletedByID marks the stored products among ids deleted
// at the source (a productDelete webhook), keeping their rows.
func (s *Store) MarkNhanhProductsDeletedByID(ctx context.Context, q Querier, ids []extid.NhanhProductID, now time.Time) (int64, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	var n int64
	for chunk := range slices.Chunk(args, inChunk(s.dialect)) {
		b := binder{dialect: s.dialect}
		stmt := `UPDATE nhanh_products SET deleted_at = ` + b.bind(Millis(now)) + ` WHERE deleted_at IS NULL AND ` + b.in("nhanh_id", chunk)
		res, err := q.ExecContext(ctx, stmt, b.args...)
		if err != nil {
			return n, fmt.Errorf("mark nhanh products deleted: %w", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return n, fmt.Errorf("mark nhanh products deleted: %w", err)
		}
		n += k
	}
	return n, nil
}
