package sshd_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"

	"syncops/engine"
	"syncops/ui/sshd"
)

// waitTimeout bounds every wait on the network in these tests.
const waitTimeout = 15 * time.Second

// testBundle is one test's server and keys.
type testBundle struct {
	dir       string
	operator  gossh.Signer // listed in the operators' file
	viewer    gossh.Signer // listed in the viewers' file
	stranger  gossh.Signer // listed nowhere
	operators string       // operators' authorized_keys
	viewers   string       // viewers' authorized_keys
	cfg       sshd.Config
	logs      *syncBuffer
	server    *sshd.Server
}

// setup starts a server on a free loopback port with an operator and a
// viewer key; change modifies the config before New.
func setup(t testing.TB, change ...func(*sshd.Config)) *testBundle {
	t.Helper()
	b := &testBundle{dir: t.TempDir(), operator: newSigner(t), viewer: newSigner(t), stranger: newSigner(t),
		logs: &syncBuffer{}}
	b.operators = filepath.Join(b.dir, "authorized_keys")
	b.viewers = filepath.Join(b.dir, "viewer_keys")
	writeKeys(t, b.operators, authorizedLine(b.operator, "alice@ops"))
	writeKeys(t, b.viewers, authorizedLine(b.viewer, "victor@view"))
	b.cfg = sshd.Config{Addr: "127.0.0.1:0", DataDir: filepath.Join(b.dir, "data"), AuthorizedKeysPath: b.operators,
		ViewerKeysPath: b.viewers, NewModel: newProbe,
		Logger: slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, c := range change {
		c(&b.cfg)
	}
	b.server = b.start(t)
	return b
}

// start builds and starts a server from b.cfg, stopped at cleanup.
func (b *testBundle) start(t testing.TB) *sshd.Server {
	t.Helper()
	srv, err := sshd.New(b.cfg)
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		require.NoError(t, srv.Stop(ctx))
	})
	return srv
}

func newSigner(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := gossh.NewSignerFromKey(priv)
	require.NoError(t, err)
	return s
}

func authorizedLine(s gossh.Signer, comment string) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey()))) + " " + comment
}

func writeKeys(t testing.TB, path string, lines ...string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
}

func fingerprint(s gossh.Signer) string { return gossh.FingerprintSHA256(s.PublicKey()) }

// dial connects with the given auth methods; the host key seen is recorded
// in hostKey when non-nil.
func dial(addr string, hostKey *gossh.PublicKey, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "ops", Auth: auth, Timeout: waitTimeout,
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			if hostKey != nil {
				*hostKey = key
			}
			return nil
		}})
}

// connect dials b's server with one key, failing the test on error.
func (b *testBundle) connect(t testing.TB, key gossh.Signer) *gossh.Client {
	t.Helper()
	c, err := dial(b.server.Addr(), nil, gossh.PublicKeys(key))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// console is one interactive session as the user sees it.
type console struct {
	sess   *gossh.Session
	stdin  io.WriteCloser
	screen *screen
	stderr *syncBuffer
	done   chan struct{} // closed when the session ended
	err    error         // Wait's result, once done
}

// openConsole opens a session with a PTY of w×h and a shell.
func openConsole(t testing.TB, c *gossh.Client, w, h int) *console {
	t.Helper()
	sess, err := c.NewSession()
	require.NoError(t, err)
	con := &console{sess: sess, screen: newScreen(w, h), stderr: &syncBuffer{}, done: make(chan struct{})}
	sess.Stdout = con.screen
	sess.Stderr = con.stderr
	con.stdin, err = sess.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{gossh.ECHO: 0}))
	require.NoError(t, sess.Shell())
	go func() {
		con.err = sess.Wait()
		close(con.done)
	}()
	t.Cleanup(func() { _ = sess.Close() })
	return con
}

// waitFor waits until the screen shows want, and returns the screen.
func (c *console) waitFor(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		changed := c.screen.changed()
		text := c.screen.String()
		if strings.Contains(text, want) {
			return text
		}
		select {
		case <-changed:
		case <-c.done:
			text = c.screen.String()
			require.Contains(t, text, want, "session ended first; stderr: %s", c.stderr.String())
			return text
		case <-deadline:
			require.FailNow(t, "screen never showed "+want, "screen:\n%s\nstderr: %s", text, c.stderr.String())
		}
	}
}

// press sends keys as the terminal would.
func (c *console) press(t *testing.T, keys string) {
	t.Helper()
	_, err := io.WriteString(c.stdin, keys)
	require.NoError(t, err)
}

// wait waits for the session to end and returns its exit status.
func (c *console) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(waitTimeout):
		require.FailNow(t, "session did not end", "screen:\n%s", c.screen.String())
	}
	var exit *gossh.ExitError
	if errors.As(c.err, &exit) {
		return exit.ExitStatus()
	}
	require.NoError(t, c.err)
	return 0
}

// probe is the test console: it shows what the server told it about the
// session and counts key presses; "q" quits.
type probe struct {
	s    sshd.Session
	keys int
	size string
}

func newProbe(s sshd.Session) tea.Model { return probe{s: s} }

func (p probe) Init() tea.Cmd { return nil }

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if msg.String() == "q" {
			return p, tea.Quit
		}
		p.keys++
	case tea.WindowSizeMsg:
		p.size = fmt.Sprintf("%dx%d", msg.Width, msg.Height)
	}
	return p, nil
}

func (p probe) View() tea.View {
	// What the engine decides for the session's Actor, not what the console
	// is told: a viewer's changes must be refused by the engine itself.
	forbidden := errors.Is(p.s.Actor.Authorize("change"), engine.ErrForbidden)
	return tea.NewView(fmt.Sprintf("role=%s readonly=%t\nactor=%s\nengine-forbids=%t\nsize=%s keys=%d",
		p.s.Identity.Role, p.s.ReadOnly, p.s.Actor, forbidden, p.size, p.keys))
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
