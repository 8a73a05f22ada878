// Package action turns the operator's job actions (start, cancel, retry,
// force restart) into tea.Cmds that call the engine and report the outcome
// as page messages, so every page acts the same way.
package action

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/tui/page"
)

// StartedMsg is the outcome of Start.
type StartedMsg struct {
	Kind   engine.KindInfo
	Params engine.Params
	Force  bool
	ID     engine.JobID
	Err    error
}

// Start starts a job of kind k with params.
func Start(env *page.Env, k engine.KindInfo, params engine.Params, force bool) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		id, err := env.Engine.Start(ctx, k.Type, params, engine.StartOptions{Force: force, Actor: env.Actor})
		return StartedMsg{Kind: k, Params: params, Force: force, ID: id, Err: err}
	}
}

// Cancel cancels job id.
func Cancel(env *page.Env, id engine.JobID) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		if err := env.Engine.Cancel(ctx, id, env.Actor); err != nil {
			return page.ErrorMsg{Action: fmt.Sprintf("cancel job #%d", id), Err: err}
		}
		return page.NoticeMsg{Text: fmt.Sprintf("cancelled job #%d", id)}
	}
}

// Retry starts a job over the failed items of job id and opens it.
func Retry(env *page.Env, id engine.JobID) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		newID, err := env.Engine.Retry(ctx, id, env.Actor)
		if err != nil {
			return page.ErrorMsg{Action: fmt.Sprintf("retry job #%d", id), Err: err}
		}
		return page.OpenJobMsg{ID: newID, Notice: fmt.Sprintf("retrying the failed items of job #%d as job #%d", id, newID)}
	}
}

// Restart starts job j's type again with the same parameters, cancelling
// an identical active job first, and opens the new job.
func Restart(env *page.Env, j engine.Job) tea.Cmd {
	return func() tea.Msg {
		act := fmt.Sprintf("force restart job #%d", j.ID)
		ctx, cancel := env.Call()
		defer cancel()
		id, err := env.Engine.Restart(ctx, j.ID, env.Actor)
		if err != nil {
			return page.ErrorMsg{Action: act, Err: err}
		}
		return page.OpenJobMsg{ID: id, Notice: fmt.Sprintf("restarted %s as job #%d", j.Type, id)}
	}
}
