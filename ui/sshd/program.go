package sshd

import (
	"log/slog"
	"runtime/debug"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2/bubbletea"
)

// msgCrash is what a user sees when their console crashed.
const msgCrash = "syncops: the console hit an internal error and this session ended; reconnect to continue"

// newProgram builds the session's Bubble Tea program: the console from
// Config.NewModel, reading and writing the session (MakeOptions gives it the
// session's window size, TERM and colour profile), living as long as the
// session. It returns nil, which ends the session, when the session ended
// while it was being built.
func (srv *Server) newProgram(sess ssh.Session) *tea.Program {
	s := sessionOf(sess)
	model := srv.cfg.NewModel(s.public())
	opts := append(bubbletea.MakeOptions(sess),
		// The backstop for a program that does not quit when asked.
		tea.WithContext(s.killCtx),
		// Signals to the server process are the server's to handle (Stop
		// ends every session with a message); without this every session
		// would quit on the server's SIGINT or SIGTERM on its own.
		tea.WithoutSignalHandler(),
	)
	guarded := guardedModel{inner: model, crashed: new(atomic.Bool), onPanic: func(r any) { srv.modelPanicked(s, r) }}
	p := tea.NewProgram(guarded, opts...)
	if !s.attach(p) {
		return nil
	}
	return p
}

// modelPanicked logs a console's panic and ends its session; other sessions
// are not affected.
func (srv *Server) modelPanicked(s *session, r any) {
	srv.logger.Error("ssh console panicked", slog.String("session", s.id),
		slog.String("fingerprint", s.identity.Fingerprint), slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
	s.end("panic", msgCrash, exitEnded)
}

// guardedModel recovers a panic in the console's Init, Update or View, so it
// is logged with the session it happened in and the user is told, instead of
// Bubble Tea printing a stack trace on the server's stderr. (Bubble Tea still
// catches panics in commands itself; the server survives those too.)
type guardedModel struct {
	inner   tea.Model
	crashed *atomic.Bool // shared by the copies Update returns
	onPanic func(r any)
}

// report reports a panic once; after it the console is never called again.
func (g guardedModel) report(r any) {
	if g.crashed.CompareAndSwap(false, true) {
		g.onPanic(r)
	}
}

// Init implements tea.Model.
func (g guardedModel) Init() (cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			g.report(r)
			cmd = tea.Quit
		}
	}()
	return g.inner.Init()
}

// Update implements tea.Model.
func (g guardedModel) Update(msg tea.Msg) (m tea.Model, cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			g.report(r)
			m, cmd = g, tea.Quit
		}
	}()
	if g.crashed.Load() {
		return g, tea.Quit
	}
	inner, cmd := g.inner.Update(msg)
	g.inner = inner
	return g, cmd
}

// View implements tea.Model.
func (g guardedModel) View() (v tea.View) {
	defer func() {
		if r := recover(); r != nil {
			g.report(r)
			v = tea.NewView("")
		}
	}()
	if g.crashed.Load() {
		return tea.NewView("")
	}
	return g.inner.View()
}
