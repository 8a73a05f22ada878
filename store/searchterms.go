package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search of the mirrors (issue 12): every mirror row the store writes gets
// its search terms in search_terms, so finding records by a word is an index
// range per word, whatever the size of the mirror. Terms are folded
// (FoldSearch, the store's one folding rule); a record matches a query when every word of the query is
// the start of one of its terms.

// Search sides: which mirror a term belongs to.
const (
	SideNhanhCustomer   = "nc"
	SideShopifyCustomer = "sc"
	SideNhanhProduct    = "np"
	SideShopifyVariant  = "sv"
)

// maxTermBytes bounds a stored term: a search word is short, and a long
// note or title must not bloat the index.
const maxTermBytes = 64

// maxSearchWords bounds the words of one query that are matched.
const maxSearchWords = 4

// SetPhoneKeys sets how the phone fields of mirrored records become search
// terms: the engine reads every number of a field the way matching does and
// returns one key per number, so a query in any written form finds it once
// reduced to the same key. Call it before the store writes mirror rows (and
// before Migrate, which indexes rows stored before search existed). Without
// it, runs of at least seven digits are the keys.
func (s *Store) SetPhoneKeys(fn func(field string) []string) { s.phoneKeys = fn }

// termSet collects the terms of one record.
type termSet struct {
	phoneKeys func(string) []string
	terms     []string
}

// words adds every word of text (letters and digits; other characters
// separate words).
func (t *termSet) words(text string) {
	for _, w := range strings.FieldsFunc(FoldSearch(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	}) {
		t.add(w)
	}
}

// whole adds text folded as one term (an e-mail, a SKU, a barcode).
func (t *termSet) whole(text string) {
	t.add(FoldSearch(strings.TrimSpace(text)))
}

// phones adds the keys of the numbers in a phone field.
func (t *termSet) phones(field string) {
	if strings.TrimSpace(field) == "" {
		return
	}
	if t.phoneKeys != nil {
		for _, k := range t.phoneKeys(field) {
			t.add(k)
		}
		return
	}
	// Digits with the separators people write inside a number.
	for _, part := range strings.FieldsFunc(field, func(r rune) bool {
		return (r < '0' || r > '9') && !strings.ContainsRune(" .-()+", r)
	}) {
		digits := strings.Map(func(r rune) rune {
			if r < '0' || r > '9' {
				return -1
			}
			return r
		}, part)
		if len(digits) >= 7 {
			t.add(digits)
		}
	}
}

// gid adds the numeric part of a Shopify GID.
func (t *termSet) gid(id string) {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		id = id[i+1:]
	}
	t.add(id)
}

func (t *termSet) add(term string) {
	if term == "" {
		return
	}
	if len(term) > maxTermBytes {
		n := maxTermBytes
		for n > 0 && !utf8.RuneStart(term[n]) {
			n--
		}
		term = term[:n]
	}
	t.terms = append(t.terms, term)
	if bare := unmarked(term); bare != term {
		t.terms = append(t.terms, bare) // found by a query typed without marks
	}
}

func nhanhCustomerTerms(c *NhanhCustomer, t *termSet) {
	t.add(strconv.FormatInt(int64(c.ID), 10))
	t.words(c.Name)
	t.whole(c.Email)
	t.phones(c.Mobile)
}

func shopifyCustomerTerms(c *ShopifyCustomer, t *termSet) {
	t.gid(string(c.ID))
	t.words(c.LastName + " " + c.FirstName)
	t.whole(c.Email)
	t.phones(c.Phone)
	t.phones(c.DefaultAddressPhone)
}

func nhanhProductTerms(p *NhanhProduct, t *termSet) {
	t.add(strconv.FormatInt(int64(p.ID), 10))
	t.words(p.Name)
	t.whole(p.Code)
	t.whole(p.Barcode)
}

func shopifyVariantTerms(v *ShopifyVariant, t *termSet) {
	t.gid(string(v.ID))
	t.words(v.ProductTitle)
	if v.Title != "Default Title" {
		t.words(v.Title)
	}
	t.whole(v.SKU)
	t.whole(v.Barcode)
}

// index writes the search terms of rows; was holds, per row, the row as
// stored before (nil for a new row, whose terms are only inserted). A row
// whose terms did not change (a new spend or stock) is left alone, so
// repeated pulls write terms only for what an operator searches by.
func (m *mirror[K, R]) index(ctx context.Context, s *Store, q Querier, rows, was []*R) error {
	if m.terms == nil || len(rows) == 0 {
		return nil
	}
	var replaced []any
	var terms []searchTerm
	ts := termSet{phoneKeys: s.phoneKeys}
	termsOf := func(r *R) []string {
		ts.terms = ts.terms[:0]
		m.terms(r, &ts)
		slices.Sort(ts.terms)
		return slices.Clone(slices.Compact(ts.terms))
	}
	for i, r := range rows {
		rec := keyText(m.keyArg(m.keyOf(r)))
		now := termsOf(r)
		if was != nil && was[i] != nil {
			if slices.Equal(termsOf(was[i]), now) {
				continue
			}
			replaced = append(replaced, rec)
		}
		for _, term := range now {
			terms = append(terms, searchTerm{rec: rec, term: term})
		}
	}
	return writeTerms(ctx, s.dialect, q, m.side, replaced, terms)
}

