package tui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/store"
	"syncops/store/storetest"
	"syncops/ui/tui/page"
)

// TestClockTicksOnlyWhileSomethingCounts: an idle console arms no timer;
// an active job or a locked API arms exactly one at a time, and it stops
// when the job ends.
func TestClockTicksOnlyWhileSomethingCounts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	running := engine.Job{ID: 7, Type: "X", Status: engine.StatusRunning}
	tests := []struct {
		name    string
		active  []engine.Job
		budgets []Budget
		wantArm bool
	}{
		{name: "idle", wantArm: false},
		{name: "a job runs", active: []engine.Job{running}, wantArm: true},
		{name: "an API is locked", budgets: []Budget{{API: "Nhanh", LockedUntil: now.Add(5 * time.Second)}}, wantArm: true},
		{name: "a lock that passed", budgets: []Budget{{API: "Nhanh", LockedUntil: now.Add(-time.Second)}}, wantArm: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := engine.New(engine.Config{Store: storetest.Open(t, store.SQLite), NoWorkers: true})
			require.NoError(t, err)
			m := New(Options{Engine: e, Clock: clockwork.NewFakeClockAt(now), Budgets: func() []Budget { return tt.budgets }})
			t.Cleanup(m.Close)
			m.Update(activeJobsMsg{jobs: tt.active})
			require.Equal(t, tt.wantArm, m.tickPending)
			require.Nil(t, m.armTick(), "a second timer was armed while one is pending")
		})
	}
}

func TestTickStopsWhenTheLastJobEnds(t *testing.T) {
	t.Parallel()
	e, err := engine.New(engine.Config{Store: storetest.Open(t, store.SQLite), NoWorkers: true})
	require.NoError(t, err)
	m := New(Options{Engine: e, Clock: clockwork.NewFakeClock()})
	t.Cleanup(m.Close)
	m.Update(page.JobsChangedMsg{Jobs: []engine.Job{{ID: 1, Type: "X", Status: engine.StatusRunning}}})
	require.True(t, m.tickPending)
	m.Update(page.JobsChangedMsg{Jobs: []engine.Job{{ID: 1, Type: "X", Status: engine.StatusCompleted}}})
	m.Update(tickMsg{})
	require.False(t, m.tickPending, "the console keeps ticking with nothing to count")
}

// TestBackgroundColourPicksStyles: a light terminal gets the light styles.
func TestBackgroundColourPicksStyles(t *testing.T) {
	t.Parallel()
	e, err := engine.New(engine.Config{Store: storetest.Open(t, store.SQLite), NoWorkers: true})
	require.NoError(t, err)
	m := New(Options{Engine: e, Clock: clockwork.NewFakeClock()})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	dark := m.View().Content
	require.True(t, m.env.Styles.IsDark)
	m.Update(tea.BackgroundColorMsg{Color: lightGrey{}})
	require.False(t, m.env.Styles.IsDark)
	require.NotEqual(t, dark, m.View().Content, "light and dark terminals got the same colours")
}

type lightGrey struct{}

func (lightGrey) RGBA() (r, g, b, a uint32) { return 0xeeee, 0xeeee, 0xeeee, 0xffff }
