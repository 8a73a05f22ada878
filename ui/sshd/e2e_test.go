package sshd_test

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"

	"syncops/internal/testbin"
	"syncops/ui/sshd"
)

// e2eTimeout bounds the binary's start and each wait on the real terminal.
const e2eTimeout = 90 * time.Second

// TestMain removes the syncops binary the end-to-end test builds (once).
func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// TestOpenSSHClientSeesTheOverview drives the real binary the way an
// operator does: syncops demo --no-tui with SSH enabled, the OpenSSH client
// inside tmux (a real terminal of a real size), and the rendered overview
// read back from tmux's screen.
func TestOpenSSHClientSeesTheOverview(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	for _, tool := range []string{"ssh", "tmux"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("end-to-end test needs %s (apt-get install -y openssh-client tmux; .ci/run installs them)", tool)
		}
	}
	dir := t.TempDir()
	key, keyPath := newKeyFile(t, dir)
	operators := filepath.Join(dir, "authorized_keys")
	viewers := filepath.Join(dir, "viewer_keys")
	writeKeys(t, operators, authorizedLine(key, "e2e@test"))
	writeKeys(t, viewers)

	// Port 0: the binary picks a free port and logs the address it bound, so
	// no other process can take the port between a probe and the start.
	demo := exec.Command(testbin.Path(t), "demo", "--no-tui", "--customers", "50", "--products", "20")
	demo.Env = append(os.Environ(), "SYNCOPS_SSH_ADDR=127.0.0.1:0", "SYNCOPS_SSH_AUTHORIZED_KEYS="+operators,
		"SYNCOPS_SSH_VIEWER_KEYS="+viewers, "SYNCOPS_SSH_HOST_KEY="+filepath.Join(dir, "host_key"))
	logs := startLogged(t, demo)
	var listening struct{ Addr string }
	require.NoError(t, json.Unmarshal([]byte(logs.waitLine(t, `"msg":"ssh console listening"`)), &listening))
	host, port, err := net.SplitHostPort(listening.Addr)
	require.NoError(t, err, "the demo must log the SSH console's bound address")
	require.Equal(t, "127.0.0.1", host)
	require.NotEqual(t, "0", port)
	logs.waitLine(t, "syncops running") // logged once every service listens
	conn, err := net.Dial("tcp", listening.Addr)
	require.NoError(t, err, "the demo must serve the SSH console when SYNCOPS_SSH_ADDR is set")
	require.NoError(t, conn.Close())

	tm := newTmux(t, dir)
	tm.run(t, 120, 40, "ssh", "-F", "/dev/null", "-o", "UserKnownHostsFile="+filepath.Join(dir, "known_hosts"),
		"-o", "StrictHostKeyChecking=accept-new", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-i", keyPath, "-p", port, "-t", "ops@127.0.0.1")
	tm.waitFor(t, "1 Overview", "Pull Nhanh customers")
	tm.sendKeys(t, "q")
	tm.waitFor(t, "ssh exited with 0")
	require.Contains(t, logs.text(), "ssh session opened")
	require.Contains(t, logs.text(), gossh.FingerprintSHA256(key.PublicKey()))
}

// TestOpenSSHClientDrivesTheConsole runs the OpenSSH client in tmux against
// an in-process server with the real console: a real client's PTY request,
// key handling and terminal, without the binary.
func TestOpenSSHClientDrivesTheConsole(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"ssh", "tmux"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("end-to-end test needs %s (apt-get install -y openssh-client tmux; .ci/run installs them)", tool)
		}
	}
	w := newConsoleWorld(t)
	b := setup(t, func(c *sshd.Config) { c.NewModel = w.console })
	key, keyPath := newKeyFile(t, b.dir)
	writeKeys(t, b.viewers, authorizedLine(key, "e2e@test"))
	_, port, err := net.SplitHostPort(b.server.Addr())
	require.NoError(t, err)

	tm := newTmux(t, b.dir)
	tm.run(t, 100, 30, "ssh", "-F", "/dev/null", "-o", "UserKnownHostsFile="+filepath.Join(b.dir, "known_hosts"),
		"-o", "StrictHostKeyChecking=accept-new", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-i", keyPath, "-p", port, "-t", "ops@127.0.0.1")
	tm.waitFor(t, "1 Overview", "Waiter", "READ-ONLY")
	tm.sendKeys(t, "s")
	tm.waitFor(t, "starting WAITER refused: this is a read-only session")
	tm.sendKeys(t, "q")
	tm.waitFor(t, "ssh exited with 0")
}

