package widget

import (
	"encoding/json"
	"time"

	"syncops/engine"
	"syncops/ui/tui/format"
)

// Metadata keys the engine writes on every running job.
const (
	MetaRate = "itemsPerSecond"
	MetaETA  = "etaSeconds"
)

// Speed is a job's rate and time left, read from its metadata.
type Speed struct {
	Rate float64 // items per second; 0 when unknown
	ETA  time.Duration
	// HasETA is false when the engine has no estimate (not running, or no
	// items done yet).
	HasETA bool
}

// JobSpeed reads the engine's rate and ETA from a job's metadata.
func JobSpeed(j engine.Job) Speed {
	var meta struct {
		Rate *float64 `json:"itemsPerSecond"`
		ETA  *float64 `json:"etaSeconds"`
	}
	if len(j.Metadata) == 0 || json.Unmarshal(j.Metadata, &meta) != nil {
		return Speed{}
	}
	var sp Speed
	if meta.Rate != nil {
		sp.Rate = *meta.Rate
	}
	if meta.ETA != nil && j.Status == engine.StatusRunning {
		sp.ETA = time.Duration(*meta.ETA * float64(time.Second))
		sp.HasETA = true
	}
	return sp
}

// RateText is the rate, or "–".
func (sp Speed) RateText() string {
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

// Progress is the fraction of a job's items processed.
func Progress(j engine.Job) float64 {
	if j.Status == engine.StatusCompleted && j.Total == 0 {
		return 1
	}
	return format.Percent(j.Processed, j.Total)
}
