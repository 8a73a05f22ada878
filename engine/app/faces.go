package app

import (
	"context"
	"strings"

	"syncops/engine"
	"syncops/engine/metrics"
)

// What the faces show about the assembled app besides jobs: the database
// they work on, whether it answers, and the APIs' live budgets. Faces read
// them here instead of from the store or the API clients.

// DatabaseName names the database for status bars and logs: its dialect
// and where it is, never a password.
func (a *App) DatabaseName() string { return a.db.Describe() }

// Ping checks that the database answers, for health checks.
func (a *App) Ping(ctx context.Context) error { return a.db.Ping(ctx) }

// Budgets returns each configured API's live rate budget: Shopify's cost
// points, and Nhanh's busiest endpoint (the one that explains a slow job).
// It is cheap and safe for concurrent use.
func (a *App) Budgets() []engine.APIBudget {
	var out []engine.APIBudget
	if a.shopifyClient != nil {
		s := a.shopifyClient.Stats()
		if s.Maximum > 0 {
			out = append(out, engine.APIBudget{API: "Shopify", Available: s.Available, Capacity: s.Maximum, Unit: engine.BudgetPoints})
		}
	}
	if a.nhanhClient != nil {
		var worst *engine.APIBudget
		for _, b := range a.nhanhClient.Stats().Endpoints {
			cand := engine.APIBudget{API: "Nhanh", Available: float64(b.Limit - b.Used), Capacity: float64(b.Limit),
				Unit: engine.BudgetRequests, LockedUntil: b.LockedUntil}
			if worst == nil || cand.LockedUntil.After(worst.LockedUntil) || cand.Available < worst.Available {
				worst = &cand
			}
		}
		if worst != nil {
			out = append(out, *worst)
		}
	}
	return out
}

// MetricsSources are the app's sources for the Prometheus metrics: the API
// clients' statistics and the Nhanh token's expiry. The caller adds the
// scheduler's.
func (a *App) MetricsSources() metrics.Sources {
	src := metrics.Sources{NhanhTokenSecondsLeft: a.NhanhTokenSecondsLeft, Webhooks: a.Engine.WebhookCounts}
	if a.nhanhClient != nil {
		src.Nhanh = a.nhanhClient.Stats
	}
	if a.shopifyClient != nil {
		src.Shopify = a.shopifyClient.Stats
	}
	return src
}

// SetupNeeded says what the API settings lack, one line per API not
// configured (naming the settings that are empty), or nil when both APIs
// are. The console shows it on its first screen instead of job types whose
// every start would fail. It never shows a setting's value.
func (a *App) SetupNeeded() []string {
	var out []string
	gap := func(api string, built bool, settings map[string]bool, order []string) {
		if built {
			return
		}
		var empty []string
		for _, name := range order {
			if !settings[name] {
				empty = append(empty, name)
			}
		}
		if len(empty) == 0 {
			out = append(out, api+": the settings are not valid (`syncops doctor` says why)")
			return
		}
		out = append(out, api+": "+strings.Join(empty, ", ")+" not set")
	}
	n, s := a.Config.Nhanh, a.Config.Shopify
	gap("Nhanh", a.nhanhClient != nil, map[string]bool{"SYNCOPS_NHANH_APP_ID": n.AppID != "",
		"SYNCOPS_NHANH_BUSINESS_ID": n.BusinessID != "", "SYNCOPS_NHANH_ACCESS_TOKEN": n.AccessToken != ""},
		[]string{"SYNCOPS_NHANH_APP_ID", "SYNCOPS_NHANH_BUSINESS_ID", "SYNCOPS_NHANH_ACCESS_TOKEN"})
	gap("Shopify", a.shopifyClient != nil, map[string]bool{"SYNCOPS_SHOPIFY_SHOP": s.Shop != "",
		"SYNCOPS_SHOPIFY_ACCESS_TOKEN": s.AccessToken != ""},
		[]string{"SYNCOPS_SHOPIFY_SHOP", "SYNCOPS_SHOPIFY_ACCESS_TOKEN"})
	return out
}
