package engine_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/engine"
	"syncops/internal/testbin"
	"syncops/store"
)

// The crash test runs this test binary again as a child worker process
// (TestMain dispatches on these variables), kills it with SIGKILL in the
// middle of a job, and lets a fresh engine rescue and finish the job.
const (
	childDSNEnv    = "SYNCOPS_ENGINE_CHILD_DSN"
	childMarkerEnv = "SYNCOPS_ENGINE_CHILD_MARKER"
)

// Sizes of the checkpointing test job.
const (
	crashItems     = 120
	crashEvery     = 10 // checkpoint every 10 items
	crashStopAt    = 75 // the child stops (and is killed) after this item
	crashFailEvery = 7  // items divisible by 7 fail
)

const crashAttemptTimeout = 4 * time.Second

func TestMain(m *testing.M) {
	if dsn := os.Getenv(childDSNEnv); dsn != "" {
		os.Exit(runChildWorker(dsn, os.Getenv(childMarkerEnv)))
	}
	os.Exit(testbin.Main(m))
}

// checkpointingKind counts through crashItems, checkpointing every
// crashEvery items. With stopAt > 0 it writes marker and blocks after that
// item, to be killed there.
func checkpointingKind(stopAt int, marker string) engine.Kind {
	return engine.Kind{
		Type: "CHECKPOINTING", Label: "Checkpointing", AttemptTimeout: crashAttemptTimeout,
		Run: func(ctx context.Context, r *engine.Run) error {
			var next int
			if ok, err := r.Resume(&next); err != nil {
				return err
			} else if !ok {
				next = 1
			}
			r.SetTotal(crashItems)
			for i := next; i <= crashItems; i++ {
				if i%crashFailEvery == 0 {
					if err := r.Fail(ctx, engine.Failure{Key: fmt.Sprintf("n%d", i), Message: "divisible by 7",
						Class: apierr.ClassValidation}); err != nil {
						return err
					}
				} else {
					r.Succeeded(1)
				}
				if i%crashEvery == 0 {
					if err := r.Checkpoint(ctx, i+1); err != nil {
						return err
					}
				}
				if i == stopAt {
					if err := os.WriteFile(marker, []byte("here"), 0o600); err != nil {
						return err
					}
					<-ctx.Done() // wait to be killed
					return ctx.Err()
				}
			}
			return nil
		},
	}
}

func runChildWorker(dsn, marker string) int {
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	e, err := engine.New(engine.Config{Store: s, Kinds: []engine.Kind{checkpointingKind(crashStopAt, marker)},
		FlushInterval: 10 * time.Millisecond, RescueMargin: time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := e.StartWorkers(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	select {} // until killed
}

func TestJobInKilledProcessIsRescuedAndResumes(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills a child process and waits for River's rescue")
	}
	forBackends(t, func(t *testing.T, d store.Dialect) {
		dsn := setupDSN(t, d)
		ctx := context.Background()
		s, err := store.Open(ctx, dsn, "")
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		require.NoError(t, s.Migrate(ctx, nil))

		// Insert the job from an engine that runs nothing.
		inserter, err := engine.New(engine.Config{Store: s, Kinds: []engine.Kind{checkpointingKind(0, "")}, NoWorkers: true})
		require.NoError(t, err)
		id, err := inserter.Start(ctx, "CHECKPOINTING", nil, engine.StartOptions{})
		require.NoError(t, err)

		marker := filepath.Join(t.TempDir(), "marker")
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), childDSNEnv+"="+dsn, childMarkerEnv+"="+marker)
		child.Stderr = os.Stderr
		require.NoError(t, child.Start())
		require.Eventually(t, func() bool { _, err := os.Stat(marker); return err == nil }, 60*time.Second, 20*time.Millisecond,
			"the child never reached item %d", crashStopAt)
		require.NoError(t, child.Process.Signal(syscall.SIGKILL))
		_ = child.Wait()

		rec, err := s.Job(ctx, s.Reader(), int64(id))
		require.NoError(t, err)
		require.Equal(t, store.JobRunning, rec.Status, "the dead worker's job is still marked running")
		require.GreaterOrEqual(t, rec.Counters.Processed, int64(crashStopAt-crashStopAt%crashEvery),
			"the last checkpoint wrote its counters")

		killedAt := time.Now()
		rescuer, err := engine.New(engine.Config{Store: s, Kinds: []engine.Kind{checkpointingKind(0, "")},
			FlushInterval: 10 * time.Millisecond, RescueMargin: time.Second})
		require.NoError(t, err)
		require.NoError(t, rescuer.StartWorkers(ctx))
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = rescuer.Stop(stopCtx)
		})
		j := waitFor(t, rescuer, id, status(engine.StatusCompleted))
		t.Logf("%s: rescued and finished %s after the kill", d, time.Since(killedAt).Round(time.Second))

		wantFailed := int64(crashItems / crashFailEvery)
		require.Equal(t, engine.Counters{Total: crashItems, Processed: crashItems,
			Successful: crashItems - wantFailed, Failed: wantFailed}, j.Counters())
		items, n, err := rescuer.Failures(ctx, engine.FailureFilter{JobID: int64(id), Limit: 1000})
		require.NoError(t, err)
		require.Equal(t, wantFailed, n)
		for i, it := range items {
			require.Equal(t, fmt.Sprintf("n%d", (i+1)*crashFailEvery), it.ItemKey)
		}
		attempts, err := rescuer.Attempts(ctx, id)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(attempts), 2, "the rescue is a new attempt")
	})
}
