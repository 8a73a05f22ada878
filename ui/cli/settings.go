package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"syncops/engine"
)

func newSettingsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "settings",
		Short: "Show the settings that change behaviour (set them with settings set)",
		Long: `Show every setting with the value in force, its default and what it does.
Schedules are set with "syncops schedule"; depot to location mappings with
"syncops locations".`,
		Example: `  syncops settings --json
  syncops settings set drop_brake_percent 30`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			settings, err := a.Engine.Settings(cmd.Context())
			if err != nil {
				return err
			}
			if e.jsonOut {
				return writeJSON(cmd.OutOrStdout(), settings)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tVALUE\tDEFAULT\tWHAT IT DOES")
			for _, s := range settings {
				value := s.Value
				if !s.Set {
					value += " (default)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Key, value, s.Default, s.Help)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	cmd.AddCommand(&cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Set a setting (validated, audited)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			if err := a.Engine.SetSetting(cmd.Context(), args[0], args[1], localActor(engine.ActorCLI)); err != nil {
				var unknown *engine.UnknownSettingError
				if errors.As(err, &unknown) {
					return refused(err)
				}
				return startError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s = %s\n", args[0], args[1])
			return nil
		},
	})
	return cmd
}

func newStreamsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "streams",
		Short: "Show each pull stream: its state, cursor age, rows this pass, last completed",
		Long: `Show where each full pull stands. A pull walks its stream page by page and keeps
a cursor: running (a job is moving it), paused (stopped mid-pass; the next pull
of that kind resumes from the cursor) or done (the last pass completed).`,
		Example: `  syncops streams --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			streams, err := a.Engine.Streams(cmd.Context())
			if err != nil {
				return err
			}
			if e.jsonOut {
				if streams == nil {
					streams = []engine.StreamState{}
				}
				return writeJSON(cmd.OutOrStdout(), streams)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "STREAM\tSTATE\tROWS THIS PASS\tCURSOR AGE\tJOB\tLAST COMPLETED")
			for _, s := range streams {
				done := "never"
				if s.LastCompleted != nil {
					done = s.LastCompleted.Local().Format(time.DateTime)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\n", s.Stream, s.State, s.RowsThisPass,
					s.CursorAge.Round(time.Second), s.JobID, done)
			}
			if len(streams) == 0 {
				fmt.Fprintln(tw, "(no pull has run)")
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	return cmd
}
