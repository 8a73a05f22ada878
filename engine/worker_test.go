package engine_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/store"
	"syncops/store/storetest"
)

// recordingHandler keeps the records logged at warning level and above.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
	logged  chan struct{} // receives after each record kept
}

func (h *recordingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	select {
	case h.logged <- struct{}{}:
	default:
	}
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// finalWriteFailure finds the record of a failed final write.
func (h *recordingHandler) finalWriteFailure() (jobID int64, errText string, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		if r.Message != "job's final write failed" {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "job_id":
				jobID = a.Value.Int64()
			case "error":
				errText = a.Value.String()
			}
			return true
		})
		return jobID, errText, true
	}
	return 0, "", false
}

// TestFinalWritesCommitTogetherAndFailLoudly makes one of the worker's final
// writes fail (a trigger refuses it) and requires that none of them commits
// and that the failure is logged with the job id.
func TestFinalWritesCommitTogetherAndFailLoudly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trigger string // SQLite trigger that refuses one of the final writes
		end     func(b *testBundle, e *engine.Engine)
		check   func(t *testing.T, job store.JobRecord, attempts []store.JobAttempt)
	}{
		{
			name: "finish: the attempt's outcome is refused, so the job is not COMPLETED either",
			trigger: `CREATE TRIGGER refuse_outcome BEFORE UPDATE OF outcome ON job_attempts
				BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
			end: func(b *testBundle, _ *engine.Engine) { close(b.gate) },
			check: func(t *testing.T, job store.JobRecord, attempts []store.JobAttempt) {
				require.Equal(t, store.JobRunning, job.Status)
				require.True(t, job.CompletedAt.IsZero())
				require.Empty(t, attempts[0].Outcome)
			},
		},
		{
			name: "shutdown: the requeue is refused, so the attempt is not closed either",
			trigger: `CREATE TRIGGER refuse_requeue BEFORE UPDATE OF status ON jobs WHEN NEW.status = 'PENDING'
				BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
			end: func(_ *testBundle, e *engine.Engine) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = e.Stop(ctx)
			},
			check: func(t *testing.T, job store.JobRecord, attempts []store.JobAttempt) {
				require.Equal(t, store.JobRunning, job.Status)
				require.Empty(t, attempts[0].Outcome)
				require.True(t, attempts[0].FinishedAt.IsZero())
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := &testBundle{gate: make(chan struct{})}
			s := storetest.Open(t, store.SQLite)
			b.store = s
			logs := &recordingHandler{logged: make(chan struct{}, 1)}
			e, err := engine.New(engine.Config{Store: s, Kinds: testKinds(b), FlushInterval: 20 * time.Millisecond,
				FollowInterval: 20 * time.Millisecond, Logger: slog.New(logs)})
			require.NoError(t, err)
			require.NoError(t, e.StartWorkers(ctx))
			t.Cleanup(func() {
				stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = e.Stop(stopCtx)
			})
			id, err := e.Start(ctx, "gated", map[string]string{"n": "10"}, engine.StartOptions{})
			require.NoError(t, err)
			waitFor(t, e, id, status(engine.StatusRunning))
			_, err = s.DB().ExecContext(ctx, tt.trigger)
			require.NoError(t, err)

			tt.end(b, e)
			deadline := time.After(30 * time.Second)
			for {
				if _, _, ok := logs.finalWriteFailure(); ok {
					break
				}
				select {
				case <-logs.logged:
				case <-deadline:
					logs.mu.Lock()
					for _, r := range logs.records {
						t.Log("LOG", r.Level, r.Message)
						r.Attrs(func(a slog.Attr) bool { t.Log("   ", a.Key, a.Value.String()); return true })
					}
					logs.mu.Unlock()
					j, _ := b.store.Job(ctx, b.store.Reader(), int64(id))
					t.Logf("job %+v", j)
					t.Fatal("no failed final write was logged")
				}
			}
			jobID, errText, _ := logs.finalWriteFailure()
			require.Equal(t, int64(id), jobID)
			require.Contains(t, errText, "injected failure")

			job, err := s.Job(ctx, s.Reader(), int64(id))
			require.NoError(t, err)
			attempts, err := s.JobAttempts(ctx, s.Reader(), int64(id))
			require.NoError(t, err)
			require.Len(t, attempts, 1)
			tt.check(t, job, attempts)
			require.False(t, strings.Contains(job.Error, "injected"), "nothing of the failed transaction committed")
		})
	}
}
