package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/internal/testbin"
)

// These tests drive the real binary, built once per test run and removed
// at its end.
func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

func syncopsBinary(t *testing.T) string {
	t.Helper()
	return testbin.Path(t)
}

// process is a running syncops binary whose stderr is read line by line.
type process struct {
	cmd   *exec.Cmd
	lines chan string
	mu    sync.Mutex
	seen  []string
	done  chan struct{}
}

func startBinary(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(syncopsBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	cmd.Stdout = io.Discard
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.seen = append(p.seen, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return p
}

// waitLine waits for a stderr line containing want and returns it.
func (p *process) waitLine(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(90 * time.Second)
	for {
		p.mu.Lock()
		for _, l := range p.seen {
			if strings.Contains(l, want) {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
		select {
		case <-p.lines:
		case <-p.done:
			p.mu.Lock()
			defer p.mu.Unlock()
			for _, l := range p.seen {
				if strings.Contains(l, want) {
					return l
				}
			}
			t.Fatalf("process ended without printing %q; it printed:\n%s", want, strings.Join(p.seen, "\n"))
		case <-deadline:
			t.Fatalf("no line with %q; saw:\n%s", want, strings.Join(p.seen, "\n"))
		}
	}
}

// stop sends sig and returns the exit code.
func (p *process) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- p.cmd.Wait() }()
	select {
	case err := <-waited:
		<-p.done
		if err == nil {
			return 0
		}
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		t.Fatalf("wait: %v", err)
	case <-ctx.Done():
		t.Fatal("syncops did not stop after the signal")
	}
	return -1
}

func TestDemoHeadlessStartsAndStopsCleanly(t *testing.T) {
	t.Parallel()
	p := startBinary(t, []string{"SYNCOPS_DB=", "SYNCOPS_DATA_DIR=" + t.TempDir()},
		"demo", "--no-tui", "--customers", "200", "--products", "50")
	// The banner is on stdout (ui/cli's TestDemoHeadlessStderrIsOnlyJSON
	// checks it); stderr carries the JSON log lines.
	p.waitLine(t, `"msg":"syncops running"`)
	require.Equal(t, 0, p.stop(t, syscall.SIGINT))
	p.waitLine(t, `"msg":"stopped"`)
}
