// Package sshd serves the syncops console over SSH: a Wish v2 server that
// runs one Bubble Tea program per session against the same engine, so an
// operator can watch and drive syncops from anywhere with an SSH client.
//
// Authentication is by public key only. Operators' keys are listed in one
// authorized_keys file and viewers' keys in another; both are re-read on every
// authentication, so adding or revoking a key needs no restart. A session's
// identity and role come from the key that actually authenticated the
// connection, stamped after the client proved it holds the key (see
// stampIdentity), never from a key it merely offered. A viewer's console is
// read-only; an operator's actions are audited by the engine under the
// session's Actor ("ssh", "SHA256:... comment").
//
// A session's life:
//
//	connect ─► public-key auth ─► identify ─► PTY? ─► slot free? ─► console
//	                │ refused        (no identity,   │ no      │ no       │
//	                ▼                 refused)       ▼         ▼          ▼
//	             closed                        "needs a    "too many   quit by the user, session or
//	                                            terminal"   sessions"  connection closed, or ended
//	                                                                   by the server: idle (no input),
//	                                                                   max time, panic, stopping
//
// The host key is an ed25519 key generated on first start into the data
// directory (mode 0600) and reused afterwards.
package sshd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"github.com/jonboulle/clockwork"
	gossh "golang.org/x/crypto/ssh"
)

// Defaults of Config.
const (
	DefaultIdleTimeout    = 30 * time.Minute
	DefaultMaxSessionTime = 12 * time.Hour
	DefaultMaxSessions    = 20
	// DefaultHostKeyName is the host key's file name in Config.DataDir.
	DefaultHostKeyName = "ssh_host_ed25519"
)

const (
	// handshakeTimeout bounds key exchange and authentication, so
	// unauthenticated connections cannot pile up.
	handshakeTimeout = 30 * time.Second
	// quitGrace is how long a console asked to quit gets before it is
	// killed.
	quitGrace = 5 * time.Second
	// connectionSlack is how far past MaxSessionTime a connection may live:
	// the network-level backstop for a connection that opens no session.
	connectionSlack = time.Minute
	// serverVersion is sent before the handshake ("SSH-2.0-syncops").
	serverVersion = "syncops"
)

// ErrStopped is returned by Start after Stop.
var ErrStopped = errors.New("ssh server stopped")

