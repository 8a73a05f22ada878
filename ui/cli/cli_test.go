package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/app"
	"syncops/ui/cli"
)

// testBundle is one test's data directory and job kinds.
type testBundle struct {
	env  map[string]string
	gate chan struct{}
}

func (b *testBundle) kinds(app.Deps) ([]engine.Kind, error) {
	return []engine.Kind{
		{Type: "QUICK", Label: "Quick", RetryItems: true,
			Params: []engine.ParamSpec{{Name: "n", Kind: engine.ParamInt, Default: "6", Min: 1}},
			Run: func(ctx context.Context, r *engine.Run) error {
				var p struct{ N int64 }
				if err := r.Params(&p); err != nil {
					return err
				}
				if r.RetryOf() != 0 {
					keys, err := r.RetryKeys(ctx)
					if err != nil {
						return err
					}
					r.SetTotal(int64(len(keys)))
					r.Succeeded(int64(len(keys)))
					return nil
				}
				r.SetTotal(p.N)
				for i := int64(1); i <= p.N; i++ {
					if i%3 == 0 {
						if err := r.Fail(ctx, engine.Failure{Key: fmt.Sprint("row-", i), Message: "no phone",
							Class: engine.ClassValidation}); err != nil {
							return err
						}
						continue
					}
					r.Succeeded(1)
				}
				return nil
			}},
		{Type: "BROKEN", Label: "Broken", Run: func(context.Context, *engine.Run) error {
			return errors.New("nhanh customer/list: auth: token expired")
		}},
		{Type: "GATED", Label: "Gated", Run: func(ctx context.Context, r *engine.Run) error {
			r.SetTotal(2)
			r.Succeeded(1)
			select {
			case <-b.gate:
			case <-ctx.Done():
				return ctx.Err()
			}
			r.Succeeded(1)
			return nil
		}},
	}, nil
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	return &testBundle{env: map[string]string{"SYNCOPS_DATA_DIR": t.TempDir()}, gate: make(chan struct{})}
}

type result struct {
	code           int
	stdout, stderr string
}

func (b *testBundle) run(ctx context.Context, args ...string) result {
	var out, errOut bytes.Buffer
	code := cli.Main(ctx, args, cli.Options{Stdout: &out, Stderr: &errOut, Kinds: b.kinds,
		Env: func(k string) string { return b.env[k] }})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func jobFromJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m), s)
	return m
}

func TestRunFollowsToTheEnd(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.run(context.Background(), "run", "quick", "--param", "n=6", "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	j := jobFromJSON(t, res.stdout)
	for _, k := range []string{"id", "type", "status", "total", "processed", "successful", "failed", "skipped",
		"metadata", "error", "createdAt", "startedAt", "completedAt"} {
		require.Contains(t, j, k)
	}
	require.Equal(t, "COMPLETED", j["status"])
	require.EqualValues(t, 6, j["processed"])
	require.EqualValues(t, 2, j["failed"])
	require.Contains(t, res.stderr, "COMPLETED 6/6 (100%) ok=4 failed=2")
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"failed job", []string{"run", "broken"}, cli.ExitFailed, "token expired"},
		{"unknown type", []string{"run", "pull_everything"}, cli.ExitRefused,
			`unknown job type "pull_everything"; valid types: BROKEN, GATED, QUICK`},
		{"bad parameter", []string{"run", "quick", "-p", "n=lots"}, cli.ExitRefused, `parameter "n" must be a whole number`},
		{"malformed --param", []string{"run", "quick", "-p", "n"}, cli.ExitRefused, `--param "n": want name=value`},
		{"no type", []string{"run"}, cli.ExitRefused, "accepts 1 arg"},
		{"unknown command", []string{"frobnicate"}, cli.ExitRefused, "unknown command"},
		{"bad status filter", []string{"jobs", "--status", "sleeping"}, cli.ExitRefused, "--status \"sleeping\""},
		{"bad job id", []string{"job", "abc"}, cli.ExitRefused, `"abc" is not a job id`},
		{"missing job", []string{"job", "999"}, cli.ExitRefused, "job 999: not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := setup(t).run(context.Background(), tt.args...)
			require.Equal(t, tt.wantCode, res.code, res.stderr)
			require.Contains(t, res.stderr, tt.wantErr)
		})
	}
}

