// Package format turns engine values into short text for a terminal:
// durations, relative times, counts, rates and flattened JSON.
package format

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration renders d compactly: "0s", "12s", "3m05s", "2h04m", "3d02h".
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, (s%3600)/60)
	default:
		return fmt.Sprintf("%dd%02dh", s/86400, (s%86400)/3600)
	}
}

// Ago renders how long before now t was: "just now", "12s ago", "3m ago".
func Ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	default:
		return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
	}
}

// In renders how long after now t is: "in 12s", "in 3m", "now".
func In(now, t time.Time) string {
	d := t.Sub(now)
	if d < time.Second {
		return "now"
	}
	return "in " + Duration(d.Truncate(time.Second))
}

// Clock renders a time of day in loc.
func Clock(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("15:04:05")
}

// Stamp renders a date and time in loc, without the year.
func Stamp(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("01-02 15:04:05")
}

// Short renders a date and time in loc to the minute.
func Short(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("01-02 15:04")
}

// Count renders n with thousands separators: 100,000.
func Count(n int64) string {
	if n < 0 {
		return "-" + Count(-n)
	}
	s := strconv.FormatInt(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/3)
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Rate renders items per second: "12.5/s".
func Rate(perSecond float64) string {
	if perSecond >= 100 {
		return strconv.FormatFloat(math.Round(perSecond), 'f', 0, 64) + "/s"
	}
	return strconv.FormatFloat(perSecond, 'f', 1, 64) + "/s"
}

// Fraction is done out of total, as "done/total" (or "done" when the
// total is unknown).
func Fraction(done, total int64) string {
	if total <= 0 {
		return Count(done)
	}
	return Count(done) + "/" + Count(total)
}

// Percent is done of total as a fraction in [0, 1].
func Percent(done, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return math.Min(1, math.Max(0, float64(done)/float64(total)))
}

// Title turns an upper-case status or type into "Running".
func Title(s string) string {
	if s == "" {
		return s
	}
	lower := strings.ToLower(strings.ReplaceAll(s, "_", " "))
	return strings.ToUpper(lower[:1]) + lower[1:]
}

// ShortGID keeps the numeric tail of a Shopify global id:
// gid://shopify/Location/5 → #5; text without a slash is kept whole.
func ShortGID(gid string) string {
	if i := strings.LastIndexByte(gid, '/'); i >= 0 && i+1 < len(gid) {
		return "#" + gid[i+1:]
	}
	return gid
}
