package shopifyfake

import (
	"strings"
	"time"

	"syncops/clients/sandbox/dataset"
)

// search is the part of Shopify's search syntax the fake understands:
// whitespace- or AND-separated field:value terms. updated_at takes >, >=,
// <, <= and a quoted RFC 3339 time or a date; status and product_status a
// comma-separated list; email, phone, sku and barcode an exact value.
// Other terms and free text are ignored (they narrow nothing).
type search struct {
	times    []timeTerm
	statuses []string
	exact    map[string]string
}

type timeTerm struct {
	field string
	op    string
	at    int64
}

func parseSearch(q string) search {
	s := search{exact: map[string]string{}}
	for _, tok := range tokenize(q) {
		field, value, ok := strings.Cut(tok, ":")
		if !ok {
			continue
		}
		field = lower(field)
		switch field {
		case "updated_at", "created_at":
			op := ""
			for _, candidate := range []string{">=", "<=", ">", "<"} {
				if rest, ok := strings.CutPrefix(value, candidate); ok {
					op, value = candidate, rest
					break
				}
			}
			if at, ok := parseTime(unquote(value)); ok && op != "" {
				s.times = append(s.times, timeTerm{field: field, op: op, at: at})
			}
		case "status", "product_status":
			for v := range strings.SplitSeq(unquote(value), ",") {
				if v = strings.TrimSpace(v); v != "" {
					s.statuses = append(s.statuses, strings.ToUpper(v))
				}
			}
		case "email", "phone", "sku", "barcode":
			s.exact[field] = lower(unquote(value))
		}
	}
	return s
}

// tokenize splits on whitespace outside quotes and drops the AND keyword.
func tokenize(q string) []string {
	var toks []string
	var cur strings.Builder
	quote := rune(0)
	flush := func() {
		if t := cur.String(); t != "" && t != "AND" {
			toks = append(toks, t)
		}
		cur.Reset()
	}
	for _, r := range q {
		switch {
		case quote != 0:
			cur.WriteRune(r)
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
			cur.WriteRune(r)
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func parseTime(v string) (int64, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Unix(), true
		}
	}
	return 0, false
}

func (s search) timeOK(updatedAt int64) bool {
	for _, t := range s.times {
		if t.field != "updated_at" {
			continue // the dataset has no creation time
		}
		var ok bool
		switch t.op {
		case ">":
			ok = updatedAt > t.at
		case ">=":
			ok = updatedAt >= t.at
		case "<":
			ok = updatedAt < t.at
		case "<=":
			ok = updatedAt <= t.at
		}
		if !ok {
			return false
		}
	}
	return true
}

func (s search) exactOK(field, value string) bool {
	want, ok := s.exact[field]
	return !ok || want == lower(value)
}

func (s search) customer(c *dataset.ShopifyCustomer) bool {
	return s.timeOK(c.UpdatedAt) && s.exactOK("email", c.Email) && s.exactOK("phone", c.Phone)
}

func (s search) variant(v *dataset.ShopifyVariant) bool {
	if !s.timeOK(v.UpdatedAt) || !s.exactOK("sku", v.SKU) || !s.exactOK("barcode", v.Barcode) {
		return false
	}
	if len(s.statuses) == 0 {
		return true
	}
	for _, st := range s.statuses {
		if st == strings.ToUpper(v.ProductStatus) {
			return true
		}
	}
	return false
}
