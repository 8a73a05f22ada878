package shopifyfake

import (
	"time"

	"github.com/vektah/gqlparser/v2/ast"
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
		b.available = min(b.max, b.available+b.rate*now.Sub(b.at).Seconds())
		b.at = now
	}
}

// requestedCost is the cost Shopify charges up front, computed statically
// the way its documentation describes: a mutation 10, a connection 2 + the
// number of objects asked for (first/last), any other object 1 plus its
// children, scalars nothing.
func requestedCost(op *ast.OperationDefinition, vars map[string]any) float64 {
	if op.Operation == ast.Mutation {
		n := 0
		for _, sel := range op.SelectionSet {
			if _, ok := sel.(*ast.Field); ok {
				n++
			}
		}
		return float64(n * mutationCost)
	}
	return selectionCost(op.SelectionSet, vars)
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
			return 2 + float64(n)
		}
	}
	return 1 + selectionCost(f.SelectionSet, vars)
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
