package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"syncops/engine/phone"
	"syncops/store"
)

// The operator's workbench over mappings (issue 12): a paged, searchable
// list with counts, a detail view, and the actions that settle what
// automatic matching could not (map by hand, remap, unmap, clean up
// orphans, sync one mapping now). Reads take no Actor; every change takes
// one, refuses a viewer and is audited in the transaction that makes it.

// MappingKind says whether mappings link customers or products.
type MappingKind string

// Mapping kinds.
const (
	MappingCustomers MappingKind = "customer"
	MappingProducts  MappingKind = "product"
)

// ParseMappingKind reads "customer(s)" or "product(s)".
func ParseMappingKind(s string) (MappingKind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "customer", "customers":
		return MappingCustomers, nil
	case "product", "products":
		return MappingProducts, nil
	}
	return "", fmt.Errorf("unknown mapping kind %q: want customers or products", s)
}

func (k MappingKind) store() (store.MappingKind, error) {
	switch k {
	case MappingCustomers:
		return store.MappingKindCustomer, nil
	case MappingProducts:
		return store.MappingKindProduct, nil
	}
	return "", fmt.Errorf("unknown mapping kind %q: want customers or products", k)
}

// MappingTab selects which rows a mapping list shows.
type MappingTab string

// Mapping list tabs, in the order faces show them.
const (
	TabAll              MappingTab = "all"
	TabPending          MappingTab = "pending"
	TabSynced           MappingTab = "synced"
	TabFailed           MappingTab = "failed"
	TabManual           MappingTab = "manual"
	TabOrphaned         MappingTab = "orphaned"
	TabUnmatched        MappingTab = "unmatched"         // Nhanh records without a mapping
	TabUnmatchedShopify MappingTab = "unmatched-shopify" // Shopify records no mapping targets
)

// MappingTabs lists every tab.
var MappingTabs = []MappingTab{TabAll, TabPending, TabSynced, TabFailed, TabManual, TabOrphaned, TabUnmatched, TabUnmatchedShopify}

// ParseMappingTab reads a tab name ("" is TabAll).
func ParseMappingTab(s string) (MappingTab, error) {
	t := MappingTab(strings.ToLower(strings.TrimSpace(s)))
	if t == "" {
		return TabAll, nil
	}
	if !store.MappingTab(t).Valid() {
		names := make([]string, len(MappingTabs))
		for i, tab := range MappingTabs {
			names[i] = string(tab)
		}
		return "", fmt.Errorf("unknown mapping status %q: want one of %s", s, strings.Join(names, ", "))
	}
	return t, nil
}

// DefaultMappingPage is the rows of a mapping page when none is asked.
const DefaultMappingPage = 50

// maxMappingPage bounds the rows of one page.
const maxMappingPage = 1000

// MappingQuery asks for one page of a mapping list.
type MappingQuery struct {
	Kind MappingKind
	Tab  MappingTab
	// Search finds records by phone (any written form), e-mail, name, SKU,
	// barcode or id: every word must start a word of the record, case and
	// Vietnamese marks folded the same way.
	Search string
	// After is the previous page's Next.
	After string
	Limit int // <= 0: DefaultMappingPage
}

// MappingSide is one side of a listed row.
type MappingSide struct {
	ID      string `json:"id,omitempty"` // Nhanh id or Shopify GID
	Known   bool   `json:"known"`        // the mirror holds the record
	Deleted bool   `json:"deleted"`      // deleted at the source
	Name    string `json:"name,omitempty"`
	// Contact is a customer's phone and e-mail or a product's SKU and
	// barcode.
	Contact string `json:"contact,omitempty"`
	// Value is the value a sync writes (spend in VND, available stock); ""
	// on the Shopify side or when unknown.
	Value string `json:"value,omitempty"`
}

// MatchReason is why the last automatic match left a Nhanh record without
// a mapping.
type MatchReason struct {
	// Code is one of the Reason* codes.
	Code    string `json:"code"`
	Message string `json:"message"`
	// Candidates are the Shopify records the reason names, to map by hand.
	Candidates []string  `json:"candidates,omitempty"`
	JobID      JobID     `json:"jobId,omitempty"`
	At         time.Time `json:"at"`
}

