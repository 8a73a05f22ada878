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
// (FoldSearch); a record matches a query when every word of the query is
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

// FoldSearch is the one case folding of search, applied to stored terms
// and to query words alike. strings.ToLower folds Vietnamese letters with
// their marks (Đ -> đ, Ặ -> ặ), which SQLite's LOWER does not.
func FoldSearch(s string) string { return strings.ToLower(s) }

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

// index replaces the search terms of rows.
func (m *mirror[K, R]) index(ctx context.Context, s *Store, q Querier, rows []*R) error {
	if m.terms == nil || len(rows) == 0 {
		return nil
	}
	recs := make([]any, len(rows))
	var terms []searchTerm
	ts := termSet{phoneKeys: s.phoneKeys}
	for i, r := range rows {
		rec := keyText(m.keyArg(m.keyOf(r)))
		recs[i] = rec
		ts.terms = ts.terms[:0]
		m.terms(r, &ts)
		slices.Sort(ts.terms)
		for _, term := range slices.Compact(ts.terms) {
			terms = append(terms, searchTerm{rec: rec, term: term})
		}
	}
	return writeTerms(ctx, s.dialect, q, m.side, recs, terms)
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

// writeTerms deletes the terms of recs on side and inserts terms.
func writeTerms(ctx context.Context, d Dialect, q Querier, side string, recs []any, terms []searchTerm) error {
	for chunk := range slices.Chunk(recs, inChunk(d)) {
		b := binder{dialect: d}
		query := "DELETE FROM search_terms WHERE side = " + b.bind(side) + " AND " + b.in("rec", chunk)
		if _, err := q.ExecContext(ctx, query, b.args...); err != nil {
			return fmt.Errorf("clear search terms: %w", err)
		}
	}
	for chunk := range slices.Chunk(terms, rowsPerStatement(d)*2) {
		var sb strings.Builder
		sb.WriteString("INSERT INTO search_terms (side, rec, term) VALUES ")
		b := binder{dialect: d, args: make([]any, 0, 3*len(chunk))}
		for i, t := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(" + b.bind(side) + ", " + b.bind(t.rec) + ", " + b.bind(t.term) + ")")
		}
		if _, err := q.ExecContext(ctx, sb.String(), b.args...); err != nil {
			return fmt.Errorf("write search terms: %w", err)
		}
	}
	return nil
}

// reindex writes the search terms of every row of a mirror, in batches of
// their own transactions: rows stored before search existed.
func (m *mirror[K, R]) reindex(ctx context.Context, s *Store) error {
	var zero K
	after := zero
	for {
		rows, err := m.list(ctx, s.db, ListOpts[K]{AfterID: after, Limit: 5000, IncludeDeleted: true})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ptrs := make([]*R, len(rows))
		for i := range rows {
			ptrs[i] = &rows[i]
		}
		if err := s.InTx(ctx, func(tx *sql.Tx) error { return m.index(ctx, s, tx, ptrs) }); err != nil {
			return err
		}
		after = m.keyOf(&rows[len(rows)-1])
	}
}

// ReindexSearch writes the search terms of every mirrored record again, for
// records stored before search existed or after the phone keys changed.
func (s *Store) ReindexSearch(ctx context.Context) error {
	for _, fn := range []func(context.Context, *Store) error{nhanhCustomers.reindex, shopifyCustomers.reindex,
		nhanhProducts.reindex, shopifyVariants.reindex} {
		if err := fn(ctx, s); err != nil {
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

// hitsSQL is a query of the (rec) of side matching every word of sq; it
// binds through b.
func hitsSQL(b *binder, side string, sq SearchQuery) string {
	var parts []string
	for _, alts := range sq.Words {
		part := "SELECT rec FROM search_terms WHERE side = " + b.bind(side) + " AND ("
		for i, w := range alts {
			if i > 0 {
				part += " OR "
			}
			part += "(term >= " + b.bind(w) + " AND term < " + b.bind(prefixEnd(w)) + ")"
		}
		parts = append(parts, part+")")
	}
	return strings.Join(parts, " INTERSECT ")
}

// searchCap is how many hits a search counts exactly; beyond it the count
// is a lower bound and the list walks the table probing each row instead.
const searchCap = 2000

// countHits counts the distinct records of side matching sq, up to limit+1.
func (s *Store) countHits(ctx context.Context, q Querier, side string, sq SearchQuery, limit int) (int, error) {
	b := binder{dialect: s.dialect}
	query := "SELECT COUNT(*) FROM (" + hitsSQL(&b, side, sq) + " LIMIT " + b.bind(limit+1) + ") h"
	var n int
	if err := q.QueryRowContext(ctx, query, b.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("search %s: %w", side, err)
	}
	return n, nil
}
