package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Field is one flattened key and its value as text.
type Field struct {
	Key, Value string
}

// maxListItems is how many items of a list are shown before "(+n more)".
const maxListItems = 5

// Flatten turns a JSON object into sorted "key: value" fields: nested
// objects become dotted keys, lists of scalars are joined, lists of objects
// are indexed. Anything that is not an object becomes one field named "value".
func Flatten(raw []byte) []Field {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []Field{{Key: "value", Value: string(raw)}}
	}
	var out []Field
	if _, ok := v.(map[string]any); !ok {
		return []Field{{Key: "value", Value: scalar(v)}}
	}
	flatten("", v, &out)
	return out
}

func flatten(prefix string, v any, out *[]Field) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) == 0 && prefix != "" {
			*out = append(*out, Field{Key: prefix, Value: "(empty)"})
		}
		for _, k := range keys {
			flatten(join(prefix, k), x[k], out)
		}
	case []any:
		if allScalars(x) {
			*out = append(*out, Field{Key: prefix, Value: list(x)})
			return
		}
		for i, item := range x {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), item, out)
		}
	default:
		*out = append(*out, Field{Key: prefix, Value: scalar(x)})
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func allScalars(xs []any) bool {
	for _, x := range xs {
		switch x.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func list(xs []any) string {
	if len(xs) == 0 {
		return "(none)"
	}
	parts := make([]string, 0, min(len(xs), maxListItems))
	for i, x := range xs {
		if i == maxListItems {
			break
		}
		parts = append(parts, scalar(x))
	}
	s := strings.Join(parts, ", ")
	if len(xs) > maxListItems {
		s += fmt.Sprintf(" (+%d more)", len(xs)-maxListItems)
	}
	return s
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	default:
		return fmt.Sprint(x)
	}
}