// keyText is a mirror key as search_terms stores it.
func keyText(k any) string {
	switch v := k.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return v
	}
	return fmt.Sprint(k)
}

type searchTerm struct{ rec, term string }

// writeTerms deletes the terms of recs on side and inserts terms. A term
// already there is kept: two transactions storing the same new record at
// once (a full and an incremental pull of one side, on two instances) both
// read it as new, and the second, once the first commits, inserts the
// terms the first inserted (the drill in engine/drill_test.go found it on
// PostgreSQL; SQLite has one writer).
func writeTerms(ctx context.Context, d Dialect, q Querier, side string, recs []any, terms []searchTerm) error {
	for chunk := range slices.Chunk(recs, inChunk(d)) {
		b := binder{dialect: d}
		query := "DELETE FROM search_terms WHERE side = " + b.bind(side) + " AND " + b.in("rec", chunk)
		if _, err := q.ExecContext(ctx, query, b.args...); err != nil {
			return fmt.Errorf("clear search terms: %w", err)
		}
	}
	perStatement := termsPerStatement(d)
	var full *sql.Stmt // the statement for a full chunk, prepared once per call (as mirror.write)
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	for chunk := range slices.Chunk(terms, perStatement) {
		var sb strings.Builder
		verb, tail := skipRefused(d)
		sb.WriteString(verb + "search_terms (side, rec, term) VALUES ")
		b := binder{dialect: d, args: make([]any, 0, 3*len(chunk))}
		for i, t := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(" + b.bind(side) + ", " + b.bind(t.rec) + ", " + b.bind(t.term) + ")")
		}
		sb.WriteString(tail)
		var err error
		switch p, ok := q.(preparer); {
		case d == SQLite && ok && len(chunk) == perStatement:
			if full == nil {
				if full, err = p.PrepareContext(ctx, sb.String()); err != nil {
					return fmt.Errorf("prepare search terms: %w", err)
				}
			}
			_, err = full.ExecContext(ctx, b.args...)
		default:
			_, err = q.ExecContext(ctx, sb.String(), b.args...)
		}
		if err != nil {
			return fmt.Errorf("write search terms: %w", err)
		}
	}
	return nil
}

// termsPerStatement is the terms per multi-row insert (three parameters
// each).
func termsPerStatement(d Dialect) int {
	if d == SQLite {
		return 300
	}
	return 1000
}

// reindex writes, in q, the search terms of every row of a mirror again,
// a page at a time.
func (m *mirror[K, R]) reindex(ctx context.Context, s *Store, q Querier) error {
	var after K
	for {
		rows, err := m.list(ctx, q, ListOpts[K]{AfterID: after, Limit: 5000, IncludeDeleted: true})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ptrs := make([]*R, len(rows))
		recs := make([]any, len(rows))
		for i := range rows {
			ptrs[i] = &rows[i]
			recs[i] = keyText(m.keyArg(m.keyOf(&rows[i])))
		}
		// Clear first: a reindex replaces whatever terms are stored.
		if err := writeTerms(ctx, s.dialect, q, m.side, recs, nil); err != nil {
			return err
		}
		if err := m.index(ctx, s, q, ptrs, nil); err != nil {
			return err
		}
		after = m.keyOf(&rows[len(rows)-1])
	}
}

// ReindexSearch writes the search terms of every mirrored record again, in
// one transaction: after the phone keys changed (SetPhoneKeys).
func (s *Store) ReindexSearch(ctx context.Context) error {
	return s.InTx(ctx, func(tx *sql.Tx) error { return s.reindexSearch(ctx, tx) })
}

// reindexSearch is ReindexSearch in q; migration 0010 runs it for the
// records stored before search existed.
func (s *Store) reindexSearch(ctx context.Context, q Querier) error {
	for _, fn := range []func(context.Context, *Store, Querier) error{nhanhCustomers.reindex, shopifyCustomers.reindex,
		nhanhProducts.reindex, shopifyVariants.reindex} {
		if err := fn(ctx, s, q); err != nil {
			return fmt.Errorf("index search terms: %w", err)
		}
	}
	return nil
}

// SearchQuery is an operator's search text split into the words matched:
// each folded, a phone number reduced to its key by the engine beforehand.
type SearchQuery struct {
	// Words must each start a term of a record: one of the alternatives of
	// each (a phone number's key, and the word as typed).
	Words [][]string
}

// ParseSearchWords splits text into folded words (at most maxSearchWords).
func ParseSearchWords(text string) []string {
	var out []string
	for _, w := range strings.Fields(FoldSearch(text)) {
		if strings.HasPrefix(w, "gid://") {
			w = w[strings.LastIndexByte(w, '/')+1:]
		}
		if w != "" && len(out) < maxSearchWords {
			out = append(out, w)
		}
	}
	return out
}

