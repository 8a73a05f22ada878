package sshd

import (
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"

	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/bubbletea"
)

// What a refused or ended session is told.
const (
	msgNoTerminal = "syncops needs a terminal: connect with ssh -t"
	msgCommand    = "syncops runs no commands: connect with ssh -t and no command"
	msgShutdown   = "syncops is shutting down; reconnect in a moment"
)

// middleware is the session handler chain, outermost first. Each step may
// refuse the session; the order is deliberate:
//
//  1. identify: the identity comes first, from the key that authenticated
//     the connection, so every later step and every log line knows who it
//     is; it also registers the session for Stop and sends the exit status
//     last, after every other step has had its say.
//  2. logSessions: opened/closed lines with the fingerprint, including for
//     sessions refused below.
//  3. recoverPanics: a panic in any later step ends this session only, and
//     is logged with the session it happened in.
//  4. requireTerminal: refuse exec requests and sessions without a PTY
//     before they cost a slot.
//  5. limitSessions: the cap on concurrent consoles.
//  6. enforceTimeouts: input inactivity and maximum session time, around
//     the program only, so the clock starts when the console does.
//  7. Wish's Bubble Tea middleware: one program per session, with the
//     session's window size, window changes and colour profile.
//
// wish.WithMiddleware runs its last argument first, hence the reversal.
func (srv *Server) middleware() []wish.Middleware {
	chain := []wish.Middleware{
		srv.identify,
		srv.logSessions,
		srv.recoverPanics,
		requireTerminal,
		srv.limitSessions,
		srv.enforceTimeouts,
		bubbletea.MiddlewareWithProgramHandler(srv.newProgram),
	}
	slices.Reverse(chain)
	return chain
}

// identify derives the session's identity and wraps the session in the state
// the rest of the chain shares.
func (srv *Server) identify(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		id, err := identityOf(sess)
		if err != nil {
			srv.logger.Warn("ssh session refused", slog.Any("error", err), slog.String("remote", addrString(sess.RemoteAddr())))
			_, _ = io.WriteString(sess.Stderr(), "syncops: this connection has no identity\n")
			_ = sess.Exit(exitEnded)
			return
		}
		s := newSession(sess, srv.seq.Add(1), id, srv.clock)
		if !srv.track(s) {
			s.refuse("shutdown", msgShutdown)
			s.finish()
			return
		}
		defer srv.untrack(s)
		defer s.finish()
		next(s)
	}
}

// logSessions logs a session's start and end, with the fingerprint that
// authenticated it; operator actions are audited by the engine through the
// session's Actor.
func (srv *Server) logSessions(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s := sessionOf(sess)
		pty, _, _ := s.Pty()
		logger := srv.logger.With(slog.String("session", s.id), slog.String("fingerprint", s.identity.Fingerprint),
			slog.String("comment", s.identity.Comment), slog.String("role", string(s.identity.Role)),
			slog.String("user", s.User()), slog.String("remote", addrString(s.RemoteAddr())))
		logger.Info("ssh session opened", slog.String("term", pty.Term),
			slog.Int("width", pty.Window.Width), slog.Int("height", pty.Window.Height))
		next(sess)
		o := s.result()
		logger.Info("ssh session closed", slog.String("reason", o.reason), slog.Int("exit", o.code),
			slog.Duration("duration", srv.clock.Since(s.started)))
	}
}

// recoverPanics keeps a panic in one session from taking the server down.
// (charm.land/ssh also recovers session handlers, but only to log on the
// process's default logger; this one logs with the session and tells the
// user.)
func (srv *Server) recoverPanics(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s := sessionOf(sess)
		defer func() {
			if r := recover(); r != nil {
				srv.logger.Error("ssh session panicked", slog.String("session", s.id),
					slog.String("fingerprint", s.identity.Fingerprint), slog.Any("panic", r),
					slog.String("stack", string(debug.Stack())))
				s.end("panic", msgCrash, exitEnded)
			}
		}()
		next(sess)
	}
}

// requireTerminal refuses what is not an interactive console: a command
// (ssh host cmd) or a session without a PTY (ssh -T, scripts).
func requireTerminal(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s := sessionOf(sess)
		if sess.RawCommand() != "" {
			s.refuse("command", msgCommand)
			return
		}
		if _, _, ok := sess.Pty(); !ok {
			s.refuse("no terminal", msgNoTerminal)
			return
		}
		next(sess)
	}
}

// limitSessions caps concurrent consoles, so many sessions cannot starve the
// engine and the machine.
func (srv *Server) limitSessions(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s := sessionOf(sess)
		if !srv.acquireSlot() {
			s.refuse("too many sessions", fmt.Sprintf(
				"syncops: too many sessions (%d open, the maximum); try again later", srv.cfg.MaxSessions))
			return
		}
		defer srv.releaseSlot()
		next(sess)
	}
}

// enforceTimeouts ends the session after IdleTimeout without input from the
// client, and after MaxSessionTime in any case.
func (srv *Server) enforceTimeouts(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s := sessionOf(sess)
		stop := srv.watch(s)
		defer stop()
		next(sess)
	}
}

// watch runs the session's two timers until stop is called. The idle timer
// is not reset on every keystroke: when it fires it checks how long the
// client has really been quiet and sleeps for the rest.
func (srv *Server) watch(s *session) (stop func()) {
	idle, limit := srv.cfg.IdleTimeout, srv.cfg.MaxSessionTime
	idleTimer := srv.clock.NewTimer(idle)
	maxTimer := srv.clock.NewTimer(limit)
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		defer idleTimer.Stop()
		defer maxTimer.Stop()
		for {
			select {
			case <-done:
				return
			case <-maxTimer.Chan():
				s.end("max session time", fmt.Sprintf(
					"syncops: this session reached the maximum session time (%s); reconnect to continue", limit), exitEnded)
				return
			case <-idleTimer.Chan():
				quiet := s.quietFor()
				if quiet >= idle {
					s.end("idle", fmt.Sprintf("syncops: logged out after %s without input", idle), exitEnded)
					return
				}
				idleTimer.Reset(idle - quiet)
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}
