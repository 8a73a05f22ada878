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

// grace is finishedGrace, or two follow intervals when those are longer, so
// the follower reads a finished job's row before the hub forgets it.
func (h *hub) grace() time.Duration {
	return max(finishedGrace, 2*h.engine.cfg.FollowInterval)
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

// follow publishes jobs changed by any process, read from the database.
func (h *hub) follow(ctx context.Context) {
	defer h.followers.Done()
	e := h.engine
	since := e.clock.Now().Add(-time.Second).UnixMilli()
	// Rows changed in the millisecond of since are read again on the next
	// tick; atSince are the jobs already read at it, so that a finished
	// job the hub has forgotten is not published a second time.
	atSince := map[JobID]bool{}
	ticker := e.clock.NewTicker(e.cfg.FollowInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.Chan():
		}
		recs, err := e.store.JobsUpdatedSince(ctx, e.store.Reader(), since, 500)
		if err != nil {
			if ctx.Err() == nil {
				e.logger.WarnContext(ctx, "follow jobs", slog.Any("error", err))
			}
			continue
		}
		for _, r := range recs {
			j := jobFromRecord(r)
			if ms := r.UpdatedAt.UnixMilli(); ms > since {
				since = ms
				clear(atSince)
			}
			if atSince[j.ID] {
				continue
			}
			atSince[j.ID] = true
			h.mu.Lock()
			last, seen := h.lastSeen[j.ID]
			h.mu.Unlock()
			if seen && !j.UpdatedAt.After(last) {
				continue
			}
			h.publish(j)
		}
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
