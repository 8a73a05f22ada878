package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The mapping list of the operator's workbench (issue 12): one page of
// mappings, or of records left without one, with both sides, searchable,
// in key order (keyset paging, so every page costs the same).

// MappingTab selects which rows a mapping list shows.
type MappingTab string

// Mapping list tabs.
const (
	TabAll              MappingTab = "all"       // every mapping row
	TabPending          MappingTab = "pending"   // status PENDING
	TabSynced           MappingTab = "synced"    // status SYNCED
	TabFailed           MappingTab = "failed"    // status FAILED
	TabManual           MappingTab = "manual"    // mapped by hand
	TabOrphaned         MappingTab = "orphaned"  // a side deleted at the source
	TabUnmatched        MappingTab = "unmatched" // live Nhanh records without a Shopify side
	TabUnmatchedShopify MappingTab = "unmatched-shopify"
)

// Valid reports whether t is a known tab.
func (t MappingTab) Valid() bool {
	switch t {
	case TabAll, TabPending, TabSynced, TabFailed, TabManual, TabOrphaned, TabUnmatched, TabUnmatchedShopify:
		return true
	}
	return false
}

// MappingListFilter selects one page of a mapping list.
type MappingListFilter struct {
	Kind   MappingKind
	Tab    MappingTab // empty means TabAll
	Search SearchQuery
	// After is the key of the last row of the previous page: a mapping id,
	// a Nhanh id (TabUnmatched) or a Shopify GID (TabUnmatchedShopify).
	After string
	Limit int // <= 0 means 50
}

// MappingSide is one side of a listed row as the mirror holds it.
type MappingSide struct {
	ID      string // Nhanh id or Shopify GID; "" for no side
	Known   bool   // the mirror holds the record
	Deleted bool   // deleted at the source
	Name    string
	// Contact is a customer's phone and e-mail, or a product's SKU and
	// barcode, as stored.
	Contact string
	// Value is what syncs from it: a Nhanh customer's spend, a Nhanh
	// product's available stock ("" when unknown or on the Shopify side).
	Value string
}

// MappingListRow is one row of a mapping list.
type MappingListRow struct {
	MappingID       int64 // 0 for a record without a mapping
	Status          MappingStatus
	MatchMethod     string
	Nhanh           MappingSide
	Shopify         MappingSide
	LastSyncedValue *string
	LastSyncedAt    time.Time
	SyncError       string
	// Reason is why the last match left a Nhanh record unmatched.
	Reason *MatchReason
}

// MappingPage is one page of a mapping list.
type MappingPage struct {
	Rows []MappingListRow
	// Total counts the rows a search selects (without a search it is 0: the
	// tab's count is in MappingCounts); with too many hits to count it is a
	// lower bound (Capped).
	Total  int64
	Capped bool
	// Next is the After of the next page; "" on the last page. A search of
	// words too common to list (Capped) examines a window of rows per call
	// and may return fewer rows than asked, or none, with a Next to go on.
	Next string
}

// listSpec is how a kind's list reads its mirrors.
type listSpec struct {
	t                           *mappingTable
	nhanhTable, shopifyTable    string
	nhanhSide, shopifySide      string
	nhanhName, nhanhContact     string // expressions over n
	nhanhValue                  string
	shopifyName, shopifyContact string // expressions over s
}

var listSpecs = map[MappingKind]listSpec{
	MappingKindCustomer: {t: customerMappings, nhanhTable: "nhanh_customers", shopifyTable: "shopify_customers",
		nhanhSide: SideNhanhCustomer, shopifySide: SideShopifyCustomer,
		nhanhName: "n.name", nhanhContact: "n.mobile || ' ' || n.email", nhanhValue: "CAST(n.total_amount AS BIGINT)",
		shopifyName: "TRIM(s.last_name || ' ' || s.first_name)", shopifyContact: "s.phone || ' ' || s.email"},
	MappingKindProduct: {t: productMappings, nhanhTable: "nhanh_products", shopifyTable: "shopify_variants",
		nhanhSide: SideNhanhProduct, shopifySide: SideShopifyVariant,
		nhanhName: "n.name", nhanhContact: "n.code || ' ' || n.barcode", nhanhValue: "n.available",
		shopifyName: "s.product_title || ' / ' || s.title", shopifyContact: "s.sku || ' ' || s.barcode"},
}

