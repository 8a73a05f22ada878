package sshd_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
	"syncops/ui/sshd"
	"syncops/ui/tui"
)

// consoleWorld is an engine with one job kind whose body runs until it is
// cancelled (counting an item every "every" milliseconds when set), and the
// real console on top of it.
type consoleWorld struct {
	engine  *engine.Engine
	reached chan engine.JobID // a WAITER body started
}

func newConsoleWorld(t testing.TB) *consoleWorld {
	t.Helper()
	w := &consoleWorld{reached: make(chan engine.JobID, 4)}
	e, err := engine.New(engine.Config{Store: enginetest.SQLite(t).Store(), Kinds: []engine.Kind{{
		Type: "WAITER", Label: "Waiter", Description: "Runs until cancelled.",
		Params: []engine.ParamSpec{{Name: "every", Kind: engine.ParamInt, Default: "0", Help: "ms per counted item"}},
		Run: func(ctx context.Context, r *engine.Run) error {
			var p struct{ Every int64 }
			if err := r.Params(&p); err != nil {
				return err
			}
			r.SetTotal(3)
			r.Succeeded(1)
			w.reached <- r.ID()
			if p.Every == 0 {
				<-ctx.Done()
				return ctx.Err()
			}
			r.SetTotal(math.MaxInt32)
			tick := time.NewTicker(time.Duration(p.Every) * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-tick.C:
					r.Succeeded(1)
				}
			}
		},
	}}, AttemptTimeout: time.Hour, MaintenanceInterval: 24 * time.Hour})
	require.NoError(t, err)
	w.engine = e
	require.NoError(t, e.StartWorkers(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		require.NoError(t, e.Stop(ctx))
	})
	return w
}

// console is the production wiring of a session's console.
func (w *consoleWorld) console(s sshd.Session) tea.Model {
	return tui.New(tui.Options{Engine: w.engine, Actor: s.Actor, ReadOnly: s.ReadOnly,
		DatabaseName: "syncops.db", Context: s.Context})
}

func (w *consoleWorld) bodyStarted(t testing.TB) engine.JobID {
	t.Helper()
	select {
	case id := <-w.reached:
		return id
	case <-time.After(waitTimeout):
		require.FailNow(t, "no job body started")
		return 0
	}
}

// TestOperatorStartsAndCancelsAJobOverSSH: an operator's keys reach the
// engine, and the audit log names the key that did it.
func TestOperatorStartsAndCancelsAJobOverSSH(t *testing.T) {
	t.Parallel()
	w := newConsoleWorld(t)
	b := setup(t, func(c *sshd.Config) { c.NewModel = w.console })
	con := openConsole(t, b.connect(t, b.operator), 120, 40)
	con.waitFor(t, "Never run. Press s to start it.")

	con.press(t, "s")
	con.waitFor(t, "Start Waiter (WAITER)")
	con.press(t, "\r")
	id := w.bodyStarted(t)
	con.waitFor(t, fmt.Sprintf("started WAITER as job #%d", id))
	con.waitFor(t, fmt.Sprintf("Job #%d Running", id))

	con.press(t, "c")
	con.waitFor(t, fmt.Sprintf("Cancel job #%d?", id))
	con.press(t, "y")
	con.waitFor(t, fmt.Sprintf("Job #%d Cancelled", id))

	ctx := t.Context()
	job, err := w.engine.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, engine.StatusCancelled, job.Status)
	actor := fingerprint(b.operator) + " alice@ops"
	require.Equal(t, "ssh:"+actor, job.RequestedBy)
	entries, err := w.engine.Audit(ctx, engine.AuditFilter{})
	require.NoError(t, err)
	actions := map[string]bool{}
	for _, e := range entries {
		require.Equal(t, engine.ActorSSH, e.ActorKind)
		require.Equal(t, actor, e.Actor)
		require.Equal(t, int64(id), e.JobID)
		actions[e.Action] = true
	}
	require.Equal(t, map[string]bool{"job.start": true, "job.cancel": true}, actions)

	con.press(t, "q")
	require.Equal(t, 0, con.wait(t))
}

// TestViewerSeesTheConsoleButChangesNothing: a viewer's key gets the same
// console, every action is refused with a message, and the database is as
// it was.
func TestViewerSeesTheConsoleButChangesNothing(t *testing.T) {
	t.Parallel()
	w := newConsoleWorld(t)
	ctx := t.Context()
	id, err := w.engine.Start(ctx, "WAITER", nil, engine.StartOptions{Actor: engine.Actor{Kind: engine.ActorCLI, Name: "ops"}})
	require.NoError(t, err)
	require.Equal(t, id, w.bodyStarted(t))
	auditBefore, err := w.engine.Audit(ctx, engine.AuditFilter{})
	require.NoError(t, err)

	b := setup(t, func(c *sshd.Config) { c.NewModel = w.console })
	con := openConsole(t, b.connect(t, b.viewer), 120, 40)
	con.waitFor(t, "READ-ONLY")
	con.waitFor(t, fmt.Sprintf("Job #%d Running", id))
	for _, step := range []struct{ keys, want string }{
		{keys: "s", want: "starting WAITER refused: this is a read-only session"},
		{keys: "c", want: "cancelling WAITER refused: this is a read-only session"},
		{keys: "\r", want: fmt.Sprintf("Job #%d  RUNNING", id)}, // the job's detail page: viewing is allowed
		{keys: "c", want: fmt.Sprintf("cancelling job #%d refused: this is a read-only session", id)},
	} {
		con.press(t, step.keys)
		con.waitFor(t, step.want)
	}

	job, err := w.engine.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, engine.StatusRunning, job.Status)
	jobs, err := w.engine.List(ctx, engine.ListFilter{})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	auditAfter, err := w.engine.Audit(ctx, engine.AuditFilter{})
	require.NoError(t, err)
	require.Equal(t, auditBefore, auditAfter)
}
