package schedules

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/scheduler"
	"syncops/ui/tui/page"
	"syncops/ui/tui/styles"
)

// fakeSource is a scheduler in zone that lists views.
type fakeSource struct {
	zone  *time.Location
	views []scheduler.ScheduleView
}

func (f fakeSource) Schedules(context.Context) ([]scheduler.ScheduleView, error) { return f.views, nil }
func (f fakeSource) Validate(string) ([]time.Time, error)                        { return nil, nil }
func (f fakeSource) Set(context.Context, string, string, engine.Params, engine.Actor) (scheduler.ScheduleView, error) {
	return scheduler.ScheduleView{}, nil
}
func (f fakeSource) SetEnabled(context.Context, string, bool, engine.Actor) (scheduler.ScheduleView, error) {
	return scheduler.ScheduleView{}, nil
}
func (f fakeSource) Location() *time.Location { return f.zone }

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// TestNextRunsInTheSchedulesZone: the operator's terminal is in UTC, cron
// runs in Asia/Ho_Chi_Minh: next runs are shown in the schedule's zone,
// labelled, with seconds only when the expression has them.
func TestNextRunsInTheSchedulesZone(t *testing.T) {
	t.Parallel()
	hcm := mustZone(t, "Asia/Ho_Chi_Minh")
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC) // 09:00 in Ho Chi Minh City
	tests := []struct {
		name string
		cron string
		runs []time.Time
		want string
	}{
		{name: "five fields, to the minute", cron: "0 10 * * *",
			runs: []time.Time{time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)},
			want: "Next runs (Asia/Ho_Chi_Minh): 03-02 10:00 (in 1h00m)"},
		{name: "six fields, to the second", cron: "30 0 10 * * *",
			runs: []time.Time{time.Date(2026, 3, 2, 3, 0, 30, 0, time.UTC), time.Date(2026, 3, 3, 3, 0, 30, 0, time.UTC)},
			want: "Next runs (Asia/Ho_Chi_Minh): 03-02 10:00:30, 03-03 10:00:30 (in 1h00m)"},
		{name: "@every, to the second", cron: "@every 90s",
			runs: []time.Time{now.Add(90 * time.Second)},
			want: "Next runs (Asia/Ho_Chi_Minh): 03-02 09:01:30 (in 1m30s)"},
		{name: "its own zone", cron: "CRON_TZ=UTC 0 3 * * *",
			runs: []time.Time{time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)},
			want: "Next runs (UTC): 03-02 03:00 (in 1h00m)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := fakeSource{zone: hcm, views: []scheduler.ScheduleView{{JobType: "X", Cron: tt.cron, Enabled: true, NextRuns: tt.runs}}}
			p := &Page{env: &page.Env{Styles: styles.New(true), Location: time.UTC, Now: now}, source: src,
				labels: map[string]string{}, views: src.views, loaded: true, width: 120, height: 20}
			var line string
			for _, ln := range strings.Split(ansi.Strip(p.panel()), "\n") {
				if strings.HasPrefix(ln, "Next runs") {
					line = ln
				}
			}
			require.Equal(t, tt.want, line)
		})
	}
}
