package shopifyfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
)

// The caller of every resolver holds s.mu.

func (s *Server) mutationResolvers() map[string]resolver {
	return map[string]resolver{
		"metafieldsSet":            s.resolveMetafieldsSet,
		"inventorySetQuantities":   s.resolveInventorySet,
		"bulkOperationRunQuery":    s.resolveBulkRun,
		"bulkOperationCancel":      s.resolveBulkCancel,
		"stagedUploadsCreate":      s.resolveStagedUploads,
		"bulkOperationRunMutation": s.resolveBulkRunMutation,
		"inventoryActivate":        s.resolveInventoryActivate,
		// setup.go
		"metafieldDefinitionCreate": s.resolveMetafieldDefinitionCreate,
	}
}

// inventoryReasons are the reasons inventorySetQuantities accepts.
var inventoryReasons = map[string]bool{
	"correction": true, "cycle_count_available": true, "damaged": true, "movement_created": true,
	"movement_updated": true, "movement_received": true, "movement_canceled": true, "other": true,
	"promotion": true, "quality_control": true, "received": true, "reservation_created": true,
	"reservation_deleted": true, "reservation_updated": true, "restock": true, "safety_stock": true,
	"shrinkage": true,
}

// maxInventoryQuantity is the largest quantity Shopify lets you set.
const maxInventoryQuantity = 1_000_000_000

var (
	handlePattern  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	integerPattern = regexp.MustCompile(`^[-+]?\d+$`)
	decimalPattern = regexp.MustCompile(`^[-+]?\d+(\.\d+)?$`)
)

// maxSafeInteger bounds number_integer values, as Shopify does.
const maxSafeInteger = 9_007_199_254_740_991

func metafieldUserError(field []any, code, msg string, index any) map[string]any {
	return map[string]any{"__typename": "MetafieldsSetUserError", "field": field, "code": code, "message": msg, "elementIndex": index}
}

func (s *Server) resolveMetafieldsSet(rc *requestContext, f *ast.Field) (any, float64, error) {
	raw, _ := argValue(f, "metafields", rc.vars)
	list, _ := raw.([]any)
	if len(list) > MaxMetafieldsPerCall {
		return map[string]any{"__typename": "MetafieldsSetPayload", "metafields": nil, "userErrors": []any{
			metafieldUserError([]any{"metafields"}, "LESS_THAN_OR_EQUAL_TO", fmt.Sprintf("Exceeded the maximum metafields input limit of %d.", MaxMetafieldsPerCall), nil),
		}}, 0, nil
	}
	type write struct {
		owner, namespace, key, typ, value string
	}
	writes := make([]write, len(list))
	var userErrors []any
	for i, item := range list {
		in, _ := item.(map[string]any)
		w := write{owner: str(in["ownerId"]), namespace: str(in["namespace"]), key: str(in["key"]), typ: str(in["type"]), value: str(in["value"])}
		writes[i] = w
		field := func(name string) []any { return []any{"metafields", strconv.Itoa(i), name} }
		fail := func(name, code, msg string) {
			userErrors = append(userErrors, metafieldUserError(field(name), code, msg, i))
		}
		existing, ownerOK := s.metafieldOwner(w.owner)
		switch {
		case !ownerOK:
			fail("ownerId", "INVALID_VALUE", "Owner does not exist.")
		case len(w.namespace) < 3 || len(w.namespace) > 255 || !handlePattern.MatchString(w.namespace):
			fail("namespace", "INVALID_VALUE", "Namespace must be 3-255 characters of letters, digits, - and _.")
		case len(w.key) < 3 || len(w.key) > 64 || !handlePattern.MatchString(w.key):
			fail("key", "INVALID_VALUE", "Key must be 3-64 characters of letters, digits, - and _.")
		case w.typ == "":
			fail("type", "BLANK", "Type can't be blank.")
		default:
			prev, had := existing[w.namespace+"."+w.key]
			if had && prev.Type != w.typ {
				fail("type", "INVALID_TYPE", fmt.Sprintf("Type can't be changed from %s to %s.", prev.Type, w.typ))
			} else if code, msg := checkMetafieldValue(w.typ, w.value); code != "" {
				fail(valueOrType(code), code, msg)
			} else if digest, ok := in["compareDigest"]; ok && !digestMatches(digest, prev, had) {
				fail("compareDigest", "STALE_OBJECT", "The resource has been updated since it was loaded. Try again with an updated `compareDigest` value.")
			}
		}
	}
	if len(userErrors) > 0 {
		// Atomic: one bad input and nothing is saved.
		return map[string]any{"__typename": "MetafieldsSetPayload", "metafields": nil, "userErrors": userErrors}, 0, nil
	}
	now := rfc3339(s.clock.Now().Unix())
	saved := make([]any, 0, len(writes))
	for _, w := range writes {
		s.storeMetafield(w.owner, w.namespace+"."+w.key, dataset.Metafield{Type: w.typ, Value: w.value})
		s.rec.MetafieldWrites = append(s.rec.MetafieldWrites, MetafieldWrite{OwnerID: w.owner, Namespace: w.namespace, Key: w.key, Type: w.typ, Value: w.value})
		saved = append(saved, map[string]any{
			"__typename": "Metafield", "id": fmt.Sprintf("gid://shopify/Metafield/%d", len(s.rec.MetafieldWrites)),
			"namespace": w.namespace, "key": w.key, "type": w.typ, "value": w.value,
			"compareDigest": digestOf(w.value), "createdAt": now, "updatedAt": now,
		})
	}
	return map[string]any{"__typename": "MetafieldsSetPayload", "metafields": saved, "userErrors": []any{}}, 0, nil
}

