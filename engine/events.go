package engine

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Event tells a watcher that a job changed; it carries the job as it is now,
// so a watcher that misses intermediate events still shows the latest state.
type Event struct {
	Job Job
}

// subscriberBuffer is how many events a slow subscriber may lag behind; when
// it is full the oldest event is dropped (each event is a full snapshot).
const subscriberBuffer = 256

// finishedGrace is how long the hub remembers a finished job after it
// published it: long enough to drop a stale snapshot that arrives late (two
// goroutines publishing the same job) and to recognise the follower reading
// the row the local path already published. Then the job is forgotten, so
// the hub's memory does not grow with every job ever run.
const finishedGrace = time.Minute

// hub fans job events out to subscribers. Events of jobs run in this process
// are published as they happen; while anyone subscribes, a follower also
// reads jobs changed by other processes from the database every
// FollowInterval, so a console sees work done by a headless service on the
// same database.
//
// Per job the hub keeps the last UpdatedAt it published, only while the job
// is active and for finishedGrace after its terminal snapshot, and nothing
// at all while no one subscribes.
type hub struct {
	engine *Engine

	mu        sync.Mutex
	subs      map[int]chan Event
	nextID    int
	lastSeen  map[JobID]time.Time // last UpdatedAt published per job
	finished  map[JobID]time.Time // when a terminal snapshot was published
	lastSweep time.Time
	follower  context.CancelFunc
	followers sync.WaitGroup
	closed    bool
}

func newHub(e *Engine) *hub {
	return &hub{engine: e, subs: map[int]chan Event{}, lastSeen: map[JobID]time.Time{}, finished: map[JobID]time.Time{}}
}

// grace is finishedGrace, or longer when the follower's interval and overlap
// need it: the hub forgets a finished job only once the follower can no
// longer read its row again, so it is never published twice.
func (h *hub) grace() time.Duration {
	return max(finishedGrace, 2*(h.engine.cfg.FollowInterval+followOverlap))
}

// forgetFinished drops the jobs finished longer than the grace ago, at most
// once per grace period. Called with mu held.
func (h *hub) forgetFinished(now time.Time) {
	grace := h.grace()
	if now.Sub(h.lastSweep) < grace {
		return
	}
	h.lastSweep = now
	for id, at := range h.finished {
		if now.Sub(at) >= grace {
			delete(h.finished, id)
			delete(h.lastSeen, id)
		}
	}
}

// Subscribe returns a stream of job events and a function that ends it. The
// channel is closed when the subscription ends or the engine stops.
func (e *Engine) Subscribe() (<-chan Event, func()) {
	return e.hub.subscribe()
}

func (h *hub) subscribe() (<-chan Event, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := make(chan Event, subscriberBuffer)
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	id := h.nextID
	h.nextID++
	h.subs[id] = ch
	if h.follower == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.follower = cancel
		h.followers.Add(1)
		go h.follow(ctx)
	}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if _, ok := h.subs[id]; !ok {
				return
			}
			delete(h.subs, id)
			close(ch)
			if len(h.subs) == 0 {
				// Nobody left to deduplicate for.
				clear(h.lastSeen)
				clear(h.finished)
				if h.follower != nil {
					h.follower()
					h.follower = nil
				}
			}
		})
	}
}

// publishJob reads the job and publishes it.
func (h *hub) publishJob(ctx context.Context, id JobID) {
	h.mu.Lock()
	n := len(h.subs)
	h.mu.Unlock()
	if n == 0 {
		return
	}
	j, err := h.engine.Get(context.WithoutCancel(ctx), id)
	if err != nil {
		h.engine.logger.DebugContext(ctx, "publish job event", slog.Int64("job_id", int64(id)), slog.Any("error", err))
		return
	}
	h.publish(j)
}

func (h *hub) publish(j Job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if last, ok := h.lastSeen[j.ID]; ok && j.UpdatedAt.Before(last) {
		return // an older snapshot arriving late
	}
	h.lastSeen[j.ID] = j.UpdatedAt
	now := h.engine.clock.Now()
	if j.Status.Terminal() {
		h.finished[j.ID] = now
	}
	h.forgetFinished(now)
	for _, ch := range h.subs {
		select {
		case ch <- Event{Job: j}:
		default:
			select { // drop the oldest to make room
			case <-ch:
			default:
			}
			select {
			case ch <- Event{Job: j}:
			default:
			}
		}
	}
}

// followOverlap is how far back of its previous read the follower reads
// again. A row's updated_at is stamped by the writing process before its
// transaction commits, and the commit can wait for the database (SQLite's
// busy timeout is 10 s): a change stamped earlier than one already read can
// become visible later. Reading the overlap again catches it; the hub drops
// what it has already published (lastSeen), and its grace outlasts the
// overlap, so nothing is published twice. The same margin covers the clock
// of another host running behind this one's.
const followOverlap = 15 * time.Second

// followPage is how many changed rows the follower reads per query.
const followPage = 500

// follow publishes jobs changed by any process, read from the database.
func (h *hub) follow(ctx context.Context) {
	defer h.followers.Done()
	e := h.engine
	ticker := e.clock.NewTicker(e.cfg.FollowInterval)
	defer ticker.Stop()
	prev := e.clock.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.Chan():
		}
		now := e.clock.Now()
		// Never older than the hub's grace: a finished job it has
		// forgotten would be published again (after a stall of the
		// follower, its previous read can be that old).
		since := max(prev.Add(-followOverlap).UnixMilli(), now.Add(-h.grace()).UnixMilli()+1)
		if err := h.readChanges(ctx, since); err != nil {
			if ctx.Err() == nil {
				e.logger.WarnContext(ctx, "follow jobs", slog.Any("error", err))
			}
			continue // read the same span again on the next tick
		}
		prev = now
	}
}

// readChanges publishes every job row changed at or after since (unix ms)
// that the hub has not published at that version already.
func (h *hub) readChanges(ctx context.Context, since int64) error {
	e := h.engine
	var afterID int64
	for {
		recs, err := e.store.JobsUpdatedSince(ctx, e.store.Reader(), since, afterID, followPage)
		if err != nil {
			return err
		}
		for _, r := range recs {
			j := jobFromRecord(r)
			h.mu.Lock()
			last, seen := h.lastSeen[j.ID]
			h.mu.Unlock()
			if !seen || j.UpdatedAt.After(last) {
				h.publish(j)
			}
		}
		if len(recs) < followPage {
			return nil
		}
		last := recs[len(recs)-1]
		since, afterID = last.UpdatedAt.UnixMilli(), last.ID
	}
}

// close ends every subscription and the follower.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	for id, ch := range h.subs {
		delete(h.subs, id)
		close(ch)
	}
	if h.follower != nil {
		h.follower()
		h.follower = nil
	}
	h.mu.Unlock()
	h.followers.Wait()
}
