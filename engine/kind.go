package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind is a job type: its name, its parameters and its body.
type Kind struct {
	// Type is the name operators use, e.g. PULL_NHANH_CUSTOMERS.
	Type string
	// Label is the human name shown in the console.
	Label string
	// Description says in a sentence what the job does.
	Description string
	// Params are the parameters the job accepts.
	Params []ParamSpec
	// AttemptTimeout bounds one attempt. The body's context expires a little
	// before it; a body that checkpointed is then continued in a new attempt,
	// so long work is split into bounded, resumable attempts and a crashed
	// attempt is rescued soon after. Zero means Config.AttemptTimeout.
	AttemptTimeout time.Duration
	// RetryItems says Retry may start a new job of this kind over the failed
	// items of a finished one (the body reads them with Run.RetryKeys).
	RetryItems bool
	// Items says which records the kind's failed items are keyed by, so a
	// mapping's detail can show the failed items that concern it; the zero
	// value is none of the mappings.
	Items ItemRef
	// SyncNow marks the kind that "sync now" starts for one mapping of
	// Items.Kind: it takes the mapping id as its "ids" parameter and writes
	// the mapping's live value at once.
	SyncNow bool
	// Diff says a preview of the kind (DryRunParam) keeps a diff of what it
	// would write, which Engine.Diff reads.
	Diff bool
	// Lane, when set, is the write lane the kind's jobs take (lane.go): jobs
	// of kinds with the same lane never run at the same time. A kind with a
	// lane should take LaneParamSpec.
	Lane string
	// Run is the body.
	Run func(ctx context.Context, run *Run) error
}

// ItemRef says what the failed item keys of a job kind name.
type ItemRef struct {
	// Kind is the mapping kind the items belong to; "" for none.
	Kind MappingKind
	// ByNhanhID says the keys are Nhanh record ids (matching), not mapping
	// ids (syncing).
	ByNhanhID bool
}

// ParamKind is the type of a parameter's value.
type ParamKind string

// Parameter kinds.
const (
	ParamString ParamKind = "string"
	ParamInt    ParamKind = "int"
	ParamBool   ParamKind = "bool"
	ParamDate   ParamKind = "date" // yyyy-mm-dd
	ParamIDs    ParamKind = "ids"  // comma-separated positive integers
	ParamEnum   ParamKind = "enum" // one of Enum
)

// ParamSpec describes one parameter of a kind.
type ParamSpec struct {
	Name     string
	Kind     ParamKind
	Help     string
	Enum     []string // for ParamEnum
	Default  string   // applied when the parameter is absent; "" = absent
	Required bool
	Min      int64 // for ParamInt: smallest accepted value
}

// Params are parameters as operators give them: names to text values.
type Params map[string]string

// ParamError is a parameter an operator got wrong.
type ParamError struct {
	Type, Param, Reason string
}

func (e *ParamError) Error() string {
	if e.Param == "" {
		return fmt.Sprintf("%s: %s", e.Type, e.Reason)
	}
	return fmt.Sprintf("%s: parameter %q %s", e.Type, e.Param, e.Reason)
}

// canonicalParams validates raw against the kind's specs and returns the
// typed parameters as canonical JSON (keys sorted, defaults applied), which
// is both what the body decodes and part of the job's unique key.
func (k *Kind) canonicalParams(raw Params) (json.RawMessage, error) {
	known := make(map[string]bool, len(k.Params))
	for _, p := range k.Params {
		known[p.Name] = true
	}
	for name := range raw {
		if !known[name] {
			return nil, k.unknownParam(name)
		}
	}
	out := make(map[string]any, len(k.Params))
	for _, p := range k.Params {
		text, ok := raw[p.Name]
		text = strings.TrimSpace(text)
		if !ok || text == "" {
			if p.Required {
				return nil, &ParamError{Type: k.Type, Param: p.Name, Reason: "is required"}
			}
			if p.Default == "" {
				continue
			}
			text = p.Default
		}
		v, err := p.parse(text)
		if err != nil {
			return nil, &ParamError{Type: k.Type, Param: p.Name, Reason: err.Error()}
		}
		if p.Name == DryRunParam && v == false {
			// dryRun=false is the run itself: the same job (and unique key)
			// as no dryRun, so it cannot run beside an identical run.
			continue
		}
		out[p.Name] = v
	}
	b, err := json.Marshal(out) // encoding/json sorts map keys: canonical
	if err != nil {
		return nil, fmt.Errorf("encode params: %w", err)
	}
	return b, nil
}