func valueOrType(code string) string {
	if code == "INVALID_TYPE" {
		return "type"
	}
	return "value"
}

// metafieldOwner returns the metafields of the owner GID; owners other than
// customers are accepted (variants) but their metafields are not kept.
func (s *Server) metafieldOwner(owner string) (map[string]dataset.Metafield, bool) {
	if i, ok := s.customerByID[extid.ShopifyCustomerGID(owner)]; ok {
		return s.customers[i].Metafields, true
	}
	_, ok := s.variantByID[extid.ShopifyVariantGID(owner)]
	return nil, ok
}

func (s *Server) storeMetafield(owner, nsKey string, m dataset.Metafield) {
	i, ok := s.customerByID[extid.ShopifyCustomerGID(owner)]
	if !ok {
		return
	}
	if s.customers[i].Metafields == nil {
		s.customers[i].Metafields = map[string]dataset.Metafield{}
	}
	s.customers[i].Metafields[nsKey] = m
}

// checkMetafieldValue validates value for type the way Shopify does for the
// types syncops may write; it returns a userError code and message.
func checkMetafieldValue(typ, value string) (string, string) {
	switch typ {
	case "number_integer":
		n, err := strconv.ParseInt(value, 10, 64)
		if !integerPattern.MatchString(value) || err != nil || n > maxSafeInteger || n < -maxSafeInteger {
			return "INVALID_VALUE", "Value must be an integer."
		}
	case "number_decimal":
		if !decimalPattern.MatchString(value) {
			return "INVALID_VALUE", "Value must be a decimal."
		}
	case "boolean":
		if value != "true" && value != "false" {
			return "INVALID_VALUE", "Value must be true or false."
		}
	case "json":
		if !json.Valid([]byte(value)) {
			return "INVALID_VALUE", "Value must be valid JSON."
		}
	case "single_line_text_field":
		if strings.ContainsAny(value, "\r\n") {
			return "INVALID_VALUE", "Value must be a single line of text."
		}
	case "date":
		if _, err := time.Parse("2006-01-02", value); err != nil {
			return "INVALID_VALUE", "Value must be a date (YYYY-MM-DD)."
		}
	case "date_time":
		if _, err := time.Parse("2006-01-02T15:04:05", strings.TrimSuffix(value, "Z")); err != nil {
			return "INVALID_VALUE", "Value must be a date and time."
		}
	case "multi_line_text_field", "url", "color", "money", "rating", "weight", "volume", "dimension":
	default:
		return "INVALID_TYPE", "Type '" + typ + "' is not a valid metafield type."
	}
	return "", ""
}

