package shopifyfake

import (
	"slices"
	"sort"

	"github.com/vektah/gqlparser/v2/ast"

	"syncops/clients/extid"
)

// What a shop's setup looks like to an app: the scopes its installation was
// granted, the metafield definitions, and which locations are active. The
// defaults are a correctly set-up shop; the setters misconfigure it on
// purpose, so that every check of `syncops doctor` can be seen failing.

// DefaultAccessScopes are the scopes the sandbox app is installed with:
// everything syncops needs.
var DefaultAccessScopes = []string{"read_customers", "write_customers", "read_products", "read_inventory",
	"write_inventory", "read_locations"}

// DefinitionNamespace, DefinitionKey and DefinitionType describe the
// customer metafield definition the sandbox shop starts with.
const (
	DefinitionNamespace = "custom"
	DefinitionKey       = "total_spent"
	DefinitionType      = "number_integer"
)

// metafieldTypes are the definition types the fake accepts on create.
var metafieldTypes = map[string]bool{"number_integer": true, "number_decimal": true, "single_line_text_field": true,
	"multi_line_text_field": true, "json": true, "boolean": true, "date": true, "date_time": true, "money": true}

// setupState is the shop's setup. Its zero value is a correct setup
// (see init); the caller holds s.mu for every access.
type setupState struct {
	started     bool
	scopes      []string
	definitions []definition
	inactive    map[extid.ShopifyLocationGID]bool
	nextID      int
}

type definition struct {
	id, name, ownerType, namespace, key, typ string
}

func (st *setupState) init() *setupState {
	if !st.started {
		st.started = true
		st.scopes = slices.Clone(DefaultAccessScopes)
		st.inactive = map[extid.ShopifyLocationGID]bool{}
		st.nextID = 1
		st.definitions = []definition{{id: "gid://shopify/MetafieldDefinition/1", name: "Total spent", ownerType: "CUSTOMER",
			namespace: DefinitionNamespace, key: DefinitionKey, typ: DefinitionType}}
	}
	return st
}

// RemoveAccessScope takes a scope away from the app's installation.
func (s *Server) RemoveAccessScope(handle string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.setup.init()
	st.scopes = slices.DeleteFunc(st.scopes, func(h string) bool { return h == handle })
}

// DeleteMetafieldDefinition removes the definition of ownerType, namespace
// and key, if any.
func (s *Server) DeleteMetafieldDefinition(ownerType, namespace, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.setup.init()
	st.definitions = slices.DeleteFunc(st.definitions, func(d definition) bool {
		return d.ownerType == ownerType && d.namespace == namespace && d.key == key
	})
}

// SetMetafieldDefinitionType changes the type of a definition (creating it
// when missing), as a merchant who made it by hand with another type would.
func (s *Server) SetMetafieldDefinitionType(ownerType, namespace, key, typ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.setup.init()
	for i := range st.definitions {
		d := &st.definitions[i]
		if d.ownerType == ownerType && d.namespace == namespace && d.key == key {
			d.typ = typ
			return
		}
	}
	st.nextID++
	st.definitions = append(st.definitions, definition{id: "gid://shopify/MetafieldDefinition/" + itoa(st.nextID),
		name: namespace + "." + key, ownerType: ownerType, namespace: namespace, key: key, typ: typ})
}

// MetafieldDefinitionType returns the type of a definition and whether it
// exists, so tests can read back what a fix created.
func (s *Server) MetafieldDefinitionType(ownerType, namespace, key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.setup.init().definitions {
		if d.ownerType == ownerType && d.namespace == namespace && d.key == key {
			return d.typ, true
		}
	}
	return "", false
}

// SetLocationActive activates or deactivates a location.
func (s *Server) SetLocationActive(id extid.ShopifyLocationGID, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setup.init().inactive[id] = !active
}

// locationActive reports whether a location is active. The caller holds s.mu.
func (s *Server) locationActive(id extid.ShopifyLocationGID) bool {
	return !s.setup.init().inactive[id]
}

