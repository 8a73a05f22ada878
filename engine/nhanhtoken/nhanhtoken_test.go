package nhanhtoken_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine/nhanhtoken"
)

const day = 24 * time.Hour

func TestStatusLevelsAndOneWarningPerThreshold(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var logs bytes.Buffer
	w := nhanhtoken.New(clock, slog.New(slog.NewTextHandler(&logs, nil)), clock.Now().Add(40*day), "run syncops init")

	steps := []struct {
		advance time.Duration
		level   nhanhtoken.Level
		warns   int // warnings logged so far
	}{
		{0, nhanhtoken.LevelOK, 0},
		{11 * day, nhanhtoken.LevelWarn, 1},          // 29 days left: the 30-day warning
		{time.Hour, nhanhtoken.LevelWarn, 1},         // nothing new crossed
		{23 * day, nhanhtoken.LevelWarn, 2},          // 6 days left: the 7-day warning
		{5*day + time.Hour, nhanhtoken.LevelWarn, 3}, // under a day
		{day, nhanhtoken.LevelExpired, 4},
		{day, nhanhtoken.LevelExpired, 4},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		st := w.Status()
		require.Equal(t, s.level, st.Level, "step %d: %s", i, st.Message)
		require.Equal(t, s.warns, strings.Count(logs.String(), "level="), "step %d", i)
		if s.level != nhanhtoken.LevelOK {
			require.Contains(t, st.Fix, "syncops init")
		}
	}
	left, ok := w.SecondsLeft()
	require.True(t, ok)
	require.Less(t, left, 0.0)
}

func TestRevokedAndUnknown(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	w := nhanhtoken.New(clock, nil, time.Time{}, "grant again")
	require.Equal(t, nhanhtoken.LevelUnknown, w.Status().Level)
	_, ok := w.SecondsLeft()
	require.False(t, ok)
	w.Set(clock.Now().Add(100 * day))
	require.Equal(t, nhanhtoken.LevelOK, w.Status().Level)
	w.Revoked()
	st := w.Status()
	require.Equal(t, nhanhtoken.LevelExpired, st.Level)
	require.True(t, st.Revoked)
	require.Equal(t, "grant again", st.Fix)
}
