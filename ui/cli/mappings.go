package cli

import (
	"bufio"
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

// mappingError classifies an engine refusal of a mapping action.
func mappingError(err error) error {
	if errors.Is(err, engine.ErrConflict) || errors.Is(err, engine.ErrNotInMirror) {
		return refused(err)
	}
	return startError(err)
}

func parseKind(s string) (engine.MappingKind, error) {
	k, err := engine.ParseMappingKind(s)
	if err != nil {
		return "", refused(err)
	}
	return k, nil
}

func parseNumber(what, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, refused(fmt.Errorf("%q is not a %s", s, what))
	}
	return n, nil
}

func newMappingsCmd(e *env) *cobra.Command {
	var status, search, after string
	var limit int
	var all, csvOut bool
	cmd := &cobra.Command{
		Use:   "mappings customers|products",
		Short: "List mappings, or records left unmatched with the reason, with counts",
		Long: `List the mappings of customers or products, one page at a time, with the counts
of every state at the top. --status picks a tab:

  all, pending, synced, failed, manual (mapped by hand), orphaned (a side deleted
  at its source), unmatched (Nhanh records without a mapping, with why the last
  match left them), unmatched-shopify (Shopify records no mapping targets)

--search finds records by phone in any written form, e-mail, name, SKU, barcode
or id; every word must start a word of the record (case and Vietnamese marks
folded). --csv writes every row (all pages) as CSV that Excel opens with
Vietnamese names intact. Act on what you see with "syncops mapping",
"syncops map", "syncops remap", "syncops unmap", "syncops clean-orphans" and
"syncops sync-now".`,
		Example: `  syncops mappings customers --status unmatched
  syncops mappings customers --search "0912 345 678" --json
  syncops mappings products --status orphaned --csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := parseKind(args[0])
			if err != nil {
				return err
			}
			tab, err := engine.ParseMappingTab(status)
			if err != nil {
				return refused(err)
			}
			if csvOut && e.jsonOut {
				return refused(errors.New("--csv and --json: pick one"))
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			q := engine.MappingQuery{Kind: k, Tab: tab, Search: search, After: after, Limit: limit}
			out := cmd.OutOrStdout()
			if csvOut {
				w := export.NewWriter(out, export.MappingHeader)
				err := eachMappingPage(cmd, a.Engine, q, func(p engine.MappingPage) {
					for _, r := range p.Rows {
						w.Write(export.MappingRecord(r))
					}
				})
				if err != nil {
					return err
				}
				return w.Flush()
			}
			counts, err := a.Engine.MappingCounts(cmd.Context(), k)
			if err != nil {
				return err
			}
			var page engine.MappingPage
			if all {
				err = eachMappingPage(cmd, a.Engine, q, func(p engine.MappingPage) {
					page.Rows = append(page.Rows, p.Rows...)
					page.Matches, page.Capped = p.Matches, p.Capped
				})
			} else {
				page, err = a.Engine.Mappings(cmd.Context(), q)
			}
			if err != nil {
				return startError(err)
			}
			if page.Rows == nil {
				page.Rows = []engine.MappingRow{}
			}
			if e.jsonOut {
				return writeJSON(out, map[string]any{"kind": k, "status": tab, "counts": counts, "page": page})
			}
			printCounts(out, counts)
			printMappingRows(out, tab, page.Rows)
			if page.Next != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "more: --after %s\n", page.Next)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&status, "status", "all", "the tab: all, pending, synced, failed, manual, orphaned, unmatched, unmatched-shopify")
	cmd.Flags().StringVar(&search, "search", "", "phone, e-mail, name, SKU, barcode or id")
	cmd.Flags().IntVar(&limit, "limit", engine.DefaultMappingPage, "rows per page")
	cmd.Flags().StringVar(&after, "after", "", "start after this key (the previous page's next)")
	cmd.Flags().BoolVar(&all, "all", false, "every page")
	cmd.Flags().BoolVar(&csvOut, "csv", false, "write every row as CSV (UTF-8 with BOM, for Excel)")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	return cmd
}

// eachMappingPage hands every page of q to fn.
func eachMappingPage(cmd *cobra.Command, eng *engine.Engine, q engine.MappingQuery, fn func(engine.MappingPage)) error {
	q.Limit = 1000
	for {
		p, err := eng.Mappings(cmd.Context(), q)
		if err != nil {
			return startError(err)
		}
		fn(p)
		if p.Next == "" {
			return nil
		}
		q.After = p.Next
	}
}

func printCounts(w io.Writer, c engine.MappingCounts) {
	fmt.Fprintf(w, "mappings %d: pending %d, synced %d, failed %d, manual %d, orphaned %d; unmatched: Nhanh %d, Shopify %d\n",
		c.Mappings, c.Pending, c.Synced, c.Failed, c.Manual, c.Orphaned, c.UnmatchedNhanh, c.UnmatchedShopify)
}

func printMappingRows(w io.Writer, tab engine.MappingTab, rows []engine.MappingRow) {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	if tab == engine.TabUnmatched || tab == engine.TabUnmatchedShopify {
		fmt.Fprintln(tw, "NHANH\tNAME\tCONTACT\tSHOPIFY\tNAME\tWHY")
		for _, r := range rows {
			why := ""
			if r.Reason != nil {
				why = r.Reason.Code + ": " + r.Reason.Message
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Nhanh.ID, r.Nhanh.Name, r.Nhanh.Contact, r.Shopify.ID, r.Shopify.Name, why)
		}
		_ = tw.Flush()
		return
	}
	fmt.Fprintln(tw, "ID\tSTATUS\tHOW\tNHANH\tNAME\tSHOPIFY\tNAME\tLAST WRITTEN\tWHEN\tLAST ERROR")
	for _, r := range rows {
		how := r.MatchMethod
		if r.Nhanh.Deleted || r.Shopify.Deleted {
			how += " (orphaned)"
		}
		last, when := "", ""
		if r.LastSyncedValue != nil {
			last = *r.LastSyncedValue
		}
		if r.LastSyncedAt != nil {
			when = r.LastSyncedAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.MappingID, r.Status, how, r.Nhanh.ID, r.Nhanh.Name,
			r.Shopify.ID, r.Shopify.Name, last, when, r.LastError)
	}
	_ = tw.Flush()
}

func newMappingCmd(e *env) *cobra.Command {
	var byNhanh bool
	cmd := &cobra.Command{
		Use:   "mapping customers|products ID",
		Short: "Show one mapping: both records, its sync log, failed items and jobs",
		Long: `Show one mapping by its id, or with --nhanh the mapping of a Nhanh record, or the
record alone when it has none: why the last match left it unmatched and the
candidates it found, to map by hand with "syncops map".`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := parseKind(args[0])
			if err != nil {
				return err
			}
			id, err := parseNumber("mapping id", args[1])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			var d engine.MappingDetail
			if byNhanh {
				d, err = a.Engine.RecordDetail(cmd.Context(), k, id)
			} else {
				d, err = a.Engine.MappingDetail(cmd.Context(), k, id)
			}
			if err != nil {
				return startError(err)
			}
			if e.jsonOut {
				return writeJSON(cmd.OutOrStdout(), d)
			}
			printDetail(cmd.OutOrStdout(), d)
			return nil
		},
	}
	cmd.Flags().BoolVar(&byNhanh, "nhanh", false, "ID is a Nhanh record id")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	return cmd
}

func printDetail(w io.Writer, d engine.MappingDetail) {
	r := d.Row
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	if r.MappingID != 0 {
		fmt.Fprintf(tw, "mapping\t%d\t%s\t%s\n", r.MappingID, r.Status, r.MatchMethod)
	} else {
		fmt.Fprintln(tw, "mapping\t(none)")
	}
	fmt.Fprintln(tw, "\tNHANH\tSHOPIFY")
	fmt.Fprintf(tw, "id\t%s\t%s\n", r.Nhanh.ID, r.Shopify.ID)
	fmt.Fprintf(tw, "name\t%s\t%s\n", r.Nhanh.Name, r.Shopify.Name)
	fmt.Fprintf(tw, "contact\t%s\t%s\n", r.Nhanh.Contact, r.Shopify.Contact)
	fmt.Fprintf(tw, "value\t%s\t%s\n", r.Nhanh.Value, derefText(r.LastSyncedValue))
	fmt.Fprintf(tw, "deleted\t%t\t%t\n", r.Nhanh.Deleted, r.Shopify.Deleted)
	if r.LastError != "" {
		fmt.Fprintf(tw, "last error\t%s\n", r.LastError)
	}
	_ = tw.Flush()
	if r.Reason != nil {
		fmt.Fprintf(w, "\nnot matched (%s): %s\n", r.Reason.Code, r.Reason.Message)
	}
	for _, c := range d.Candidates {
		taken := ""
		if c.MappedTo != 0 {
			taken = fmt.Sprintf(" (mapping %d)", c.MappedTo)
		}
		fmt.Fprintf(w, "  candidate %s %s %s%s\n", c.ID, c.Name, c.Contact, taken)
	}
	if len(d.SyncLog) > 0 {
		fmt.Fprintln(w, "\nsync log:")
		for _, l := range d.SyncLog {
			fmt.Fprintf(w, "  %s job %d %s %s -> %s %s\n", l.At.Local().Format(time.DateTime), l.JobID, l.Status,
				derefText(l.OldValue), l.NewValue, l.Message)
		}
	}
	if len(d.Failures) > 0 {
		fmt.Fprintln(w, "\nfailed items:")
		for _, f := range d.Failures {
			fmt.Fprintf(w, "  job %d %s: %s\n", f.JobID, f.JobType, f.Message)
		}
	}
	if len(d.Jobs) > 0 {
		fmt.Fprintln(w, "\njobs:")
		for _, j := range d.Jobs {
			fmt.Fprintf(w, "  %d %s %s\n", j.ID, j.Type, j.Status)
		}
	}
}

func derefText(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func newMapCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "map customers|products NHANH_ID SHOPIFY_GID",
		Short: "Map a Nhanh record to a Shopify record by hand (automatic matching keeps it)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := parseKind(args[0])
			if err != nil {
				return err
			}
			nhanhID, err := parseNumber("Nhanh id", args[1])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			id, err := a.Engine.MapByHand(cmd.Context(), k, nhanhID, args[2], localActor(engine.ActorCLI))
			if err != nil {
				return mappingError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s mapping %d: Nhanh %d -> %s (manual)\n", k, id, nhanhID, args[2])
			return nil
		},
	}
}

func newRemapCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remap customers|products MAPPING_ID SHOPIFY_GID",
		Short: "Point a mapping at another Shopify record (it becomes manual and pending)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := parseKind(args[0])
			if err != nil {
				return err
			}
			id, err := parseNumber("mapping id", args[1])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			if err := a.Engine.Remap(cmd.Context(), k, id, args[2], localActor(engine.ActorCLI)); err != nil {
				return mappingError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s mapping %d -> %s (manual)\n", k, id, args[2])
			return nil
		},
	}
}

// confirm asks on stdin unless yes; anything but y or yes refuses.
func confirm(cmd *cobra.Command, yes bool, question string) error {
	if yes {
		return nil
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s [y/N] ", question)
	answer, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return refused(errors.New("not confirmed; nothing changed (--yes confirms)"))
}

func newUnmapCmd(e *env) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "unmap customers|products MAPPING_ID",
		Short: "Delete a mapping and its sync log (asks first; --yes confirms)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := parseKind(args[0])
			if err != nil {
				return err
			}
			id, err := parseNumber("mapping id", args[1])
			if err != nil {
				return err
			}
			if err := confirm(cmd, yes, fmt.Sprintf("delete %s mapping %d?", k, id)); err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			if err := a.Engine.Unmap(cmd.Context(), k, id, localActor(engine.ActorCLI)); err != nil {
				return mappingError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s mapping %d deleted\n", k, id)
			return nil
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask")
	return cmd
}

func newCleanOrphansCmd(e *env) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "clean-orphans customers|products",
		Short: "Delete every mapping whose record is deleted on either side (asks first)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := parseKind(args[0])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			c, err := a.Engine.MappingCounts(cmd.Context(), k)
			if err != nil {
				return err
			}
			if c.Orphaned == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no orphaned %s mappings\n", k)
				return nil
			}
			if err := confirm(cmd, yes, fmt.Sprintf("delete %d orphaned %s mappings?", c.Orphaned, k)); err != nil {
				return err
			}
			ids, err := a.Engine.CleanOrphans(cmd.Context(), k, localActor(engine.ActorCLI))
			if err != nil {
				return mappingError(err)
			}
			if e.jsonOut {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"deleted": ids})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d orphaned %s mappings deleted\n", len(ids), k)
			return nil
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print the deleted mapping ids as JSON")
	return cmd
}

func newSyncNowCmd(e *env) *cobra.Command {
	var detach bool
	cmd := &cobra.Command{
		Use:   "sync-now customers|products MAPPING_ID",
		Short: "Write one mapping's live value now, as a tracked job (followed like run)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := parseKind(args[0])
			if err != nil {
				return err
			}
			id, err := parseNumber("mapping id", args[1])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), !detach)
			if err != nil {
				return err
			}
			defer closeApp(a)
			jobID, err := a.Engine.SyncNow(cmd.Context(), k, id, localActor(engine.ActorCLI))
			if err != nil {
				return mappingError(err)
			}
			if detach {
				return printJobID(cmd.OutOrStdout(), jobID, e.jsonOut)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "started job %d\n", jobID)
			j, err := follow(cmd.Context(), a.Engine, jobID, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return finalOutput(cmd.OutOrStdout(), j, e.jsonOut)
		},
	}
	cmd.Flags().BoolVar(&detach, "detach", false, "print the job id and return at once")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print the job as JSON")
	return cmd
}
