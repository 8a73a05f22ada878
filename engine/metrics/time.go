package metrics

import "time"

// timeUntil is time.Until; the lock deadline comes from the API's own clock
// reading (unlockedAt), so wall time is the right reference here.
func timeUntil(t time.Time) time.Duration { return time.Until(t) }
