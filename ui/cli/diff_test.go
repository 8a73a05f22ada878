package cli_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
	"syncops/ui/cli"
)

// shopWorld is a sandbox shop and a data directory configured for it
// through the environment, run with the production job types.
type shopWorld struct {
	sb  *enginetest.Shop
	env map[string]string
}

func setupShop(t *testing.T) *shopWorld {
	t.Helper()
	sb := enginetest.StartShop(t, enginetest.ShopOptions{Seed: 3, Customers: 40, Products: 10, Scale: 50})
	return &shopWorld{sb: sb, env: sb.Env(t.TempDir())}
}

func (w *shopWorld) run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Options{Stdout: &out, Stderr: &errOut,
		Env: func(k string) string { return w.env[k] }})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func (w *shopWorld) mustRun(t *testing.T, args ...string) result {
	t.Helper()
	res := w.run(t, args...)
	require.Equal(t, cli.ExitOK, res.code, "%v\nstdout: %s\nstderr: %s", args, res.stdout, res.stderr)
	return res
}

// TestPreviewThroughTheCLI: a customer sync preview through `syncops run
// --json` prints its totals and writes nothing; `syncops diff --json` lists
// every line with Nhanh's value as the new one; `--csv` parses back to the
// same lines; a job that is no preview is refused.
func TestPreviewThroughTheCLI(t *testing.T) {
	t.Parallel()
	w := setupShop(t)
	w.mustRun(t, "run", "pull_nhanh_customers")
	pull := w.mustRun(t, "run", "pull_shopify_customers", "--json")
	w.mustRun(t, "run", "auto_match_customers")
	mutations := w.sb.Shopify().Record().Mutations

	res := w.mustRun(t, "run", "customer_sync", "--param", "dryRun=true", "--json")
	var job struct {
		engine.Job
		ID   json.Number       `json:"id"`
		Diff engine.DiffTotals `json:"diff"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &job), res.stdout)
	require.Equal(t, engine.StatusCompleted, job.Status)
	require.Positive(t, job.Successful)
	require.Equal(t, job.Successful, job.Diff.Writes, "every item the preview would write is in its totals")
	require.Equal(t, job.Diff.Writes, job.Diff.Up+job.Diff.Down+job.Diff.Same+job.Diff.UnknownOld)
	require.Equal(t, job.Diff.SumUp-job.Diff.SumDown, job.Diff.Net)
	require.Equal(t, mutations, w.sb.Shopify().Record().Mutations, "the preview sent no mutation")
	require.Empty(t, w.sb.Shopify().Record().MetafieldWrites)

	res = w.mustRun(t, "diff", job.ID.String(), "--json")
	var diff struct {
		Job    string            `json:"job"`
		Totals engine.DiffTotals `json:"totals"`
		Items  []engine.DiffItem `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &diff), res.stdout)
	require.Equal(t, job.ID.String(), diff.Job)
	require.Equal(t, job.Diff, diff.Totals)
	require.Len(t, diff.Items, int(diff.Totals.Lines))
	writes := 0
	for _, it := range diff.Items {
		if it.Action != engine.DiffWrite {
			continue
		}
		writes++
		nid, err := strconv.ParseInt(it.NhanhID, 10, 64)
		require.NoError(t, err)
		want, ok := w.sb.ExpectedTotalSpent(nid)
		require.True(t, ok, "Nhanh customer %d has a spend", nid)
		require.Equal(t, want, *it.New, "Nhanh customer %d", nid)
	}
	require.EqualValues(t, job.Diff.Writes, writes)

	res = w.mustRun(t, "diff", job.ID.String(), "--csv")
	require.True(t, strings.HasPrefix(res.stdout, "\ufeff"), "the CSV starts with a UTF-8 BOM")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.stdout, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"mapping_id", "name", "nhanh_id", "shopify_id", "location", "location_name", "action",
		"old", "new", "change", "old_source", "reason"}, rows[0])
	require.Len(t, rows, len(diff.Items)+1)
	num := func(v *int64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatInt(*v, 10)
	}
	for i, it := range diff.Items {
		change := ""
		if ch, ok := it.Change(); ok {
			change = strconv.FormatInt(ch, 10)
		}
		require.Equal(t, []string{strconv.FormatInt(it.MappingID, 10), it.Name, it.NhanhID, it.ShopifyID, it.Location,
			it.LocationName, string(it.Action), num(it.Old), num(it.New), change, it.OldSource, it.Reason}, rows[i+1])
	}

	// The human form: a line per item, the totals on stderr; a search
	// narrows it.
	res = w.mustRun(t, "diff", job.ID.String())
	require.Contains(t, res.stderr, strconv.FormatInt(job.Diff.Writes, 10)+" writes:")
	name := diff.Items[0].Name
	res = w.mustRun(t, "diff", job.ID.String(), "--search", strings.ToUpper(name), "--json")
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &diff))
	require.NotEmpty(t, diff.Items)
	for _, it := range diff.Items {
		require.Equal(t, name, it.Name)
	}

	// A job that is no sync preview has no diff.
	pullID := jobFromJSON(t, pull.stdout)["id"]
	res = w.run(t, "diff", jsonText(pullID))
	require.Equal(t, cli.ExitRefused, res.code)
	require.Contains(t, res.stderr, "not a sync preview")
	res = w.run(t, "diff", job.ID.String(), "--action", "sideways")
	require.Equal(t, cli.ExitRefused, res.code)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}
