package sshd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"

	"syncops/ui/sshd"
)

func TestSessionWithoutTerminalIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name     string
		pty      bool
		command  string
		wantText string
	}{
		{name: "no pty", wantText: "syncops needs a terminal: connect with ssh -t"},
		{name: "command", pty: true, command: "ls /", wantText: "syncops runs no commands"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sess, err := b.connect(t, b.operator).NewSession()
			require.NoError(t, err)
			defer sess.Close()
			if tt.pty {
				require.NoError(t, sess.RequestPty("xterm", 24, 80, nil))
			}
			stderr := &syncBuffer{}
			sess.Stderr = stderr
			if tt.command != "" {
				err = sess.Run(tt.command)
			} else {
				require.NoError(t, sess.Shell())
				err = sess.Wait()
			}
			var exit *gossh.ExitError
			require.ErrorAs(t, err, &exit)
			require.Equal(t, 1, exit.ExitStatus())
			require.Contains(t, stderr.String(), tt.wantText)
		})
	}
}

func TestWindowSizeFollowsTheClient(t *testing.T) {
	t.Parallel()
	b := setup(t)
	con := openConsole(t, b.connect(t, b.operator), 100, 30)
	con.waitFor(t, "size=100x30")
	require.NoError(t, con.sess.WindowChange(40, 120))
	con.waitFor(t, "size=120x40")
}

// TestHostKeyIsKeptAcrossRestarts: clients pin the host key; a new key on
// every start would train operators to accept any key, which is what a
// man in the middle needs.
func TestHostKeyIsKeptAcrossRestarts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var first, second gossh.PublicKey
	c, err := dial(b.server.Addr(), &first, gossh.PublicKeys(b.operator))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, b.server.Stop(context.Background()))

	restarted := b.start(t)
	c, err = dial(restarted.Addr(), &second, gossh.PublicKeys(b.operator))
	require.NoError(t, err)
	require.NoError(t, c.Close())

	require.Equal(t, gossh.FingerprintSHA256(first), gossh.FingerprintSHA256(second))
	require.Equal(t, "ssh-ed25519", first.Type())
	info, err := os.Stat(filepath.Join(b.cfg.DataDir, sshd.DefaultHostKeyName))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	_, err = os.Stat("id_ed25519")
	require.ErrorIs(t, err, os.ErrNotExist, "wish must not write a host key into the working directory")
}

// TestHostKeyReadableByOthersIsRefused: a private host key others can read
// may have been copied; serving with it lets the copier impersonate us.
func TestHostKeyReadableByOthersIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.server.Stop(context.Background()))
	path := filepath.Join(b.cfg.DataDir, sshd.DefaultHostKeyName)
	require.NoError(t, os.Chmod(path, 0o644))
	srv, err := sshd.New(b.cfg)
	require.NoError(t, err)
	require.ErrorContains(t, srv.Start(context.Background()), "chmod 600")
}

// TestSessionCapRefusesTheExtraSession: the cap keeps many sessions from
// starving the engine; the one over the cap is told why.
func TestSessionCapRefusesTheExtraSession(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *sshd.Config) { c.MaxSessions = 2 })
	first := openConsole(t, b.connect(t, b.operator), 80, 10)
	first.waitFor(t, "role=operator")
	second := openConsole(t, b.connect(t, b.viewer), 80, 10)
	second.waitFor(t, "role=viewer")

	extra := openConsole(t, b.connect(t, b.operator), 80, 10)
	require.Equal(t, 1, extra.wait(t))
	require.Contains(t, extra.stderr.String(), "too many sessions (2 open, the maximum)")

	first.press(t, "q")
	require.Equal(t, 0, first.wait(t))
	again := openConsole(t, b.connect(t, b.operator), 80, 10)
	again.waitFor(t, "role=operator")
}

// panicky panics in Update on "p", in View after "v"; its factory panics
// for viewers.
type panicky struct {
	probe
	viewPanics bool
}

func newPanicky(s sshd.Session) tea.Model {
	if s.ReadOnly {
		panic("factory exploded")
	}
	return panicky{probe: probe{s: s}}
}

