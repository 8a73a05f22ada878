package jobdetail

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/ui/tui/page"
	"syncops/ui/tui/widget"
)

// TestFailedItemsFollowTheCount: the list is read again whenever the job's
// failed count moves past the one it was read at, whether the page learns
// the new count from an event or from a job read that saw it before its
// event arrived (the case that left "Failed items (1)" over an empty list).
func TestFailedItemsFollowTheCount(t *testing.T) {
	for _, tc := range []struct {
		name  string
		learn func(p *Page, j engine.Job) // how the page learns of j
	}{
		{"from a job read", func(p *Page, j engine.Job) { p.Update(jobMsg{seq: p.jobSeq, job: j}) }},
		{"from an event", func(p *Page, j engine.Job) { p.Update(page.JobsChangedMsg{Jobs: []engine.Job{j}}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := &page.Env{Active: page.Detail, Ctx: context.Background(), Location: time.UTC}
			p := &Page{env: env, id: 7, info: widget.NewScroll(), itemScroll: widget.NewScroll()}
			p.loadJob()
			p.Update(jobMsg{seq: p.jobSeq, job: engine.Job{ID: 7, Status: engine.StatusRunning}})
			p.loadFailures(0)
			p.Update(failuresMsg{seq: p.fail.seq})
			require.False(t, p.fail.busy)
			require.True(t, p.fail.loaded)

			before := p.fail.seq
			tc.learn(p, engine.Job{ID: 7, Status: engine.StatusRunning, Failed: 1})
			require.Greater(t, p.fail.seq, before, "the list is asked for again at the new count")
			require.EqualValues(t, 1, p.fail.askedAt)

			// The same count again asks for nothing more.
			p.Update(failuresMsg{seq: p.fail.seq})
			asked := p.fail.seq
			p.Update(page.JobsChangedMsg{Jobs: []engine.Job{{ID: 7, Status: engine.StatusCompleted, Failed: 1}}})
			p.Update(jobMsg{seq: p.jobSeq, job: engine.Job{ID: 7, Status: engine.StatusCompleted, Failed: 1}})
			require.Equal(t, asked, p.fail.seq)
		})
	}
}
