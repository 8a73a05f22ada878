package shopifyfake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"syncops/clients/sandbox/dataset"
)

// bulkOperation is one bulk query and, once complete, its JSONL result.
type bulkOperation struct {
	id, number string
	kind       string // QUERY or MUTATION
	status     string
	// lines are a mutation's uploaded variables, one JSON object a line.
	lines       [][]byte
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
		"type":            op.kind,
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
		if op.kind == "QUERY" && (op.status == "CREATED" || op.status == "RUNNING") {
			running++
		}
	}
	if running >= MaxConcurrentBulkQueries {
		return bulkPayload(nil, bulkUserError("A bulk query operation for this app and shop is already in progress.")), 0, nil
	}
	number := strconv.Itoa(len(s.bulkOps) + 1)
	op := &bulkOperation{
		id: "gid://shopify/BulkOperation/" + number, number: number, kind: "QUERY", status: "CREATED",
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
	if op.kind == "MUTATION" {
		s.runBulkMutation(op, now)
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

// resolveStagedUploads hands out upload targets on this server for bulk
// mutation variables. The caller holds s.mu.
func (s *Server) resolveStagedUploads(rc *requestContext, f *ast.Field) (any, float64, error) {
	raw, _ := argValue(f, "input", rc.vars)
	inputs, _ := raw.([]any)
	targets := make([]any, 0, len(inputs))
	for _, in := range inputs {
		m, _ := in.(map[string]any)
		if m["resource"] != "BULK_MUTATION_VARIABLES" {
			return map[string]any{"__typename": "StagedUploadsCreatePayload", "stagedTargets": nil,
				"userErrors": []any{map[string]any{"__typename": "UserError", "field": []any{"input"},
					"message": "The sandbox stages bulk mutation variables only."}}}, 0, nil
		}
		s.stagedSeq++
		key := "tmp/bulk/" + strconv.Itoa(s.stagedSeq) + "/bulk_op_vars.jsonl"
		targets = append(targets, map[string]any{"__typename": "StagedMediaUploadTarget",
			"url": rc.base + stagedPrefix, "resourceUrl": nil,
			"parameters": []any{map[string]any{"__typename": "StagedUploadParameter", "name": "key", "value": key},
				map[string]any{"__typename": "StagedUploadParameter", "name": "Content-Type", "value": "text/jsonl"}}})
	}
	return map[string]any{"__typename": "StagedUploadsCreatePayload", "stagedTargets": targets, "userErrors": []any{}}, 0, nil
}

// stagedPrefix is where the fake takes staged uploads (multipart POSTs,
// as Shopify's storage does).
const stagedPrefix = "/staged-uploads"

// serveStagedUpload stores an uploaded file under its key.
func (s *Server) serveStagedUpload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		http.Error(w, "bad upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	key := r.FormValue("key")
	file, _, err := r.FormFile("file")
	if key == "" || err != nil {
		http.Error(w, "upload needs key and file", http.StatusBadRequest)
		return
	}
	defer file.Close()
	body, err := io.ReadAll(file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.staged[key] = body
	s.rec.StagedUploads++
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

// resolveBulkRunMutation starts a bulk mutation over staged variables:
// metafieldsSet or inventorySetQuantities, one call per line. One bulk
// mutation runs per shop at a time. The caller holds s.mu.
func (s *Server) resolveBulkRunMutation(rc *requestContext, f *ast.Field) (any, float64, error) {
	payload := func(op *bulkOperation, msg string) map[string]any {
		var o any
		if op != nil {
			o = op.object()
		}
		errs := []any{}
		if msg != "" {
			errs = append(errs, map[string]any{"__typename": "BulkMutationUserError", "field": nil, "message": msg, "code": nil})
		}
		return map[string]any{"__typename": "BulkOperationRunMutationPayload", "bulkOperation": o, "userErrors": errs}
	}
	text := stringArg(f, "mutation", rc.vars)
	doc, err := parser.ParseQuery(&ast.Source{Input: text})
	if err != nil || len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Mutation || len(doc.Operations[0].SelectionSet) != 1 {
		return payload(nil, "Invalid bulk mutation: one mutation with one field."), 0, nil
	}
	root, ok := doc.Operations[0].SelectionSet[0].(*ast.Field)
	if !ok || (root.Name != "metafieldsSet" && root.Name != "inventorySetQuantities") {
		return payload(nil, "The sandbox runs bulk mutations of metafieldsSet or inventorySetQuantities only."), 0, nil
	}
	body, ok := s.staged[stringArg(f, "stagedUploadPath", rc.vars)]
	if !ok {
		return payload(nil, "The staged upload path is not valid."), 0, nil
	}
	for _, op := range s.bulkOps {
		s.advanceBulk(op)
		if op.kind == "MUTATION" && (op.status == "CREATED" || op.status == "RUNNING") {
			return payload(nil, "A bulk mutation operation for this app and shop is already in progress."), 0, nil
		}
	}
	number := strconv.Itoa(len(s.bulkOps) + 1)
	op := &bulkOperation{id: "gid://shopify/BulkOperation/" + number, number: number, kind: "MUTATION", status: "CREATED",
		query: text, root: root.Name, doc: doc, rc: *rc, created: s.clock.Now()}
	op.rc.vars = nil
	for _, line := range bytes.Split(body, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			op.lines = append(op.lines, line)
		}
	}
	s.bulkOps = append(s.bulkOps, op)
	s.rec.BulkMutations++
	return payload(op, ""), 0, nil
}

// runBulkMutation runs every line of a bulk mutation, as Shopify does once
// it gets to it, and writes one result line per input line. The caller
// holds s.mu.
func (s *Server) runBulkMutation(op *bulkOperation, now time.Time) {
	var buf bytes.Buffer
	for i, line := range op.lines {
		result := map[string]any{"__lineNumber": i}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var vars map[string]any
		if err := dec.Decode(&vars); err != nil {
			result["errors"] = []any{map[string]any{"message": "Invalid JSON on line " + strconv.Itoa(i)}}
		} else {
			rc := op.rc
			rc.vars, rc.doc = vars, op.doc
			data, _, errs := s.execute(&rc, op.doc.Operations[0])
			result["data"] = data
			if len(errs) > 0 {
				list := make([]any, len(errs))
				for k, e := range errs {
					list[k] = e.wire()
				}
				result["errors"] = list
			}
		}
		b, _ := json.Marshal(result)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	op.file = buf.Bytes()
	op.objectCount = len(op.lines)
	op.status = "COMPLETED"
	op.completed = now
}
