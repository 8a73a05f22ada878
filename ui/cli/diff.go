package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"syncops/engine"
)

// diffPageSize is how many lines `syncops diff` asks the engine for at a
// time while it reads a whole diff.
const diffPageSize = 500

// utf8BOM starts every CSV we write: Excel reads a CSV without it in the
// machine's code page and mangles Vietnamese names.
const utf8BOM = "\ufeff"

// diffCSVHeader names the columns of `syncops diff --csv`.
var diffCSVHeader = []string{"mapping_id", "name", "nhanh_id", "shopify_id", "location", "location_name", "action",
	"old", "new", "change", "old_source", "reason"}

func newDiffCmd(e *env) *cobra.Command {
	var search string
	var actions []string
	var limit int
	var asCSV bool
	cmd := &cobra.Command{
		Use:   "diff JOB_ID",
		Short: "List what a sync preview (dryRun=true) would write, item by item",
		Long: `List the diff of a sync preview: a job of a sync type started with
--param dryRun=true, which wrote nothing. Each line is one mapping (and, for
stock, one Shopify location): Shopify's current value -> the value the sync
would write, or why it would leave the item alone or fail. The totals (how
many values go up, down, to zero, and by how much in sum) go to stderr, or
into the JSON.

--csv writes UTF-8 with a byte order mark and a header row, so Excel opens
Vietnamese names correctly. Exit code 2 when the job is not a sync preview.

For preview job 42: syncops diff 42 --search "đặng" --action write, or
syncops diff 42 --csv > preview.csv for a spreadsheet.`,
		Example: `  syncops run customer_sync --param dryRun=true --json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			if asCSV && e.jsonOut {
				return refused(errors.New("--csv and --json: choose one"))
			}
			f := engine.DiffFilter{Job: id, Search: search}
			for _, a := range actions {
				for part := range strings.SplitSeq(a, ",") {
					if part = strings.TrimSpace(part); part != "" {
						f.Actions = append(f.Actions, engine.DiffAction(strings.ToLower(part)))
					}
				}
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			page, items, err := readDiff(cmd.Context(), a.Engine, f, limit)
			if err != nil {
				return startError(err)
			}
			out := cmd.OutOrStdout()
			switch {
			case e.jsonOut:
				return writeJSON(out, diffJSON{Job: strconv.FormatInt(int64(id), 10), Totals: page.Totals,
					Matching: page.Matching, Items: items, Next: page.Next})
			case asCSV:
				return writeDiffCSV(out, items)
			}
			tw := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "MAPPING\tNAME\tLOCATION\tCHANGE")
			for _, it := range items {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", it.MappingID, it.Name, it.LocationName+locationSuffix(it), it.Describe())
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d lines; %s\n", len(items), page.Matching.Lines, totalsLine(page.Totals))
			return nil
		},
	}
	cmd.Flags().StringVar(&search, "search", "", "only lines whose name, ids, location, action or reason contain this text")
	cmd.Flags().StringArrayVar(&actions, "action", nil, "only these actions: write, unchanged, skipped, failed (repeatable or comma-separated)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many lines (0: all)")
	cmd.Flags().BoolVar(&asCSV, "csv", false, "print CSV (UTF-8 with BOM, header row)")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	return cmd
}

// diffJSON is `syncops diff --json`.
type diffJSON struct {
	Job      string             `json:"job"`
	Totals   engine.DiffTotals  `json:"totals"`
	Matching engine.DiffTotals  `json:"matching"`
	Items    []engine.DiffItem  `json:"items"`
	Next     *engine.DiffCursor `json:"next,omitempty"`
}

// readDiff reads the diff's lines matching f, up to limit (0: all), and
// returns them with the last page (its totals and, if limit cut the lines
// short, the cursor after them).
func readDiff(ctx context.Context, eng *engine.Engine, f engine.DiffFilter, limit int) (engine.DiffPage, []engine.DiffItem, error) {
	items := []engine.DiffItem{}
	for {
		f.Limit = diffPageSize
		if limit > 0 {
			f.Limit = min(diffPageSize, limit-len(items))
		}
		page, err := eng.Diff(ctx, f)
		if err != nil {
			return engine.DiffPage{}, nil, err
		}
		items = append(items, page.Items...)
		if page.Next == nil || (limit > 0 && len(items) >= limit) {
			return page, items, nil
		}
		f.After = *page.Next
	}
}

// writeDiffCSV writes lines as CSV: the BOM, the header, a row per line.
// Unknown values are empty cells.
func writeDiffCSV(w io.Writer, items []engine.DiffItem) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(diffCSVHeader); err != nil {
		return err
	}
	num := func(v *int64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatInt(*v, 10)
	}
	for _, it := range items {
		change := ""
		if ch, ok := it.Change(); ok {
			change = strconv.FormatInt(ch, 10)
		}
		if err := cw.Write([]string{strconv.FormatInt(it.MappingID, 10), it.Name, it.NhanhID, it.ShopifyID, it.Location,
			it.LocationName, string(it.Action), num(it.Old), num(it.New), change, it.OldSource, it.Reason}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func locationSuffix(it engine.DiffItem) string {
	if it.Location == "" || it.LocationName != "" {
		return ""
	}
	return it.Location
}

// totalsLine is a diff's totals in a sentence.
func totalsLine(t engine.DiffTotals) string {
	return fmt.Sprintf("%d writes: %d up (+%d), %d down (-%d), %d to zero, %d same, %d with no known old value; "+
		"%d unchanged, %d skipped, %d failed", t.Writes, t.Up, t.SumUp, t.Down, t.SumDown, t.ToZero, t.Same, t.UnknownOld,
		t.Unchanged, t.Skipped, t.Failed)
}

// previewOutput is `syncops run --json` of a preview: the job, and its
// diff's totals.
type previewOutput struct {
	engine.Job
	Diff engine.DiffTotals `json:"diff"`
}

// finalPreviewOutput prints a finished preview with its totals, and maps
// its status to the exit code as finalOutput does.
func finalPreviewOutput(ctx context.Context, w io.Writer, eng *engine.Engine, j engine.Job, asJSON bool) error {
	page, err := eng.Diff(ctx, engine.DiffFilter{Job: j.ID, Limit: 1})
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeJSON(w, previewOutput{Job: j, Diff: page.Totals}); err != nil {
			return err
		}
		return finalOutput(io.Discard, j, false)
	}
	if err := finalOutput(w, j, false); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "preview: %s\nsee every line: syncops diff %d\n", totalsLine(page.Totals), j.ID)
	return err
}
