package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"syncops/engine"
	"syncops/engine/scheduler"
)

// presetHelp lists the scheduler's presets for help texts.
func presetHelp() string {
	var b strings.Builder
	for _, p := range scheduler.Presets {
		fmt.Fprintf(&b, "  %-16q %s\n", p.Cron, p.Name)
	}
	return b.String()
}

// cronSyntaxHelp is shared by the schedule commands' help.
const cronSyntaxHelp = `Expressions are read in the configured time zone (SYNCOPS_TIMEZONE, default
Asia/Ho_Chi_Minh). Accepted forms:
  5 fields       minute hour day-of-month month day-of-week   "0 */6 * * *"
  6 fields       the same with seconds first                  "0 */2 * * * *"
  descriptors    @hourly @daily @weekly @monthly @yearly
  intervals      @every 90s, @every 15m, @every 2h (on whole multiples of the
                 interval, aligned to midnight when it divides a day, so every
                 instance agrees on the ticks)
  another zone   a CRON_TZ= prefix, e.g. "CRON_TZ=UTC 0 0 * * *"`

func newSchedulesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedules",
		Short: "List the job schedules with their next runs",
		Long: `List every schedule: job type, whether it is enabled, its cron expression, its
next three runs in the configured time zone, and the last job a schedule tick
started (id and status). AUTO_SYNC_CUSTOMERS, AUTO_SYNC_PRODUCTS and
INCREMENTAL_PULL_CUSTOMERS are listed, disabled, until set; any other job type
appears once scheduled.

A tick only starts a job: when the previous job of the schedule is still pending
or running the tick is skipped, and with several syncops instances on one
database exactly one of them starts each tick's job.

Change a schedule with "syncops schedule set".`,
		Example: `  syncops schedules
  syncops schedules --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			views, err := a.Scheduler.Schedules(cmd.Context())
			if err != nil {
				return err
			}
			if e.jsonOut {
				return writeJSON(cmd.OutOrStdout(), views)
			}
			return printSchedules(cmd.OutOrStdout(), views, a.Scheduler.Location())
		},
	}
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	return cmd
}

func printSchedules(w io.Writer, views []scheduler.ScheduleView, loc *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintf(tw, "TYPE\tENABLED\tCRON\tNEXT RUNS (%s)\tLAST RUN\n", loc)
	for _, v := range views {
		enabled := "no"
		if v.Enabled {
			enabled = "yes"
		}
		next := "-"
		switch {
		case v.Problem != "":
			next = "not running: " + v.Problem
		case len(v.NextRuns) > 0:
			parts := make([]string, len(v.NextRuns))
			for i, t := range v.NextRuns {
				parts[i] = formatRun(t)
			}
			next = strings.Join(parts, ", ")
		}
		last := "-"
		if v.LastRun != nil {
			last = fmt.Sprintf("%d %s", v.LastRun.ID, v.LastRun.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.JobType, enabled, v.Cron, next, last)
	}
	return tw.Flush()
}

// formatRun shows a run time to the minute, or to the second when the
// expression has seconds.
func formatRun(t time.Time) string {
	if t.Second() != 0 {
		return t.Format("2006-01-02 15:04:05 Mon")
	}
	return t.Format("2006-01-02 15:04 Mon")
}

func newScheduleCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Change a job type's schedule",
		Long: `Change when a job type runs by itself. See "syncops schedules" for the current
schedules.`,
		Example: `  syncops schedule set AUTO_SYNC_CUSTOMERS "0 */6 * * *"
  syncops schedule set auto_sync_products off`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newScheduleSetCmd(e))
	return cmd
}

func newScheduleSetCmd(e *env) *cobra.Command {
	var params []string
	cmd := &cobra.Command{
		Use:   "set TYPE CRON|off|on",
		Short: "Schedule a job type on a cron expression, or turn its schedule off or on",
		Long: `Schedule job TYPE (case-insensitive; see "syncops types") on CRON and enable it,
printing its next three runs; or turn the schedule off (its expression is kept)
or back on. An invalid expression is refused with the reason (exit code 2) and
nothing changes. A running syncops picks the change up within a few seconds.

With --param, the scheduled jobs get these parameters (they replace the ones set
before); without it the parameters stay as they were.

` + cronSyntaxHelp + `

Presets:
` + presetHelp(),
		Example: `  syncops schedule set AUTO_SYNC_CUSTOMERS "0 */6 * * *"
  syncops schedule set auto_sync_products "0 2 * * *" --param limit=500
  syncops schedule set INCREMENTAL_PULL_CUSTOMERS "@every 15m"
  syncops schedule set AUTO_SYNC_CUSTOMERS off
  syncops schedule set AUTO_SYNC_CUSTOMERS on --json`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			jobType, spec := args[0], strings.TrimSpace(strings.Join(args[1:], " "))
			var p engine.Params
			if len(params) > 0 {
				var err error
				if p, err = parseParams(params); err != nil {
					return refused(err)
				}
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			if strings.EqualFold(spec, "on") { // back on, on the stored expression
				cur, err := a.Scheduler.Schedule(cmd.Context(), jobType)
				if err != nil {
					return scheduleError(err)
				}
				spec = cur.Cron
			}
			v, err := a.Scheduler.Set(cmd.Context(), jobType, spec, p, localActor(engine.ActorCLI))
			if err != nil {
				return scheduleError(err)
			}
			if e.jsonOut {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			printScheduleSet(cmd.OutOrStdout(), v, a.Scheduler.Location())
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&params, "param", "p", nil, "job parameter name=value (repeatable; replaces the stored ones)")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print the schedule as JSON")
	return cmd
}

func printScheduleSet(w io.Writer, v scheduler.ScheduleView, loc *time.Location) {
	if !v.Enabled {
		fmt.Fprintf(w, "%s schedule is off (expression %q kept; turn it back on with: syncops schedule set %s on)\n",
			v.JobType, v.Cron, v.JobType)
		return
	}
	fmt.Fprintf(w, "%s runs on %q, params %s; next runs (%s):\n", v.JobType, v.Cron, v.Params, loc)
	for _, t := range v.NextRuns {
		fmt.Fprintf(w, "  %s\n", formatRun(t))
	}
	if v.Problem != "" {
		fmt.Fprintf(w, "warning: %s\n", v.Problem)
	}
}

// scheduleError classifies a refusal of a schedule change for the exit code.
func scheduleError(err error) error {
	var cronErr *scheduler.CronError
	if errors.As(err, &cronErr) {
		return refused(err)
	}
	return startError(err)
}