// prefixEnd is the smallest string greater than every string starting with
// p, bytewise (search_terms compares bytes on both databases).
func prefixEnd(p string) string { return p + "\U0010FFFF" }

// Search limits. Reading a word's range of the term index is cheap (50,000
// terms in about 3 ms on SQLite) where probing the index once per candidate
// is not (3 us each), so a search reads the records of each word and
// intersects them in memory; the page is then read by its hits.
const (
	// maxWordHits bounds the records read for one word (reading them costs
	// about 1 us each); a word with more (a family name, "0") is probed per
	// candidate instead, or per row walked when no word of the search is
	// rarer, which is cheap because such a word matches densely.
	maxWordHits = 5000
)

// uncountedHits is the Total of a search whose every word is too common to
// list: at least that many rows match, and it is not counted exactly.
const uncountedHits = maxWordHits

// sideHits is what a search found on one side.
type sideHits struct {
	listed bool       // recs are all the hits of the side
	recs   []string   // when listed
	probe  [][]string // words probed per row: all of them when not listed
}

// searchSide finds the records of side matching every word of sq.
func (s *Store) searchSide(ctx context.Context, q Querier, side string, sq SearchQuery) (sideHits, error) {
	var h sideHits
	var set map[string]bool
	for _, alts := range sq.Words {
		recs, over, err := s.wordRecs(ctx, q, side, alts)
		if err != nil {
			return h, err
		}
		if over {
			h.probe = append(h.probe, alts)
			continue
		}
		if set == nil {
			set = recs
			continue
		}
		for rec := range set {
			if !recs[rec] {
				delete(set, rec)
			}
		}
	}
	if set == nil {
		return sideHits{probe: sq.Words}, nil
	}
	h.listed = true
	for rec := range set {
		h.recs = append(h.recs, rec)
	}
	slices.Sort(h.recs)
	return h, nil
}

// wordRecs reads the records of side with a term starting with one of
// alts; over says there are more than maxWordHits, and then none are read.
func (s *Store) wordRecs(ctx context.Context, q Querier, side string, alts []string) (map[string]bool, bool, error) {
	b := binder{dialect: s.dialect}
	query := "SELECT rec FROM search_terms WHERE side = " + b.bind(side) + " AND ("
	for i, w := range alts {
		if i > 0 {
			query += " OR "
		}
		query += "(term >= " + b.bind(w) + " AND term < " + b.bind(prefixEnd(w)) + ")"
	}
	limit := " LIMIT " + b.bind(maxWordHits+1)
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM ("+query+")"+limit+") w", b.args...).Scan(&n); err != nil {
		return nil, false, fmt.Errorf("search %s: %w", side, err)
	}
	if n > maxWordHits {
		return nil, true, nil
	}
	rows, err := q.QueryContext(ctx, query+")", b.args[:len(b.args)-1]...)
	if err != nil {
		return nil, false, fmt.Errorf("search %s: %w", side, err)
	}
	defer func() { _ = rows.Close() }()
	out := make(map[string]bool, n)
	for rows.Next() {
		var rec string
		if err := rows.Scan(&rec); err != nil {
			return nil, false, fmt.Errorf("search %s: %w", side, err)
		}
		out[rec] = true
	}
	if err := closeRows(rows); err != nil {
		return nil, false, fmt.Errorf("search %s: %w", side, err)
	}
	return out, false, nil
}

// cond is the condition that the record in col matches: one of the listed
// hits (none: nothing matches) and every probed word.
func (h sideHits) cond(b *binder, side, col string, numeric, underOr bool) string {
	var conds []string
	if h.listed {
		if len(h.recs) == 0 {
			return "1 = 0"
		}
		vals := make([]any, len(h.recs))
		for i, r := range h.recs {
			if numeric {
				n, _ := strconv.ParseInt(r, 10, 64)
				vals[i] = n
			} else {
				vals[i] = r
			}
		}
		conds = append(conds, b.in(col, vals))
	}
	rec := col
	if numeric {
		rec = "CAST(" + col + " AS TEXT)"
	}
	// Under an OR, PostgreSQL turns "t.rec = <outer column>" into a hash of
	// every term of the word (250 ms for a family name at 500,000 records);
	// a range of one value is probed per row instead. Elsewhere the
	// equality is what lets it probe the primary key (a range has it walk
	// the word's terms for every row).
	match := "t.rec = " + rec
	if b.dialect == Postgres && underOr {
		match = "t.rec >= " + rec + " AND t.rec <= " + rec
	}
	for _, alts := range h.probe {
		probe := "EXISTS (SELECT 1 FROM search_terms t WHERE t.side = " + b.bind(side) + " AND " + match + " AND ("
		for i, w := range alts {
			if i > 0 {
				probe += " OR "
			}
			probe += "(t.term >= " + b.bind(w) + " AND t.term < " + b.bind(prefixEnd(w)) + ")"
		}
		conds = append(conds, probe+"))")
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}