// Reason codes of MatchReason.
const (
	ReasonNoPhone         = "no-phone"         // neither a phone nor an e-mail
	ReasonPhoneUnreadable = "phone-unreadable" // a phone field with no number read
	ReasonNoCandidate     = "no-candidate"     // nobody on the other side has its key
	ReasonAmbiguous       = "ambiguous"        // several candidates
	ReasonConflict        = "conflict"         // its only candidate is another record's only one too
	ReasonTargetMapped    = "target-mapped"    // its candidate is mapped to another record
	ReasonExcluded        = "excluded"         // not a sellable unit (parent, combo)
)

// MappingRow is one row of a mapping list: a mapping, or a record without
// one (MappingID 0).
type MappingRow struct {
	MappingID       int64       `json:"mappingId,omitempty"`
	Status          string      `json:"status,omitempty"` // PENDING, SYNCED, FAILED, UNMAPPED
	Manual          bool        `json:"manual"`
	MatchMethod     string      `json:"matchMethod,omitempty"`
	Nhanh           MappingSide `json:"nhanh"`
	Shopify         MappingSide `json:"shopify"`
	LastSyncedValue *string     `json:"lastSyncedValue,omitempty"`
	LastSyncedAt    *time.Time  `json:"lastSyncedAt,omitempty"`
	LastError       string      `json:"lastError,omitempty"`
	// Reason is why a record without a mapping was not matched.
	Reason *MatchReason `json:"reason,omitempty"`
}

// MappingPage is one page of a mapping list.
type MappingPage struct {
	Rows []MappingRow `json:"rows"`
	// Matches counts the rows a search selects (0 without a search: the
	// tab's count is in MappingCounts); a lower bound when Capped.
	Matches int64 `json:"matches"`
	Capped  bool  `json:"capped"`
	// Next is the After of the next page; "" on the last. A search of only
	// common words examines a window of rows per call, so a page may hold
	// fewer rows than asked while Next goes on.
	Next string `json:"next,omitempty"`
}

// MappingCounts are the counts at the top of a mapping list.
type MappingCounts struct {
	Mappings         int64 `json:"mappings"`
	Pending          int64 `json:"pending"`
	Synced           int64 `json:"synced"`
	Failed           int64 `json:"failed"`
	Manual           int64 `json:"manual"`
	Orphaned         int64 `json:"orphaned"`
	UnmatchedNhanh   int64 `json:"unmatchedNhanh"`
	UnmatchedShopify int64 `json:"unmatchedShopify"`
}

// Mappings returns one page of a mapping list.
func (e *Engine) Mappings(ctx context.Context, mq MappingQuery) (_ MappingPage, err error) {
	defer func() { err = FromStore(err) }()
	kind, err := mq.Kind.store()
	if err != nil {
		return MappingPage{}, err
	}
	tab, err := ParseMappingTab(string(mq.Tab))
	if err != nil {
		return MappingPage{}, err
	}
	limit := mq.Limit
	if limit <= 0 {
		limit = DefaultMappingPage
	}
	limit = min(limit, maxMappingPage)
	p, err := e.store.MappingList(ctx, e.store.Reader(), store.MappingListFilter{Kind: kind, Tab: store.MappingTab(tab),
		Search: SearchWords(mq.Search), After: mq.After, Limit: limit})
	if err != nil {
		return MappingPage{}, err
	}
	out := MappingPage{Rows: make([]MappingRow, len(p.Rows)), Matches: p.Total, Capped: p.Capped, Next: p.Next}
	for i, r := range p.Rows {
		out.Rows[i] = mappingRowFrom(r)
	}
	return out, nil
}

// SearchWords turns an operator's search text into the words the store
// matches: folded as stored, a GID reduced to its number, and a word that
// reads as a phone number given its key (the national digits matching
// reads) as an alternative, so 0912.345.678, +84 912 345 678 and
// 84912345678 find the same customer.
func SearchWords(text string) store.SearchQuery {
	var q store.SearchQuery
	for _, w := range store.ParseSearchWords(text) {
		alts := []string{w}
		if n, ok := phone.Parse(w); ok {
			if key := PhoneSearchKey(n); key != w {
				alts = append(alts, key)
			}
		}
		q.Words = append(q.Words, alts)
	}
	// A whole query that is one phone number written with spaces.
	if len(q.Words) > 1 {
		if n, ok := phone.Parse(text); ok {
			q.Words = [][]string{{PhoneSearchKey(n)}}
		}
	}
	return q
}

// PhoneSearchKey is the search term of a phone number: its national digits
// with the trunk 0 ("0912345678"), the same for every written form.
func PhoneSearchKey(n phone.Number) string { return n.String() }

