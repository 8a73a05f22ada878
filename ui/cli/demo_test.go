package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/ui/cli"
)

// lockedBuffer is a buffer the program writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemoHeadlessStderrIsOnlyJSON: `syncops demo --no-tui` prints its
// banner (the fakes' URLs, the database) on stdout, and every line on
// stderr is a JSON log record, so a log shipper never meets a line it
// cannot parse.
func TestDemoHeadlessStderrIsOnlyJSON(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SYNCOPS_DATA_DIR": t.TempDir()}
	var stdout, stderr lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"demo", "--no-tui", "--customers", "50", "--products", "10"},
			cli.Options{Stdout: &stdout, Stderr: &stderr, Env: func(k string) string { return env[k] }})
	}()
	// The program offers no signal for "running" but its log line: poll it.
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), `"msg":"syncops running"`) },
		90*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case code := <-done:
		require.Equal(t, cli.ExitOK, code, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not stop when its context ended")
	}

	out := stdout.String()
	for _, want := range []string{"SANDBOX:", "Nhanh.vn fake:  http://127.0.0.1:", "Shopify fake:", "database:", "temporary, removed at exit",
		"doctor:         17 ok, 0 warn, 0 fail (all green)"} {
		require.Contains(t, out, want)
	}
	lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
	require.NotEmpty(t, lines)
	for i, ln := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(ln), &rec), "stderr line %d is not JSON: %q", i+1, ln)
		require.Contains(t, rec, "msg", "stderr line %d", i+1)
	}
}
