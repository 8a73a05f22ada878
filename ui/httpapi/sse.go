package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"syncops/engine"
)

// Event streams are Server-Sent Events fed by the engine's event hub
// (engine.Subscribe), which also follows jobs run by other instances on the
// same database. Each event is
//
//	event: job
//	data: <the job, as GET /v1/jobs/{id} answers it>
//
// A stream opens with the comment ": subscribed" once the subscription is
// live, and sends a ": heartbeat" comment when idle. A job's stream starts
// with the job as it is and ends after its terminal event.

// openStream subscribes, lifts the write deadline (a stream lives longer
// than any answer) and sends the headers and the opening comment. The
// returned function ends the subscription.
func (s *Server) openStream(w http.ResponseWriter) (<-chan engine.Event, func(), error) {
	rc := http.NewResponseController(w)
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		return nil, nil, fmt.Errorf("event stream: lift write deadline: %w", err)
	}
	events, stop := s.engine.Subscribe()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // tell nginx not to buffer the stream
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": subscribed\n\n"); err != nil {
		stop()
		return nil, nil, err
	}
	if err := rc.Flush(); err != nil {
		stop()
		return nil, nil, err
	}
	return events, stop, nil
}

func writeEvent(w http.ResponseWriter, j engine.Job) error {
	data, err := json.Marshal(jobView(j))
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "event: job\ndata: %s\n\n", data); err != nil {
		return err
	}
	return http.NewResponseController(w).Flush()
}

// stream sends events until the client leaves, the server stops, the hub
// closes, or send says the stream is done.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, events <-chan engine.Event, send func(engine.Job) (bool, error)) {
	heartbeat := s.cfg.Clock.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()
	rc := http.NewResponseController(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.streams.Done():
			return
		case <-heartbeat.Chan():
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		case ev, ok := <-events:
			if !ok {
				return
			}
			done, err := send(ev.Job)
			if err != nil || done {
				return
			}
		}
	}
}

// jobEvents is GET /v1/jobs/{id}/events.
func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request) {
	id, err := pathJobID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Look the job up before answering, so a wrong id is a 404, not an
	// empty stream.
	if _, err := s.engine.Get(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	events, stop, err := s.openStream(w)
	if err != nil {
		s.logger.Debug("event stream not opened", "error", err)
		return
	}
	defer stop()
	// Read the job again after subscribing: a change between the two reads
	// arrives as an event, so nothing is missed; older snapshots are dropped.
	j, err := s.engine.Get(r.Context(), id)
	if err != nil {
		return
	}
	last := j.UpdatedAt
	if writeEvent(w, j) != nil || j.Status.Terminal() {
		return
	}
	s.stream(w, r, events, func(j engine.Job) (bool, error) {
		if j.ID != id || j.UpdatedAt.Before(last) {
			return false, nil
		}
		last = j.UpdatedAt
		return j.Status.Terminal(), writeEvent(w, j)
	})
}

// allEvents is GET /v1/events: every job's changes.
func (s *Server) allEvents(w http.ResponseWriter, r *http.Request) {
	events, stop, err := s.openStream(w)
	if err != nil {
		s.logger.Debug("event stream not opened", "error", err)
		return
	}
	defer stop()
	s.stream(w, r, events, func(j engine.Job) (bool, error) { return false, writeEvent(w, j) })
}