// PhoneSearchKeys reads every number of a phone field as search terms; the
// store indexes phone fields with it (store.SetPhoneKeys).
func PhoneSearchKeys(field string) []string {
	nums := phone.AppendAll(nil, field)
	out := make([]string, 0, len(nums))
	for _, n := range nums {
		out = append(out, PhoneSearchKey(n))
	}
	return out
}

func mappingRowFrom(r store.MappingListRow) MappingRow {
	out := MappingRow{MappingID: r.MappingID, Status: string(r.Status), Manual: r.MatchMethod == store.MatchManual,
		MatchMethod: r.MatchMethod, Nhanh: MappingSide(r.Nhanh), Shopify: MappingSide(r.Shopify),
		LastSyncedValue: r.LastSyncedValue, LastError: r.SyncError}
	if !r.LastSyncedAt.IsZero() {
		t := r.LastSyncedAt
		out.LastSyncedAt = &t
	}
	if r.Reason != nil {
		out.Reason = &MatchReason{Code: r.Reason.Code, Message: r.Reason.Message, Candidates: r.Reason.Candidates,
			JobID: JobID(r.Reason.JobID), At: r.Reason.At}
	}
	return out
}

// MappingCounts counts a kind's mappings by tab.
func (e *Engine) MappingCounts(ctx context.Context, k MappingKind) (_ MappingCounts, err error) {
	defer func() { err = FromStore(err) }()
	kind, err := k.store()
	if err != nil {
		return MappingCounts{}, err
	}
	c, err := e.store.MappingCounts(ctx, e.store.Reader(), kind)
	if err != nil {
		return MappingCounts{}, err
	}
	return MappingCounts{Mappings: c.Mappings, Pending: c.Pending, Synced: c.Synced, Failed: c.Failed, Manual: c.Manual,
		Orphaned: c.Orphaned, UnmatchedNhanh: c.UnmatchedNhanh, UnmatchedShopify: c.UnmatchedShopify}, nil
}

// SyncLogEntry is one write (or failed write) of a mapping's value.
type SyncLogEntry struct {
	JobID    JobID     `json:"jobId,omitempty"`
	Target   string    `json:"target"`
	OldValue *string   `json:"oldValue"`
	NewValue string    `json:"newValue"`
	Status   string    `json:"status"`
	Message  string    `json:"message,omitempty"`
	At       time.Time `json:"at"`
}

// MappingFailure is a failed item that concerns a mapping.
type MappingFailure struct {
	JobID   JobID     `json:"jobId"`
	JobType string    `json:"jobType"`
	Message string    `json:"message"`
	Class   string    `json:"class"`
	At      time.Time `json:"at"`
}

// Candidate is a record an unmatched one may be mapped to by hand.
type Candidate struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Contact string `json:"contact,omitempty"`
	// MappedTo is the mapping that already targets it (0: free).
	MappedTo int64 `json:"mappedTo,omitempty"`
	Known    bool  `json:"known"`
}

// MappingDetail is everything about one mapping, or one record without a
// mapping.
type MappingDetail struct {
	Kind MappingKind `json:"kind"`
	Row  MappingRow  `json:"row"`
	// Candidates are the reason's candidates, described.
	Candidates []Candidate      `json:"candidates,omitempty"`
	SyncLog    []SyncLogEntry   `json:"syncLog"`
	Failures   []MappingFailure `json:"failures"`
	Jobs       []Job            `json:"jobs"`
}

// Depths of a mapping's detail.
const (
	detailLogEntries = 20
	detailJobDepth   = 50 // newest jobs of the kinds whose failed items are searched
)

// MappingDetail returns the detail of mapping id of kind.
func (e *Engine) MappingDetail(ctx context.Context, k MappingKind, id int64) (_ MappingDetail, err error) {
	defer func() { err = FromStore(err) }()
	kind, err := k.store()
	if err != nil {
		return MappingDetail{}, err
	}
	r, err := e.store.MappingRow(ctx, e.store.Reader(), kind, id)
	if err != nil {
		return MappingDetail{}, err
	}
	return e.detail(ctx, k, kind, r)
}

