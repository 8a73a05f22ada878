package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-co-op/gocron/v2"
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

// parseSpec parses an operator's cron expression in loc. Cron expressions
// go through gocron's own parser, so what validates is what runs.
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
	c := gocron.NewDefaultCron(true)
	if err := c.IsValid(spec, loc, now); err != nil {
		return nil, &CronError{Spec: spec, Reason: cronReason(err)}
	}
	return c, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// cronReason turns gocron's joined error into the parser's own words.
func cronReason(err error) string {
	if errors.Is(err, gocron.ErrCronJobInvalid) {
		return "it never fires (no such date)"
	}
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			if !errors.Is(e, gocron.ErrCronJobParse) {
				return e.Error()
			}
		}
	}
	return err.Error()
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

// gocronCron hands an already parsed schedule to gocron, so gocron fires on
// exactly the ticks the scheduler computes (including aligned @every ones).
type gocronCron struct{ schedule tickSchedule }

// IsValid accepts: the spec was parsed before the job was built.
func (g gocronCron) IsValid(string, *time.Location, time.Time) error { return nil }

// Next returns the first tick after lastRun.
func (g gocronCron) Next(lastRun time.Time) time.Time { return g.schedule.Next(lastRun) }
