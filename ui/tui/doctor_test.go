package tui_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/doctor"
	"syncops/engine/nhanhtoken"
	"syncops/ui/tui"
)

// checkedReport is a doctor report with every outcome: long messages that
// wrap, fixes under the checks that need them, more lines than 80x24 shows.
func checkedReport(at time.Time) doctor.Report {
	checks := []doctor.Check{
		{Name: doctor.CheckConfig, Status: doctor.StatusOK, Message: "the configuration is valid"},
		{Name: doctor.CheckDatabase, Status: doctor.StatusOK, Message: "sqlite syncops.db answers"},
		{Name: doctor.CheckMigrations, Status: doctor.StatusOK, Message: "schema version 12 is current"},
		{Name: doctor.CheckDisk, Status: doctor.StatusWarn, Message: "812 MiB free in /var/lib/syncops",
			Fix: "free space or move SYNCOPS_DATA_DIR to a larger disk"},
		{Name: doctor.CheckSchedules, Status: doctor.StatusOK, Message: "3 schedules, all valid"},
		{Name: doctor.CheckFiles, Status: doctor.StatusOK, Message: "the secrets file is readable only by its owner"},
		{Name: doctor.CheckNhanhCredentials, Status: doctor.StatusOK, Message: "Nhanh answers app 4242 with the access token"},
		{Name: doctor.CheckNhanhBusiness, Status: doctor.StatusOK, Message: "the token belongs to business 117"},
		{Name: doctor.CheckNhanhToken, Status: doctor.StatusWarn,
			Message: "the Nhanh access token expires in 6 days (2026-03-08); Nhanh tokens cannot be refreshed",
			Fix:     "run `syncops init` to grant access again before then"},
		{Name: doctor.CheckNhanhDepots, Status: doctor.StatusOK, Message: "2 depots granted"},
		{Name: doctor.CheckShopifyShop, Status: doctor.StatusOK, Message: "shop Cửa hàng Hà Nội answers"},
		{Name: doctor.CheckShopifyAPIVersion, Status: doctor.StatusOK, Message: "API version 2026-10 is supported"},
		{Name: doctor.CheckShopifyScopes, Status: doctor.StatusFail, Message: "the app lacks write_inventory",
			Fix: "add the write_inventory scope to the app and install it again"},
		{Name: doctor.CheckShopifyMetafield, Status: doctor.StatusFail,
			Message: "no CUSTOMER metafield definition custom.total_spent", Fix: "run `syncops doctor --fix` to create it"},
		{Name: doctor.CheckLocations, Status: doctor.StatusOK, Message: "2 mappings point at active locations"},
		{Name: doctor.CheckClockNhanh, Status: doctor.StatusOK, Message: "within 1s of Nhanh's clock"},
		{Name: doctor.CheckClockShopify, Status: doctor.StatusOK, Message: "within 1s of Shopify's clock"},
	}
	rep := doctor.Report{At: at, OK: true, Checks: checks}
	for _, c := range checks {
		rep.OK = rep.OK && c.Status != doctor.StatusFail
	}
	return rep
}

// fixedDoctor returns the report on every run and counts the runs.
func fixedDoctor(rep doctor.Report, runs *atomic.Int32) tui.DoctorRunner {
	return func(context.Context) (doctor.Report, error) {
		runs.Add(1)
		return rep, nil
	}
}

// TestDoctorPage shows the doctor's report on page 6 at both sizes,
// scrolls it to its end, and runs the checks again on r.
func TestDoctorPage(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			var runs atomic.Int32
			b := setup(t, sz.w, sz.h, world{seed: history, doctor: fixedDoctor(checkedReport(t0), &runs)})
			b.waitFor(t, "Job #3 Running")
			require.Zero(t, runs.Load(), "the checks run when the page is opened, not before")
			b.press("6")
			b.waitFor(t, "Doctor · 13 ok 2 warn 2 fail · fix the failures · checked 09:00:00", "nhanh.token", "→ run `syncops init`")
			b.golden(t, "report")
			if sz.h < 40 { // taller than the screen: scrolled, with its position
				b.waitFor(t, "lines 1–")
				b.press("G")
				b.waitFor(t, "clock.shopify", "within 1s of Shopify's clock", "100%")
				require.NotContains(t, b.rec.current(), "config ", "the end of the list is in view")
			}
			b.press("g", "r")
			b.waitView(t, func(string) bool { return runs.Load() == 2 })
			b.finish(t)
		})
	}
}