// unknownParam refuses a parameter the kind does not take, listing those it
// does.
func (k *Kind) unknownParam(name string) *ParamError {
	names := make([]string, 0, len(k.Params))
	for _, p := range k.Params {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	valid := "it takes no parameters"
	if len(names) > 0 {
		valid = "valid: " + strings.Join(names, ", ")
	}
	return &ParamError{Type: k.Type, Param: name, Reason: "is unknown (" + valid + ")"}
}

// paramsText is the inverse of canonicalParams: stored parameters back into
// operator text that canonicalParams turns into the same JSON again. Each
// value is decoded as its spec's type (an id list into []int64), never
// through float64, so ids of any size come back digit for digit. A value
// that is a JSON string is taken as operator text as it stands (schedules
// stored parameters that way before they were stored typed). The text is
// not validated here; Start validates it.
func (k *Kind) paramsText(raw json.RawMessage) (Params, error) {
	out := Params{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, &ParamError{Type: k.Type, Reason: "stored parameters are not a JSON object: " + err.Error()}
	}
	specs := make(map[string]ParamSpec, len(k.Params))
	for _, p := range k.Params {
		specs[p.Name] = p
	}
	for name, value := range fields {
		p, ok := specs[name]
		if !ok {
			return nil, k.unknownParam(name)
		}
		text, present, err := p.text(value)
		if err != nil {
			return nil, &ParamError{Type: k.Type, Param: name, Reason: err.Error()}
		}
		if present {
			out[name] = text
		}
	}
	return out, nil
}

// text is one stored value as operator text; present is false for null.
func (p ParamSpec) text(value json.RawMessage) (text string, present bool, err error) {
	value = bytes.TrimSpace(value)
	if string(value) == "null" {
		return "", false, nil
	}
	if len(value) > 0 && value[0] == '"' {
		err = json.Unmarshal(value, &text)
		return text, err == nil, err
	}
	switch p.Kind {
	case ParamInt:
		var n int64
		if err := json.Unmarshal(value, &n); err != nil {
			return "", false, fmt.Errorf("is stored as %s, not a whole number", value)
		}
		return strconv.FormatInt(n, 10), true, nil
	case ParamBool:
		var b bool
		if err := json.Unmarshal(value, &b); err != nil {
			return "", false, fmt.Errorf("is stored as %s, not true or false", value)
		}
		return strconv.FormatBool(b), true, nil
	case ParamIDs:
		var ids []int64
		if err := json.Unmarshal(value, &ids); err != nil {
			return "", false, fmt.Errorf("is stored as %s, not a list of whole numbers", value)
		}
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = strconv.FormatInt(id, 10)
		}
		return strings.Join(parts, ","), true, nil
	default:
		return "", false, fmt.Errorf("is stored as %s, not text", value)
	}
}

// FormatParams renders operator parameters as "name=value" pairs sorted by
// name, the form `--param` takes; "(defaults)" when there are none.
func FormatParams(p Params) string {
	if len(p) == 0 {
		return "(defaults)"
	}
	names := make([]string, 0, len(p))
	for name := range p {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + "=" + p[name]
	}
	return strings.Join(parts, " ")
}

func (p ParamSpec) parse(text string) (any, error) {
	switch p.Kind {
	case ParamString:
		return text, nil
	case ParamInt:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("must be a whole number, got %q", text)
		}
		if n < p.Min {
			return nil, fmt.Errorf("must be at least %d, got %d", p.Min, n)
		}
		return n, nil
	case ParamBool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, fmt.Errorf("must be true or false, got %q", text)
		}
		return b, nil
	case ParamDate:
		if _, err := time.Parse(time.DateOnly, text); err != nil {
			return nil, fmt.Errorf("must be a date like 2026-01-31, got %q", text)
		}
		return text, nil
	case ParamIDs:
		var ids []int64
		for part := range strings.SplitSeq(text, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			n, err := strconv.ParseInt(part, 10, 64)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("must be comma-separated positive ids, got %q", part)
			}
			ids = append(ids, n)
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("must list at least one id")
		}
		slices.Sort(ids)
		return slices.Compact(ids), nil
	case ParamEnum:
		for _, e := range p.Enum {
			if strings.EqualFold(e, text) {
				return e, nil
			}
		}
		return nil, fmt.Errorf("must be one of %s, got %q", strings.Join(p.Enum, ", "), text)
	default:
		return nil, fmt.Errorf("has an unknown kind %q", p.Kind)
	}
}

// validate checks a kind's definition (a programming error if it fails).
func (k *Kind) validate() error {
	if k.Type == "" || strings.ToUpper(k.Type) != k.Type {
		return fmt.Errorf("kind %q: type must be non-empty upper case", k.Type)
	}
	if k.Run == nil {
		return fmt.Errorf("kind %s: no body", k.Type)
	}
	seen := map[string]bool{}
	for _, p := range k.Params {
		if p.Name == "" || seen[p.Name] {
			return fmt.Errorf("kind %s: empty or duplicate parameter %q", k.Type, p.Name)
		}
		seen[p.Name] = true
		if p.Default != "" {
			if _, err := p.parse(p.Default); err != nil {
				return fmt.Errorf("kind %s: default of %s %w", k.Type, p.Name, err)
			}
		}
	}
	return nil
}
