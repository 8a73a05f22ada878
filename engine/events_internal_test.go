package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

// The hub remembers a job while it is active and for finishedGrace after its
// terminal snapshot (to drop stale snapshots arriving late), then forgets
// it; with no subscriber it remembers nothing. Before, every job ever
// published stayed in its map for the life of the process.
func TestHubForgetsFinishedJobs(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.SQLite)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	e, err := New(Config{Store: s, NoWorkers: true, Clock: clock,
		Kinds: []Kind{{Type: "NOOP", Run: func(context.Context, *Run) error { return nil }}}})
	require.NoError(t, err)
	h := e.hub
	events, stop := e.Subscribe()
	t0 := clock.Now()
	snapshot := func(id JobID, st Status, at time.Duration) Job {
		return Job{ID: id, Type: "NOOP", Status: st, UpdatedAt: t0.Add(at)}
	}
	remembered := func(id JobID) bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		_, ok := h.lastSeen[id]
		return ok
	}
	delivered := func() []Job {
		var out []Job
		for {
			select {
			case ev := <-events:
				out = append(out, ev.Job)
			default:
				return out
			}
		}
	}

	h.publish(snapshot(1, StatusRunning, time.Second))
	h.publish(snapshot(1, StatusCompleted, 2*time.Second))
	h.publish(snapshot(1, StatusRunning, time.Second)) // late and stale
	require.Equal(t, []Job{snapshot(1, StatusRunning, time.Second), snapshot(1, StatusCompleted, 2*time.Second)}, delivered())

	clock.Advance(finishedGrace / 2)
	h.publish(snapshot(2, StatusRunning, time.Second))
	require.True(t, remembered(1), "within the grace a finished job is still known")
	h.publish(snapshot(1, StatusRunning, time.Second))
	require.Len(t, delivered(), 1, "so a stale snapshot of it is still dropped")

	clock.Advance(finishedGrace)
	h.publish(snapshot(2, StatusRunning, 3*time.Second))
	require.False(t, remembered(1), "a job finished longer than the grace ago is forgotten")
	require.True(t, remembered(2), "an active job is kept")
	h.publish(snapshot(2, StatusFailed, 4*time.Second))
	clock.Advance(finishedGrace)
	h.publish(snapshot(3, StatusRunning, time.Second))
	require.False(t, remembered(2))
	h.mu.Lock()
	require.Len(t, h.lastSeen, 1)
	require.Len(t, h.finished, 0)
	h.mu.Unlock()

	stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Empty(t, h.lastSeen, "nothing is kept for no subscriber")
	require.Empty(t, h.finished)
}

// The follower reads rows changed in the millisecond of its watermark again
// on the next tick; a finished job the hub has forgotten must not be
// published a second time then.
func TestFollowerDoesNotRepublishForgottenJobs(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.SQLite)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	e, err := New(Config{Store: s, NoWorkers: true, Clock: clock,
		Kinds: []Kind{{Type: "NOOP", Run: func(context.Context, *Run) error { return nil }}}})
	require.NoError(t, err)
	ctx := context.Background()
	events, stop := e.Subscribe()
	t.Cleanup(stop)
	require.NoError(t, clock.BlockUntilContext(ctx, 1), "the follower's ticker")
	insert := func(id int64, at time.Time) {
		require.NoError(t, s.InsertJob(ctx, s.DB(), store.JobRecord{ID: id, Type: "NOOP",
			UniqueKey: fmt.Sprint("k", id), CreatedAt: at}))
	}
	next := func() Job {
		select {
		case ev := <-events:
			return ev.Job
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return Job{}
		}
	}
	t0 := clock.Now()
	insert(1, t0)
	_, err = s.CancelJobRecord(ctx, s.DB(), 1, "by ops", t0)
	require.NoError(t, err)
	insert(2, t0)
	clock.Advance(e.cfg.FollowInterval)
	got := []JobID{next().ID, next().ID}
	require.ElementsMatch(t, []JobID{1, 2}, got, "the follower read both")

	clock.Advance(e.hub.grace() + time.Second)
	e.hub.publish(Job{ID: 99, Type: "NOOP", Status: StatusRunning, UpdatedAt: clock.Now()})
	require.Equal(t, JobID(99), next().ID)
	e.hub.mu.Lock()
	_, remembered := e.hub.lastSeen[1]
	e.hub.mu.Unlock()
	require.False(t, remembered, "job 1 is forgotten")

	insert(3, clock.Now())
	clock.Advance(e.cfg.FollowInterval)
	require.Equal(t, JobID(3), next().ID, "job 1, read again at the watermark, is not published again")
}

// A row's updated_at is stamped before its transaction commits, so another
// process can make a change visible after one stamped later was read. The
// follower reads an overlap again: a late commit is still published once,
// and a span with more changed rows than one page is read whole.
func TestFollowerSeesLateCommitsAndReadsEveryPage(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.SQLite)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	e, err := New(Config{Store: s, NoWorkers: true, Clock: clock,
		Kinds: []Kind{{Type: "NOOP", Run: func(context.Context, *Run) error { return nil }}}})
	require.NoError(t, err)
	ctx := context.Background()
	events, stop := e.Subscribe()
	t.Cleanup(stop)
	require.NoError(t, clock.BlockUntilContext(ctx, 1), "the follower's ticker")
	insert := func(id int64, at time.Time) {
		require.NoError(t, s.InsertJob(ctx, s.DB(), store.JobRecord{ID: id, Type: "NOOP",
			UniqueKey: fmt.Sprint("k", id), CreatedAt: at}))
	}
	next := func() Job {
		select {
		case ev := <-events:
			return ev.Job
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return Job{}
		}
	}
	quiet := func() {
		select {
		case ev := <-events:
			t.Fatalf("unexpected event for job %d", ev.Job.ID)
		default:
		}
	}
	t0 := clock.Now()
	insert(1, t0.Add(2*time.Second)) // committed first, stamped later
	clock.Advance(e.cfg.FollowInterval)
	require.Equal(t, JobID(1), next().ID)

	insert(2, t0) // stamped before job 1's row, visible only now
	clock.Advance(e.cfg.FollowInterval)
	require.Equal(t, JobID(2), next().ID, "the late commit is published")
	clock.Advance(e.cfg.FollowInterval)
	require.NoError(t, clock.BlockUntilContext(ctx, 1))
	quiet() // rows read again in the overlap are not published twice

	// More rows changed in one millisecond than a page holds: every one is
	// read (the hub remembers each it published).
	for id := int64(100); id < 100+followPage+50; id++ {
		insert(id, t0.Add(3*time.Second))
	}
	require.NoError(t, e.hub.readChanges(ctx, t0.Add(3*time.Second).UnixMilli()))
	e.hub.mu.Lock()
	defer e.hub.mu.Unlock()
	for id := JobID(100); id < JobID(100+followPage+50); id++ {
		_, ok := e.hub.lastSeen[id]
		require.True(t, ok, "job %d was read", id)
	}
}
