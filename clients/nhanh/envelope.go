package nhanh

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxMessageLen bounds the remote message kept in an error.
const maxMessageLen = 500

// envelope is one parsed v3 reply:
// {code, errorCode, messages, data, paginator{next}}.
type envelope struct {
	Code      int64
	ErrorCode string
	// Message is messages (a string, a field map or an array) or the singular
	// message flattened to one readable line.
	Message string
	// Data is the raw data member; nil when absent or null.
	Data json.RawMessage
	// Next is the paginator's next object exactly as received; nil when there
	// are no more pages.
	Next json.RawMessage
	// HTTPStatus is the status the reply came with (set by the client).
	HTTPStatus int
}

var errNoCode = errors.New("reply has no code")

// parseEnvelope parses a reply body. It fails only when the body is not a
// JSON object with a numeric code; unexpected shapes of the other members are
// tolerated, as Nhanh's PHP backend varies them.
func parseEnvelope(body []byte) (envelope, error) {
	var wire struct {
		Code      json.RawMessage `json:"code"`
		ErrorCode json.RawMessage `json:"errorCode"`
		Messages  json.RawMessage `json:"messages"`
		Message   json.RawMessage `json:"message"`
		Data      json.RawMessage `json:"data"`
		Paginator json.RawMessage `json:"paginator"`
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return envelope{}, errors.New("reply is not a JSON object")
	}
	if err := json.Unmarshal(trimmed, &wire); err != nil {
		return envelope{}, fmt.Errorf("decode reply: %w", err)
	}
	if isEmptyJSON(wire.Code) {
		return envelope{}, errNoCode
	}
	var code flexInt
	if err := json.Unmarshal(wire.Code, &code); err != nil {
		return envelope{}, fmt.Errorf("reply code: %w", err)
	}
	env := envelope{Code: int64(code), ErrorCode: flattenJSON(wire.ErrorCode)}
	env.Message = flattenJSON(wire.Messages)
	if env.Message == "" {
		env.Message = flattenJSON(wire.Message)
	}
	env.Message = truncate(env.Message, maxMessageLen)
	if !isEmptyJSON(wire.Data) {
		env.Data = wire.Data
	}
	env.Next = nextOf(wire.Paginator)
	return env, nil
}

// nextOf extracts paginator.next. Missing, null and empty values all mean
// "no more pages": echoing an empty cursor would restart the listing.
func nextOf(paginator json.RawMessage) json.RawMessage {
	if len(paginator) == 0 || paginator[0] != '{' {
		return nil
	}
	var p struct {
		Next json.RawMessage `json:"next"`
	}
	if json.Unmarshal(paginator, &p) != nil || isEmptyJSON(p.Next) {
		return nil
	}
	switch string(bytes.TrimSpace(p.Next)) {
	case `""`, "false", "0", "{}", "[]":
		return nil
	}
	return p.Next
}

// isEmptyJSON reports a missing or null member.
func isEmptyJSON(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// flattenJSON renders any JSON value as one readable line: strings as they
// are, arrays joined with "; ", objects as "key: value" pairs in key order.
func flattenJSON(raw json.RawMessage) string {
	if isEmptyJSON(raw) {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return strings.TrimSpace(string(raw))
	}
	return flattenValue(v)
}

func flattenValue(v any) string { return flattenSep(v, "; ") }

// flattenSep renders v, joining array items with sep; arrays nested in an
// object (several messages for one field) are joined with ", ".
func flattenSep(v any, sep string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, 0, len(v))
		for _, item := range v {
			if s := flattenValue(item); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, sep)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if s := flattenSep(v[k], ", "); s != "" {
				parts = append(parts, k+": "+s)
			} else {
				parts = append(parts, k)
			}
		}
		return strings.Join(parts, "; ")
	}
	return fmt.Sprint(v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// decodeRows decodes a list reply's data into rows. An absent, null or empty
// data (PHP encodes an empty list as [] or {}) is no rows.
func decodeRows[T any](data json.RawMessage) ([]T, error) {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || string(t) == "null" || string(t) == "{}" || string(t) == "[]" {
		return nil, nil
	}
	var rows []T
	if err := json.Unmarshal(t, &rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// flexInt is an integer sent as a JSON number or a string of digits; null is 0.
type flexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *flexInt) UnmarshalJSON(b []byte) error {
	s, err := numberText(b)
	if err != nil || s == "" {
		*n = 0
		return err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %q", s)
	}
	*n = flexInt(v)
	return nil
}

// flexFloat is a number sent as a JSON number or a numeric string; null is 0.
type flexFloat float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s, err := numberText(b)
	if err != nil || s == "" {
		*f = 0
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("not a number: %q", s)
	}
	*f = flexFloat(v)
	return nil
}

// flexQty is a stock quantity. Nhanh can keep fractional stock (goods sold
// by weight); only whole units can be sold, so the fraction is dropped.
type flexQty int64

// UnmarshalJSON implements json.Unmarshaler.
func (q *flexQty) UnmarshalJSON(b []byte) error {
	var f flexFloat
	if err := f.UnmarshalJSON(b); err != nil {
		return err
	}
	if math.Abs(float64(f)) > math.MaxInt64/2 {
		return fmt.Errorf("quantity out of range: %v", float64(f))
	}
	*q = flexQty(math.Trunc(float64(f)))
	return nil
}

// flexString is text sent as a JSON string, or as a number (phone numbers and
// codes sometimes are); null is "".
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *flexString) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	switch {
	case string(t) == "null":
		*s = ""
	case len(t) > 0 && t[0] == '"':
		var v string
		if err := json.Unmarshal(t, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case len(t) > 0 && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')):
		*s = flexString(t)
	default:
		return fmt.Errorf("not text: %.20q", t)
	}
	return nil
}

// numberText returns the text of a JSON number or numeric string; "" for null
// or an empty string.
func numberText(b []byte) (string, error) {
	t := bytes.TrimSpace(b)
	if string(t) == "null" {
		return "", nil
	}
	if len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return "", err
		}
		return strings.TrimSpace(s), nil
	}
	var n json.Number
	if err := json.Unmarshal(t, &n); err != nil {
		return "", fmt.Errorf("not a number: %.20q", t)
	}
	return n.String(), nil
}
