package tui

import (
	"errors"
	"github.com/charmbracelet/x/ansi"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
	"syncops/ui/tui/page"
)

// TestClockTicksFastOnlyWhileSomethingCounts: an idle console arms one
// slow timer (relative times such as "in 3m" move on); an active job or a
// locked API arms one fast timer, exactly one at a time.
func TestClockTicksFastOnlyWhileSomethingCounts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	running := engine.Job{ID: 7, Type: "X", Status: engine.StatusRunning}
	tests := []struct {
		name    string
		active  []engine.Job
		budgets []Budget
		every   time.Duration
	}{
		{name: "idle", every: idleRefreshInterval},
		{name: "a job runs", active: []engine.Job{running}, every: refreshInterval},
		{name: "an API is locked", budgets: []Budget{{API: "Nhanh", LockedUntil: now.Add(5 * time.Second)}}, every: refreshInterval},
		{name: "a lock that passed", budgets: []Budget{{API: "Nhanh", LockedUntil: now.Add(-time.Second)}}, every: idleRefreshInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := engine.New(engine.Config{Store: enginetest.SQLite(t).Store(), NoWorkers: true})
			require.NoError(t, err)
			m := New(Options{Engine: e, Clock: clockwork.NewFakeClockAt(now), Budgets: func() []Budget { return tt.budgets }})
			t.Cleanup(m.Close)
			m.Update(activeJobsMsg{jobs: tt.active})
			require.True(t, m.tickPending)
			require.Equal(t, tt.every, m.tickEvery)
			require.Nil(t, m.armTick(), "a second timer was armed while one is pending")
		})
	}
}

// TestTickSlowsWhenTheLastJobEnds: the fast tick gives way to the slow
// one once nothing counts, and a job starting while only the slow tick is
// pending arms a fast one at once (the slow one's message is dropped).
func TestTickSlowsWhenTheLastJobEnds(t *testing.T) {
	t.Parallel()
	e, err := engine.New(engine.Config{Store: enginetest.SQLite(t).Store(), NoWorkers: true})
	require.NoError(t, err)
	m := New(Options{Engine: e, Clock: clockwork.NewFakeClock()})
	t.Cleanup(m.Close)
	m.Update(page.JobsChangedMsg{Jobs: []engine.Job{{ID: 1, Type: "X", Status: engine.StatusRunning}}})
	require.True(t, m.tickPending)
	require.Equal(t, refreshInterval, m.tickEvery)
	m.Update(page.JobsChangedMsg{Jobs: []engine.Job{{ID: 1, Type: "X", Status: engine.StatusCompleted}}})
	m.Update(tickMsg{seq: m.tickSeq})
	require.Equal(t, idleRefreshInterval, m.tickEvery, "the console keeps ticking fast with nothing to count")
	slow := m.tickSeq
	m.Update(page.JobsChangedMsg{Jobs: []engine.Job{{ID: 2, Type: "X", Status: engine.StatusRunning}}})
	require.Equal(t, refreshInterval, m.tickEvery, "a job started but the next redraw is seconds away")
	m.Update(tickMsg{seq: slow})
	require.True(t, m.tickPending, "the superseded slow tick cancelled the fast one")
}

// TestBackgroundColourPicksStyles: a light terminal gets the light styles.
func TestBackgroundColourPicksStyles(t *testing.T) {
	t.Parallel()
	e, err := engine.New(engine.Config{Store: enginetest.SQLite(t).Store(), NoWorkers: true})
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
		e, err := engine.New(engine.Config{Store: enginetest.SQLite(t).Store(), NoWorkers: true})
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

// TestBudgetNeverNegative: a bucket overdrawn by requests in flight reads
// empty, not "-12/2000".
func TestBudgetNeverNegative(t *testing.T) {
	t.Parallel()
	e, err := engine.New(engine.Config{Store: enginetest.SQLite(t).Store(), NoWorkers: true})
	require.NoError(t, err)
	m := New(Options{Engine: e, Clock: clockwork.NewFakeClock()})
	t.Cleanup(m.Close)
	got := ansi.Strip(m.budgetText(Budget{API: "Shopify", Available: -12.5, Capacity: 2000, Unit: BudgetPoints}))
	require.Equal(t, "Shopify 0/2000 pts", got)
}
