package jobdetail

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
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

// TestLateAnswersOfTheJobShownBeforeAreIgnored: the job, its failed items
// and its diff read for one job, answering after another job was opened,
// do not show in the other's page.
func TestLateAnswersOfTheJobShownBeforeAreIgnored(t *testing.T) {
	env := &page.Env{Active: page.Detail, Ctx: context.Background(), Location: time.UTC}
	p := &Page{env: env, id: 7, info: widget.NewScroll(), itemScroll: widget.NewScroll()}
	p.loadJob()
	p.loadFailures(0)
	p.loadDiff(0)
	late := []tea.Msg{
		jobMsg{seq: p.jobSeq, job: engine.Job{ID: 7, Type: "PRODUCT_SYNC", Status: engine.StatusFailed}},
		failuresMsg{seq: p.fail.seq, items: []engine.FailedItem{{ID: 1, JobID: 7, ItemKey: "of job 7"}}, total: 1},
		diffMsg{seq: p.diff.seq},
	}

	p.Open(8) // its reads are not run: only the late answers for job 7 arrive
	for _, msg := range late {
		p.Update(msg)
	}
	require.False(t, p.loaded, "job 7's answer is not job 8")
	require.Zero(t, p.job.ID)
	require.Empty(t, p.fail.items)
	require.False(t, p.fail.loaded)
	require.False(t, p.diff.loaded)
}
