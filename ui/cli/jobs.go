package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"syncops/engine"
	"syncops/engine/export"
)

func parseParams(kvs []string) (engine.Params, error) {
	p := engine.Params{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--param %q: want name=value", kv)
		}
		p[strings.TrimSpace(k)] = v
	}
	return p, nil
}

func parseJobID(s string) (engine.JobID, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, refused(fmt.Errorf("%q is not a job id", s))
	}
	return engine.JobID(n), nil
}

// startError classifies an engine refusal for the exit code.
func startError(err error) error {
	var unknown *engine.UnknownTypeError
	var param *engine.ParamError
	var conflict *engine.ConflictError
	switch {
	case errors.As(err, &unknown), errors.As(err, &param), errors.As(err, &conflict),
		errors.Is(err, engine.ErrNotActive), errors.Is(err, engine.ErrStillActive),
		errors.Is(err, engine.ErrNothingToRetry), errors.Is(err, engine.ErrNotFound), errors.Is(err, engine.ErrForbidden),
		errors.Is(err, engine.ErrNoDiff):
		return refused(err)
	}
	return err
}

func newRunCmd(e *env) *cobra.Command {
	var params []string
	var force, detach bool
	cmd := &cobra.Command{
		Use:   "run TYPE",
		Short: "Start a job and follow it to the end",
		Long: `Start a job of TYPE (case-insensitive; see "syncops types") and follow it to
the end, printing progress on stderr. With --detach, print the job's id and
return at once; a running syncops service (or the next syncops process that
runs jobs) works it.

Exit codes: 0 COMPLETED (failed items may be > 0), 1 FAILED, 2 refused (unknown
type, bad parameter, or an identical job already pending or running: its id is
named), 3 CANCELLED.

A sync started with --param dryRun=true is a preview: it writes nothing and
keeps what it would write (see "syncops diff"); its output adds the totals
(with --json, the job's "diff" field).`,
		Example: `  syncops run pull_nhanh_customers --param type=wholesale
  syncops run customer_sync --param ids=12,13 --detach
  syncops run product_sync --param dryRun=true --json
  syncops run AUTO_SYNC_PRODUCTS --force --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := parseParams(params)
			if err != nil {
				return refused(err)
			}
			a, err := e.open(cmd.Context(), !detach)
			if err != nil {
				return err
			}
			defer closeApp(a)
			id, err := a.Engine.Start(cmd.Context(), args[0], p, engine.StartOptions{Force: force, Actor: localActor(engine.ActorCLI)})
			if err != nil {
				return startError(err)
			}
			if detach {
				return printJobID(cmd.OutOrStdout(), id, e.jsonOut)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "started job %d\n", id)
			j, err := follow(cmd.Context(), a.Engine, id, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if j.DryRun() {
				// A sync preview prints its diff's totals too; a preview
				// without a diff (matching) prints as any job.
				if err := finalPreviewOutput(cmd.Context(), cmd.OutOrStdout(), a.Engine, j, e.jsonOut); !errors.Is(err, engine.ErrNoDiff) {
					return err
				}
			}
			return finalOutput(cmd.OutOrStdout(), j, e.jsonOut)
		},
	}
	cmd.Flags().StringArrayVarP(&params, "param", "p", nil, "job parameter name=value (repeatable)")
	cmd.Flags().BoolVar(&force, "force", false, "cancel an identical pending or running job and start afresh")
	cmd.Flags().BoolVar(&detach, "detach", false, "print the job id and return at once")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print the job as JSON")
	return cmd
}

func printJobID(w io.Writer, id engine.JobID, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(map[string]engine.JobID{"id": id})
	}
	_, err := fmt.Fprintln(w, id)
	return err
}

// finalOutput prints the finished job and maps its status to the exit code.
func finalOutput(w io.Writer, j engine.Job, asJSON bool) error {
	if asJSON {
		if err := writeJSON(w, j); err != nil {
			return err
		}
	} else {
		printJob(w, j)
	}
	switch j.Status {
	case engine.StatusFailed:
		return &exitError{code: ExitFailed, err: fmt.Errorf("job %d failed: %s", j.ID, j.Error)}
	case engine.StatusCancelled:
		return &exitError{code: ExitCancelled, err: fmt.Errorf("job %d was cancelled", j.ID)}
	}
	return nil
}

// follow prints progress lines on w until the job finishes. Interrupting
// the command (Ctrl-C) stops following; the job keeps running.
func follow(ctx context.Context, eng *engine.Engine, id engine.JobID, w io.Writer) (engine.Job, error) {
	events, stop := eng.Subscribe()
	defer stop()
	j, err := eng.Get(ctx, id)
	if err != nil {
		return engine.Job{}, err
	}
	last := ""
	for {
		if line := progressLine(j); line != last {
			fmt.Fprintln(w, line)
			last = line
		}
		if j.Status.Terminal() {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return j, fmt.Errorf("stopped following job %d (it goes on): %w", id, ctx.Err())
		case ev, ok := <-events:
			if !ok {
				return j, fmt.Errorf("stopped following job %d: the engine is stopping", id)
			}
			if ev.Job.ID == id {
				j = ev.Job
			}
		}
	}
}

func progressLine(j engine.Job) string {
	pct := ""
	if j.Total > 0 {
		pct = fmt.Sprintf(" (%d%%)", j.Processed*100/j.Total)
	}
	return fmt.Sprintf("job %d %s %s %d/%d%s ok=%d failed=%d skipped=%d", j.ID, j.Type, j.Status,
		j.Processed, j.Total, pct, j.Successful, j.Failed, j.Skipped)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printJob(w io.Writer, j engine.Job) {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%d\n", j.ID)
	fmt.Fprintf(tw, "type\t%s\n", j.Type)
	fmt.Fprintf(tw, "status\t%s\n", j.Status)
	fmt.Fprintf(tw, "params\t%s\n", j.Params)
	fmt.Fprintf(tw, "progress\t%d/%d  successful %d  failed %d  skipped %d\n", j.Processed, j.Total, j.Successful, j.Failed, j.Skipped)
	fmt.Fprintf(tw, "metadata\t%s\n", j.Metadata)
	if j.Error != "" {
		fmt.Fprintf(tw, "error\t%s\n", j.Error)
	}
	fmt.Fprintf(tw, "created\t%s\n", j.CreatedAt.Local().Format(time.DateTime))
	if j.StartedAt != nil {
		fmt.Fprintf(tw, "started\t%s\n", j.StartedAt.Local().Format(time.DateTime))
	}
	if j.CompletedAt != nil {
		fmt.Fprintf(tw, "completed\t%s\n", j.CompletedAt.Local().Format(time.DateTime))
	}
	if j.RetryOf != 0 {
		fmt.Fprintf(tw, "retry of\t%d\n", j.RetryOf)
	}
	_ = tw.Flush()
}

func newJobsCmd(e *env) *cobra.Command {
	var types, statuses []string
	var limit int
	var csvOut bool
	var before int64
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List jobs, newest first",
		Example: `  syncops jobs --status running
  syncops jobs --type customer_sync --limit 10 --json
  syncops jobs --limit 1000 --csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := engine.ListFilter{Types: types, Limit: limit, BeforeID: before}
			for _, s := range statuses {
				st := engine.Status(strings.ToUpper(s))
				if !st.Valid() {
					return refused(fmt.Errorf("--status %q: want pending, running, completed, failed or cancelled", s))
				}
				f.Statuses = append(f.Statuses, st)
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			jobs, err := a.Engine.List(cmd.Context(), f)
			if err != nil {
				return startError(err)
			}
			if csvOut {
				w := export.NewWriter(cmd.OutOrStdout(), export.JobHeader)
				for _, j := range jobs {
					w.Write(export.JobRecord(j))
				}
				return w.Flush()
			}
			if e.jsonOut {
				if jobs == nil {
					jobs = []engine.Job{}
				}
				return writeJSON(cmd.OutOrStdout(), jobs)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tSTATUS\tPROGRESS\tOK\tFAILED\tSKIPPED\tCREATED")
			for _, j := range jobs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%d\t%d\t%d\t%s\n", j.ID, j.Type, j.Status, j.Processed, j.Total,
					j.Successful, j.Failed, j.Skipped, j.CreatedAt.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringSliceVar(&types, "type", nil, "only jobs of these types")
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only jobs in these statuses")
	cmd.Flags().IntVar(&limit, "limit", 50, "how many jobs")
	cmd.Flags().Int64Var(&before, "before", 0, "only jobs older than this id (paging)")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	cmd.Flags().BoolVar(&csvOut, "csv", false, "print CSV (UTF-8 with BOM, for Excel)")
	return cmd
}

func newJobCmd(e *env) *cobra.Command {
	var followFlag bool
	cmd := &cobra.Command{
		Use:   "job ID",
		Short: "Show one job (and follow it with --follow)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			j, err := a.Engine.Get(cmd.Context(), id)
			if err != nil {
				return startError(err)
			}
			if followFlag {
				if j, err = follow(cmd.Context(), a.Engine, id, cmd.ErrOrStderr()); err != nil {
					return err
				}
				return finalOutput(cmd.OutOrStdout(), j, e.jsonOut)
			}
			if e.jsonOut {
				return writeJSON(cmd.OutOrStdout(), j)
			}
			printJob(cmd.OutOrStdout(), j)
			return nil
		},
	}
	cmd.Flags().BoolVar(&followFlag, "follow", false, "follow progress until the job ends (exit code as for run)")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	return cmd
}

func newFailuresCmd(e *env) *cobra.Command {
	var search string
	var limit int
	var csvOut bool
	var after int64
	cmd := &cobra.Command{
		Use:   "failures ID",
		Short: "List a job's failed items with their reasons",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			if _, err := a.Engine.Get(cmd.Context(), id); err != nil {
				return startError(err)
			}
			if csvOut {
				return exportFailures(cmd, a.Engine, engine.FailureFilter{JobID: int64(id), Search: search, AfterID: after})
			}
			items, total, err := a.Engine.Failures(cmd.Context(), engine.FailureFilter{JobID: int64(id), Search: search,
				AfterID: after, Limit: limit})
			if err != nil {
				return err
			}
			if e.jsonOut {
				out := make([]failureJSON, len(items))
				for i, it := range items {
					out[i] = failureJSON{ID: it.ID, Key: it.ItemKey, Message: it.Message, Class: it.ErrorClass,
						Request: it.Request, Attempts: it.Attempts, At: it.UpdatedAt}
				}
				return writeJSON(cmd.OutOrStdout(), map[string]any{"total": total, "items": out})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "ITEM\tCLASS\tMESSAGE\tREQUEST")
			for _, it := range items {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.ItemKey, it.ErrorClass, it.Message, it.Request)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d failed items\n", len(items), total)
			return nil
		},
	}
	cmd.Flags().StringVar(&search, "search", "", "only items whose key, message or class contains this text")
	cmd.Flags().IntVar(&limit, "limit", 100, "how many items")
	cmd.Flags().Int64Var(&after, "after", 0, "only items after this item id (paging)")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	cmd.Flags().BoolVar(&csvOut, "csv", false, "print every matching item as CSV (UTF-8 with BOM, for Excel)")
	return cmd
}

// exportFailures writes every failed item f selects (all pages) as CSV.
func exportFailures(cmd *cobra.Command, eng *engine.Engine, f engine.FailureFilter) error {
	w := export.NewWriter(cmd.OutOrStdout(), export.FailureHeader)
	f.Limit = 1000
	for {
		items, _, err := eng.Failures(cmd.Context(), f)
		if err != nil {
			return err
		}
		for _, it := range items {
			w.Write(export.FailureRecord(it))
		}
		if len(items) < f.Limit {
			return w.Flush()
		}
		f.AfterID = items[len(items)-1].ID
	}
}

type failureJSON struct {
	ID       int64     `json:"id"`
	Key      string    `json:"key"`
	Message  string    `json:"message"`
	Class    string    `json:"class"`
	Request  string    `json:"request"`
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
}

func newCancelCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a pending or running job (its counters are kept)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			if err := a.Engine.Cancel(cmd.Context(), id, localActor(engine.ActorCLI)); err != nil {
				return startError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "cancelled job %d\n", id)
			return nil
		},
	}
}

