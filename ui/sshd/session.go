package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"github.com/jonboulle/clockwork"

	"syncops/engine"
)

// Session is what the console of one SSH session is built from.
type Session struct {
	// Context ends when the session ends; the console stops following the
	// engine then.
	Context context.Context
	// Identity is derived from the key that authenticated the connection.
	Identity Identity
	// Actor is the identity as the engine audits it (kind ssh, name
	// "fingerprint comment") with the key's role, which the engine enforces.
	Actor engine.Actor
	// ReadOnly is set for viewers: the console words its refusals kindly
	// (the engine refuses a viewer's changes in any case).
	ReadOnly bool
	// Width and Height are the terminal's size when the session opened;
	// later changes reach the program as tea.WindowSizeMsg.
	Width, Height int
	// Term is the client's TERM.
	Term string
	// RemoteAddr is the client's address.
	RemoteAddr string
	// Mouse is set when the client asked for mouse reporting by sending
	// SYNCOPS_MOUSE=1 in its environment (ssh -o SetEnv=SYNCOPS_MOUSE=1):
	// a terminal that cannot read mouse reports would print them, so it is
	// off unless asked for.
	Mouse bool
}

// MouseEnv is the environment variable an SSH client sets to 1 to turn
// on the console's mouse.
const MouseEnv = "SYNCOPS_MOUSE"

// Exit statuses the client sees.
const (
	exitOK = 0
	// exitEnded is any end the user did not choose: a refusal, a timeout,
	// a crash, a shutdown.
	exitEnded = 1
)

// session is one SSH session as the middleware chain passes it along: the
// wire session, plus who it is and how it ends. It embeds ssh.Session, so
// the Bubble Tea program reads the client's input through Read below, which
// is how input inactivity is measured.
type session struct {
	ssh.Session
	id       string
	identity Identity
	clock    clockwork.Clock
	started  time.Time

	ctx    context.Context // ends with the session (or its connection)
	cancel context.CancelFunc
	// killCtx is the program's context, cancelled only when a program did
	// not quit when asked. It is not derived from ctx: a client that drops
	// the connection gets its program quit (by Wish), not killed, and a
	// killed program is reported on the process's default logger.
	killCtx context.Context
	kill    context.CancelFunc

	lastInput atomic.Int64 // unix nanoseconds of the last byte from the client

	mu      sync.Mutex
	program *tea.Program
	outcome outcome
	killer  *time.Timer
}

// outcome is how the server ended a session; zero while the user is in
// charge.
type outcome struct {
	reason  string // for the log: "idle", "max session time", ...
	message string // for the user, shown once the terminal is restored
	code    int
}

func newSession(sess ssh.Session, seq int64, id Identity, clock clockwork.Clock) *session {
	ctx, cancel := context.WithCancel(sess.Context())
	killCtx, kill := context.WithCancel(context.Background())
	// The SSH session hash names the connection; seq tells apart the
	// sessions one connection may open.
	s := &session{Session: sess, id: fmt.Sprintf("%s/%d", shortID(sess.Context().SessionID()), seq), identity: id, clock: clock,
		started: clock.Now(), ctx: ctx, cancel: cancel, killCtx: killCtx, kill: kill}
	s.lastInput.Store(s.started.UnixNano())
	return s
}

// sessionOf returns the state the identify middleware attached. The chain is
// built in one place (Server.middleware), so a missing state is a bug there.
func sessionOf(sess ssh.Session) *session {
	s, ok := sess.(*session)
	if !ok {
		panic("sshd: session reached a middleware without passing identify")
	}
	return s
}

// Read is the client's input. Only bytes the client sends count as activity:
// the connection also carries our own output and the client's window
// adjustments for it, so a repainting progress bar would otherwise keep an
// abandoned session alive forever.
//
// End of input means the client closed the session (or its end of it): the
// program is quit, since Wish only quits it when the whole connection goes,
// and a client could otherwise hold every session slot from one connection
// by opening and abandoning sessions.
func (s *session) Read(p []byte) (int, error) {
	n, err := s.Session.Read(p)
	if n > 0 {
		s.lastInput.Store(s.clock.Now().UnixNano())
	}
	if errors.Is(err, io.EOF) && s.ctx.Err() == nil {
		s.end("disconnected", "", exitOK)
	}
	return n, err
}

// quietFor is how long the client has sent nothing.
func (s *session) quietFor() time.Duration {
	return s.clock.Since(time.Unix(0, s.lastInput.Load()))
}

// public is the session as the console factory sees it.
func (s *session) public() Session {
	pty, _, _ := s.Pty()
	actor := s.identity.Actor()
	return Session{Context: s.ctx, Identity: s.identity, Actor: actor,
		ReadOnly: !actor.MayChange(), Width: pty.Window.Width, Height: pty.Window.Height,
		Term: pty.Term, RemoteAddr: addrString(s.RemoteAddr()), Mouse: slices.Contains(s.Environ(), MouseEnv+"=1")}
}

// attach records the session's program, unless the session already ended
// (the server stopping while it was being set up).
func (s *session) attach(p *tea.Program) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outcome.reason != "" {
		return false
	}
	s.program = p
	return true
}

// refuse turns the session away before any program runs.
func (s *session) refuse(reason, message string) {
	s.mu.Lock()
	s.outcome = outcome{reason: reason, code: exitEnded}
	s.mu.Unlock()
	s.say(message)
}

// end asks the session's program to quit, for a reason the user sees once
// the terminal is restored, with the exit status code. A program that has
// not quit after quitGrace is killed. Only the first reason counts.
func (s *session) end(reason, message string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outcome.reason != "" {
		return
	}
	s.outcome = outcome{reason: reason, message: message, code: code}
	if s.program != nil {
		// Quit blocks until the program's loop takes the message.
		go s.program.Quit()
	}
	// Real time, not s.clock: this bounds a stuck program, it is not a
	// session policy, and it must fire even under a fake clock.
	s.killer = time.AfterFunc(quitGrace, s.kill)
}

// result is how the session ended: the server's reason, or "quit" when
// the user left, or "disconnected" when the connection went first.
func (s *session) result() outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.outcome.reason != "":
		return s.outcome
	case s.Session.Context().Err() != nil:
		return outcome{reason: "disconnected", code: exitOK}
	default:
		return outcome{reason: "quit", code: exitOK}
	}
}

// finish says why the server ended the session and sends the exit status.
func (s *session) finish() {
	s.mu.Lock()
	if s.killer != nil {
		s.killer.Stop()
	}
	s.mu.Unlock()
	s.cancel()
	s.kill()
	o := s.result()
	if o.message != "" {
		s.say("\n" + o.message)
	}
	if o.code != exitOK {
		_ = s.Exit(o.code)
	}
}

// say writes a line to the client's terminal (stderr, so it also reaches a
// client without a terminal).
func (s *session) say(message string) {
	if message == "" {
		return
	}
	// With an emulated PTY Stderr turns \n into \r\n; without one a bare
	// \n is right.
	_, _ = io.WriteString(s.Stderr(), message+"\n")
}

// shortID is a session id short enough for log lines but still unique in
// practice (the SSH session hash is 64 hex digits).
func shortID(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
