package shopifyfake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"syncops/clients/sandbox/dataset"
)

// bulkOperation is one bulk query and, once complete, its JSONL result.
type bulkOperation struct {
	id, number  string
	status      string
	query       string
	root        string // customers or productVariants
	doc         *ast.QueryDocument
	nodeSel     ast.SelectionSet
	filter      search
	rc          requestContext // version and base URL of the run request
	created     time.Time
	completed   time.Time
	file        []byte
	objectCount int
}

func (op *bulkOperation) object() map[string]any {
	m := map[string]any{
		"__typename":      "BulkOperation",
		"id":              op.id,
		"status":          op.status,
		"type":            "QUERY",
		"query":           op.query,
		"errorCode":       nil,
		"createdAt":       op.created.UTC().Format(time.RFC3339),
		"completedAt":     nil,
		"objectCount":     strconv.Itoa(op.objectCount),
		"rootObjectCount": strconv.Itoa(op.objectCount),
		"fileSize":        nil,
		"url":             nil,
		"partialDataUrl":  nil,
	}
	if op.status == "COMPLETED" {
		m["completedAt"] = op.completed.UTC().Format(time.RFC3339)
		if op.objectCount > 0 {
			m["fileSize"] = strconv.Itoa(len(op.file))
			m["url"] = op.rc.base + "/bulk/" + op.number + ".jsonl"
		}
	}
	return m
}

func bulkUserError(msg string) map[string]any {
	return map[string]any{"__typename": "UserError", "field": []any{"query"}, "message": msg}
}

func bulkPayload(op *bulkOperation, userErrors ...any) map[string]any {
	var o any
	if op != nil {
		o = op.object()
	}
	if userErrors == nil {
		userErrors = []any{}
	}
	return map[string]any{"__typename": "BulkOperationRunQueryPayload", "bulkOperation": o, "userErrors": userErrors}
}

// resolveBulkRun starts a bulk query over customers or productVariants.
// The caller holds s.mu.
func (s *Server) resolveBulkRun(rc *requestContext, f *ast.Field) (any, float64, error) {
	inner := stringArg(f, "query", rc.vars)
	doc, err := parser.ParseQuery(&ast.Source{Input: inner})
	if err != nil {
		return bulkPayload(nil, bulkUserError("Invalid bulk query: "+err.Error())), 0, nil
	}
	if len(doc.Operations) != 1 || len(doc.Operations[0].SelectionSet) != 1 {
		return bulkPayload(nil, bulkUserError("Bulk queries must have exactly one operation with one root field.")), 0, nil
	}
	root, ok := doc.Operations[0].SelectionSet[0].(*ast.Field)
	if !ok || (root.Name != "customers" && root.Name != "productVariants") {
		return bulkPayload(nil, bulkUserError("The sandbox runs bulk queries over customers or productVariants only.")), 0, nil
	}
	nodeSel := connectionNodeSelection(root)
	if nodeSel == nil {
		return bulkPayload(nil, bulkUserError("Bulk queries must contain at least one connection.")), 0, nil
	}
	// Check the selection against an empty record, as Shopify validates the
	// query before it starts.
	sample := customerObject(rc, &dataset.ShopifyCustomer{})
	if root.Name == "productVariants" {
		sample = variantObject(&dataset.ShopifyVariant{})
	}
	if _, err := project(doc, nodeSel, sample); err != nil {
		return bulkPayload(nil, bulkUserError("Invalid bulk query: "+err.Error())), 0, nil
	}
	running := 0
	for _, op := range s.bulkOps {
		s.advanceBulk(op)
		if op.status == "CREATED" || op.status == "RUNNING" {
			running++
		}
	}
	if running >= MaxConcurrentBulkQueries {
		return bulkPayload(nil, bulkUserError("A bulk query operation for this app and shop is already in progress.")), 0, nil
	}
	number := strconv.Itoa(len(s.bulkOps) + 1)
	op := &bulkOperation{
		id: "gid://shopify/BulkOperation/" + number, number: number, status: "CREATED",
		query: inner, root: root.Name, doc: doc, nodeSel: nodeSel,
		filter: parseSearch(stringArg(root, "query", nil)), rc: *rc, created: s.clock.Now(),
	}
	op.rc.vars = nil
	s.bulkOps = append(s.bulkOps, op)
	s.rec.BulkStarted++
	s.rec.BulkMaxRunning = max(s.rec.BulkMaxRunning, running+1)
	return bulkPayload(op), 0, nil
}

