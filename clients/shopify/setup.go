package shopify

import (
	"context"
	"fmt"
	"net/http"

	"syncops/clients/apierr"
	"syncops/clients/extid"
)

// The setup reads and the one setup write the doctor and `syncops init`
// need: the app's access scopes, the shop, every location with its active
// flag, and the customer metafield definition that lifetime spend is
// written to.

// shopDocument is the cheapest authenticated read: it proves the shop, the
// token and the API version in one call.
const shopDocument = `query Shop {
  shop { name myshopifyDomain }
}`

// accessScopesDocument reads the scopes granted to this app's installation.
const accessScopesDocument = `query AccessScopes {
  currentAppInstallation { accessScopes { handle } }
}`

// metafieldDefinitionDocument finds one definition by owner type,
// namespace and key.
const metafieldDefinitionDocument = `query MetafieldDefinition($ownerType: MetafieldOwnerType!, $namespace: String!, $key: String!) {
  metafieldDefinitions(first: 1, ownerType: $ownerType, namespace: $namespace, key: $key) {
    nodes { id name namespace key ownerType type { name } }
  }
}`

const metafieldDefinitionCreateDocument = `mutation MetafieldDefinitionCreate($definition: MetafieldDefinitionInput!) {
  metafieldDefinitionCreate(definition: $definition) {
    createdDefinition { id name namespace key ownerType type { name } }
    userErrors { field message code }
  }
}`

// allLocationsDocument lists active and inactive locations alike, so a
// mapping to a deactivated location can be told from one to a deleted one.
const allLocationsDocument = `query AllLocations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true, sortKey: ID) {
    nodes { id name isActive }
    pageInfo { hasNextPage endCursor }
  }
}`

var (
	opShop                      = operation{name: "shop", document: shopDocument, cost: 1}
	opAccessScopes              = operation{name: "currentAppInstallation", document: accessScopesDocument, cost: 2}
	opMetafieldDefinition       = operation{name: "metafieldDefinitions", document: metafieldDefinitionDocument, cost: 2 + 1 + 1}
	opMetafieldDefinitionCreate = operation{name: "metafieldDefinitionCreate", document: metafieldDefinitionCreateDocument, cost: mutationCost}
	opAllLocations              = operation{name: "locations", document: allLocationsDocument, cost: 2 + PageSize}
)

// setupDocuments are the operations of this file, for the schema test.
var setupDocuments = []operation{opShop, opAccessScopes, opMetafieldDefinition, opMetafieldDefinitionCreate, opAllLocations}

// Shop is the shop the token opens.
type Shop struct {
	Name   string `json:"name"`
	Domain string `json:"myshopifyDomain"`
}

// Shop reads the shop's name and permanent domain.
func (c *Client) Shop(ctx context.Context) (Shop, error) {
	var data struct {
		Shop Shop `json:"shop"`
	}
	if err := c.do(ctx, opShop, nil, &data); err != nil {
		return Shop{}, err
	}
	return data.Shop, nil
}

// APIVersion is the Admin API version the client speaks.
func (c *Client) APIVersion() string { return c.cfg.APIVersion }

// ShopDomain is the configured shop domain.
func (c *Client) ShopDomain() string { return c.cfg.Shop }

// AccessScopes returns the handles of the scopes granted to the app's
// installation, e.g. "read_customers".
func (c *Client) AccessScopes(ctx context.Context) ([]string, error) {
	var data struct {
		Installation struct {
			AccessScopes []struct {
				Handle string `json:"handle"`
			} `json:"accessScopes"`
		} `json:"currentAppInstallation"`
	}
	if err := c.do(ctx, opAccessScopes, nil, &data); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(data.Installation.AccessScopes))
	for _, s := range data.Installation.AccessScopes {
		out = append(out, s.Handle)
	}
	return out, nil
}

// MetafieldDefinition is a metafield definition: the type every metafield
// under its owner type, namespace and key must have.
type MetafieldDefinition struct {
	ID        string
	Name      string
	OwnerType string // e.g. CUSTOMER
	Namespace string
	Key       string
	Type      string // e.g. number_integer
}

type metafieldDefinitionNode struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Key       string `json:"key"`
	OwnerType string `json:"ownerType"`
	Type      struct {
		Name string `json:"name"`
	} `json:"type"`
}

