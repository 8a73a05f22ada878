package sandbox

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
)

// dateStamper sets every reply's Date header from the sandbox's clock plus
// a skew, so a client's clock-skew check can be seen failing. The skew is
// zero (an honest clock) unless SetClockSkew changes it.
type dateStamper struct {
	next  http.Handler
	clock clockwork.Clock
	skew  atomic.Int64 // time.Duration
}

func (d *dateStamper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", d.clock.Now().Add(time.Duration(d.skew.Load())).UTC().Format(http.TimeFormat))
	d.next.ServeHTTP(w, r)
}

// SetClockSkew makes both fakes' Date headers run skew ahead of the
// sandbox's clock (behind when negative).
func (sb *Sandbox) SetClockSkew(skew time.Duration) { sb.date.skew.Store(int64(skew)) }