func listSpecOf(kind MappingKind) (listSpec, error) {
	spec, ok := listSpecs[kind]
	if !ok {
		return spec, fmt.Errorf("unknown mapping kind %q", kind)
	}
	return spec, nil
}

// selectRow is the select list every tab reads, in scanListRow's order.
func (sp listSpec) selectRow() string {
	t := sp.t
	return "COALESCE(m.id, 0), COALESCE(m.status, ''), COALESCE(m.match_method, ''), " +
		"COALESCE(CAST(n.nhanh_id AS TEXT), CAST(m." + t.nhanhCol + " AS TEXT), ''), n.nhanh_id IS NOT NULL, n.deleted_at IS NOT NULL, " +
		"COALESCE(" + sp.nhanhName + ", ''), COALESCE(" + sp.nhanhContact + ", ''), CAST(" + sp.nhanhValue + " AS TEXT), " +
		"COALESCE(s.gid, m." + t.shopifyCol + ", ''), s.gid IS NOT NULL, s.deleted_at IS NOT NULL, " +
		"COALESCE(" + sp.shopifyName + ", ''), COALESCE(" + sp.shopifyContact + ", ''), " +
		"CAST(m.last_synced_value AS TEXT), m.last_synced_at, COALESCE(m.sync_error, ''), " +
		"r.code, r.message, r.candidates, r.job_id, r.at"
}

func scanListRow(sc scanner) (MappingListRow, error) {
	var r MappingListRow
	var nValue, last, code, msg, cands sql.NullString
	var lastAt, reasonJob, reasonAt sql.NullInt64
	err := sc.Scan(&r.MappingID, &r.Status, &r.MatchMethod,
		&r.Nhanh.ID, &r.Nhanh.Known, &r.Nhanh.Deleted, &r.Nhanh.Name, &r.Nhanh.Contact, &nValue,
		&r.Shopify.ID, &r.Shopify.Known, &r.Shopify.Deleted, &r.Shopify.Name, &r.Shopify.Contact,
		&last, &lastAt, &r.SyncError, &code, &msg, &cands, &reasonJob, &reasonAt)
	if err != nil {
		return r, err
	}
	r.Nhanh.Value = nValue.String
	r.Nhanh.Contact = strings.TrimSpace(r.Nhanh.Contact)
	r.Shopify.Contact = strings.TrimSpace(r.Shopify.Contact)
	if last.Valid {
		r.LastSyncedValue = &last.String
	}
	r.LastSyncedAt = fromNullMillis(lastAt)
	if code.Valid {
		r.Reason = &MatchReason{Code: code.String, Message: msg.String, Candidates: splitCandidates(cands.String),
			JobID: reasonJob.Int64, At: fromNullMillis(reasonAt)}
	}
	return r, nil
}