func (n metafieldDefinitionNode) definition() MetafieldDefinition {
	return MetafieldDefinition{ID: n.ID, Name: n.Name, OwnerType: n.OwnerType, Namespace: n.Namespace, Key: n.Key, Type: n.Type.Name}
}

// FindMetafieldDefinition returns the definition for ownerType (e.g.
// "CUSTOMER"), namespace and key, and false when there is none.
func (c *Client) FindMetafieldDefinition(ctx context.Context, ownerType, namespace, key string) (MetafieldDefinition, bool, error) {
	var data struct {
		Definitions struct {
			Nodes []metafieldDefinitionNode `json:"nodes"`
		} `json:"metafieldDefinitions"`
	}
	vars := map[string]any{"ownerType": ownerType, "namespace": namespace, "key": key}
	if err := c.do(ctx, opMetafieldDefinition, vars, &data); err != nil {
		return MetafieldDefinition{}, false, err
	}
	for _, n := range data.Definitions.Nodes {
		// The filter arguments are exact, but a definition for another key
		// must never be mistaken for ours.
		if n.Namespace == namespace && n.Key == key {
			return n.definition(), true, nil
		}
	}
	return MetafieldDefinition{}, false, nil
}

// metafieldDefinitionInput is MetafieldDefinitionInput.
type metafieldDefinitionInput struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Key       string `json:"key"`
	OwnerType string `json:"ownerType"`
	Type      string `json:"type"`
}

// CreateMetafieldDefinition creates def (ID is ignored) and returns it as
// Shopify stored it. A refusal (for example, a definition with that key
// already exists) is a ClassValidation error carrying Shopify's code.
func (c *Client) CreateMetafieldDefinition(ctx context.Context, def MetafieldDefinition) (MetafieldDefinition, error) {
	var data struct {
		Create struct {
			Created    *metafieldDefinitionNode `json:"createdDefinition"`
			UserErrors []userError              `json:"userErrors"`
		} `json:"metafieldDefinitionCreate"`
	}
	name := def.Name
	if name == "" {
		name = def.Namespace + "." + def.Key
	}
	vars := map[string]any{"definition": metafieldDefinitionInput{Name: name, Namespace: def.Namespace, Key: def.Key,
		OwnerType: def.OwnerType, Type: def.Type}}
	if err := c.do(ctx, opMetafieldDefinitionCreate, vars, &data); err != nil {
		return MetafieldDefinition{}, err
	}
	if ues := data.Create.UserErrors; len(ues) > 0 {
		return MetafieldDefinition{}, c.newError(opMetafieldDefinitionCreate.name, apierr.ClassValidation, http.StatusOK,
			ues[0].Code, userErrorMessage(ues[0]), nil)
	}
	if data.Create.Created == nil {
		return MetafieldDefinition{}, c.newError(opMetafieldDefinitionCreate.name, apierr.ClassUnknown, http.StatusOK, "",
			"no definition and no error in the reply", nil)
	}
	return data.Create.Created.definition(), nil
}

// LocationState is a location with its active flag.
type LocationState struct {
	ID     extid.ShopifyLocationGID
	Name   string
	Active bool
}

// AllLocations returns every location, active or not.
func (c *Client) AllLocations(ctx context.Context) ([]LocationState, error) {
	var out []LocationState
	after := ""
	for {
		var data struct {
			Locations struct {
				Nodes []struct {
					ID       string `json:"id"`
					Name     string `json:"name"`
					IsActive bool   `json:"isActive"`
				} `json:"nodes"`
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"locations"`
		}
		vars := map[string]any{"first": PageSize}
		if after != "" {
			vars["after"] = after
		}
		if err := c.do(ctx, opAllLocations, vars, &data); err != nil {
			return nil, err
		}
		for _, n := range data.Locations.Nodes {
			if _, err := extid.ParseTypedGID(n.ID, extid.ResourceLocation); err != nil {
				return nil, c.newError(opAllLocations.name, apierr.ClassUnknown, http.StatusOK, "", fmt.Sprintf("unexpected location %q", n.ID), err)
			}
			out = append(out, LocationState{ID: extid.ShopifyLocationGID(n.ID), Name: n.Name, Active: n.IsActive})
		}
		if !data.Locations.PageInfo.HasNextPage || data.Locations.PageInfo.cursor() == "" {
			return out, nil
		}
		after = data.Locations.PageInfo.cursor()
	}
}