func newRetryCmd(e *env) *cobra.Command {
	var detach bool
	cmd := &cobra.Command{
		Use:   "retry ID",
		Short: "Start a new job over the failed items of a finished job",
		Long: `Start a new job of the same type over the failed items of finished job ID and
follow it (or print its id with --detach). Exit codes as for run.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), !detach)
			if err != nil {
				return err
			}
			defer closeApp(a)
			newID, err := a.Engine.Retry(cmd.Context(), id, localActor(engine.ActorCLI))
			if err != nil {
				return startError(err)
			}
			if detach {
				return printJobID(cmd.OutOrStdout(), newID, e.jsonOut)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "retrying the failed items of job %d as job %d\n", id, newID)
			j, err := follow(cmd.Context(), a.Engine, newID, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return finalOutput(cmd.OutOrStdout(), j, e.jsonOut)
		},
	}
	cmd.Flags().BoolVar(&detach, "detach", false, "print the new job's id and return at once")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	return cmd
}

func newTypesCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "types",
		Short: "List the job types and their parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			w := cmd.OutOrStdout()
			for _, k := range a.Engine.Types() {
				fmt.Fprintf(w, "%s  %s\n", k.Type, k.Label)
				if k.Description != "" {
					fmt.Fprintf(w, "    %s\n", k.Description)
				}
				for _, p := range k.Params {
					def := ""
					if p.Default != "" {
						def = " (default " + p.Default + ")"
					}
					fmt.Fprintf(w, "    --param %s=<%s>  %s%s\n", p.Name, p.Kind, p.Help, def)
				}
			}
			return nil
		},
	}
}

func closeApp(a interface{ Close(context.Context) error }) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = a.Close(ctx)
}
