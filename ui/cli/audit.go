package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"syncops/engine"
)

func newAuditCmd(e *env) *cobra.Command {
	var limit int
	var before int64
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit log of operator actions, newest first",
		Long: `Show who did what and when: job starts, forced restarts, cancels and retries,
schedule and location changes, from the console, SSH sessions (key fingerprint and
comment), the command line (local user) and the scheduler.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			entries, err := a.Engine.Audit(cmd.Context(), engine.AuditFilter{Limit: limit, BeforeID: before})
			if err != nil {
				return err
			}
			if e.jsonOut {
				out := make([]auditJSON, len(entries))
				for i, en := range entries {
					out[i] = auditJSON{ID: en.ID, At: en.At, Actor: en.Actor, Via: string(en.ActorKind), Action: en.Action,
						JobID: en.JobID, Detail: en.Detail}
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(w, "WHEN\tVIA\tWHO\tACTION\tJOB\tDETAIL")
			for _, en := range entries {
				job := ""
				if en.JobID != 0 {
					job = fmt.Sprint(en.JobID)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", en.At.Local().Format(time.DateTime), en.ActorKind, en.Actor,
					en.Action, job, en.Detail)
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 100, "how many entries")
	cmd.Flags().Int64Var(&before, "before", 0, "only entries older than this id (paging)")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	return cmd
}

type auditJSON struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Via    string    `json:"via"`
	Action string    `json:"action"`
	JobID  int64     `json:"jobId,omitempty"`
	Detail string    `json:"detail"`
}
