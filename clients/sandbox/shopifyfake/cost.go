package shopifyfake

import (
	"math"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"syncops/clients/extid"
)

// mutationCost is the requested cost of one mutation field.
const mutationCost = 10

// bucket is Shopify's leaky bucket of query cost points.
type bucket struct {
	max, rate, available float64
	at                   time.Time
}

func (b *bucket) refill(now time.Time) {
	if now.After(b.at) {
		// Rounded to a billionth of a point, as a real bucket keeps no
		// float noise from summing many small refills.
		b.available = math.Round(min(b.max, b.available+b.rate*now.Sub(b.at).Seconds())*1e9) / 1e9
		b.at = now
	}
}

// requestedCost is the cost Shopify charges up front, computed statically
// the way its documentation describes: a mutation 10 (metafieldsSet 10 plus
// its distinct owners' weights, see metafieldsSetCost), a connection 2 plus
// the number of objects asked for (first/last) times the cost of one node,
// any other object 1 plus its children, scalars nothing. A node costs 1
// plus its object fields, so 250 customers with five object fields each
// request 2 + 250 x 6 = 1,502 points.
func requestedCost(op *ast.OperationDefinition, vars map[string]any) float64 {
	if op.Operation == ast.Mutation {
		var total float64
		for _, sel := range op.SelectionSet {
			if f, ok := sel.(*ast.Field); ok {
				if f.Name == "metafieldsSet" {
					total += metafieldsSetCost(f, vars)
				} else {
					total += mutationCost
				}
			}
		}
		return total
	}
	return selectionCost(op.SelectionSet, vars)
}

// ownerWeights are metafieldsSet's per-owner costs by owner type since
// 2026-09-15 (api-facts, "Added facts"); other types weigh nothing.
var ownerWeights = map[string]float64{"Order": 10, "Product": 4, "Customer": 1, "Collection": 1, "Shop": 1}

// metafieldsSetCost is 10 plus the weight of each distinct owner of the
// metafields of one metafieldsSet invocation.
func metafieldsSetCost(f *ast.Field, vars map[string]any) float64 {
	cost := float64(mutationCost)
	raw, _ := argValue(f, "metafields", vars)
	list, _ := raw.([]any)
	seen := map[string]bool{}
	for _, item := range list {
		m, _ := item.(map[string]any)
		owner, _ := m["ownerId"].(string)
		if owner == "" || seen[owner] {
			continue
		}
		seen[owner] = true
		if resource, _, err := extid.ParseGID(owner); err == nil {
			cost += ownerWeights[resource]
		}
	}
	return cost
}

func selectionCost(set ast.SelectionSet, vars map[string]any) float64 {
	var total float64
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			total += fieldCost(sel, vars)
		case *ast.InlineFragment:
			total += selectionCost(sel.SelectionSet, vars)
		}
	}
	return total
}

func fieldCost(f *ast.Field, vars map[string]any) float64 {
	if len(f.SelectionSet) == 0 {
		return 0
	}
	for _, name := range []string{"first", "last"} {
		if n, ok := intArg(f, name, vars); ok {
			return 2 + float64(n)*nodeCost(f, vars)
		}
	}
	return 1 + selectionCost(f.SelectionSet, vars)
}

// nodeCost is the cost of one node of connection f: 1 plus the object
// fields selected on it (through nodes or edges { node }).
func nodeCost(f *ast.Field, vars map[string]any) float64 {
	if sel := connectionNodeSelection(f); sel != nil {
		return 1 + selectionCost(sel, vars)
	}
	return 1
}

// costExtension is extensions.cost of a reply.
func (s *Server) costExtension(requested float64, actual *float64) map[string]any {
	return map[string]any{
		"requestedQueryCost": requested,
		"actualQueryCost":    actual,
		"throttleStatus": map[string]any{
			"maximumAvailable":   s.bucket.max,
			"currentlyAvailable": s.bucket.available,
			"restoreRate":        s.bucket.rate,
		},
	}
}
