package tui

import (
	"errors"
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

// TestMessagesClear: a notice goes after noticeTTL on the fake clock or at
// the next key; an error stays until a key comes after it had time to be
// read.
func TestMessagesClear(t *testing.T) {
	t.Parallel()
	newModel := func(t *testing.T) (*Model, *clockwork.FakeClock) {
		e, err := engine.New(engine.Config{Store: storetest.Open(t, store.SQLite), NoWorkers: true})
		require.NoError(t, err)
		clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		m := New(Options{Engine: e, Clock: clock})
		t.Cleanup(m.Close)
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		return m, clock
	}
	t.Run("a notice times out", func(t *testing.T) {
		t.Parallel()
		m, clock := newModel(t)
		_, cmd := m.Update(page.NoticeMsg{Text: "started X as job #24"})
		require.NotNil(t, cmd)
		got := make(chan tea.Msg, 1)
		go func() { got <- cmd() }()
		require.NoError(t, clock.BlockUntilContext(t.Context(), 1))
		clock.Advance(noticeTTL)
		m.Update(<-got)
		require.Empty(t, m.message)
	})
	t.Run("a notice goes at the next key", func(t *testing.T) {
		t.Parallel()
		m, _ := newModel(t)
		m.Update(page.NoticeMsg{Text: "started X as job #24"})
		m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
		require.Empty(t, m.message)
	})
	t.Run("an older notice's timer does not clear a newer message", func(t *testing.T) {
		t.Parallel()
		m, _ := newModel(t)
		m.Update(page.NoticeMsg{Text: "first"})
		m.Update(page.NoticeMsg{Text: "second"})
		m.Update(clearNoticeMsg{seq: m.messageSeq - 1})
		require.Equal(t, "second", m.message)
	})
	t.Run("an error stays until seen", func(t *testing.T) {
		t.Parallel()
		m, clock := newModel(t)
		m.Update(page.ErrorMsg{Action: "start X", Err: errors.New("refused")})
		m.Update(clearNoticeMsg{seq: m.messageSeq})
		m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
		require.Equal(t, "start X: refused", m.message, "a key already on its way hid the error")
		clock.Advance(errorSeen)
		m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
		require.Empty(t, m.message)
	})
}