// MappingList returns one page of a mapping list; see MappingListFilter.
func (s *Store) MappingList(ctx context.Context, q Querier, f MappingListFilter) (MappingPage, error) {
	sp, err := listSpecOf(f.Kind)
	if err != nil {
		return MappingPage{}, err
	}
	if f.Tab == "" {
		f.Tab = TabAll
	}
	if !f.Tab.Valid() {
		return MappingPage{}, fmt.Errorf("unknown mapping tab %q", f.Tab)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var page MappingPage
	hits := map[string]sideHits{}
	exact := true
	for _, side := range tabSides(sp, f.Tab) {
		if len(f.Search.Words) == 0 {
			break
		}
		h, err := s.searchSide(ctx, q, side, f.Search)
		if err != nil {
			return page, err
		}
		hits[side], exact = h, exact && h.listed
	}
	page.Capped = !exact
	// A search that walks rows walks one window of them per call, so every
	// call is answered at about the same cost; a page short of rows then
	// continues after the window.
	var windowEnd string
	if !exact {
		probes := 0
		for _, h := range hits {
			probes += len(h.probe)
		}
		end, err := s.windowEnd(ctx, q, sp, f, max(1000, walkProbes/max(1, probes)))
		if err != nil {
			return page, err
		}
		windowEnd = end
	}
	b := binder{dialect: s.dialect}
	from, where, order, keyCol := s.listQuery(&b, sp, f, hits)
	if windowEnd != "" {
		where += " AND " + order + " <= " + b.bind(keyArg(f.Tab, windowEnd))
	}
	query := "SELECT " + sp.selectRow() + from + where + " ORDER BY " + order + " LIMIT " + b.bind(f.Limit+1)
	rows, err := q.QueryContext(ctx, query, b.args...)
	if err != nil {
		return page, fmt.Errorf("list %s mappings: %w", f.Kind, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		r, err := scanListRow(rows)
		if err != nil {
			return page, fmt.Errorf("scan %s mapping row: %w", f.Kind, err)
		}
		page.Rows = append(page.Rows, r)
	}
	if err := closeRows(rows); err != nil {
		return page, fmt.Errorf("list %s mappings: %w", f.Kind, err)
	}
	switch {
	case len(page.Rows) > f.Limit:
		page.Rows = page.Rows[:f.Limit]
		page.Next = keyCol(page.Rows[f.Limit-1])
	case windowEnd != "":
		page.Next = windowEnd
	}
	if page.Total, err = s.countList(ctx, q, sp, f, hits, exact); err != nil {
		return page, err
	}
	return page, nil
}

// walkProbes is how many index probes a search that walks rows makes per
// call (about 20 ms on SQLite): the window of rows it examines is this over
// the probes per row (each word, on each side searched).
const walkProbes = 15_000

// windowEnd is the key of the window-th row of the tab's walk after
// f.After, or "" when fewer rows remain.
func (s *Store) windowEnd(ctx context.Context, q Querier, sp listSpec, f MappingListFilter, window int) (string, error) {
	table, col := sp.t.table, "id"
	switch f.Tab {
	case TabUnmatched:
		table, col = sp.nhanhTable, "nhanh_id"
	case TabUnmatchedShopify:
		table, col = sp.shopifyTable, "gid"
	}
	after := keyArg(f.Tab, f.After)
	var end any
	// The key itself, not a cast of it: PostgreSQL then reads it from the
	// index alone (1 ms against a 90 ms scan and sort).
	err := q.QueryRowContext(ctx, "SELECT "+col+" FROM "+table+" WHERE "+col+" > $1 ORDER BY "+col+
		" LIMIT 1 OFFSET $2", after, window-1).Scan(&end)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("search %s mappings: %w", f.Kind, err)
	}
	switch v := end.(type) {
	case []byte:
		return string(v), nil
	case string:
		return v, nil
	}
	return fmt.Sprint(end), nil
}

// keyArg is a paging key of tab as its column compares: a number, or a GID.
func keyArg(tab MappingTab, key string) any {
	if tab == TabUnmatchedShopify {
		return key
	}
	n, _ := strconv.ParseInt(key, 10, 64)
	return n
}

// tabSides are the mirrors a tab's search looks at.
func tabSides(sp listSpec, tab MappingTab) []string {
	switch tab {
	case TabUnmatched:
		return []string{sp.nhanhSide}
	case TabUnmatchedShopify:
		return []string{sp.shopifySide}
	}
	return []string{sp.nhanhSide, sp.shopifySide}
}

// listQuery builds the FROM and WHERE of a tab, its order and how a row's
// key is read for paging. With countOnly the after-key is left out.
func (s *Store) listQuery(b *binder, sp listSpec, f MappingListFilter, hits map[string]sideHits) (from, where, order string, key func(MappingListRow) string) {
	t := sp.t
	reasonJoin := " LEFT JOIN match_reasons r ON r.kind = " + b.bind(string(f.Kind)) + " AND r.nhanh_id = n.nhanh_id"
	var conds []string
	switch f.Tab {
	case TabUnmatched:
		from = " FROM " + sp.nhanhTable + " n LEFT JOIN " + t.table + " m ON m." + t.nhanhCol + " = n.nhanh_id" +
			" LEFT JOIN " + sp.shopifyTable + " s ON s.gid = m." + t.shopifyCol + reasonJoin
		// NOT EXISTS, not "m.<shopify> IS NULL" over the join: PostgreSQL
		// estimates one row for the latter and hashes both tables (0.5 s at
		// 500,000), where an anti join walks both keys in order.
		conds = append(conds, "n.deleted_at IS NULL", "NOT EXISTS (SELECT 1 FROM "+t.table+" x WHERE x."+t.nhanhCol+
			" = n.nhanh_id AND x."+t.shopifyCol+" IS NOT NULL)")
		if f.After != "" {
			conds = append(conds, "n.nhanh_id > "+b.bind(keyArg(f.Tab, f.After)))
		}
		if len(f.Search.Words) > 0 {
			conds = append(conds, hits[sp.nhanhSide].cond(b, sp.nhanhSide, "n.nhanh_id", true, false))
		}
		order = "n.nhanh_id"
		key = func(r MappingListRow) string { return r.Nhanh.ID }
	case TabUnmatchedShopify:
		from = " FROM " + sp.shopifyTable + " s LEFT JOIN " + t.table + " m ON m." + t.shopifyCol + " = s.gid" +
			" LEFT JOIN " + sp.nhanhTable + " n ON n.nhanh_id = m." + t.nhanhCol + reasonJoin
		conds = append(conds, "s.deleted_at IS NULL", "NOT EXISTS (SELECT 1 FROM "+t.table+" x WHERE x."+t.shopifyCol+" = s.gid)")
		if f.After != "" {
			conds = append(conds, "s.gid > "+b.bind(f.After))
		}
		if len(f.Search.Words) > 0 {
			conds = append(conds, hits[sp.shopifySide].cond(b, sp.shopifySide, "s.gid", false, false))
		}
		order = "s.gid"
		key = func(r MappingListRow) string { return r.Shopify.ID }
	default:
		from = " FROM " + t.table + " m LEFT JOIN " + sp.nhanhTable + " n ON n.nhanh_id = m." + t.nhanhCol +
			" LEFT JOIN " + sp.shopifyTable + " s ON s.gid = m." + t.shopifyCol + reasonJoin
		switch f.Tab {
		case TabPending, TabSynced, TabFailed:
			conds = append(conds, "m.status = "+b.bind(strings.ToUpper(string(f.Tab))))
		case TabManual:
			// A literal, not a parameter: only then can the planners use
			// the partial index of manual mappings (migration 0018).
			conds = append(conds, "m.match_method = '"+MatchManual+"'")
		case TabOrphaned:
			conds = append(conds, "m.id IN ("+sp.orphanIDs()+")")
		}
		if f.After != "" {
			conds = append(conds, "m.id > "+b.bind(keyArg(f.Tab, f.After)))
		}
		if len(f.Search.Words) > 0 {
			conds = append(conds, mappingSearchCond(b, sp, hits))
		}
		order = "m.id"
		key = func(r MappingListRow) string { return strconv.FormatInt(r.MappingID, 10) }
	}
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	return from, where, order, key
}

// mappingSearchCond is the condition that a mapping's either side matches
// the search. With both sides' hits listed it selects the mappings of the
// hits by their indexes (a condition on m itself has the planner walk every
// mapping in id order).
func mappingSearchCond(b *binder, sp listSpec, hits map[string]sideHits) string {
	t := sp.t
	nh, sh := hits[sp.nhanhSide], hits[sp.shopifySide]
	if !nh.listed || !sh.listed {
		return "(" + nh.cond(b, sp.nhanhSide, "m."+t.nhanhCol, true, true) + " OR " +
			sh.cond(b, sp.shopifySide, "m."+t.shopifyCol, false, true) + ")"
	}
	var parts []string
	if len(nh.recs) > 0 {
		parts = append(parts, "SELECT o.id FROM "+t.table+" o WHERE "+nh.cond(b, sp.nhanhSide, "o."+t.nhanhCol, true, false))
	}
	if len(sh.recs) > 0 {
		parts = append(parts, "SELECT o.id FROM "+t.table+" o WHERE "+sh.cond(b, sp.shopifySide, "o."+t.shopifyCol, false, false))
	}
	if len(parts) == 0 {
		return "1 = 0"
	}
	return "m.id IN (" + strings.Join(parts, " UNION ") + ")"
}

// orphanIDs selects the ids of the mappings whose either side is deleted at
// the source, through the small partial indexes of deleted records: one
// probe of the mappings per deleted record (a join has PostgreSQL hash every
// mapping).
func (sp listSpec) orphanIDs() string {
	t := sp.t
	return "SELECT id FROM (SELECT (SELECT o.id FROM " + t.table + " o WHERE o." + t.nhanhCol + " = gn.nhanh_id) AS id FROM " +
		sp.nhanhTable + " gn WHERE gn.deleted_at IS NOT NULL UNION SELECT (SELECT o.id FROM " + t.table + " o WHERE o." +
		t.shopifyCol + " = gs.gid) FROM " + sp.shopifyTable + " gs WHERE gs.deleted_at IS NOT NULL) orphans WHERE id IS NOT NULL"
}

// countList counts the rows of a search (without paging). A search with
// too many hits to list is not counted: it has at least uncountedHits.
func (s *Store) countList(ctx context.Context, q Querier, sp listSpec, f MappingListFilter, hits map[string]sideHits, exact bool) (int64, error) {
	if !exact {
		return uncountedHits, nil
	}
	if len(f.Search.Words) == 0 {
		return 0, nil
	}
	f.After = ""
	b := binder{dialect: s.dialect}
	from, where, _, _ := s.listQuery(&b, sp, f, hits)
	var n int64
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*)"+from+where, b.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s mappings: %w", f.Kind, err)
	}
	return n, nil
}

