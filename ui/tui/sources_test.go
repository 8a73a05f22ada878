package tui_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/locations"
	"syncops/ui/tui"
)

// TestSchedulesPage enables a schedule and edits another's expression with
// the live preview of its next runs, through the real scheduler.
func TestSchedulesPage(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sz.w, sz.h, world{schedules: realScheduler(t), seed: history})
			b.waitFor(t, "Stepped import")
			b.press("4")
			b.waitFor(t, "Stepped import", "Waiter", "enabled", "off", "Next runs (Asia/Ho_Chi_Minh): 03-02 10:00, 03-02 11:00, 03-02 12:00",
				"Last run: job #1 Completed")
			b.golden(t, "list")

			b.press("down", "space")
			b.waitFor(t, "schedule of WAITER enabled on 30 2 * * *", "Next runs (Asia/Ho_Chi_Minh): 03-03 02:30")
			b.press("enter")
			b.waitFor(t, "cron> 30 2 * * *")
			b.press("ctrl+u", "b", "a", "d")
			b.waitFor(t, `cron expression "bad"`)
			b.press("ctrl+u")
			for _, k := range "*/15 * * * *" {
				b.press(string(k))
			}
			b.waitFor(t, "Next runs (Asia/Ho_Chi_Minh):", "03-02 09:15 (in 15m00s)", "03-02 09:45")
			b.golden(t, "edit_preview")
			b.press("enter")
			b.waitFor(t, "schedule of WAITER enabled on */15 * * * *", "Changed by local:ops")
			b.finish(t)
		})
	}
}

// fakeLocations is a LocationSource over fixed depots and locations.
type fakeLocations struct {
	mu       sync.Mutex
	mappings []tui.LocationMapping
	calls    int
}

var (
	depots = []tui.NhanhDepot{{ID: 1001, Name: "Kho Hà Nội"}, {ID: 1002, Name: "Kho Sài Gòn"}, {ID: 1003, Name: "Kho Đà Nẵng"}}
	shops  = []tui.ShopifyLocation{{ID: "gid://shopify/Location/5001", Name: "Hanoi Store", Primary: true},
		{ID: "gid://shopify/Location/5002", Name: "Saigon Store"}}
)

func newFakeLocations() *fakeLocations {
	return &fakeLocations{mappings: []tui.LocationMapping{{DepotID: 1001, DepotName: "Kho Hà Nội",
		LocationID: shops[0].ID, LocationName: shops[0].Name}}}
}

func (f *fakeLocations) List(context.Context) (tui.LocationsView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return tui.LocationsView{Depots: depots, Locations: shops, Mappings: slices.Clone(f.mappings)}, nil
}

func (f *fakeLocations) Set(_ context.Context, depot locations.DepotID, loc locations.LocationID, _ engine.Actor) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if depot == 1003 {
		return errors.New("nhanh: depot 1003 is inactive")
	}
	i := slices.IndexFunc(shops, func(l tui.ShopifyLocation) bool { return l.ID == loc })
	d := slices.IndexFunc(depots, func(d tui.NhanhDepot) bool { return d.ID == depot })
	f.mappings = slices.DeleteFunc(f.mappings, func(m tui.LocationMapping) bool { return m.DepotID == depot })
	f.mappings = append(f.mappings, tui.LocationMapping{DepotID: depot, DepotName: depots[d].Name, LocationID: loc,
		LocationName: shops[i].Name})
	return nil
}

func (f *fakeLocations) Remove(_ context.Context, depot locations.DepotID, _ engine.Actor) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	n := len(f.mappings)
	f.mappings = slices.DeleteFunc(f.mappings, func(m tui.LocationMapping) bool { return m.DepotID == depot })
	if len(f.mappings) == n {
		return fmt.Errorf("depot %d is not mapped", depot)
	}
	return nil
}

func (f *fakeLocations) changes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// TestLocationsPage maps a depot, sees a refused mapping reported, and
// unmaps a depot after confirming.
func TestLocationsPage(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(sizeName(sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			locs := newFakeLocations()
			b := setup(t, sz.w, sz.h, world{locations: locs})
			b.waitFor(t, "Stepped import")
			b.press("5")
			b.waitFor(t, "1001 Kho Hà Nội → Hanoi Store", "1002 Kho Sài Gòn (not mapped)", "Saigon Store · #5002")
			b.golden(t, "list")

			b.press("down", "enter")
			b.waitFor(t, "Choose the Shopify location for depot 1002")
			b.press("down", "enter")
			b.waitFor(t, "mapped depot 1002 (Kho Sài Gòn) to Saigon Store", "1002 Kho Sài Gòn → Saigon Store")

			// The API refuses a mapping: the operator sees why and carries on.
			b.press("down", "enter", "enter")
			b.waitFor(t, "✗ map depot 1003 to Hanoi Store: nhanh: depot 1003 is inactive")
			b.press("up", "up", "u")
			b.waitFor(t, "Unmap depot 1001?")
			b.golden(t, "unmap_confirm")
			b.press("y")
			b.waitFor(t, "unmapped depot 1001", "1001 Kho Hà Nội (not mapped)")
			b.finish(t)
			require.Equal(t, 3, locs.changes())
		})
	}
}
