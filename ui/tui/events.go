package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/page"
)

// maxEventBatch bounds how many queued events one message carries, so a
// burst is drawn once instead of once per event.
const maxEventBatch = 256

// refreshInterval is how often durations and countdowns are redrawn while
// a job is active or an API is locked; idleRefreshInterval is how often
// relative times ("in 3m", "2m ago") are redrawn otherwise.
const (
	refreshInterval     = time.Second
	idleRefreshInterval = 5 * time.Second
)

type (
	eventsClosedMsg struct{}
	tickMsg         struct{ seq int }
	activeJobsMsg   struct{ jobs []engine.Job }
)

// waitEvents waits for the next engine event (and takes whatever else is
// already queued). The root re-arms it after each batch: no polling.
func waitEvents(ch <-chan engine.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return eventsClosedMsg{}
		}
		jobs := []engine.Job{ev.Job}
		for len(jobs) < maxEventBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					return page.JobsChangedMsg{Jobs: jobs}
				}
				jobs = append(jobs, ev.Job)
			default:
				return page.JobsChangedMsg{Jobs: jobs}
			}
		}
		return page.JobsChangedMsg{Jobs: jobs}
	}
}

func (m *Model) jobsChanged(msg page.JobsChangedMsg) tea.Cmd {
	for _, j := range msg.Jobs {
		if j.Status.Terminal() {
			delete(m.activeJobs, j.ID)
			if !m.activeLoaded {
				// The list of active jobs in flight may still show it.
				m.endedEarly[j.ID] = true
			}
		} else {
			m.activeJobs[j.ID] = j
		}
	}
	m.refreshBudgets()
	return tea.Batch(waitEvents(m.events), m.broadcast(msg), m.armTick())
}

// loadActive finds the jobs active when the console starts, so their
// durations keep counting before their next event.
func (m *Model) loadActive() tea.Cmd {
	env := m.env
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		jobs, err := env.Engine.List(ctx, engine.ListFilter{
			Statuses: []engine.Status{engine.StatusPending, engine.StatusRunning}})
		if err != nil {
			return page.ErrorMsg{Action: "list active jobs", Err: err}
		}
		return activeJobsMsg{jobs: jobs}
	}
}

// armTick schedules one redraw tick unless one is pending: a fast one
// while something counts, a slow one otherwise.
func (m *Model) armTick() tea.Cmd {
	every := idleRefreshInterval
	if len(m.activeJobs) > 0 || m.budgetLocked() {
		every = refreshInterval
	}
	if m.tickPending && m.tickEvery <= every {
		return nil
	}
	// None pending, or a slow one while something now counts: the new
	// tick supersedes it (the old one's message is dropped).
	m.tickSeq++
	m.tickPending, m.tickEvery = true, every
	seq, clock := m.tickSeq, m.env.Clock
	done := m.env.Ctx.Done()
	return func() tea.Msg {
		select {
		case <-clock.After(every):
		case <-done:
			return nil // the session ended: no more ticks
		}
		return tickMsg{seq: seq}
	}
}

func (m *Model) budgetLocked() bool {
	for _, b := range m.budgets {
		if b.LockedUntil.After(m.env.Now) {
			return true
		}
	}
	return false
}
