package jobdetail

import (
	"fmt"

	"syncops/engine/jobs/match"
)

// handWork says in one line what fits the failed items of a kind that
// cannot retry items, for the message line.
func (p *Page) handWork() string {
	if lines := p.handWorkLines(""); len(lines) > 1 {
		return "map by hand: enter on an item shows how"
	}
	return noRetryHint
}

// handWorkLines says what fits a failed item of a kind that cannot retry
// items. A matching job's item is a Nhanh record left unmatched (no
// candidate, or several): it is mapped by hand with the mapping
// workbench's commands, named with the item's Nhanh id, one per line so a
// command is never wrapped. Other kinds get the general advice.
func (p *Page) handWorkLines(key string) []string {
	what := ""
	switch p.job.Type {
	case match.AutoMatchCustomers:
		what = "customers"
	case match.AutoMatchProducts:
		what = "products"
	default:
		return []string{noRetryHint}
	}
	if key == "" {
		key = "NHANH_ID"
	}
	return []string{"map it by hand from a shell; this shows why it was left and its candidates:",
		fmt.Sprintf("  syncops mapping %s --nhanh %s", what, key),
		"and this maps it:",
		fmt.Sprintf("  syncops map %s %s SHOPIFY_GID", what, key)}
}
