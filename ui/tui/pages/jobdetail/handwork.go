package jobdetail

import (
	"fmt"
	"strconv"

	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/engine/jobs/match"
	"syncops/ui/tui/page"
)

// handWork says in one line what fits the failed items of a kind that
// cannot retry items, for the message line.
func (p *Page) handWork() string {
	if _, ok := p.matchKind(); ok {
		return "map by hand: m on an item opens it on the mappings page"
	}
	return noRetryHint
}

// matchKind is the mapping kind a matching job's failed items are records
// of (each item's key is a Nhanh id left unmatched).
func (p *Page) matchKind() (engine.MappingKind, bool) {
	switch p.job.Type {
	case match.AutoMatchCustomers:
		return engine.MappingCustomers, true
	case match.AutoMatchProducts:
		return engine.MappingProducts, true
	}
	return "", false
}

// openRecord opens a matching job's failed item on the mappings page: why
// it was left, its candidates, and mapping it by hand.
func (p *Page) openRecord(itemKey string) tea.Cmd {
	kind, ok := p.matchKind()
	if !ok {
		return nil
	}
	id, err := strconv.ParseInt(itemKey, 10, 64)
	if err != nil {
		return page.Fail("open "+itemKey+" on the mappings page", fmt.Errorf("its key is not a Nhanh id"))
	}
	return func() tea.Msg { return page.OpenRecordMsg{Kind: kind, NhanhID: id} }
}

// handWorkLines says what fits a failed item of a kind that cannot retry
// items. A matching job's item is a Nhanh record left unmatched (no
// candidate, or several): m opens it on the mappings page, and the
// workbench's commands do the same from a shell, one per line so a command
// is never wrapped. Other kinds get the general advice.
func (p *Page) handWorkLines(key string) []string {
	kind, ok := p.matchKind()
	if !ok {
		return []string{noRetryHint}
	}
	what := kind + "s"
	if key == "" {
		key = "NHANH_ID"
	}
	return []string{"m opens it on the mappings page: why it was left, its candidates, map it by hand.",
		"From a shell, this shows the same:",
		fmt.Sprintf("  syncops mapping %s --nhanh %s", what, key),
		"and this maps it:",
		fmt.Sprintf("  syncops map %s %s SHOPIFY_GID", what, key)}
}
