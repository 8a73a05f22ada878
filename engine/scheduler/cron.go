package scheduler

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Off is the spec that disables a schedule (its cron expression is kept).
const Off = "off"

// nextRunCount is how many upcoming run times Validate and ScheduleView show.
const nextRunCount = 3

// cronHelp says which expressions are accepted; it ends every CronError.
const cronHelp = `use 5 fields "minute hour day-of-month month day-of-week" (e.g. "0 */6 * * *"), ` +
	`6 with seconds first (e.g. "0 */2 * * * *"), a descriptor such as @hourly or @daily, ` +
	`or @every with a duration (e.g. "@every 90s")`

// Preset is a ready-made schedule offered to operators.
type Preset struct {
	Name string `json:"name"`
	Cron string `json:"cron"`
}

// Presets are the schedules the console and the command line offer, the same
// list the reference system showed its operators.
var Presets = []Preset{
	{Name: "hourly", Cron: "0 * * * *"},
	{Name: "every 2 hours", Cron: "0 */2 * * *"},
	{Name: "every 6 hours", Cron: "0 */6 * * *"},
	{Name: "every 12 hours", Cron: "0 */12 * * *"},
	{Name: "daily at 02:00", Cron: "0 2 * * *"},
	{Name: "daily at midnight", Cron: "0 0 * * *"},
	{Name: "weekly, Sunday at midnight", Cron: "0 0 * * 0"},
	{Name: "monthly, the 1st at midnight", Cron: "0 0 1 * *"},
}

// CronError is a cron expression an operator got wrong, with the reason.
type CronError struct {
	Spec   string
	Reason string
}

func (e *CronError) Error() string {
	return fmt.Sprintf("cron expression %q: %s; %s", e.Spec, e.Reason, cronHelp)
}

// tickSchedule computes a schedule's tick times.
type tickSchedule interface {
	// Next returns the first tick strictly after t.
	Next(t time.Time) time.Time
}

// cronParser reads 5-field expressions, 6-field ones with seconds first, and
// descriptors (@hourly, @daily, ...). @every is ours (everySchedule).
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month |
	cron.Dow | cron.Descriptor)

// parseSpec parses an operator's cron expression in loc. The schedule it
// returns is the one the scheduler's timers follow, so what validates is
// what runs.
func parseSpec(spec string, loc *time.Location, now time.Time) (tickSchedule, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "":
		return nil, &CronError{Spec: spec, Reason: "it is empty"}
	case strings.EqualFold(spec, Off):
		return nil, &CronError{Spec: spec, Reason: `"off" disables a schedule and is not a time`}
	}
	if rest, ok := cutPrefixFold(spec, "@every"); ok {
		return parseEvery(spec, rest, loc)
	}
	sched, err := cronParser.Parse(spec)
	if err != nil {
		return nil, &CronError{Spec: spec, Reason: err.Error()}
	}
	zoned := zonedSchedule{schedule: sched, loc: loc}
	if zoned.Next(now).IsZero() {
		return nil, &CronError{Spec: spec, Reason: "it never fires (no such date)"}
	}
	return zoned, nil
}

// zonedSchedule reads a cron schedule's fields in loc, whatever zone the
// time it is asked about is in (an expression that names its own zone with
// CRON_TZ= keeps it).
type zonedSchedule struct {
	schedule cron.Schedule
	loc      *time.Location
}

// Next returns the first tick strictly after t, or the zero time when
// there is none within the parser's search (five years).
func (z zonedSchedule) Next(t time.Time) time.Time { return z.schedule.Next(t.In(z.loc)) }

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

func parseEvery(spec, rest string, loc *time.Location) (tickSchedule, error) {
	d, err := time.ParseDuration(strings.TrimSpace(rest))
	switch {
	case err != nil:
		return nil, &CronError{Spec: spec, Reason: "@every needs a duration like 90s, 15m or 2h"}
	case d < time.Second:
		return nil, &CronError{Spec: spec, Reason: "the interval must be at least one second"}
	case d%time.Second != 0:
		return nil, &CronError{Spec: spec, Reason: "the interval must be whole seconds"}
	}
	return everySchedule{interval: d, loc: loc}, nil
}

// everySchedule ticks on the multiples of its interval counted from the Unix
// epoch in the zone's wall clock, not from when a process started. Every
// instance therefore computes the same ticks, which is what lets the engine
// start one job per tick across instances; and intervals that divide a day
// line up with local midnight ("@every 2h" ticks at 00:00, 02:00, ...).
type everySchedule struct {
	interval time.Duration
	loc      *time.Location
}

func (e everySchedule) Next(t time.Time) time.Time {
	step := int64(e.interval / time.Second)
	_, offset := t.In(e.loc).Zone()
	wall := t.Unix() + int64(offset)
	n := floorDiv(wall, step)*step + step
	next := time.Unix(n-int64(offset), 0).In(e.loc)
	if !next.After(t) { // a zone offset change between t and next
		next = next.Add(e.interval)
	}
	return next
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// nextRuns returns the next n ticks after from, in loc.
func nextRuns(s tickSchedule, from time.Time, n int, loc *time.Location) []time.Time {
	out := make([]time.Time, 0, n)
	t := from
	for range n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t.In(loc))
	}
	return out
}