func (m panicky) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "p":
			panic("update exploded")
		case "v":
			m.viewPanics = true
			return m, nil
		}
	}
	inner, cmd := m.probe.Update(msg)
	m.probe = inner.(probe)
	return m, cmd
}

func (m panicky) View() tea.View {
	if m.viewPanics {
		panic("view exploded")
	}
	return m.probe.View()
}

// TestPanickingConsoleEndsOnlyItsSession: a console bug one user can
// trigger must not take the server down for everyone.
func TestPanickingConsoleEndsOnlyItsSession(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *sshd.Config) { c.NewModel = newPanicky })
	survivor := openConsole(t, b.connect(t, b.operator), 80, 10)
	survivor.waitFor(t, "keys=0")
	tests := []struct {
		name string
		key  gossh.Signer
		keys string
	}{
		{name: "in update", key: b.operator, keys: "p"},
		{name: "in view", key: b.operator, keys: "v"},
		{name: "in the factory", key: b.viewer},
	}
	for i, tt := range tests {
		con := openConsole(t, b.connect(t, tt.key), 80, 10)
		if tt.keys != "" {
			con.waitFor(t, "role=operator")
			con.press(t, tt.keys)
		}
		require.Equal(t, 1, con.wait(t), tt.name)
		require.Contains(t, con.stderr.String(), "internal error", tt.name)

		survivor.press(t, "x")
		survivor.waitFor(t, fmt.Sprintf("keys=%d", i+1))
	}
	fresh := openConsole(t, b.connect(t, b.operator), 80, 10)
	fresh.waitFor(t, "role=operator")
	require.Contains(t, b.logs.String(), "update exploded")
	require.Contains(t, b.logs.String(), "view exploded")
	require.Contains(t, b.logs.String(), "factory exploded")
}

// repainter redraws a counter every few milliseconds, like a progress bar;
// frames counts the repaints across copies.
type repainter struct {
	frame  int
	frames *atomic.Int64
}

type frameMsg struct{}

func (r repainter) Init() tea.Cmd { return repaint() }

func repaint() tea.Cmd {
	return tea.Tick(20*time.Millisecond, func(time.Time) tea.Msg { return frameMsg{} })
}

func (r repainter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(frameMsg); ok {
		r.frame++
		r.frames.Add(1)
		return r, repaint()
	}
	return r, nil
}

func (r repainter) View() tea.View { return tea.NewView(fmt.Sprintf("frame=%d", r.frame)) }

// TestIdleSessionIsLoggedOutWhileTheConsoleRepaints: a user who walked away
// from a console showing a running job must still be logged out; our own
// output (and the client's acknowledgements of it) is not activity. A server
// that counted output as activity would never end this session.
func TestIdleSessionIsLoggedOutWhileTheConsoleRepaints(t *testing.T) {
	t.Parallel()
	const idle = 500 * time.Millisecond
	frames := new(atomic.Int64)
	b := setup(t, func(c *sshd.Config) {
		c.IdleTimeout = idle
		c.NewModel = func(sshd.Session) tea.Model { return repainter{frames: frames} }
	})
	opened := time.Now()
	con := openConsole(t, b.connect(t, b.operator), 80, 10)

	require.Equal(t, 1, con.wait(t))
	require.GreaterOrEqual(t, time.Since(opened), idle)
	require.GreaterOrEqual(t, frames.Load(), int64(3), "the console must have been repainting while idle")
	printed, writes := con.screen.history()
	require.Contains(t, printed, "frame=")
	require.GreaterOrEqual(t, writes, 3, "the repaints must have reached the client")
	require.Contains(t, con.stderr.String(), "logged out after 500ms without input")
	require.Contains(t, b.logs.String(), `"reason":"idle"`)
}

