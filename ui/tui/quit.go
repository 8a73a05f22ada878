package tui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/format"
	"syncops/ui/tui/widget"
)

// maxNamedJobs bounds how many active jobs the quit question lists.
const maxNamedJobs = 6

// askQuit quits at once when nothing would be interrupted; when this
// console owns the engine and jobs are active, it asks first, naming them.
func (m *Model) askQuit() tea.Cmd {
	if !m.opts.OwnsEngine {
		return m.quit()
	}
	if !m.activeLoaded {
		// The jobs active at start are still being read: wait for them
		// rather than guess.
		m.quitWaiting = true
		m.showHelp = false
		m.quitAsk = &widget.Question{Confirm: widget.Confirm{Title: "Quit syncops?", Body: "Checking for active jobs…",
			Yes: "quit", No: "stay"}, OnYes: m.quit}
		return nil
	}
	m.quitWaiting = false
	active := m.running()
	if len(active) == 0 {
		return m.quit()
	}
	m.showHelp = false
	m.quitAsk = &widget.Question{Confirm: widget.Confirm{
		Title: "Quit syncops?",
		Body: fmt.Sprintf("%s still active; quitting pauses %s:\n%s\n\n%s", countJobs(len(active), "is", "are"), them(len(active)),
			m.jobList(active), "Paused jobs resume from their last checkpoint when syncops starts again."),
		Yes: "quit and pause them", No: "stay",
	}, OnYes: m.quit}
	return nil
}

// quitKey answers the quit question; ctrl+c a second time quits.
func (m *Model) quitKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.keys.ForceQuit) {
		return m.quit()
	}
	settled, cmd := m.quitAsk.Key(msg)
	if settled {
		m.quitAsk = nil
	}
	return cmd
}

// quit ends the program and, when this console owns the engine, notes the
// jobs its stopping pauses.
func (m *Model) quit() tea.Cmd {
	m.quitAsk = nil
	if active := m.running(); m.opts.OwnsEngine && len(active) > 0 {
		m.exitNote = fmt.Sprintf("Paused %s when syncops stopped:\n%s\nPaused jobs resume from their last checkpoint when syncops starts again.",
			countJobs(len(active), "", ""), m.jobList(active))
	}
	m.Close()
	return tea.Quit
}

// ExitNote is what the operator should read after the console quit: the
// jobs its stopping paused, or "" when nothing was interrupted. The local
// console prints it once the terminal is restored.
func (m *Model) ExitNote() string { return m.exitNote }

// running lists the active jobs, oldest first.
func (m *Model) running() []engine.Job {
	jobs := make([]engine.Job, 0, len(m.activeJobs))
	for _, j := range m.activeJobs {
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b engine.Job) int { return int(a.ID - b.ID) })
	return jobs
}

// jobList names jobs one per line: "  #3 Stepped import (running, 400/1,000)".
func (m *Model) jobList(jobs []engine.Job) string {
	labels := map[string]string{}
	for _, k := range m.opts.Engine.Types() {
		labels[k.Type] = k.Label
	}
	lines := make([]string, 0, min(len(jobs), maxNamedJobs)+1)
	for i, j := range jobs {
		if i == maxNamedJobs {
			lines = append(lines, fmt.Sprintf("  and %d more", len(jobs)-maxNamedJobs))
			break
		}
		label := labels[j.Type]
		if label == "" {
			label = j.Type
		}
		lines = append(lines, fmt.Sprintf("  #%d %s (%s, %s)", j.ID, label, strings.ToLower(string(j.Status)), widget.DoneText(j)))
	}
	return strings.Join(lines, "\n")
}

// countJobs is "1 job" or "3 jobs", followed by the verb that agrees.
func countJobs(n int, one, many string) string {
	if n == 1 {
		return strings.TrimSpace("1 job " + one)
	}
	return strings.TrimSpace(format.Count(int64(n)) + " jobs " + many)
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