func digestOf(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// digestMatches checks compareDigest: null means "must not exist yet".
func digestMatches(digest any, prev dataset.Metafield, had bool) bool {
	if digest == nil {
		return !had
	}
	return had && str(digest) == digestOf(prev.Value)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// idempotentResult is what an idempotency key produced the first time.
type idempotentResult struct {
	inputHash string
	payload   map[string]any
}

func inventoryUserError(field []any, code, msg string) map[string]any {
	return map[string]any{"__typename": "InventorySetQuantitiesUserError", "field": field, "code": code, "message": msg}
}

func (s *Server) resolveInventorySet(rc *requestContext, f *ast.Field) (any, float64, error) {
	key := ""
	if d := f.Directives.ForName("idempotent"); d != nil {
		if arg := d.Arguments.ForName("key"); arg != nil {
			v, _ := arg.Value.Value(rc.vars)
			key = str(v)
		}
	}
	if key == "" && rc.versionAtLeast("2026-04") {
		return nil, 0, &gqlError{Message: "The @idempotent directive with a key is required for inventorySetQuantities from API version 2026-04.", Code: "BAD_REQUEST"}
	}
	raw, _ := argValue(f, "input", rc.vars)
	input, _ := raw.(map[string]any)
	quantities, _ := input["quantities"].([]any)
	if len(quantities) > MaxInputArray {
		return nil, 0, &gqlError{Message: fmt.Sprintf("The input array size of %d is greater than the maximum allowed of %d.", len(quantities), MaxInputArray), Code: "MAX_INPUT_SIZE_EXCEEDED"}
	}
	hash := canonicalHash(input)
	if key != "" {
		s.rec.IdempotencyKeys = append(s.rec.IdempotencyKeys, key)
		if prev, ok := s.idempotency[key]; ok {
			if prev.inputHash != hash {
				return inventoryPayload(nil, inventoryUserError([]any{"idempotencyKey"}, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "The same idempotency key was used with different parameters.")), 0, nil
			}
			s.rec.IdempotentReplays++
			return prev.payload, 0, nil
		}
	}
	payload := s.applyInventory(rc, input, quantities, key)
	if key != "" {
		s.idempotency[key] = idempotentResult{inputHash: hash, payload: payload}
	}
	return payload, 0, nil
}

type inventoryChange struct {
	variant  int
	location extid.ShopifyLocationGID
	quantity int64
}

// applyInventory validates every quantity and applies all of them, or none.
func (s *Server) applyInventory(rc *requestContext, input map[string]any, quantities []any, key string) map[string]any {
	var userErrors []any
	if name := str(input["name"]); name != "available" {
		userErrors = append(userErrors, inventoryUserError([]any{"input", "name"}, "INVALID_NAME", "The quantity name must be 'available' in this sandbox."))
	}
	if reason := str(input["reason"]); !inventoryReasons[reason] {
		userErrors = append(userErrors, inventoryUserError([]any{"input", "reason"}, "INVALID_REASON", "The specified reason is invalid."))
	}
	changes := make([]inventoryChange, 0, len(quantities))
	seen := map[[2]string]bool{}
	for i, raw := range quantities {
		q, _ := raw.(map[string]any)
		field := func(name string) []any { return []any{"input", "quantities", strconv.Itoa(i), name} }
		fail := func(name, code, msg string) {
			userErrors = append(userErrors, inventoryUserError(field(name), code, msg))
		}
		item, loc := str(q["inventoryItemId"]), extid.ShopifyLocationGID(str(q["locationId"]))
		vi, itemOK := s.variantByItem[extid.ShopifyInventoryItemGID(item)]
		_, locOK := s.locationByID[loc]
		quantity, qOK := toInt(q["quantity"])
		from, hasFrom := q["changeFromQuantity"]
		switch {
		case !itemOK:
			fail("inventoryItemId", "INVALID_INVENTORY_ITEM", "The specified inventory item could not be found.")
		case !locOK:
			fail("locationId", "INVALID_LOCATION", "The specified location could not be found.")
		case slices.Contains(s.variants[vi].NotStockedAt, loc):
			fail("locationId", "ITEM_NOT_STOCKED_AT_LOCATION", "The specified inventory item is not stocked at the location.")
		case seen[[2]string{item, string(loc)}]:
			fail("inventoryItemId", "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", "The combination of inventoryItemId and locationId must be unique.")
		case !qOK || quantity < 0:
			fail("quantity", "INVALID_QUANTITY_NEGATIVE", "The quantity can't be negative.")
		case quantity > maxInventoryQuantity:
			fail("quantity", "INVALID_QUANTITY_TOO_HIGH", "The quantity can't be higher than 1,000,000,000.")
		case !hasFrom && rc.versionAtLeast("2026-04"):
			fail("changeFromQuantity", "CHANGE_FROM_QUANTITY_REQUIRED", "changeFromQuantity is required; pass null to skip the check.")
		case hasFrom && from != nil && !equalInt(from, s.variants[vi].Available[loc]):
			fail("changeFromQuantity", "CHANGE_FROM_QUANTITY_STALE", fmt.Sprintf("The quantity changed: it is %d, not the changeFromQuantity given.", s.variants[vi].Available[loc]))
		default:
			changes = append(changes, inventoryChange{variant: vi, location: loc, quantity: quantity})
		}
		seen[[2]string{item, string(loc)}] = true
	}
	if len(userErrors) > 0 {
		return inventoryPayload(nil, userErrors...)
	}
	s.groupSeq++
	wire := make([]any, 0, len(changes))
	for _, c := range changes {
		v := &s.variants[c.variant]
		prev := v.Available[c.location]
		v.Available[c.location] = c.quantity
		write := InventoryWrite{
			InventoryItemID: v.InventoryItemID, LocationID: c.location, Previous: prev, Quantity: c.quantity, IdempotencyKey: key,
		}
		s.rec.InventoryWrites = append(s.rec.InventoryWrites, write)
		if v.Untracked {
			s.rec.UntrackedWrites = append(s.rec.UntrackedWrites, write)
		}
		wire = append(wire, map[string]any{"__typename": "InventoryChange", "name": "available", "delta": c.quantity - prev, "quantityAfterChange": c.quantity})
	}
	group := map[string]any{
		"__typename":           "InventoryAdjustmentGroup",
		"id":                   fmt.Sprintf("gid://shopify/InventoryAdjustmentGroup/%d", s.groupSeq),
		"reason":               str(input["reason"]),
		"referenceDocumentUri": input["referenceDocumentUri"],
		"createdAt":            rfc3339(s.clock.Now().Unix()),
		"changes":              wire,
	}
	return inventoryPayload(group)
}

func inventoryPayload(group map[string]any, userErrors ...any) map[string]any {
	var g any
	if group != nil {
		g = group
	}
	if userErrors == nil {
		userErrors = []any{}
	}
	return map[string]any{"__typename": "InventorySetQuantitiesPayload", "inventoryAdjustmentGroup": g, "userErrors": userErrors}
}

func equalInt(v any, want int64) bool {
	n, ok := toInt(v)
	return ok && n == want
}

// canonicalHash fingerprints an input: encoding/json sorts map keys.
func canonicalHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