func TestDetachConflictCancelAndFollow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	res := b.run(ctx, "run", "gated", "--detach")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	id := strings.TrimSpace(res.stdout)
	_, err := strconv.Atoi(id)
	require.NoError(t, err, "detach prints the id")

	// Nothing runs detached jobs here, so the first stays pending: a second
	// identical start is refused and names it.
	res = b.run(ctx, "run", "gated", "--detach")
	require.Equal(t, cli.ExitRefused, res.code)
	require.Contains(t, res.stderr, "GATED is already pending as job "+id)

	res = b.run(ctx, "jobs", "--status", "pending", "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	var jobs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &jobs))
	require.Len(t, jobs, 1)

	res = b.run(ctx, "cancel", id)
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, "cancelled job "+id)
	res = b.run(ctx, "cancel", id)
	require.Equal(t, cli.ExitRefused, res.code)
	require.Contains(t, res.stderr, "is CANCELLED")

	res = b.run(ctx, "job", id, "--follow")
	require.Equal(t, cli.ExitCancelled, res.code)
	require.Contains(t, res.stdout, "status     CANCELLED")
}

func TestRunOfCancelledJobExitsThree(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	done := make(chan result, 1)
	go func() { done <- b.run(ctx, "run", "gated") }()

	// Find the running job through another invocation, as an operator would.
	var id string
	require.Eventually(t, func() bool {
		res := b.run(ctx, "jobs", "--status", "running", "--json")
		var jobs []map[string]any
		if res.code != cli.ExitOK || json.Unmarshal([]byte(res.stdout), &jobs) != nil || len(jobs) == 0 {
			return false
		}
		id = fmt.Sprint(jobs[0]["id"])
		return true
	}, 60*time.Second, 20*time.Millisecond)
	res := b.run(ctx, "cancel", id)
	require.Equal(t, cli.ExitOK, res.code, res.stderr)

	select {
	case res = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("run did not return after its job was cancelled")
	}
	require.Equal(t, cli.ExitCancelled, res.code, res.stderr)
	require.Contains(t, res.stderr, "was cancelled")
}

func TestFailuresAndRetry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	res := b.run(ctx, "run", "quick", "-p", "n=9", "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	id := fmt.Sprint(jobFromJSON(t, res.stdout)["id"])

	res = b.run(ctx, "failures", id, "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	var fails struct {
		Total int64
		Items []struct{ Key, Message, Class string }
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &fails))
	require.EqualValues(t, 3, fails.Total)
	require.Equal(t, "row-3", fails.Items[0].Key)
	require.Equal(t, "validation", fails.Items[0].Class)

	res = b.run(ctx, "failures", id, "--search", "row-6")
	require.Equal(t, cli.ExitOK, res.code)
	require.Contains(t, res.stdout, "row-6")
	require.NotContains(t, res.stdout, "row-3")

	res = b.run(ctx, "retry", id, "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	retried := jobFromJSON(t, res.stdout)
	require.EqualValues(t, 3, retried["successful"])
	require.NotEqual(t, id, fmt.Sprint(retried["id"]))

	res = b.run(ctx, "retry", fmt.Sprint(retried["id"]))
	require.Equal(t, cli.ExitRefused, res.code)
	require.Contains(t, res.stderr, "no failed items")

	res = b.run(ctx, "job", id)
	require.Equal(t, cli.ExitOK, res.code)
	require.Contains(t, res.stdout, "successful 6  failed 3")
}

func TestHelpIsComplete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.run(context.Background(), "--help")
	require.Equal(t, cli.ExitOK, res.code)
	for _, want := range []string{"run", "jobs", "job", "failures", "cancel", "retry", "SYNCOPS_DB",
		"SYNCOPS_NHANH_ACCESS_TOKEN", "SYNCOPS_SHOPIFY_SHOP"} {
		require.Contains(t, res.stdout, want)
	}
	res = b.run(context.Background(), "run", "--help")
	require.Contains(t, res.stdout, "Exit codes: 0 COMPLETED")
}

func TestAuditRecordsCLIActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	res := b.run(ctx, "run", "gated", "--detach")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	id := strings.TrimSpace(res.stdout)
	require.Equal(t, cli.ExitOK, b.run(ctx, "cancel", id).code)

	res = b.run(ctx, "audit", "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	var entries []struct {
		Via, Actor, Action string
		JobID              int64
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &entries))
	require.Len(t, entries, 2)
	require.Equal(t, "job.cancel", entries[0].Action)
	require.Equal(t, "job.start", entries[1].Action)
	for _, en := range entries {
		require.Equal(t, "cli", en.Via)
		require.NotEmpty(t, en.Actor)
		require.Equal(t, id, fmt.Sprint(en.JobID))
	}
}
