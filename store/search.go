package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// FoldSearch is the one rule by which searches ignore case, the same on
// SQLite and PostgreSQL: Unicode case folding of the canonically composed
// text. "ĐƠN HÀNG" and "đơn hàng" fold alike, and so do "Đặng" typed with
// composed letters and with combining marks. Marks still tell folded words
// apart ("dang" and "đặng" fold differently); what is searched keeps an
// unmarked copy as well (SearchText, the search terms), so a query typed
// without marks finds text with them and a query with marks finds only
// text that has them.
//
// Neither database can be asked to do it: SQLite's LOWER folds ASCII only,
// and PostgreSQL's depends on the database's locale. So searchable text is
// folded here when it is written, into a column of its own, and a search
// folds its query the same way and compares with LIKE. Every search of the
// store (jobs, failed items, mappings, preview diffs) uses this rule.
func FoldSearch(text string) string {
	// Decompose first: folding is defined on decomposed text (a composed
	// letter may fold into a sequence), then compose what it gives.
	return norm.NFC.String(cases.Fold().String(norm.NFD.String(text)))
}

// unmarked is folded text without its marks: every combining mark dropped
// and đ read as d (the one Vietnamese letter whose stroke is part of the
// letter, not a mark). Operators often type Vietnamese without marks:
// "tran" for "Trần", "dang" for "Đặng".
func unmarked(folded string) string {
	ascii := true
	for i := 0; i < len(folded); i++ {
		if folded[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return folded
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(folded) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// searchFieldSeparator joins the fields of one search column. likePattern
// drops it from queries (it is a control character no one means to search
// for), so no match spans two fields.
const searchFieldSeparator = "\x1f"

// SearchText is the search column of a row whose searchable fields are
// fields: the fields folded and, when they have marks, the same again
// without them after another separator (see FoldSearch).
func SearchText(fields ...string) string {
	folded := FoldSearch(strings.Join(fields, searchFieldSeparator))
	if bare := unmarked(folded); bare != folded {
		return folded + searchFieldSeparator + bare
	}
	return folded
}

// likePattern makes a "contains" LIKE pattern of a query, folded by
// FoldSearch, escaping LIKE's wildcards so "not_found" matches only itself.
// It is compared with a folded search column, with ESCAPE '\'.
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)
	folded := strings.ReplaceAll(FoldSearch(text), searchFieldSeparator, "")
	return "%" + r.Replace(folded) + "%"
}

// refoldSearchColumns fills the search columns that migration 0007 added
// with FoldSearch, for the rows written before it. The migration's SQL
// lower-cases them as a first guess; only rows whose fold differs from that
// (non-ASCII text) are rewritten. It runs inside the migration's
// transaction, a page of rows at a time.
func refoldSearchColumns(ctx context.Context, tx *sql.Tx) error {
	if err := refold(ctx, tx, `SELECT id, error, error_search FROM jobs WHERE id > $1 ORDER BY id LIMIT $2`,
		`UPDATE jobs SET error_search = $1 WHERE id = $2`); err != nil {
		return fmt.Errorf("refold job errors: %w", err)
	}
	if err := refold(ctx, tx, `SELECT id, item_key, message, error_class, search FROM job_failed_items
		WHERE id > $1 ORDER BY id LIMIT $2`, `UPDATE job_failed_items SET search = $1 WHERE id = $2`); err != nil {
		return fmt.Errorf("refold failed items: %w", err)
	}
	return nil
}

// refold pages through a table with list (id, the searchable fields, the
// search column) and rewrites with update the search columns that are not
// SearchText of their fields.
func refold(ctx context.Context, tx *sql.Tx, list, update string) error {
	const page = 1000
	type change struct {
		id     int64
		search string
	}
	var after int64
	for {
		rows, err := tx.QueryContext(ctx, list, after, page)
		if err != nil {
			return err
		}
		cols, err := rows.Columns()
		if err != nil {
			_ = rows.Close()
			return err
		}
		var changes []change
		n := 0
		for rows.Next() {
			var id int64
			fields := make([]string, len(cols)-2)
			var stored string
			dest := []any{&id}
			for i := range fields {
				dest = append(dest, &fields[i])
			}
			if err := rows.Scan(append(dest, &stored)...); err != nil {
				_ = rows.Close()
				return err
			}
			n++
			after = id
			if want := SearchText(fields...); want != stored {
				changes = append(changes, change{id, want})
			}
		}
		if err := closeRows(rows); err != nil {
			return err
		}
		for _, c := range changes {
			if _, err := tx.ExecContext(ctx, update, c.search, c.id); err != nil {
				return err
			}
		}
		if n < page {
			return nil
		}
	}
}
