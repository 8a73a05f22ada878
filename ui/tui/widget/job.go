package widget

import (
	"time"

	"syncops/engine"
	"syncops/ui/tui/format"
)

// Speed is a job's rate and time left, as the engine derived them.
type Speed struct {
	Rate float64 // items per second; 0 when unknown
	ETA  time.Duration
	// HasETA is false when the engine has no estimate (not running, or no
	// items done yet).
	HasETA bool
	// Stalled is how long a running job has made no progress, when that is
	// at least StallAfter: its last rate and ETA no longer say anything.
	Stalled time.Duration
}

// StallAfter is how long a running job may go without progress before its
// rate and ETA give way to "stalled for 2m". The engine writes a running
// job's counters every second while they move.
const StallAfter = time.Minute

// JobSpeed is the engine's rate and ETA of a job, as of
// now: a running job whose counters have not moved for StallAfter is
// stalled, and its rate and ETA are not shown as if they were current.
func JobSpeed(j engine.Job, now time.Time) Speed {
	sp := jobSpeed(j)
	if idle := now.Sub(j.UpdatedAt); j.Status == engine.StatusRunning && !j.UpdatedAt.IsZero() && idle >= StallAfter {
		sp.Stalled, sp.Rate, sp.HasETA = idle, 0, false
	}
	return sp
}

// StallText is "stalled for 2m05s", or "" when the job is moving.
func (sp Speed) StallText() string {
	if sp.Stalled <= 0 {
		return ""
	}
	return "stalled for " + format.Duration(sp.Stalled)
}

func jobSpeed(j engine.Job) Speed {
	return Speed{Rate: j.Rate, ETA: j.ETA, HasETA: j.HasETA}
}

// RateText is the rate, "stalled", or "–".
func (sp Speed) RateText() string {
	if sp.Stalled > 0 {
		return "stalled"
	}
	if sp.Rate <= 0 {
		return "–"
	}
	return format.Rate(sp.Rate)
}

// ETAText is the time left, or "–".
func (sp Speed) ETAText() string {
	if !sp.HasETA {
		return "–"
	}
	return format.Duration(sp.ETA)
}

// Elapsed is how long the job has run: until it finished, or until now.
func Elapsed(j engine.Job, now time.Time) (time.Duration, bool) {
	if j.StartedAt == nil {
		return 0, false
	}
	end := now
	if j.CompletedAt != nil {
		end = *j.CompletedAt
	}
	return end.Sub(*j.StartedAt), true
}

// ElapsedText is Elapsed as text, or "–" when the job never started.
func ElapsedText(j engine.Job, now time.Time) string {
	d, ok := Elapsed(j, now)
	if !ok {
		return "–"
	}
	return format.Duration(d)
}

// Progress is how far a job has come, as a bar can show it.
type Progress struct {
	// Fraction is the share of items processed, in [0, 1]; meaningful only
	// when Known.
	Fraction float64
	// Known is false when the job's total is not known ahead of its work:
	// pulls grow their total page by page, so a total that only keeps up
	// with what was processed says nothing about what is left.
	Known bool
	// Status is the job's status, which picks the bar's colour and what an
	// unknown total looks like (still counting, or stopped).
	Status engine.Status
}

// JobProgress reads how far a job has come. A completed job is whole (even
// with no items); an active job whose total does not run ahead of what it
// processed is counting towards an unknown end; a cancelled or failed job
// shows what it reached, never a full bar unless its known total was done.
func JobProgress(j engine.Job) Progress {
	p := Progress{Status: j.Status}
	switch {
	case j.Status == engine.StatusCompleted:
		p.Known, p.Fraction = true, 1
		if j.Total > 0 {
			p.Fraction = format.Percent(j.Processed, j.Total)
		}
	case j.Total > j.Processed:
		p.Known, p.Fraction = true, format.Percent(j.Processed, j.Total)
	}
	return p
}

// DoneText is how many items a job processed, with its total when the
// total is known: "400/1,000", "1,250 so far" while an unknown total is
// still growing, "1,250" for a job that stopped before its end was known.
func DoneText(j engine.Job) string {
	pr := JobProgress(j)
	switch {
	case pr.Known:
		return format.Fraction(j.Processed, j.Total)
	case !j.Status.Terminal():
		return format.Count(j.Processed) + " so far"
	}
	return format.Count(j.Processed)
}

// IsPreview reports whether j, of kind k, is a preview: a dry run of a
// kind that keeps a diff.
func IsPreview(k engine.KindInfo, j engine.Job) bool { return k.Diff && j.DryRun() }

// TypeLabel is a job's type label as lists show it: a preview is marked,
// so a finished preview is never read as a sync that wrote.
func TypeLabel(k engine.KindInfo, j engine.Job) string {
	if IsPreview(k, j) {
		return k.Label + " (preview)"
	}
	return k.Label
}

// PreviewNote says in the job's header that a preview wrote nothing.
const PreviewNote = "preview: nothing written to Shopify"