func (s *Server) resolveAppInstallation(*requestContext, *ast.Field) (any, float64, error) {
	st := s.setup.init()
	scopes := make([]any, 0, len(st.scopes))
	for _, h := range st.scopes {
		scopes = append(scopes, map[string]any{"__typename": "AccessScope", "handle": h, "description": h})
	}
	return map[string]any{"__typename": "AppInstallation", "id": "gid://shopify/AppInstallation/1", "accessScopes": scopes}, 0, nil
}

func (d definition) object() map[string]any {
	return map[string]any{"__typename": "MetafieldDefinition", "id": d.id, "name": d.name, "namespace": d.namespace,
		"key": d.key, "ownerType": d.ownerType, "type": map[string]any{"__typename": "MetafieldDefinitionType", "name": d.typ}}
}

func (s *Server) resolveMetafieldDefinitions(rc *requestContext, f *ast.Field) (any, float64, error) {
	first, _, _, err := pageArgs(f, rc.vars)
	if err != nil {
		return nil, 0, err
	}
	owner := stringArg(f, "ownerType", rc.vars)
	if owner == "" {
		return nil, 0, &gqlError{Message: "Field 'metafieldDefinitions' is missing required arguments: ownerType", Code: "missingRequiredArguments"}
	}
	ns, key := stringArg(f, "namespace", rc.vars), stringArg(f, "key", rc.vars)
	var matched []definition
	for _, d := range s.setup.init().definitions {
		if d.ownerType == owner && (ns == "" || d.namespace == ns) && (key == "" || d.key == key) {
			matched = append(matched, d)
		}
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].id < matched[j].id })
	if int64(len(matched)) > first {
		matched = matched[:first]
	}
	nodes := make([]any, 0, len(matched))
	for _, d := range matched {
		nodes = append(nodes, d.object())
	}
	return map[string]any{"__typename": "MetafieldDefinitionConnection", "nodes": nodes,
		"pageInfo": map[string]any{"__typename": "PageInfo", "hasNextPage": false, "hasPreviousPage": false}}, float64(first - int64(len(nodes))), nil
}

func (s *Server) resolveMetafieldDefinitionCreate(rc *requestContext, f *ast.Field) (any, float64, error) {
	raw, _ := argValue(f, "definition", rc.vars)
	in, _ := raw.(map[string]any)
	d := definition{name: str(in["name"]), ownerType: str(in["ownerType"]), namespace: str(in["namespace"]), key: str(in["key"]), typ: str(in["type"])}
	fail := func(field, code, msg string) (any, float64, error) {
		return map[string]any{"__typename": "MetafieldDefinitionCreatePayload", "createdDefinition": nil, "userErrors": []any{
			map[string]any{"__typename": "MetafieldDefinitionCreateUserError", "field": []any{"definition", field}, "code": code, "message": msg},
		}}, 0, nil
	}
	switch {
	case d.name == "":
		return fail("name", "BLANK", "Name can't be blank.")
	case !metafieldTypes[d.typ]:
		return fail("type", "INCLUSION", "Type name is not a valid type.")
	case d.ownerType == "":
		return fail("ownerType", "BLANK", "Owner type can't be blank.")
	}
	st := s.setup.init()
	for _, x := range st.definitions {
		if x.ownerType == d.ownerType && x.namespace == d.namespace && x.key == d.key {
			return fail("key", "TAKEN", "Key is in use for "+lower(d.ownerType)+" metafields on the 'namespace' namespace.")
		}
	}
	st.nextID++
	d.id = "gid://shopify/MetafieldDefinition/" + itoa(st.nextID+100)
	st.definitions = append(st.definitions, d)
	return map[string]any{"__typename": "MetafieldDefinitionCreatePayload", "createdDefinition": d.object(), "userErrors": []any{}}, 0, nil
}
