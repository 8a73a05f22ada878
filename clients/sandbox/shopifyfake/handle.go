package shopifyfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"syncops/clients/sandbox/fault"
)

// gqlError is one entry of a reply's errors[].
type gqlError struct {
	Message string
	Code    string
	Path    []any
}

func (e *gqlError) Error() string { return e.Message }

func (e *gqlError) wire() map[string]any {
	out := map[string]any{"message": e.Message}
	if e.Code != "" {
		out["extensions"] = map[string]any{"code": e.Code}
	}
	if e.Path != nil {
		out["path"] = e.Path
	}
	return out
}

func errorsReply(errs ...*gqlError) map[string]any {
	list := make([]any, len(errs))
	for i, e := range errs {
		list[i] = e.wire()
	}
	return map[string]any{"errors": list}
}

// resolver answers one top-level field. It returns the field's value as a
// tree of map[string]any / []any / scalars, which the selection set is
// then projected from, and the points to refund (requested objects not
// returned).
type resolver func(rc *requestContext, f *ast.Field) (value any, refund float64, err error)

// handle runs one GraphQL request. It returns the HTTP status and reply,
// and the fault to answer with instead (Kind None for none).
func (s *Server) handle(r *http.Request, version string, body []byte) (int, any, ScriptedFault) {
	var req struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil || req.Query == "" {
		return http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": "Required parameter missing or invalid"}}, ScriptedFault{}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil {
		return http.StatusOK, errorsReply(&gqlError{Message: err.Error(), Code: "parseError"}), ScriptedFault{}
	}
	op, gerr := pickOperation(doc, req.OperationName)
	if gerr != nil {
		return http.StatusOK, errorsReply(gerr), ScriptedFault{}
	}
	top := topFieldName(op)
	rc := &requestContext{version: version, base: baseURL(r), vars: req.Variables, doc: doc}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.bucket.refill(now)
	s.rec.Requests++
	if s.rec.FirstRequest.IsZero() {
		s.rec.FirstRequest = now
		s.rec.InitialAvailable = s.bucket.available
	}
	s.rec.LastRequest = now
	if op.Operation == ast.Mutation {
		s.rec.Mutations++
	}
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			s.rec.Operations[f.Name]++
		}
	}
	injected := s.drawFault(top)

	requested := requestedCost(op, req.Variables)
	if requested > s.opts.MaxQueryCost {
		reply := errorsReply(&gqlError{
			Message: fmt.Sprintf("Query cost is %.0f, which exceeds the single query max cost limit (%.0f).", requested, s.opts.MaxQueryCost),
			Code:    "MAX_COST_EXCEEDED",
		})
		reply["extensions"] = map[string]any{"cost": s.costExtension(requested, nil)}
		return http.StatusOK, reply, ScriptedFault{}
	}
	if injected.Kind == fault.Throttle || s.bucket.available < requested {
		if injected.Kind != fault.Throttle {
			s.rec.Throttles++
		}
		reply := errorsReply(&gqlError{Message: "Throttled", Code: "THROTTLED"})
		reply["extensions"] = map[string]any{"cost": s.costExtension(requested, nil)}
		return http.StatusOK, reply, ScriptedFault{}
	}
	if injected.Kind != fault.None && !injected.AfterApply {
		// The request never reached the API proper: nothing charged, nothing run.
		return http.StatusOK, map[string]any{"data": map[string]any{top: nil}}, injected
	}

	s.bucket.available -= requested
	data, refund, errs := s.execute(rc, op)
	if data == nil {
		refund = requested // nothing ran
	}
	refund = math.Min(refund, requested)
	s.bucket.available = math.Min(s.bucket.max, s.bucket.available+refund)
	actual := requested - refund
	s.rec.Points += actual

	reply := map[string]any{"data": data}
	if len(errs) > 0 {
		reply = errorsReply(errs...)
		if data != nil {
			reply["data"] = data
		}
	}
	reply["extensions"] = map[string]any{"cost": s.costExtension(requested, &actual)}
	return http.StatusOK, reply, injected
}

// drawFault picks the fault for a request: a scripted one first, else a
// random one. The caller holds s.mu.
func (s *Server) drawFault(top string) ScriptedFault {
	f, ok := s.takeScripted(top)
	if !ok {
		f = ScriptedFault{Kind: s.opts.Faults.Next()}
	}
	if f.Kind == fault.Lock { // Nhanh's kind; Shopify has no such reply
		f.Kind = fault.None
	}
	if f.Kind != fault.None {
		s.rec.InjectedFaults[f.Kind]++
	}
	return f
}

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *gqlError) {
	switch {
	case name != "":
		if op := doc.Operations.ForName(name); op != nil {
			return op, nil
		}
		return nil, &gqlError{Message: "No operation named \"" + name + "\""}
	case len(doc.Operations) == 1:
		return doc.Operations[0], nil
	case len(doc.Operations) == 0:
		return nil, &gqlError{Message: "No operations in query document"}
	}
	return nil, &gqlError{Message: "An operation name is required"}
}

func topFieldName(op *ast.OperationDefinition) string {
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			return f.Name
		}
	}
	return ""
}

