package sshd_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/ui/sshd"
)

// benchSessions is how many consoles watch at once: the default cap.
const benchSessions = sshd.DefaultMaxSessions

// BenchmarkSessions20 measures what a watching session costs the server:
// 20 sessions on one server, each watching either a simulated progress bar
// repainting at 10 frames a second, or the real console following a
// running job. One iteration is every session rendering one more frame.
// Reported per session: live heap (after GC, with the sessions open), stack
// memory, goroutines, and CPU as a share of one core over the measured
// window.
//
// The clients are OpenSSH processes when ssh is installed, so the process's
// CPU and heap are the server's alone; otherwise in-process x/crypto
// clients, whose cost is then included (the log says which).
func BenchmarkSessions20(b *testing.B) {
	b.Run("progress-bar-10fps", func(b *testing.B) {
		frames := newFrameCounter()
		runSessions(b, frames, func(sshd.Session) tea.Model { return progressBar{} })
	})
	b.Run("console-running-job", func(b *testing.B) {
		w := newConsoleWorld(b)
		id, err := w.engine.Start(context.Background(), "WAITER", engine.Params{"every": "10"}, engine.StartOptions{})
		require.NoError(b, err)
		require.Equal(b, id, w.bodyStarted(b))
		frames := newFrameCounter()
		runSessions(b, frames, w.console)
	})
}

// runSessions opens benchSessions consoles and measures them.
func runSessions(b *testing.B, frames *frameCounter, newModel func(sshd.Session) tea.Model) {
	bundle := setup(b, func(c *sshd.Config) {
		c.NewModel = func(s sshd.Session) tea.Model { return frames.wrap(newModel(s)) }
	})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutinesBefore := runtime.NumGoroutine()

	openClients(b, bundle, benchSessions)
	frames.waitAll(b, benchSessions, 1)

	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	goroutines := runtime.NumGoroutine() - goroutinesBefore

	cpuBefore, wallBefore := cpuTime(b), time.Now()
	b.ResetTimer()
	base := frames.min()
	for i := range b.N {
		frames.waitAll(b, benchSessions, base+int64(i)+1)
	}
	b.StopTimer()
	cpu, wall := cpuTime(b)-cpuBefore, time.Since(wallBefore)

	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/benchSessions, "heap-B/session")
	b.ReportMetric(float64(int64(after.StackInuse)-int64(before.StackInuse))/benchSessions, "stack-B/session")
	b.ReportMetric(float64(goroutines)/benchSessions, "goroutines/session")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds()/benchSessions, "cpu-%/session")
}

// openClients opens n sessions that watch without typing.
func openClients(b *testing.B, bundle *testBundle, n int) {
	b.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		b.Log("clients: in-process x/crypto (their cost is included)")
		for range n {
			c := bundle.connect(b, bundle.operator)
			sess, err := c.NewSession()
			require.NoError(b, err)
			sess.Stdout, sess.Stderr = io.Discard, io.Discard
			require.NoError(b, sess.RequestPty("xterm-256color", 40, 120, nil))
			require.NoError(b, sess.Shell())
		}
		return
	}
	b.Log("clients: OpenSSH processes (server cost only)")
	key, keyPath := newKeyFile(b, bundle.dir)
	writeKeys(b, bundle.operators, authorizedLine(key, "bench@test"))
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(b, err)
	b.Cleanup(func() { _ = devNull.Close() })
	port := bundle.server.Addr()[strings.LastIndex(bundle.server.Addr(), ":")+1:]
	for range n {
		cmd := exec.Command("ssh", "-F", "/dev/null", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "StrictHostKeyChecking=no", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
			"-o", "BatchMode=yes", "-i", keyPath, "-p", port, "-tt", "ops@127.0.0.1")
		cmd.Stdout, cmd.Stderr = devNull, devNull
		stdin, err := cmd.StdinPipe() // held open: EOF would end the session
		require.NoError(b, err)
		require.NoError(b, cmd.Start())
		b.Cleanup(func() {
			_ = stdin.Close()
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// progressBar repaints a moving bar ten times a second.
type progressBar struct{ frame int }

func (p progressBar) Init() tea.Cmd { return nextFrame() }

func nextFrame() tea.Cmd {
	return tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return frameMsg{} })
}

func (p progressBar) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(frameMsg); ok {
		p.frame++
		return p, nextFrame()
	}
	return p, nil
}

func (p progressBar) View() tea.View {
	done := p.frame % 61
	return tea.NewView(fmt.Sprintf("Pull Nhanh customers  RUNNING\n%s%s %d/60\n",
		strings.Repeat("█", done), strings.Repeat("░", 60-done), done))
}

// frameCounter counts each console's renders.
type frameCounter struct {
	mu     sync.Mutex
	counts []*atomic.Int64
	note   chan struct{} // a render happened
}

func newFrameCounter() *frameCounter { return &frameCounter{note: make(chan struct{}, 1)} }

// wrap counts m's renders.
func (f *frameCounter) wrap(m tea.Model) tea.Model {
	n := new(atomic.Int64)
	f.mu.Lock()
	f.counts = append(f.counts, n)
	f.mu.Unlock()
	return countingModel{inner: m, n: n, note: f.note}
}

// min is the fewest renders of any console.
func (f *frameCounter) min() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	least := int64(-1)
	for _, n := range f.counts {
		if v := n.Load(); least < 0 || v < least {
			least = v
		}
	}
	return least
}

// waitAll waits until sessions consoles exist and each rendered at least
// frames times.
func (f *frameCounter) waitAll(b *testing.B, sessions int, frames int64) {
	b.Helper()
	deadline := time.After(waitTimeout)
	for {
		f.mu.Lock()
		count := len(f.counts)
		f.mu.Unlock()
		if count >= sessions && f.min() >= frames {
			return
		}
		select {
		case <-f.note:
		case <-deadline:
			require.FailNow(b, "consoles did not render", "%d consoles, fewest renders %d, want %d", count, f.min(), frames)
		}
	}
}

type countingModel struct {
	inner tea.Model
	n     *atomic.Int64
	note  chan struct{}
}

func (m countingModel) Init() tea.Cmd { return m.inner.Init() }

func (m countingModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	inner, cmd := m.inner.Update(msg)
	m.inner = inner
	return m, cmd
}

func (m countingModel) View() tea.View {
	m.n.Add(1)
	select {
	case m.note <- struct{}{}:
	default:
	}
	return m.inner.View()
}