// MappingCounts are the counts at the top of a mapping list.
type MappingCounts struct {
	Mappings         int64 // mapping rows
	Pending          int64
	Synced           int64
	Failed           int64
	Unmapped         int64 // mapping rows without a Shopify side
	Manual           int64
	Orphaned         int64 // either side deleted at the source
	UnmatchedNhanh   int64 // live Nhanh records without a Shopify side
	UnmatchedShopify int64 // live Shopify records no mapping targets
}

// OfTab is the count of rows a tab lists.
func (c MappingCounts) OfTab(tab MappingTab) int64 {
	switch tab {
	case TabPending:
		return c.Pending
	case TabSynced:
		return c.Synced
	case TabFailed:
		return c.Failed
	case TabManual:
		return c.Manual
	case TabOrphaned:
		return c.Orphaned
	case TabUnmatched:
		return c.UnmatchedNhanh
	case TabUnmatchedShopify:
		return c.UnmatchedShopify
	}
	return c.Mappings
}

// MappingCounts counts a kind's mappings by tab. Every count reads an index:
// the unmatched counts are the live records less the mappings of live
// records (a mapping whose record is missing from the mirror altogether is
// taken as one of a live record).
func (s *Store) MappingCounts(ctx context.Context, q Querier, kind MappingKind) (MappingCounts, error) {
	var c MappingCounts
	sp, err := listSpecOf(kind)
	if err != nil {
		return c, err
	}
	t := sp.t
	// The total is a count of the table, which both databases answer
	// without reading rows; SYNCED, the status most mappings settle in, is
	// the rest once the others are counted through the status index.
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t.table).Scan(&c.Mappings); err != nil {
		return c, fmt.Errorf("count %s mappings: %w", kind, err)
	}
	for _, st := range []struct {
		status MappingStatus
		dst    *int64
	}{{MappingPending, &c.Pending}, {MappingFailed, &c.Failed}, {MappingUnmapped, &c.Unmapped}} {
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t.table+" WHERE status = $1", string(st.status)).
			Scan(st.dst); err != nil {
			return c, fmt.Errorf("count %s mappings: %w", kind, err)
		}
	}
	c.Synced = c.Mappings - c.Pending - c.Failed - c.Unmapped
	var nhanhAll, nhanhGone, shopifyAll, shopifyGone, mappedGoneNhanh, mappedGoneShopify int64
	for _, cnt := range []struct {
		dst   *int64
		query string
	}{
		{&c.Manual, "SELECT COUNT(*) FROM " + t.table + " WHERE match_method = '" + MatchManual + "'"},
		{&c.Orphaned, "SELECT COUNT(*) FROM (" + sp.orphanIDs() + ") o"},
		{&nhanhAll, "SELECT COUNT(*) FROM " + sp.nhanhTable},
		{&nhanhGone, "SELECT COUNT(*) FROM " + sp.nhanhTable + " WHERE deleted_at IS NOT NULL"},
		{&shopifyAll, "SELECT COUNT(*) FROM " + sp.shopifyTable},
		{&shopifyGone, "SELECT COUNT(*) FROM " + sp.shopifyTable + " WHERE deleted_at IS NOT NULL"},
		{&mappedGoneNhanh, "SELECT COUNT(*) FROM " + sp.nhanhTable + " g JOIN " + t.table + " o ON o." + t.nhanhCol +
			" = g.nhanh_id WHERE g.deleted_at IS NOT NULL AND o." + t.shopifyCol + " IS NOT NULL"},
		{&mappedGoneShopify, "SELECT COUNT(*) FROM " + sp.shopifyTable + " g JOIN " + t.table + " o ON o." + t.shopifyCol +
			" = g.gid WHERE g.deleted_at IS NOT NULL"},
	} {
		if err := q.QueryRowContext(ctx, cnt.query).Scan(cnt.dst); err != nil {
			return c, fmt.Errorf("count %s mappings: %w", kind, err)
		}
	}
	mapped := c.Mappings - c.Unmapped
	c.UnmatchedNhanh = max(0, nhanhAll-nhanhGone-(mapped-mappedGoneNhanh))
	c.UnmatchedShopify = max(0, shopifyAll-shopifyGone-(mapped-mappedGoneShopify))
	return c, nil
}

