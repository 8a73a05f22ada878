package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestScheduledTick(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	require.NoError(t, err)
	at := func(h, m, s, ms int) time.Time { return time.Date(2026, 6, 1, h, m, s, ms*int(time.Millisecond), loc) }
	sched, err := parseSpec("0 * * * * *", loc, at(22, 0, 0, 0)) // every minute
	require.NoError(t, err)
	en := &entry{schedule: sched, armedAt: at(22, 0, 10, 0)}

	steps := []struct {
		name string
		now  time.Time
		want time.Time
		due  bool
	}{
		{"on time", at(22, 1, 0, 0), at(22, 1, 0, 0), true},
		{"the same tick again", at(22, 1, 0, 0), at(22, 1, 0, 0), false},
		{"a little early", at(22, 1, 59, 700), at(22, 2, 0, 0), true},
		{"too early for the next", at(22, 2, 30, 0), at(22, 2, 0, 0), false},
		{"late by a second", at(22, 3, 1, 0), at(22, 3, 0, 0), true},
		{"late by minutes: the latest tick, no catch-up", at(22, 6, 20, 0), at(22, 6, 0, 0), true},
	}
	for _, st := range steps { // in order: each step depends on the last
		got, due := en.scheduledTick(st.now)
		require.Equal(t, st.due, due, st.name)
		require.True(t, got.Equal(st.want), "%s: %s, want %s", st.name, got, st.want)
	}
}
