package sandbox

import (
	"fmt"
	"maps"
	"slices"

	"syncops/clients/extid"
)

// StockCheck is what a test asks of the shop's stock after a product sync:
// each pair's Shopify variant should hold, at each location of Feeds, the
// Nhanh product's live available stock summed over the depots that feed
// it (a negative depot stock counts as zero).
type StockCheck struct {
	Pairs map[extid.NhanhProductID]extid.ShopifyVariantGID
	Feeds map[extid.ShopifyLocationGID][]extid.NhanhDepotID
}

// StockMismatches compares Shopify's available stock with Nhanh's live
// stock for every pair at every fed location, skipping the levels a sync
// leaves alone by design (an untracked variant, a location the variant is
// not stocked at). It returns how many levels it compared and a line for
// each that differs.
func (sb *Sandbox) StockMismatches(c StockCheck) (checked int, diffs []string) {
	stock := map[extid.NhanhProductID]map[extid.NhanhDepotID]int64{}
	for _, p := range sb.nhanh.Snapshot().NhanhProducts {
		stock[p.ID] = p.Available
	}
	for _, nhanhID := range slices.Sorted(maps.Keys(c.Pairs)) {
		v, ok := sb.shopify.Variant(c.Pairs[nhanhID])
		if !ok {
			diffs = append(diffs, fmt.Sprintf("product %d: variant %s is not in Shopify", nhanhID, c.Pairs[nhanhID]))
			continue
		}
		for _, loc := range slices.Sorted(maps.Keys(c.Feeds)) {
			if v.Untracked || slices.Contains(v.NotStockedAt, loc) {
				continue
			}
			var want int64
			for _, depot := range c.Feeds[loc] {
				want += max(stock[nhanhID][depot], 0)
			}
			got, _ := sb.shopify.Available(v.InventoryItemID, loc)
			if got != want {
				diffs = append(diffs, fmt.Sprintf("product %d at %s: Shopify has %d, Nhanh's live stock is %d", nhanhID, loc, got, want))
			}
			checked++
		}
	}
	return checked, diffs
}