// MappingRow returns the list row of one mapping, or ErrNotFound.
func (s *Store) MappingRow(ctx context.Context, q Querier, kind MappingKind, mappingID int64) (MappingListRow, error) {
	return s.oneRow(ctx, q, kind, "m.id", mappingID, false)
}

// UnmatchedRow returns the list row of a Nhanh record by its id, mapped or
// not, or ErrNotFound when neither the mirror nor a mapping has it.
func (s *Store) UnmatchedRow(ctx context.Context, q Querier, kind MappingKind, nhanhID int64) (MappingListRow, error) {
	return s.oneRow(ctx, q, kind, "n.nhanh_id", nhanhID, true)
}

func (s *Store) oneRow(ctx context.Context, q Querier, kind MappingKind, col string, id int64, fromNhanh bool) (MappingListRow, error) {
	sp, err := listSpecOf(kind)
	if err != nil {
		return MappingListRow{}, err
	}
	t := sp.t
	from := " FROM " + t.table + " m LEFT JOIN " + sp.nhanhTable + " n ON n.nhanh_id = m." + t.nhanhCol
	if fromNhanh {
		from = " FROM " + sp.nhanhTable + " n LEFT JOIN " + t.table + " m ON m." + t.nhanhCol + " = n.nhanh_id"
	}
	from += " LEFT JOIN " + sp.shopifyTable + " s ON s.gid = m." + t.shopifyCol +
		" LEFT JOIN match_reasons r ON r.kind = $1 AND r.nhanh_id = n.nhanh_id"
	r, err := scanListRow(q.QueryRowContext(ctx, "SELECT "+sp.selectRow()+from+" WHERE "+col+" = $2", string(kind), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%s %d: %w", kind, id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read %s mapping row: %w", kind, err)
	}
	return r, nil
}