// newKeyFile makes a key pair and writes the private key for ssh -i, mode
// 0600 (OpenSSH refuses keys others can read).
func newKeyFile(t testing.TB, dir string) (gossh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := gossh.NewSignerFromKey(priv)
	require.NoError(t, err)
	block, err := gossh.MarshalPrivateKey(priv, "e2e@test")
	require.NoError(t, err)
	path := filepath.Join(dir, "id_ed25519")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))
	return signer, path
}

// logged is a process whose stderr lines are kept.
type logged struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed and replaced at every line
	done  chan struct{}
}

func startLogged(t *testing.T, cmd *exec.Cmd) *logged {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	l := &logged{more: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			close(l.more)
			l.more = make(chan struct{})
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-l.done:
		case <-time.After(e2eTimeout):
			_ = cmd.Process.Kill()
		}
		_ = cmd.Wait()
	})
	return l
}

func (l *logged) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// waitLine waits for a line containing want and returns it.
func (l *logged) waitLine(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(e2eTimeout)
	for {
		l.mu.Lock()
		more := l.more
		lines := l.lines
		l.mu.Unlock()
		for _, line := range lines {
			if strings.Contains(line, want) {
				return line
			}
		}
		select {
		case <-more:
		case <-l.done:
			require.FailNow(t, "the binary exited", "stderr:\n%s", l.text())
		case <-deadline:
			require.FailNow(t, "the binary never logged "+want, "stderr:\n%s", l.text())
		}
	}
}

// tmux is a private tmux server (its own socket) with one window, "e2e".
type tmux struct {
	socket string
}

func newTmux(t *testing.T, dir string) *tmux {
	t.Helper()
	tm := &tmux{socket: filepath.Join(dir, "tmux.sock")}
	t.Cleanup(func() { _ = tm.command("kill-server").Run() })
	return tm
}

func (tm *tmux) command(args ...string) *exec.Cmd {
	cmd := exec.Command("tmux", append([]string{"-S", tm.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	return cmd
}

// run starts argv in a w×h window; when it exits, the window shows its
// exit status and stays, so the test can read it.
func (tm *tmux) run(t *testing.T, w, h int, argv ...string) {
	t.Helper()
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	script := strings.Join(quoted, " ") + `; echo "ssh exited with $?"; sleep 3600`
	out, err := tm.command("new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), script).CombinedOutput()
	require.NoError(t, err, "tmux: %s", out)
}

func (tm *tmux) sendKeys(t *testing.T, keys ...string) {
	t.Helper()
	out, err := tm.command(append([]string{"send-keys", "-t", "e2e"}, keys...)...).CombinedOutput()
	require.NoError(t, err, "tmux: %s", out)
}

// screen is what the window shows now.
func (tm *tmux) screen(t *testing.T) string {
	t.Helper()
	out, err := tm.command("capture-pane", "-p", "-t", "e2e").CombinedOutput()
	require.NoError(t, err, "tmux: %s", out)
	return string(out)
}

// waitFor polls the window until it shows every text: tmux cannot signal
// a repaint.
func (tm *tmux) waitFor(t *testing.T, texts ...string) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		text := tm.screen(t)
		missing := ""
		for _, s := range texts {
			if !strings.Contains(text, s) {
				missing = s
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "screen never showed "+missing, "screen:\n%s", text)
		}
		<-tick.C
	}
}
