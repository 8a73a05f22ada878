package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"syncops/engine"
)

// value reads a counter.
func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var out dto.Metric
	require.NoError(t, c.Write(&out))
	return out.GetCounter().GetValue()
}

func snapshot(id engine.JobID, st engine.Status) engine.Job {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	j := engine.Job{ID: id, Type: "SYNC", Status: st, StartedAt: &t0, Processed: 2, Successful: 2}
	if st.Terminal() {
		end := t0.Add(time.Minute)
		j.CompletedAt = &end
	}
	return j
}

func TestObserveCountsEachJobOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		statuses          []engine.Status
		started, finished float64
	}{
		{"pending, running, completed", []engine.Status{engine.StatusPending, engine.StatusRunning, engine.StatusCompleted}, 1, 1},
		{"running twice", []engine.Status{engine.StatusRunning, engine.StatusRunning, engine.StatusCompleted}, 1, 1},
		{"cancelled, then its final counters", []engine.Status{engine.StatusRunning, engine.StatusCancelled, engine.StatusCancelled}, 1, 1},
		{"cancelled while pending", []engine.Status{engine.StatusPending, engine.StatusCancelled}, 0, 1},
		{"a late running after the end", []engine.Status{engine.StatusRunning, engine.StatusFailed, engine.StatusRunning}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := New(Sources{})
			for _, st := range tt.statuses {
				m.Observe(snapshot(1, st))
			}
			require.Equal(t, tt.started, value(t, m.started.WithLabelValues("SYNC")))
			var finished float64
			for _, st := range []engine.Status{engine.StatusCompleted, engine.StatusFailed, engine.StatusCancelled} {
				finished += value(t, m.finished.WithLabelValues("SYNC", string(st)))
			}
			require.Equal(t, tt.finished, finished)
			require.Empty(t, m.active, "a finished job is no longer tracked as active")
		})
	}
}

// Metrics once kept a marker for every job it ever saw; a long-running
// service grew it without end.
func TestObserveForgetsOldFinishedJobs(t *testing.T) {
	t.Parallel()
	m := New(Sources{})
	const jobs = finishedMemory + 100
	for id := range engine.JobID(jobs) {
		m.Observe(snapshot(id+1, engine.StatusRunning))
		m.Observe(snapshot(id+1, engine.StatusCompleted))
	}
	require.Empty(t, m.active)
	require.Len(t, m.done, finishedMemory)
	require.Len(t, m.ring, finishedMemory)
	m.Observe(snapshot(jobs, engine.StatusCompleted))
	require.Equal(t, float64(jobs), value(t, m.finished.WithLabelValues("SYNC", "COMPLETED")),
		"a recent job's repeated end is not counted again")
	require.Equal(t, float64(jobs), value(t, m.started.WithLabelValues("SYNC")))
}
