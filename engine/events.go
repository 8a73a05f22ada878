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

// hub fans job events out to subscribers. Events of jobs run in this process
// are published as they happen; while anyone subscribes, a follower also
// reads jobs changed by other processes from the database every
// FollowInterval, so a console sees work done by a headless service on the
// same database.
type hub struct {
	engine *Engine

	mu        sync.Mutex
	subs      map[int]chan Event
	nextID    int
	lastSeen  map[JobID]time.Time // last UpdatedAt published per job
	follower  context.CancelFunc
	followers sync.WaitGroup
	closed    bool
}

func newHub(e *Engine) *hub {
	return &hub{engine: e, subs: map[int]chan Event{}, lastSeen: map[JobID]time.Time{}}
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
			if len(h.subs) == 0 && h.follower != nil {
				h.follower()
				h.follower = nil
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
			h.mu.Lock()
			last, seen := h.lastSeen[j.ID]
			h.mu.Unlock()
			if seen && !j.UpdatedAt.After(last) {
				continue
			}
			h.publish(j)
			// Rows written in the same millisecond as the last one read are
			// read again next time; lastSeen filters the repeats.
			since = max(since, r.UpdatedAt.UnixMilli())
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