// TestInputKeepsTheSessionAlive: quiet time counts from the last byte the
// client sent, not from the start of the session.
func TestInputKeepsTheSessionAlive(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	b := setup(t, func(c *sshd.Config) { c.Clock = clock })
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	con := openConsole(t, b.connect(t, b.operator), 80, 10)
	con.waitFor(t, "keys=0")
	require.NoError(t, clock.BlockUntilContext(ctx, 2)) // the idle and the max-time timers

	clock.Advance(29 * time.Minute)
	con.press(t, "x")
	con.waitFor(t, "keys=1")
	clock.Advance(time.Minute) // 30m after the start, 1m after the input
	require.NoError(t, clock.BlockUntilContext(ctx, 2), "the idle timer must be re-armed, not end the session")

	clock.Advance(29 * time.Minute) // 30m after the input
	require.Equal(t, 1, con.wait(t))
	require.Contains(t, con.stderr.String(), "logged out after 30m0s without input")
}

func TestMaxSessionTimeEndsTheSession(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	b := setup(t, func(c *sshd.Config) {
		c.Clock = clock
		c.IdleTimeout = 2 * time.Hour
		c.MaxSessionTime = time.Hour
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	con := openConsole(t, b.connect(t, b.operator), 80, 10)
	con.waitFor(t, "keys=0")
	require.NoError(t, clock.BlockUntilContext(ctx, 2))
	clock.Advance(time.Hour)
	require.Equal(t, 1, con.wait(t))
	require.Contains(t, con.stderr.String(), "maximum session time (1h0m0s)")
}

func TestStopEndsSessionsWithAMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	con := openConsole(t, b.connect(t, b.viewer), 80, 10)
	con.waitFor(t, "role=viewer")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, b.server.Stop(ctx))
	require.Equal(t, 1, con.wait(t))
	require.Contains(t, con.stderr.String(), "shutting down")
	require.NoError(t, b.server.Stop(ctx), "Stop is idempotent")
	require.ErrorIs(t, b.server.Start(ctx), sshd.ErrStopped)

	never, err := sshd.New(b.cfg)
	require.NoError(t, err)
	require.NoError(t, never.Stop(ctx), "Stop is safe before Start")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	valid := sshd.Config{Addr: ":0", DataDir: "/data", AuthorizedKeysPath: "/keys", NewModel: newProbe}
	tests := []struct {
		name    string
		change  func(*sshd.Config)
		wantErr string
	}{
		{name: "valid", change: func(*sshd.Config) {}},
		{name: "viewers only", change: func(c *sshd.Config) { c.AuthorizedKeysPath, c.ViewerKeysPath = "", "/v" }},
		{name: "no address", change: func(c *sshd.Config) { c.Addr = "" }, wantErr: "no listen address"},
		{name: "no key files", change: func(c *sshd.Config) { c.AuthorizedKeysPath = "" }, wantErr: "no authorized keys file"},
		{name: "no host key place", change: func(c *sshd.Config) { c.DataDir = "" }, wantErr: "no host key path"},
		{name: "no console", change: func(c *sshd.Config) { c.NewModel = nil }, wantErr: "no console factory"},
		{name: "negative cap", change: func(c *sshd.Config) { c.MaxSessions = -1 }, wantErr: "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			tt.change(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestMissingKeyFileFailsStart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cfg := b.cfg
	cfg.ViewerKeysPath = filepath.Join(b.dir, "typo")
	srv, err := sshd.New(cfg)
	require.NoError(t, err)
	require.ErrorContains(t, srv.Start(context.Background()), "viewer key file")
}

// TestClosedSessionFreesItsSlot: a client that opens sessions on one
// connection and closes them must not keep their consoles running and
// their slots taken, or one key could hold every slot.
func TestClosedSessionFreesItsSlot(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *sshd.Config) { c.MaxSessions = 1 })
	c := b.connect(t, b.viewer)
	first := openConsole(t, c, 80, 10)
	first.waitFor(t, "role=viewer")
	require.NoError(t, first.sess.Close())
	require.Eventually(t, func() bool { return strings.Contains(b.logs.String(), `"reason":"disconnected"`) },
		waitTimeout, 5*time.Millisecond, "the server must notice the closed session")

	second := openConsole(t, c, 80, 10)
	second.waitFor(t, "role=viewer")
}
