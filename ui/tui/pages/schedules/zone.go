package schedules

import (
	"strings"
	"time"
)

// runClock says how one schedule's run times are shown: in the zone its
// cron expression is read in (the scheduler's, SYNCOPS_TIMEZONE, unless the
// expression names its own with CRON_TZ= or TZ=), and to the second only
// when the expression has a seconds field or an @every interval.
type runClock struct {
	loc     *time.Location
	seconds bool
}

// clockOf reads spec's zone and precision; def is the scheduler's zone.
func clockOf(spec string, def *time.Location) runClock {
	c := runClock{loc: def}
	fields := strings.Fields(spec)
	if len(fields) > 0 {
		for _, prefix := range []string{"CRON_TZ=", "TZ="} {
			name, ok := strings.CutPrefix(fields[0], prefix)
			if !ok {
				continue
			}
			if loc, err := time.LoadLocation(name); err == nil {
				c.loc = loc
			}
			fields = fields[1:]
			break
		}
	}
	switch {
	case len(fields) == 0:
	case strings.EqualFold(fields[0], "@every"):
		c.seconds = true
	case len(fields) == 6:
		c.seconds = true
	}
	return c
}

// format renders t in the schedule's zone: "03-02 10:00" or, for
// expressions with seconds, "03-02 10:00:30".
func (c runClock) format(t time.Time) string {
	if c.seconds {
		return t.In(c.loc).Format("01-02 15:04:05")
	}
	return t.In(c.loc).Format("01-02 15:04")
}

// zone names the zone for a label: "Asia/Ho_Chi_Minh".
func (c runClock) zone() string { return c.loc.String() }
