package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/app"
)

// gatedKinds is a job that reports progress when begin closes and ends
// when finish closes, so a test sees it running without sleeping.
func gatedKinds(begin, finish <-chan struct{}) func(app.Deps) ([]engine.Kind, error) {
	return func(app.Deps) ([]engine.Kind, error) {
		return []engine.Kind{{Type: "GATED", Label: "Gated", Run: func(ctx context.Context, r *engine.Run) error {
			r.SetTotal(2)
			select {
			case <-begin:
			case <-ctx.Done():
				return ctx.Err()
			}
			r.Succeeded(1)
			if err := r.Checkpoint(ctx, 1); err != nil { // writes and publishes the progress at once
				return err
			}
			select {
			case <-finish:
			case <-ctx.Done():
				return ctx.Err()
			}
			r.Succeeded(1)
			return nil
		}}}, nil
	}
}

// sseReader reads a Server-Sent Events stream: comments and job events.
type sseReader struct {
	t     *testing.T
	lines chan string
}

func openEvents(t *testing.T, b *bundle, path string) *sseReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+viewerToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	r := &sseReader{t: t, lines: make(chan string)}
	go func() {
		defer close(r.lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case r.lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return r
}

// next returns the next comment (": ...") or job event; ok is false when
// the stream ended.
func (r *sseReader) next() (comment string, job map[string]any, ok bool) {
	r.t.Helper()
	var event, data string
	for {
		select {
		case line, open := <-r.lines:
			if !open {
				return "", nil, false
			}
			switch {
			case strings.HasPrefix(line, ":"):
				return line, nil, true
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && data != "":
				require.Equal(r.t, "job", event)
				require.NoError(r.t, json.Unmarshal([]byte(data), &job))
				return "", job, true
			}
		case <-time.After(30 * time.Second):
			r.t.Fatal("no event within 30s")
		}
	}
}

// until reads events until one of job id satisfies want.
func (r *sseReader) until(id string, want func(map[string]any) bool) map[string]any {
	r.t.Helper()
	for {
		_, job, ok := r.next()
		require.True(r.t, ok, "stream ended early")
		if job != nil && job["id"] == id && want(job) {
			return job
		}
	}
}

// TestEventStreams: a running job's progress and its end arrive on its own
// stream and on the stream of every job; its own stream then ends.
func TestEventStreams(t *testing.T) {
	t.Parallel()
	begin, finish := make(chan struct{}), make(chan struct{})
	b := setup(t, setupOptions{kinds: gatedKinds(begin, finish), workers: true})
	all := openEvents(t, b, "/v1/events")
	comment, _, _ := all.next()
	require.Equal(t, ": subscribed", comment)

	resp, raw := b.do(t, http.MethodPost, "/v1/jobs", operatorToken, map[string]any{"type": "GATED"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%s", raw)
	id := object(t, raw)["id"].(string)
	require.Equal(t, "/v1/jobs/"+id, resp.Header.Get("Location"))

	one := openEvents(t, b, "/v1/jobs/"+id+"/events")
	comment, _, _ = one.next()
	require.Equal(t, ": subscribed", comment)
	_, first, _ := one.next()
	require.Equal(t, id, first["id"], "the stream opens with the job as it is")

	close(begin)
	running := func(j map[string]any) bool { return j["status"] == "RUNNING" && j["processed"].(float64) >= 1 }
	one.until(id, running)
	all.until(id, running)

	close(finish)
	done := func(j map[string]any) bool { return j["status"] == "COMPLETED" }
	last := one.until(id, done)
	require.EqualValues(t, 2, last["successful"])
	all.until(id, done)
	for {
		_, job, ok := one.next()
		if !ok {
			break
		}
		require.Nil(t, job, "no job event after the terminal one")
	}
}

// TestStreamOutlivesTimeouts: an event stream stays open past the server's
// read and write timeouts (it waits on heartbeats from a real clock, the
// signal that time passed, not on a sleep).
func TestStreamOutlivesTimeouts(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{kinds: quietKinds})
	const timeout = 100 * time.Millisecond
	srv, err := New(Config{Addr: "127.0.0.1:0", TokensPath: b.tokens, Engine: b.app.Engine,
		ReadTimeout: timeout, WriteTimeout: timeout, Heartbeat: 2 * timeout})
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	defer func() { require.NoError(t, srv.Stop(context.Background())) }()
	stream := openEvents(t, &bundle{base: "http://" + srv.Addr()}, "/v1/events")
	for _, want := range []string{": subscribed", ": heartbeat", ": heartbeat"} {
		comment, _, ok := stream.next()
		require.True(t, ok, "the stream ended before %q", want)
		require.Equal(t, want, comment)
	}
}
