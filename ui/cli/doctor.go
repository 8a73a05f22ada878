package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"syncops/engine"
	"syncops/engine/app"
	"syncops/engine/doctor"
)

func newDoctorCmd(e *env) *cobra.Command {
	var fix bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the configuration, the database, both APIs and the Shopify setup",
		Long: `Check everything syncops needs: the configuration, the database and its schema,
free disk, the Nhanh credentials, business, token expiry and granted depots,
the Shopify shop, API version, access scopes and the custom.total_spent
metafield definition, the location mappings, the clocks against the APIs'
Date headers, the schedules, and the permissions of key and token files.

Each check ends ok, warn or fail, with what to do. Exit code 0 when nothing
failed (warnings allowed), 1 otherwise. --fix applies pending migrations and
creates a missing metafield definition (recorded in the audit log).`,
		Example: `  syncops doctor --fix
  syncops doctor
  syncops doctor --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, cfgErr := e.loadConfig()
			rep, err := app.Diagnose(cmd.Context(), cfg, cfgErr, app.DoctorOptions{Fix: fix, Actor: localActor(engine.ActorCLI),
				Env: e.opts.Env})
			if err != nil {
				return err
			}
			if e.jsonOut {
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else if err := printReport(cmd.OutOrStdout(), rep); err != nil {
				return err
			}
			if !rep.OK {
				return &exitError{code: ExitFailed, err: fmt.Errorf("%d of %d checks failed", rep.Count(doctor.StatusFail), len(rep.Checks))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	cmd.Flags().BoolVar(&fix, "fix", false, "apply pending migrations and create the missing metafield definition")
	return cmd
}

// printReport writes one line per check, with what to do under it.
func printReport(w io.Writer, rep doctor.Report) error {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	for _, c := range rep.Checks {
		mark := strings.ToUpper(string(c.Status))
		if c.Fixed {
			mark += " (fixed)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", mark, c.Name, c.Message)
		if c.Fix != "" && c.Status != doctor.StatusOK {
			fmt.Fprintf(tw, "\t\t-> %s\n", c.Fix)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, summary(rep))
	return err
}

// summary is the report in one line.
func summary(rep doctor.Report) string {
	return fmt.Sprintf("doctor: %d ok, %d warn, %d fail", rep.Count(doctor.StatusOK), rep.Count(doctor.StatusWarn),
		rep.Count(doctor.StatusFail))
}

// printDemoDoctor runs the doctor against the sandbox before the demo
// starts and prints its summary under the banner, with any check that is
// not ok. The demo's database is migrated first, as the app would at start.
func printDemoDoctor(ctx context.Context, w io.Writer, e *env, cfg app.Config) {
	if err := app.PrepareDatabase(ctx, cfg); err != nil {
		fmt.Fprintf(w, "  doctor:         database not ready: %v\n", err)
		return
	}
	rep, err := app.Diagnose(ctx, cfg, nil, app.DoctorOptions{Env: e.opts.Env,
		Actor: engine.Actor{Name: "demo", Kind: engine.ActorLocal, Role: engine.RoleViewer}})
	if err != nil {
		fmt.Fprintf(w, "  doctor:         %v\n", err)
		return
	}
	status := "all green"
	if rep.Count(doctor.StatusOK) != len(rep.Checks) {
		status = "see below"
	}
	fmt.Fprintf(w, "  %-16s%s (%s)\n", "doctor:", summary(rep)[len("doctor: "):], status)
	for _, c := range rep.Checks {
		if c.Status != doctor.StatusOK {
			fmt.Fprintf(w, "    %s %s: %s\n", strings.ToUpper(string(c.Status)), c.Name, c.Message)
		}
	}
}
