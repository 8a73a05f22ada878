package tui

import (
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
	"syncops/ui/tui/page"
)

// The console keeps only the jobs still active: a job's end removes it,
// also when the end arrives before the list of jobs active at start (which
// was read before the job ended and still shows it running); before, such a
// job stayed in the map for the whole session.
func TestActiveJobsDropFinishedJobs(t *testing.T) {
	t.Parallel()
	running := func(id engine.JobID) engine.Job { return engine.Job{ID: id, Type: "X", Status: engine.StatusRunning} }
	ended := func(id engine.JobID) engine.Job { return engine.Job{ID: id, Type: "X", Status: engine.StatusCompleted} }
	tests := []struct {
		name string
		msgs []any
		want []engine.JobID
	}{
		{name: "runs, then ends", msgs: []any{
			activeJobsMsg{}, page.JobsChangedMsg{Jobs: []engine.Job{running(1)}}, page.JobsChangedMsg{Jobs: []engine.Job{ended(1)}},
		}},
		{name: "ends before the list of active jobs arrives", msgs: []any{
			page.JobsChangedMsg{Jobs: []engine.Job{ended(1)}}, activeJobsMsg{jobs: []engine.Job{running(1), running(2)}},
		}, want: []engine.JobID{2}},
		{name: "another job's end does not hide a running one", msgs: []any{
			page.JobsChangedMsg{Jobs: []engine.Job{ended(3)}}, activeJobsMsg{jobs: []engine.Job{running(1)}},
			page.JobsChangedMsg{Jobs: []engine.Job{ended(1)}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := engine.New(engine.Config{Store: enginetest.SQLite(t).Store(), NoWorkers: true})
			require.NoError(t, err)
			m := New(Options{Engine: e, Clock: clockwork.NewFakeClock()})
			t.Cleanup(m.Close)
			for _, msg := range tt.msgs {
				m.Update(msg)
			}
			var got []engine.JobID
			for id := range m.activeJobs {
				got = append(got, id)
			}
			require.ElementsMatch(t, tt.want, got)
			require.Nil(t, m.endedEarly, "nothing is kept once the list has arrived")
		})
	}
}