// TestDoctorAtStart: a console that runs the doctor as it opens says on
// the message line whether all is green, and names the checks that are not.
func TestDoctorAtStart(t *testing.T) {
	t.Parallel()
	green := checkedReport(t0)
	for i := range green.Checks {
		green.Checks[i].Status, green.Checks[i].Fix = doctor.StatusOK, ""
	}
	green.OK = true
	tests := []struct {
		name string
		run  tui.DoctorRunner
		want string
	}{
		{name: "green", run: func(context.Context) (doctor.Report, error) { return green, nil },
			want: "✓ doctor: all 17 checks pass"},
		{name: "failing", run: func(context.Context) (doctor.Report, error) { return checkedReport(t0), nil },
			want: "✗ doctor: 2 fail, 2 warn (disk, nhanh.token, shopify.scopes, shopify.metafield): press 6"},
		{name: "broken", run: func(context.Context) (doctor.Report, error) { return doctor.Report{}, errors.New("database locked") },
			want: "✗ doctor: database locked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, 120, 40, world{seed: history, doctor: tt.run, doctorAtStart: true})
			b.waitFor(t, "Job #3 Running", tt.want)
		})
	}
}

// TestSetupView: with no API settings the first screen says what is
// missing and how to run `syncops init`; its keys start nothing, while the
// other pages can still be opened.
func TestSetupView(t *testing.T) {
	t.Parallel()
	missing := []string{"Nhanh: SYNCOPS_NHANH_APP_ID, SYNCOPS_NHANH_BUSINESS_ID, SYNCOPS_NHANH_ACCESS_TOKEN not set",
		"Shopify: SYNCOPS_SHOPIFY_SHOP, SYNCOPS_SHOPIFY_ACCESS_TOKEN not set"}
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			var runs atomic.Int32
			b := setup(t, sz.w, sz.h, world{setup: missing, doctor: fixedDoctor(checkedReport(t0), &runs)})
			b.waitFor(t, "syncops is not set up yet", "syncops init", "6 doctor")
			b.golden(t, "setup")
			require.NotContains(t, b.rec.current(), "Stepped import", "no job type is offered")
			b.press("enter", "s", "down", "enter")
			b.waitFor(t, "✗ syncops is not configured for the APIs")
			jobs, err := b.engine.List(context.Background(), engine.ListFilter{})
			require.NoError(t, err)
			require.Empty(t, jobs, "nothing on the setup view starts a job")
			b.press("6")
			b.waitFor(t, "Doctor · 13 ok")
			b.press("1")
			b.waitFor(t, "syncops is not set up yet")
		})
	}
}

// TestTokenExpiryWarnings: the status bar shows the Nhanh token's time
// left, and the console warns once as each threshold (30, 7, 1 days) is
// crossed and when the token expires, on the console's clock.
func TestTokenExpiryWarnings(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	expires := t0.Add(31*day + time.Hour)
	b := setup(t, 120, 40, world{seed: history, token: func(b *bundle) func() tui.TokenStatus {
		w := nhanhtoken.New(b.clock, nil, expires, "run `syncops init` to grant access again")
		return w.Status
	}})
	b.waitFor(t, "Job #3 Running", "Nhanh token 31d")
	require.NotContains(t, b.rec.current(), "✗", "no warning while more than 30 days are left")
	steps := []struct {
		to     time.Time
		bar    string
		notice string
	}{
		{to: expires.Add(-29*day - time.Hour), bar: "Nhanh token expires in 29d", notice: "expires in 29 days (2026-04-02)"},
		{to: expires.Add(-6*day - time.Hour), bar: "Nhanh token expires in 6d", notice: "expires in 6 days"},
		{to: expires.Add(-20*time.Hour - 30*time.Minute), bar: "Nhanh token expires in 20h", notice: "expires in 20 hours"},
		{to: expires.Add(time.Minute), bar: "Nhanh token expired", notice: "the Nhanh access token expired on 2026-04-02: run `syncops init`"},
	}
	for _, st := range steps {
		b.clock.Advance(st.to.Sub(b.clock.Now()))
		b.advanceUntil(t, st.bar, "✗ the Nhanh access token", st.notice)
		// The warning stays until seen: a key once it has been on screen
		// a while clears it, and later ticks do not bring it back.
		b.clock.Advance(3 * time.Second)
		b.press("?", "?")
		b.waitView(t, func(v string) bool { return !strings.Contains(v, "✗") && strings.Contains(v, st.bar) })
		seen := 0
		b.waitView(t, func(v string) bool {
			b.clock.Advance(time.Second)
			seen++
			return seen > 20
		})
		require.NotContains(t, b.rec.current(), "✗", fmt.Sprintf("warned once at %s", st.bar))
	}
}

// advanceUntil moves the clock on a second at a time until the view shows
// every text: the console's tick may not be armed yet when a test jumps.
func (b *bundle) advanceUntil(t testing.TB, texts ...string) {
	t.Helper()
	b.waitView(t, func(v string) bool {
		for _, s := range texts {
			if !strings.Contains(v, s) {
				b.clock.Advance(time.Second)
				return false
			}
		}
		return true
	})
}