// execute resolves every top-level field of op. The caller holds s.mu.
func (s *Server) execute(rc *requestContext, op *ast.OperationDefinition) (map[string]any, float64, []*gqlError) {
	resolvers, root := s.queryResolvers(), "QueryRoot"
	if op.Operation == ast.Mutation {
		resolvers, root = s.mutationResolvers(), "Mutation"
	} else if op.Operation == ast.Subscription {
		return nil, 0, []*gqlError{{Message: "Subscriptions are not supported"}}
	}
	data := map[string]any{}
	var refund float64
	var errs []*gqlError
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok {
			return nil, 0, []*gqlError{{Message: "Fragments on the root type are not supported by the fake"}}
		}
		key := responseKey(f)
		if f.Name == "__typename" {
			data[key] = root
			continue
		}
		resolve, ok := resolvers[f.Name]
		if !ok {
			return nil, 0, []*gqlError{undefinedField(root, f.Name)}
		}
		value, ref, err := resolve(rc, f)
		if err != nil {
			ge, ok := err.(*gqlError)
			if !ok {
				ge = &gqlError{Message: err.Error()}
			}
			ge.Path = []any{key}
			errs = append(errs, ge)
			data[key] = nil
			continue
		}
		refund += ref
		projected, err := project(rc.doc, f.SelectionSet, value)
		if err != nil {
			// A selection the schema does not have: Shopify refuses the
			// whole document before running it.
			return nil, 0, []*gqlError{err.(*gqlError)}
		}
		data[key] = projected
	}
	return data, refund, errs
}

func responseKey(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

func undefinedField(typeName any, field string) *gqlError {
	return &gqlError{
		Message: fmt.Sprintf("Field '%s' doesn't exist on type '%v'", field, typeName),
		Code:    "undefinedField",
	}
}

// project picks the selected fields out of a resolved value.
func project(doc *ast.QueryDocument, set ast.SelectionSet, v any) (any, error) {
	switch val := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]any, len(val))
		for i, elem := range val {
			p, err := project(doc, set, elem)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case map[string]any:
		out := map[string]any{}
		if err := projectInto(doc, set, val, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, &gqlError{Message: "Selections can't be made on scalars", Code: "selectionMismatch"}
}

func projectInto(doc *ast.QueryDocument, set ast.SelectionSet, obj, out map[string]any) error {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			key := responseKey(sel)
			if sel.Name == "__typename" {
				out[key] = obj["__typename"]
				continue
			}
			fv, ok := obj[sel.Name]
			if !ok {
				return undefinedField(obj["__typename"], sel.Name)
			}
			if fn, isFunc := fv.(fieldFunc); isFunc {
				fv = fn(sel)
			}
			if len(sel.SelectionSet) == 0 {
				if isObject(fv) {
					return &gqlError{Message: fmt.Sprintf("Field must have selections (field '%s' returns an object but has no selections)", sel.Name), Code: "selectionMismatch"}
				}
				out[key] = fv
				continue
			}
			p, err := project(doc, sel.SelectionSet, fv)
			if err != nil {
				return err
			}
			out[key] = p
		case *ast.InlineFragment:
			if typeMatches(sel.TypeCondition, obj) {
				if err := projectInto(doc, sel.SelectionSet, obj, out); err != nil {
					return err
				}
			}
		case *ast.FragmentSpread:
			def := doc.Fragments.ForName(sel.Name)
			if def == nil {
				return &gqlError{Message: "Fragment " + sel.Name + " was used, but not defined"}
			}
			if typeMatches(def.TypeCondition, obj) {
				if err := projectInto(doc, def.SelectionSet, obj, out); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// typeMatches reports whether a fragment on cond applies to obj. Every
// object the fake serves with an id is a Node.
func typeMatches(cond string, obj map[string]any) bool {
	if cond == "" || cond == obj["__typename"] {
		return true
	}
	_, hasID := obj["id"]
	return cond == "Node" && hasID
}

func isObject(v any) bool {
	switch val := v.(type) {
	case map[string]any:
		return true
	case []any:
		return len(val) > 0 && isObject(val[0])
	}
	return false
}

// argValue resolves argument name of f against the variables.
func argValue(f *ast.Field, name string, vars map[string]any) (any, bool) {
	arg := f.Arguments.ForName(name)
	if arg == nil {
		return nil, false
	}
	v, err := arg.Value.Value(vars)
	if err != nil {
		return nil, false
	}
	return v, v != nil
}

func intArg(f *ast.Field, name string, vars map[string]any) (int64, bool) {
	v, ok := argValue(f, name, vars)
	if !ok {
		return 0, false
	}
	return toInt(v)
}

func stringArg(f *ast.Field, name string, vars map[string]any) string {
	v, _ := argValue(f, name, vars)
	s, _ := v.(string)
	return s
}

func boolArg(f *ast.Field, name string, vars map[string]any) bool {
	v, _ := argValue(f, name, vars)
	b, _ := v.(bool)
	return b
}

// toInt reads an integer from a parsed literal or a JSON variable.
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) {
			return int64(n), true
		}
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	}
	return 0, false
}

func itoa(n int) string { return strconv.Itoa(n) }