// Config configures the SSH console.
type Config struct {
	// Addr is the address to listen on, like ":2222" or "127.0.0.1:0".
	Addr string
	// DataDir holds the host key when HostKeyPath is empty.
	DataDir string
	// HostKeyPath is the host key file (default DataDir/ssh_host_ed25519),
	// created on first start.
	HostKeyPath string
	// AuthorizedKeysPath lists the operators' public keys and
	// ViewerKeysPath the viewers', in authorized_keys format. At least one
	// is required; a key in both is a viewer.
	AuthorizedKeysPath string
	ViewerKeysPath     string
	// NewModel builds the console of one session (required).
	NewModel func(Session) tea.Model
	// Logger gets the connection and session log; nil discards it.
	Logger *slog.Logger
	// Clock times sessions; nil means the real clock.
	Clock clockwork.Clock
	// IdleTimeout ends a session after this long without input from the
	// client (default 30m). Output does not count: a console repainting a
	// progress bar for a user who walked away is idle.
	IdleTimeout time.Duration
	// MaxSessionTime ends any session after this long (default 12h).
	MaxSessionTime time.Duration
	// MaxSessions caps concurrent consoles (default 20); one more is
	// refused with a message.
	MaxSessions int
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("ssh: no listen address"))
	}
	if c.HostKeyPath == "" && c.DataDir == "" {
		errs = append(errs, errors.New("ssh: no host key path and no data directory to keep it in"))
	}
	if c.AuthorizedKeysPath == "" && c.ViewerKeysPath == "" {
		errs = append(errs, errors.New("ssh: no authorized keys file: set the operators' or the viewers' keys"))
	}
	if c.NewModel == nil {
		errs = append(errs, errors.New("ssh: no console factory (NewModel)"))
	}
	if c.IdleTimeout < 0 || c.MaxSessionTime < 0 || c.MaxSessions < 0 {
		errs = append(errs, errors.New("ssh: timeouts and the session cap must not be negative"))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.HostKeyPath == "" {
		c.HostKeyPath = filepath.Join(c.DataDir, DefaultHostKeyName)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxSessionTime == 0 {
		c.MaxSessionTime = DefaultMaxSessionTime
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	return c
}

// Server is the SSH console. It satisfies the headless service contract:
// Start, then Stop (idempotent, and safe without Start).
type Server struct {
	cfg    Config
	logger *slog.Logger
	clock  clockwork.Clock
	keys   *keyring
	seq    atomic.Int64 // numbers sessions for the log

	mu       sync.Mutex
	started  bool
	stopped  bool
	ssh      *ssh.Server
	listener net.Listener
	served   chan struct{} // closed when Serve returned
	live     map[*session]struct{}
	liveWG   sync.WaitGroup
	consoles int // sessions holding a slot (limitSessions)
}

// New validates cfg and builds a server; Start makes it listen.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	logger := cfg.Logger.With(slog.String("component", "sshd"))
	return &Server{cfg: cfg, logger: logger, clock: cfg.Clock,
		keys: newKeyring(cfg.AuthorizedKeysPath, cfg.ViewerKeysPath, logger), live: map[*session]struct{}{}}, nil
}

// Start checks the key files, loads or creates the host key, and listens;
// it returns once connections are accepted. ctx bounds the listen only: the
// server runs until Stop.
func (srv *Server) Start(ctx context.Context) error {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	switch {
	case srv.stopped:
		return ErrStopped
	case srv.started:
		return errors.New("ssh server already started")
	}
	if err := srv.keys.check(); err != nil {
		return fmt.Errorf("ssh: %w", err)
	}
	signer, err := loadOrCreateHostKey(srv.cfg.HostKeyPath)
	if err != nil {
		return fmt.Errorf("ssh: %w", err)
	}
	server, err := wish.NewServer(
		// First, and always: without a host key wish.NewServer writes
		// ./id_ed25519 into the working directory.
		func(s *ssh.Server) error { s.AddHostKey(signer); return nil },
		wish.WithVersion(serverVersion),
		wish.WithPublicKeyAuth(srv.acceptKey),
		func(s *ssh.Server) error { s.ServerConfigCallback = srv.serverConfig; return nil },
		// An emulated PTY: the program reads the client's bytes from the
		// session itself (where input inactivity is measured), and no OS
		// pseudo-terminal is allocated per session.
		ssh.EmulatePty(),
		func(s *ssh.Server) error {
			s.HandshakeTimeout = handshakeTimeout
			s.MaxTimeout = srv.cfg.MaxSessionTime + connectionSlack
			s.ConnectionFailedCallback = srv.connectionFailed
			return nil
		},
		wish.WithMiddleware(srv.middleware()...),
	)
	if err != nil {
		return fmt.Errorf("ssh: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", srv.cfg.Addr)
	if err != nil {
		return fmt.Errorf("ssh: listen on %s: %w", srv.cfg.Addr, err)
	}
	srv.ssh, srv.listener, srv.served, srv.started = server, ln, make(chan struct{}), true
	go func() {
		defer close(srv.served)
		err := server.Serve(ln)
		if err != nil && !errors.Is(err, ssh.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			srv.logger.Error("ssh server stopped accepting", slog.Any("error", err))
		}
	}()
	srv.logger.Info("ssh console listening", slog.String("addr", ln.Addr().String()),
		slog.String("host_key", gossh.FingerprintSHA256(signer.PublicKey())),
		slog.String("operators", srv.cfg.AuthorizedKeysPath), slog.String("viewers", srv.cfg.ViewerKeysPath))
	return nil
}

// Addr is the address the server listens on (the configured one before
// Start).
func (srv *Server) Addr() string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.listener == nil {
		return srv.cfg.Addr
	}
	return srv.listener.Addr().String()
}

// Stop ends every session with a message, waits until ctx ends for them to
// say goodbye, then closes the listener and every connection. It is
// idempotent and safe before Start.
func (srv *Server) Stop(ctx context.Context) error {
	srv.mu.Lock()
	if srv.stopped {
		srv.mu.Unlock()
		return nil
	}
	srv.stopped = true
	server, served, listener := srv.ssh, srv.served, srv.listener
	live := make([]*session, 0, len(srv.live))
	for s := range srv.live {
		live = append(live, s)
	}
	srv.mu.Unlock()
	if server == nil {
		return nil
	}
	for _, s := range live {
		s.end("shutdown", msgShutdown, exitEnded)
	}
	drained := make(chan struct{})
	go func() {
		srv.liveWG.Wait()
		close(drained)
	}()
	var errs []error
	select {
	case <-drained:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("ssh: sessions still open at shutdown: %w", ctx.Err()))
	}
	// Close the listener ourselves as well: Serve may not have registered
	// it with the server yet if Stop follows Start closely.
	if err := listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		errs = append(errs, fmt.Errorf("ssh: close listener: %w", err))
	}
	if err := server.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		errs = append(errs, fmt.Errorf("ssh: close: %w", err))
	}
	<-served
	srv.logger.Info("ssh console stopped")
	return errors.Join(errs...)
}

// track registers a session so Stop can end it; false once stopping.
func (srv *Server) track(s *session) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.stopped {
		return false
	}
	srv.live[s] = struct{}{}
	srv.liveWG.Add(1)
	return true
}

func (srv *Server) untrack(s *session) {
	srv.mu.Lock()
	delete(srv.live, s)
	srv.mu.Unlock()
	srv.liveWG.Done()
}

// acquireSlot takes one of the MaxSessions console slots.
func (srv *Server) acquireSlot() bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.consoles >= srv.cfg.MaxSessions {
		return false
	}
	srv.consoles++
	return true
}

func (srv *Server) releaseSlot() {
	srv.mu.Lock()
	srv.consoles--
	srv.mu.Unlock()
}

// connectionFailed logs handshakes that did not complete (refused keys are
// logged by acceptKey).
func (srv *Server) connectionFailed(conn net.Conn, err error) {
	srv.logger.Debug("ssh handshake failed", slog.String("remote", addrString(conn.RemoteAddr())), slog.Any("error", err))
}
