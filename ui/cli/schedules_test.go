package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/app"
	"syncops/engine/scheduler"
	"syncops/ui/cli"
)

// scheduleBundle is a data directory with the schedulable test job types.
type scheduleBundle struct {
	env map[string]string
}

func setupSchedules(t *testing.T) *scheduleBundle {
	t.Helper()
	return &scheduleBundle{env: map[string]string{"SYNCOPS_DATA_DIR": t.TempDir()}}
}

func (b *scheduleBundle) kinds(app.Deps) ([]engine.Kind, error) {
	noop := func(context.Context, *engine.Run) error { return nil }
	limit := []engine.ParamSpec{{Name: "limit", Kind: engine.ParamInt, Min: 1}}
	return []engine.Kind{
		{Type: "AUTO_SYNC_CUSTOMERS", Label: "Auto-sync customers", Params: limit, Run: noop},
		{Type: "AUTO_SYNC_PRODUCTS", Label: "Auto-sync products", Params: limit, Run: noop},
		{Type: "INCREMENTAL_PULL_CUSTOMERS", Label: "Pull changed customers", Run: noop},
	}, nil
}

func (b *scheduleBundle) run(args ...string) result {
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Options{Stdout: &out, Stderr: &errOut, Kinds: b.kinds,
		Env: func(k string) string { return b.env[k] }})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func (b *scheduleBundle) schedules(t *testing.T) map[string]scheduler.ScheduleView {
	t.Helper()
	res := b.run("schedules", "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	var views []scheduler.ScheduleView
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &views), res.stdout)
	out := map[string]scheduler.ScheduleView{}
	for _, v := range views {
		out[v.JobType] = v
	}
	return out
}

// printedRuns parses the run times `schedule set` prints, one per indented line.
func printedRuns(t *testing.T, stdout string, loc *time.Location) []time.Time {
	t.Helper()
	var runs []time.Time
	for _, line := range strings.Split(stdout, "\n") {
		if !strings.HasPrefix(line, "  ") {
			continue
		}
		at, err := time.ParseInLocation("2006-01-02 15:04 Mon", strings.TrimSpace(line), loc)
		require.NoError(t, err, line)
		runs = append(runs, at)
	}
	return runs
}

func TestScheduleSetPrintsTheNextThreeRuns(t *testing.T) {
	t.Parallel()
	hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	require.NoError(t, err)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		loc      *time.Location
		wantHead string
		hour     int
		every    time.Duration
	}{
		{name: "daily at 02:00 in the default zone", args: []string{"schedule", "set", "auto_sync_customers", "0 2 * * *"},
			loc: hcm, wantHead: `AUTO_SYNC_CUSTOMERS runs on "0 2 * * *", params {}; next runs (Asia/Ho_Chi_Minh):`,
			hour: 2, every: 24 * time.Hour},
		{name: "unquoted fields", args: []string{"schedule", "set", "AUTO_SYNC_PRODUCTS", "0", "2", "*", "*", "*"},
			loc: hcm, wantHead: `AUTO_SYNC_PRODUCTS runs on "0 2 * * *"`, hour: 2, every: 24 * time.Hour},
		{name: "another configured zone", env: map[string]string{"SYNCOPS_TIMEZONE": "UTC"},
			args: []string{"schedule", "set", "auto_sync_customers", "CRON_TZ=Asia/Ho_Chi_Minh 0 9 * * *"},
			loc:  time.UTC, wantHead: "next runs (UTC):", hour: 2, every: 24 * time.Hour},
		{name: "with a parameter", args: []string{"schedule", "set", "auto_sync_products", "@daily", "-p", "limit=50"},
			loc: hcm, wantHead: `AUTO_SYNC_PRODUCTS runs on "@daily", params {"limit":50}`, hour: 0, every: 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupSchedules(t)
			for k, v := range tt.env {
				b.env[k] = v
			}
			before := time.Now()
			res := b.run(tt.args...)
			require.Equal(t, cli.ExitOK, res.code, res.stderr)
			require.Contains(t, res.stdout, tt.wantHead)
			runs := printedRuns(t, res.stdout, tt.loc)
			require.Len(t, runs, 3, res.stdout)
			require.True(t, runs[0].After(before.Add(-time.Minute)) && runs[0].Before(before.Add(tt.every)), "first run %s", runs[0])
			for i, at := range runs {
				require.Equal(t, tt.hour, at.Hour(), "run %s", at)
				require.Zero(t, at.Minute())
				if i > 0 {
					require.Equal(t, tt.every, at.Sub(runs[i-1]))
				}
			}
		})
	}
}

func TestScheduleSetRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"minute out of range", []string{"schedule", "set", "auto_sync_customers", "61 * * * *"}, "above maximum (59)"},
		{"not a cron expression", []string{"schedule", "set", "auto_sync_customers", "twice a day"}, "expected 5 to 6 fields"},
		{"never fires", []string{"schedule", "set", "auto_sync_customers", "0 0 31 2 *"}, "it never fires"},
		{"bad interval", []string{"schedule", "set", "auto_sync_customers", "@every 10ms"}, "at least one second"},
		{"unknown type", []string{"schedule", "set", "pull_everything", "@hourly"}, `unknown job type "pull_everything"`},
		{"unknown parameter", []string{"schedule", "set", "auto_sync_customers", "@hourly", "-p", "lmit=5"},
			`parameter "lmit" is unknown (valid: limit)`},
		{"no expression", []string{"schedule", "set", "auto_sync_customers"}, "requires at least 2 arg(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupSchedules(t)
			res := b.run(tt.args...)
			require.Equal(t, cli.ExitRefused, res.code, res.stderr)
			require.Contains(t, res.stderr, tt.wantErr)
			require.Empty(t, res.stdout)
			for typ, v := range b.schedules(t) {
				require.False(t, v.Enabled, "%s changed by a refused command", typ)
			}
		})
	}
}

func TestScheduleOffAndOn(t *testing.T) {
	t.Parallel()
	b := setupSchedules(t)
	res := b.run("schedule", "set", "INCREMENTAL_PULL_CUSTOMERS", "@every 15m")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)

	res = b.run("schedule", "set", "incremental_pull_customers", "off")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, `INCREMENTAL_PULL_CUSTOMERS schedule is off (expression "@every 15m" kept`)
	v := b.schedules(t)["INCREMENTAL_PULL_CUSTOMERS"]
	require.False(t, v.Enabled)
	require.Equal(t, "@every 15m", v.Cron)
	require.Empty(t, v.NextRuns)

	res = b.run("schedule", "set", "incremental_pull_customers", "on", "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	var on scheduler.ScheduleView
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &on))
	require.True(t, on.Enabled)
	require.Equal(t, "@every 15m", on.Cron)
	require.Len(t, on.NextRuns, 3)
	require.Equal(t, 15*time.Minute, on.NextRuns[1].Sub(on.NextRuns[0]))
	require.Zero(t, on.NextRuns[0].Minute()%15, "aligned to the quarter hour: %s", on.NextRuns[0])
}

func TestSchedulesListing(t *testing.T) {
	t.Parallel()
	b := setupSchedules(t)

	// A new install lists the schedulable types, all disabled.
	res := b.run("schedules", "--json")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	var raw []map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &raw))
	require.Len(t, raw, 3)
	for _, v := range raw {
		for _, k := range []string{"jobType", "cron", "enabled", "params", "nextRuns", "lastRun", "skippedOverlap"} {
			require.Contains(t, v, k)
		}
		require.Equal(t, false, v["enabled"])
		require.Equal(t, scheduler.DefaultCron, v["cron"])
	}

	require.Equal(t, cli.ExitOK, b.run("schedule", "set", "auto_sync_products", "0 */6 * * *").code)
	views := b.schedules(t)
	require.True(t, views["AUTO_SYNC_PRODUCTS"].Enabled)
	require.Len(t, views["AUTO_SYNC_PRODUCTS"].NextRuns, 3)
	require.False(t, views["AUTO_SYNC_CUSTOMERS"].Enabled)

	res = b.run("schedules")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.Len(t, lines, 4)
	require.Regexp(t, `^TYPE\s+ENABLED\s+CRON\s+NEXT RUNS \(Asia/Ho_Chi_Minh\)\s+LAST RUN$`, lines[0])
	require.Regexp(t, `^AUTO_SYNC_CUSTOMERS\s+no\s+0 \*/6 \* \* \*\s+-\s+-$`, lines[1])
	require.Regexp(t, `^AUTO_SYNC_PRODUCTS\s+yes\s+0 \*/6 \* \* \*\s+\d{4}-\d\d-\d\d (00|06|12|18):00 \w{3}, .+, .+\s+-$`, lines[2])
}

func TestScheduleHelpListsPresets(t *testing.T) {
	t.Parallel()
	b := setupSchedules(t)
	res := b.run("schedule", "set", "--help")
	require.Equal(t, cli.ExitOK, res.code, res.stderr)
	for _, p := range scheduler.Presets {
		require.Contains(t, res.stdout, `"`+p.Cron+`"`)
		require.Contains(t, res.stdout, p.Name)
	}
	for _, want := range []string{"@every 90s", "SYNCOPS_TIMEZONE", "off", "Examples:"} {
		require.Contains(t, res.stdout, want)
	}
	res = b.run("--help")
	require.Contains(t, res.stdout, "schedules")
	require.Contains(t, res.stdout, "schedule ")
}