// RecordDetail returns the detail of the mapping of a Nhanh record, or of
// the record alone when it has none (with why it was not matched and the
// candidates).
func (e *Engine) RecordDetail(ctx context.Context, k MappingKind, nhanhID int64) (_ MappingDetail, err error) {
	defer func() { err = FromStore(err) }()
	kind, err := k.store()
	if err != nil {
		return MappingDetail{}, err
	}
	r, err := e.store.UnmatchedRow(ctx, e.store.Reader(), kind, nhanhID)
	if err != nil {
		return MappingDetail{}, err
	}
	return e.detail(ctx, k, kind, r)
}

func (e *Engine) detail(ctx context.Context, k MappingKind, kind store.MappingKind, r store.MappingListRow) (MappingDetail, error) {
	d := MappingDetail{Kind: k, Row: mappingRowFrom(r), SyncLog: []SyncLogEntry{}, Failures: []MappingFailure{}, Jobs: []Job{}}
	rd := e.store.Reader()
	if r.Reason != nil {
		for _, c := range r.Reason.Candidates {
			cand, err := e.candidate(ctx, kind, c)
			if err != nil {
				return d, err
			}
			d.Candidates = append(d.Candidates, cand)
		}
	}
	var jobIDs []int64
	if r.MappingID != 0 {
		log, err := e.store.SyncLog(ctx, rd, kind, r.MappingID, detailLogEntries)
		if err != nil {
			return d, err
		}
		for _, l := range log {
			d.SyncLog = append(d.SyncLog, SyncLogEntry{JobID: JobID(l.JobID), Target: l.Target, OldValue: l.OldValue,
				NewValue: l.NewValue, Status: string(l.Status), Message: l.Message, At: l.CreatedAt})
		}
		if jobIDs, err = e.store.JobsTouchingMapping(ctx, rd, kind, r.MappingID, detailJobDepth); err != nil {
			return d, err
		}
	}
	var byMapping, byNhanh []string
	for _, t := range e.order {
		ref := e.kinds[t].Items
		switch {
		case ref.Kind != k:
		case ref.ByNhanhID:
			byNhanh = append(byNhanh, t)
		default:
			byMapping = append(byMapping, t)
		}
	}
	for _, q := range []struct {
		types []string
		key   string
	}{{byMapping, strconv.FormatInt(r.MappingID, 10)}, {byNhanh, r.Nhanh.ID}} {
		if q.key == "0" || q.key == "" {
			continue
		}
		items, err := e.store.FailedItemsOfKey(ctx, rd, q.types, q.key, detailJobDepth)
		if err != nil {
			return d, err
		}
		for _, it := range items {
			job, err := e.store.Job(ctx, rd, it.JobID)
			if err != nil {
				return d, err
			}
			d.Failures = append(d.Failures, MappingFailure{JobID: JobID(it.JobID), JobType: job.Type, Message: it.Message,
				Class: it.ErrorClass, At: it.UpdatedAt})
			jobIDs = append(jobIDs, it.JobID)
		}
	}
	seen := map[int64]bool{}
	for _, id := range jobIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		rec, err := e.store.Job(ctx, rd, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // pruned by retention
		}
		if err != nil {
			return d, err
		}
		d.Jobs = append(d.Jobs, jobFromRecord(rec))
	}
	return d, nil
}

// candidate describes a Shopify record by its id.
func (e *Engine) candidate(ctx context.Context, kind store.MappingKind, id string) (Candidate, error) {
	c := Candidate{ID: id}
	p, err := e.store.MappingList(ctx, e.store.Reader(), store.MappingListFilter{Kind: kind, Tab: store.TabAll,
		Search: store.SearchQuery{Words: [][]string{{gidNumber(id)}}}, Limit: 20})
	if err != nil {
		return c, err
	}
	for _, r := range p.Rows {
		if r.Shopify.ID == id {
			c.MappedTo, c.Known, c.Name, c.Contact = r.MappingID, r.Shopify.Known, r.Shopify.Name, r.Shopify.Contact
			return c, nil
		}
	}
	p, err = e.store.MappingList(ctx, e.store.Reader(), store.MappingListFilter{Kind: kind, Tab: store.TabUnmatchedShopify,
		Search: store.SearchQuery{Words: [][]string{{gidNumber(id)}}}, Limit: 20})
	if err != nil {
		return c, err
	}
	for _, r := range p.Rows {
		if r.Shopify.ID == id {
			c.Known, c.Name, c.Contact = true, r.Shopify.Name, r.Shopify.Contact
		}
	}
	return c, nil
}

// gidNumber is the numeric part of a GID, as search indexes it.
func gidNumber(gid string) string { return gid[strings.LastIndexByte(gid, '/')+1:] }
