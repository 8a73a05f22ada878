package engine

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"syncops/store"
)

// Write lanes. Kinds that write the same values on the target (every kind
// that writes Shopify inventory) name one lane (Kind.Lane); their jobs never
// run at the same time, on one process or several sharing the database, so
// an older read of the source can never overwrite a newer one. Of the
// PENDING or RUNNING jobs of a lane only the oldest runs (store.LaneHead),
// once it holds the lane's lock (store.AcquireLane, a compare-and-set that
// also covers a job whose Start committed after a newer one's);
// a job started while another holds the lane either waits behind it or is
// refused with its id, as LaneParam says:
//
//	whenBusy=wait   (default) the job is queued: it stays PENDING, says which
//	                job it waits for in its metadata (waitingFor), and runs
//	                when every older job of the lane has ended. It is looked
//	                at again every few seconds (River's scheduler promotes a
//	                snoozed job about every 5 s).
//	whenBusy=refuse Start fails with a *ConflictError naming the lane and the
//	                job that holds it; should two processes start at the same
//	                instant, the one that is not the head fails at once
//	                (FAILED, the holder named) instead of waiting.
//
// A preview (DryRunParam) writes nothing and takes no lane.

// LaneParam is the parameter of a lane kind that says what a start does
// while another job holds the lane.
const LaneParam = "whenBusy"

// Values of LaneParam.
const (
	LaneWait   = "wait"
	LaneRefuse = "refuse"
)

// LaneParamSpec is LaneParam's spec, for the Params of a kind with a Lane.
var LaneParamSpec = ParamSpec{Name: LaneParam, Kind: ParamEnum, Enum: []string{LaneWait, LaneRefuse},
	Help: "while another job writes the same values: wait behind it (default), or refuse with its id"}

// lanePoll is how long a job waiting for its lane is snoozed before it
// looks again.
const lanePoll = time.Second

// laneOf is the lane a job of kind k with canonical params takes: none for
// a preview.
func laneOf(k *Kind, params json.RawMessage) string {
	if k.Lane == "" || isDryRun(params) {
		return ""
	}
	return k.Lane
}

// refusesWhenBusy reports whether canonical params ask to be refused rather
// than queued behind a lane's holder.
func refusesWhenBusy(params json.RawMessage) bool {
	var p struct {
		WhenBusy string `json:"whenBusy"`
	}
	return len(bytes.TrimSpace(params)) > 0 && json.Unmarshal(params, &p) == nil && strings.EqualFold(p.WhenBusy, LaneRefuse)
}

// enterLane runs in Start's transaction after the job's row is inserted:
// it puts the job in its lane, or refuses it when the lane is held and the
// job asked to be refused.
func (e *Engine) enterLane(ctx context.Context, tx *sql.Tx, id JobID, lane string, params json.RawMessage) error {
	if lane == "" {
		return nil
	}
	if refusesWhenBusy(params) {
		head, err := e.store.LaneHead(ctx, tx, lane)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			return &ConflictError{Type: head.Type, Existing: JobID(head.ID), Status: Status(head.Status), Lane: lane}
		}
	}
	return e.store.SetJobLane(ctx, tx, int64(id), lane)
}

// awaitLane is the worker's check before an attempt of a job in a lane:
// nil when the job is the lane's head and may run, or the error the worker
// returns instead of running it (a snooze while it waits, a cancel once it
// is refused).
func (w *jobWorker) awaitLane(ctx context.Context, rec store.JobRecord) error {
	e := w.engine
	lane, err := e.store.JobLane(ctx, e.store.Reader(), rec.ID)
	if err != nil || lane == "" {
		return err
	}
	head, err := e.store.LaneHead(ctx, e.store.Reader(), lane)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil // the job itself ended meanwhile; the start sees it
		}
		return err
	}
	if head.ID == rec.ID {
		// The head takes the lane's lock: a job with a higher id that
		// committed first (its Start raced this one's) may hold it still.
		holder, err := e.store.AcquireLane(ctx, e.store.DB(), lane, rec.ID, e.clock.Now())
		if err != nil || holder == rec.ID {
			return err
		}
		if head, err = e.store.Job(ctx, e.store.Reader(), holder); err != nil {
			return err
		}
	}
	id := JobID(rec.ID)
	if refusesWhenBusy(rec.Params) {
		msg := (&ConflictError{Type: head.Type, Existing: JobID(head.ID), Status: Status(head.Status), Lane: lane}).Error()
		err := w.finalWrite(ctx, id, "refuse the job", func(tx *sql.Tx) error {
			return e.store.FinishJob(ctx, tx, rec.ID, store.JobFailed, rec.Counters, rec.Metadata, msg, e.clock.Now())
		})
		e.hub.publishJob(ctx, id)
		return river.JobCancel(errors.Join(errors.New(msg), err))
	}
	if waitingFor(rec.Metadata) != head.ID {
		meta := setMetaKey(rec.Metadata, "waitingFor", map[string]any{"job": head.ID, "type": head.Type, "lane": lane})
		if err := e.store.SaveJobProgress(ctx, e.store.DB(), rec.ID, rec.Counters, meta, e.clock.Now()); err != nil {
			return err
		}
		e.hub.publishJob(ctx, id)
	}
	return river.JobSnooze(lanePoll)
}

// waitingFor is the job a waiting job's metadata names; 0 when none.
func waitingFor(meta json.RawMessage) int64 {
	var m struct {
		WaitingFor struct {
			Job int64 `json:"job"`
		} `json:"waitingFor"`
	}
	_ = json.Unmarshal(meta, &m) // metadata we wrote; unreadable reads as none
	return m.WaitingFor.Job
}

// setMetaKey returns meta with key set to v.
func setMetaKey(meta json.RawMessage, key string, v any) json.RawMessage {
	m := map[string]any{}
	_ = json.Unmarshal(meta, &m) // metadata we wrote; unreadable starts afresh
	m[key] = v
	b, err := json.Marshal(m)
	if err != nil {
		return meta
	}
	return b
}

// deleteMetaKey returns meta without key.
func deleteMetaKey(meta json.RawMessage, key string) json.RawMessage {
	m := map[string]json.RawMessage{}
	if json.Unmarshal(meta, &m) != nil {
		return meta
	}
	if _, ok := m[key]; !ok {
		return meta
	}
	delete(m, key)
	b, err := json.Marshal(m)
	if err != nil {
		return meta
	}
	return b
}