// connectionNodeSelection is the node selection of a connection field:
// edges { node { ... } } or nodes { ... }.
func connectionNodeSelection(f *ast.Field) ast.SelectionSet {
	for _, sel := range f.SelectionSet {
		child, ok := sel.(*ast.Field)
		if !ok {
			continue
		}
		switch child.Name {
		case "nodes":
			return child.SelectionSet
		case "edges":
			for _, s := range child.SelectionSet {
				if n, ok := s.(*ast.Field); ok && n.Name == "node" {
					return n.SelectionSet
				}
			}
		}
	}
	return nil
}

// advanceBulk completes op once BulkDelay has passed on the clock, writing
// its result file from the data as it is then. The caller holds s.mu.
func (s *Server) advanceBulk(op *bulkOperation) {
	if op.status == "CANCELING" {
		op.status = "CANCELED"
		return
	}
	if op.status != "CREATED" && op.status != "RUNNING" {
		return
	}
	now := s.clock.Now()
	if now.Sub(op.created) < s.opts.BulkDelay {
		op.status = "RUNNING"
		return
	}
	var objects []map[string]any
	switch op.root {
	case "customers":
		order := s.sortedCustomers()
		for _, i := range order {
			if c := &s.customers[i]; op.filter.customer(c) {
				objects = append(objects, customerObject(&op.rc, c))
			}
		}
	case "productVariants":
		for i := range s.variants {
			if v := &s.variants[i]; op.filter.variant(v) {
				objects = append(objects, variantObject(v))
			}
		}
	}
	var buf bytes.Buffer
	for _, obj := range objects {
		line, err := project(op.doc, op.nodeSel, obj)
		if err != nil {
			op.status = "FAILED"
			return
		}
		b, _ := json.Marshal(line)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	op.file = buf.Bytes()
	op.objectCount = len(objects)
	op.status = "COMPLETED"
	op.completed = now
}

// sortedCustomers lists customer positions by id, as bulk results come.
func (s *Server) sortedCustomers() []int {
	order := make([]int, len(s.customers))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Compare(gidNumber(string(s.customers[a].ID)), gidNumber(string(s.customers[b].ID)))
	})
	return order
}

// resolveBulkCancel starts cancelling a running bulk operation: it is
// CANCELING until the next time anyone looks, then CANCELED. One that has
// ended is refused with a user error, as Shopify does. The caller holds s.mu.
func (s *Server) resolveBulkCancel(rc *requestContext, f *ast.Field) (any, float64, error) {
	id := stringArg(f, "id", rc.vars)
	for _, op := range s.bulkOps {
		if op.id != id {
			continue
		}
		s.advanceBulk(op)
		if op.status != "CREATED" && op.status != "RUNNING" {
			return map[string]any{"__typename": "BulkOperationCancelPayload", "bulkOperation": op.object(),
				"userErrors": []any{map[string]any{"__typename": "UserError", "field": nil,
					"message": "A bulk operation cannot be canceled when it is " + lower(op.status) + "."}}}, 0, nil
		}
		op.status = "CANCELING"
		s.rec.BulkCancelled++
		return map[string]any{"__typename": "BulkOperationCancelPayload", "bulkOperation": op.object(), "userErrors": []any{}}, 0, nil
	}
	return map[string]any{"__typename": "BulkOperationCancelPayload", "bulkOperation": nil,
		"userErrors": []any{map[string]any{"__typename": "UserError", "field": []any{"id"}, "message": "Bulk operation does not exist"}}}, 0, nil
}

// resolveCustomersCount counts the customers matching the query argument.
// The caller holds s.mu.
func (s *Server) resolveCustomersCount(rc *requestContext, f *ast.Field) (any, float64, error) {
	filter := parseSearch(stringArg(f, "query", rc.vars))
	n := 0
	for i := range s.customers {
		if filter.customer(&s.customers[i]) {
			n++
		}
	}
	return map[string]any{"__typename": "Count", "count": n, "precision": "EXACT"}, 0, nil
}

// resolveVariantsCount counts the variants matching the query argument.
// The caller holds s.mu.
func (s *Server) resolveVariantsCount(rc *requestContext, f *ast.Field) (any, float64, error) {
	filter := parseSearch(stringArg(f, "query", rc.vars))
	n := 0
	for i := range s.variants {
		if filter.variant(&s.variants[i]) {
			n++
		}
	}
	return map[string]any{"__typename": "Count", "count": n, "precision": "EXACT"}, 0, nil
}
