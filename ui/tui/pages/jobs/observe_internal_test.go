package jobs

import (
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
	"syncops/ui/tui/page"
)

// The page tracks the status of active jobs only, to tell when the state
// counts are stale; a job's end makes them stale and the job is forgotten
// (before, every job the console ever saw stayed in the map).
func TestObserveForgetsFinishedJobs(t *testing.T) {
	t.Parallel()
	e, err := engine.New(engine.Config{Store: enginetest.SQLite(t).Store(), NoWorkers: true})
	require.NoError(t, err)
	p := New(&page.Env{Engine: e})
	job := func(st engine.Status) engine.Job { return engine.Job{ID: 1, Type: "X", Status: st} }
	steps := []struct {
		job    engine.Job
		stale  bool
		active bool
	}{
		{job(engine.StatusPending), true, true},
		{job(engine.StatusPending), false, true},
		{job(engine.StatusRunning), true, true},
		{job(engine.StatusRunning), false, true},
		{job(engine.StatusCompleted), true, false},
		{job(engine.StatusCompleted), true, false}, // a repeated end only recounts
	}
	for i, st := range steps {
		p.countStale = false
		p.observe([]engine.Job{st.job})
		require.Equal(t, st.stale, p.countStale, "step %d", i)
		_, active := p.seen[1]
		require.Equal(t, st.active, active, "step %d", i)
	}
	require.Empty(t, p.seen)
}
