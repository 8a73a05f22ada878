package dataset

import (
	"math"

	"syncops/clients/extid"
)

// The expected final state of a sync, computed from Nhanh's current state
// (a Dataset, e.g. nhanhfake.Server.Snapshot after the shop kept selling),
// so a test can assert that every Shopify value equals Nhanh's current
// value rather than the value at generation time.

// ExpectedTotalSpent is the custom.total_spent value a sync must write for
// each customer: round(TotalAmount), half away from zero. Customers whose
// totalAmount is null are absent: a sync must report them, never write 0.
func ExpectedTotalSpent(customers []NhanhCustomer) map[extid.NhanhCustomerID]int64 {
	out := make(map[extid.NhanhCustomerID]int64, len(customers))
	for _, c := range customers {
		if !c.TotalAmountNull {
			out[c.ID] = int64(math.Round(c.TotalAmount))
		}
	}
	return out
}

// LocationDepots says which Nhanh depots stock each Shopify location: a
// location's quantity is the sum of its depots' available stock.
type LocationDepots map[extid.ShopifyLocationGID][]extid.NhanhDepotID

// ExpectedAvailable is the "available" quantity a sync must set for each
// product at each mapped location: the sum over the location's depots, a
// negative depot counting as 0 (stock sold ahead is not stock elsewhere).
// Products that are deleted or whose stock is null are absent: a sync must
// report them, never write 0.
func ExpectedAvailable(products []NhanhProduct, m LocationDepots) map[extid.NhanhProductID]map[extid.ShopifyLocationGID]int64 {
	out := make(map[extid.NhanhProductID]map[extid.ShopifyLocationGID]int64, len(products))
	for _, p := range products {
		if p.Deleted || p.StockNull {
			continue
		}
		perLocation := make(map[extid.ShopifyLocationGID]int64, len(m))
		for loc, depots := range m {
			var sum int64
			for _, d := range depots {
				sum += max(0, p.Available[d])
			}
			perLocation[loc] = sum
		}
		out[p.ID] = perLocation
	}
	return out
}

// Refresh recomputes the parts of t that follow Nhanh's values
// (ExpectedTotalSpent) from current, Nhanh's state now. Match answers do not
// change: trading moves values, not keys.
func (t *Truth) Refresh(current *Dataset) {
	t.ExpectedTotalSpent = ExpectedTotalSpent(current.NhanhCustomers)
}
