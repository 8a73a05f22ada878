package cli_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/app"
	"syncops/engine/enginetest"
	"syncops/engine/jobs"
	"syncops/ui/cli"
)

// sandboxBundle is a data directory configured for a running sandbox, with
// the production job types.
type sandboxBundle struct {
	env map[string]string
	sb  *enginetest.Shop
}

func sandboxSetup(t *testing.T) *sandboxBundle {
	t.Helper()
	sb := enginetest.StartShop(t, enginetest.ShopOptions{Seed: 12, Customers: 120, Products: 20, Scale: 100})
	return &sandboxBundle{sb: sb, env: sb.Env(t.TempDir())}
}

func (b *sandboxBundle) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Options{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(stdin),
		Env: func(k string) string { return b.env[k] }, Build: app.Build})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// ok runs a command that must succeed and returns its stdout.
func (b *sandboxBundle) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := b.run(t, "", args...)
	require.Equal(t, cli.ExitOK, r.code, "%v\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
	return r.stdout
}

type mappingList struct {
	Counts engine.MappingCounts `json:"counts"`
	Page   engine.MappingPage   `json:"page"`
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(s), &v), s)
	return v
}

// TestWorkbenchFlow is the operator's flow through the command line with
// every answer read as JSON: match, find a customer left ambiguous and its
// candidates, map it by hand, sync it now, see the value written, and match
// again without the manual mapping being touched.
func TestWorkbenchFlow(t *testing.T) {
	t.Parallel()
	b := sandboxSetup(t)
	for _, typ := range []string{jobs.PullNhanhCustomers, jobs.PullShopifyCustomers, jobs.AutoMatchCustomers} {
		j := decode[engine.Job](t, b.ok(t, "run", typ, "--json"))
		require.Equal(t, engine.StatusCompleted, j.Status, typ)
	}

	// The unmatched list says why; the ambiguous ones name their candidates.
	list := decode[mappingList](t, b.ok(t, "mappings", "customers", "--status", "unmatched", "--all", "--json"))
	require.Equal(t, list.Counts.UnmatchedNhanh, int64(len(list.Page.Rows)))
	ambiguousPhone := b.sb.AmbiguousPhoneCustomers()
	var ambiguous *engine.MappingRow
	for i, r := range list.Page.Rows {
		require.NotNil(t, r.Reason, "every unmatched customer has a reason: %+v", r)
		id, err := strconv.ParseInt(r.Nhanh.ID, 10, 64)
		require.NoError(t, err)
		if ambiguousPhone[id] && ambiguous == nil {
			ambiguous = &list.Page.Rows[i]
		}
	}
	require.NotNil(t, ambiguous, "the sandbox has customers sharing a phone")
	require.Equal(t, engine.ReasonAmbiguous, ambiguous.Reason.Code)
	require.GreaterOrEqual(t, len(ambiguous.Reason.Candidates), 2)

	detail := decode[engine.MappingDetail](t, b.ok(t, "mapping", "customers", ambiguous.Nhanh.ID, "--nhanh", "--json"))
	require.Len(t, detail.Candidates, len(ambiguous.Reason.Candidates))
	for _, c := range detail.Candidates {
		require.True(t, c.Known, "candidate %s is in the mirror", c.ID)
		require.Zero(t, c.MappedTo, "candidate %s is free", c.ID)
	}
	// The same customer is found by its phone written another way.
	nhanhID, err := strconv.ParseInt(ambiguous.Nhanh.ID, 10, 64)
	require.NoError(t, err)
	mobile, ok := b.sb.NhanhMobile(nhanhID)
	require.True(t, ok)
	found := decode[mappingList](t, b.ok(t, "mappings", "customers", "--status", "unmatched", "--search", respell(mobile), "--json"))
	require.Contains(t, rowIDs(found.Page.Rows), ambiguous.Nhanh.ID)

	// Map it by hand to the first candidate.
	target := detail.Candidates[0].ID
	b.ok(t, "map", "customers", ambiguous.Nhanh.ID, target)
	manual := decode[mappingList](t, b.ok(t, "mappings", "customers", "--status", "manual", "--json"))
	require.Len(t, manual.Page.Rows, 1)
	m := manual.Page.Rows[0]
	require.True(t, m.Manual)
	require.Equal(t, target, m.Shopify.ID)
	require.Equal(t, "PENDING", m.Status)
	require.Nil(t, m.Reason, "a mapped customer has no reason left")

	// Preview a sync of it: the diff holds exactly that customer's change
	// and nothing reached Shopify.
	mid := strconv.FormatInt(m.MappingID, 10)
	mutations := b.sb.Shopify().Record().Mutations
	preview := decode[engine.Job](t, b.ok(t, "run", jobs.CustomerSync, "--param", "ids="+mid, "--param", "dryRun=true", "--json"))
	require.Equal(t, engine.StatusCompleted, preview.Status)
	require.Equal(t, mutations, b.sb.Shopify().Record().Mutations, "the preview sent no mutation")
	diff := decode[struct {
		Totals engine.DiffTotals `json:"totals"`
		Items  []engine.DiffItem `json:"items"`
	}](t, b.ok(t, "diff", strconv.FormatInt(int64(preview.ID), 10), "--json"))
	require.Len(t, diff.Items, 1, "the preview of one mapping has one line")
	line := diff.Items[0]
	require.Equal(t, m.MappingID, line.MappingID)
	require.Equal(t, ambiguous.Nhanh.ID, line.NhanhID)
	require.Equal(t, target, line.ShopifyID)
	require.Equal(t, engine.DiffWrite, line.Action)
	require.NotNil(t, line.New)
	require.Equal(t, m.Nhanh.Value, strconv.FormatInt(*line.New, 10), "the new value is Nhanh's spend")
	require.EqualValues(t, 1, diff.Totals.Writes)

	// Sync it now: a tracked CUSTOMER_SYNC of that one mapping.
	j := decode[engine.Job](t, b.ok(t, "sync-now", "customers", mid, "--json"))
	require.Equal(t, engine.StatusCompleted, j.Status)
	require.Equal(t, jobs.CustomerSync, j.Type)
	require.JSONEq(t, `{"ids":[`+mid+`]}`, string(j.Params))
	after := decode[engine.MappingDetail](t, b.ok(t, "mapping", "customers", mid, "--json"))
	require.Equal(t, "SYNCED", after.Row.Status)
	require.NotNil(t, after.Row.LastSyncedValue)
	require.Equal(t, after.Row.Nhanh.Value, *after.Row.LastSyncedValue, "the value written is Nhanh's spend")
	mf, ok := b.sb.CustomerMetafield(target, "custom.total_spent")
	require.True(t, ok)
	require.Equal(t, *after.Row.LastSyncedValue, mf, "Shopify holds what the mapping says was written")
	require.NotEmpty(t, after.SyncLog)
	require.Equal(t, *after.Row.LastSyncedValue, after.SyncLog[0].NewValue)
	require.Contains(t, jobIDs(after.Jobs), j.ID)

	// Matching again leaves the manual mapping as it is.
	again := decode[engine.Job](t, b.ok(t, "run", jobs.AutoMatchCustomers, "--json"))
	require.Equal(t, engine.StatusCompleted, again.Status)
	kept := decode[engine.MappingDetail](t, b.ok(t, "mapping", "customers", mid, "--json"))
	require.True(t, kept.Row.Manual)
	require.Equal(t, target, kept.Row.Shopify.ID)
	require.Equal(t, "SYNCED", kept.Row.Status)

	// The audit log names the actions.
	audit := b.ok(t, "audit")
	require.Contains(t, audit, "mapping.map")
}

// TestCleanOrphans: mappings whose Shopify customer was deleted are listed
// as orphaned and deleted by clean-orphans, after confirmation; the others
// stay.
func TestCleanOrphans(t *testing.T) {
	t.Parallel()
	b := sandboxSetup(t)
	for _, typ := range []string{jobs.PullNhanhCustomers, jobs.PullShopifyCustomers, jobs.AutoMatchCustomers} {
		b.ok(t, "run", typ, "--json")
	}
	all := decode[mappingList](t, b.ok(t, "mappings", "customers", "--all", "--json"))
	require.GreaterOrEqual(t, len(all.Page.Rows), 3)
	gone := []engine.MappingRow{all.Page.Rows[0], all.Page.Rows[2]}
	for _, r := range gone {
		require.True(t, b.sb.DeleteShopifyCustomer(r.Shopify.ID))
	}
	b.ok(t, "run", jobs.PullShopifyCustomers, "--json")

	orphans := decode[mappingList](t, b.ok(t, "mappings", "customers", "--status", "orphaned", "--json"))
	require.Equal(t, int64(2), orphans.Counts.Orphaned)
	require.Equal(t, []int64{gone[0].MappingID, gone[1].MappingID}, mappingIDs(orphans.Page.Rows))

	r := b.run(t, "n\n", "clean-orphans", "customers")
	require.Equal(t, cli.ExitRefused, r.code, "not confirmed")
	left := decode[mappingList](t, b.ok(t, "mappings", "customers", "--status", "orphaned", "--json"))
	require.Len(t, left.Page.Rows, 2)

	r = b.run(t, "y\n", "clean-orphans", "customers", "--json")
	require.Equal(t, cli.ExitOK, r.code, r.stderr)
	deleted := decode[map[string][]int64](t, r.stdout)
	require.Equal(t, []int64{gone[0].MappingID, gone[1].MappingID}, deleted["deleted"])
	rest := decode[mappingList](t, b.ok(t, "mappings", "customers", "--all", "--json"))
	require.Len(t, rest.Page.Rows, len(all.Page.Rows)-2)
	require.Zero(t, rest.Counts.Orphaned)
	require.NotContains(t, mappingIDs(rest.Page.Rows), gone[0].MappingID)
}

// TestExportsParseBack: the CSV exports start with the UTF-8 byte-order
// mark and a header, and parse back to what --json says, Vietnamese names
// intact.
func TestExportsParseBack(t *testing.T) {
	t.Parallel()
	b := sandboxSetup(t)
	var match engine.Job
	for _, typ := range []string{jobs.PullNhanhCustomers, jobs.PullShopifyCustomers, jobs.AutoMatchCustomers} {
		match = decode[engine.Job](t, b.ok(t, "run", typ, "--json"))
	}
	parse := func(out string) [][]string {
		require.True(t, strings.HasPrefix(out, "\uFEFF"), "UTF-8 byte-order mark first")
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
		require.NoError(t, err)
		require.NotEmpty(t, recs)
		return recs
	}

	for _, status := range []string{"all", "unmatched"} {
		want := decode[mappingList](t, b.ok(t, "mappings", "customers", "--status", status, "--all", "--json"))
		recs := parse(b.ok(t, "mappings", "customers", "--status", status, "--csv"))
		header := recs[0]
		require.Equal(t, "mapping_id", header[0])
		col := func(name string) int { return slices.Index(header, name) }
		require.Len(t, recs, len(want.Page.Rows)+1, status)
		vietnamese := false
		for i, r := range want.Page.Rows {
			rec := recs[i+1]
			require.Equal(t, r.Nhanh.ID, rec[col("nhanh_id")])
			require.Equal(t, r.Nhanh.Name, rec[col("nhanh_name")])
			require.Equal(t, r.Shopify.ID, rec[col("shopify_id")])
			if r.Reason != nil {
				require.Equal(t, r.Reason.Code, rec[col("reason_code")])
				require.Equal(t, r.Reason.Message, rec[col("reason")])
			}
			vietnamese = vietnamese || strings.ContainsAny(r.Nhanh.Name, "ăâđêôơưĐạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
		}
		require.True(t, vietnamese, "the sandbox has Vietnamese names")
	}

	failures := decode[struct {
		Total int64 `json:"total"`
		Items []struct {
			Key     string `json:"key"`
			Message string `json:"message"`
		} `json:"items"`
	}](t, b.ok(t, "failures", strconv.FormatInt(int64(match.ID), 10), "--limit", "1000", "--json"))
	require.NotZero(t, failures.Total)
	recs := parse(b.ok(t, "failures", strconv.FormatInt(int64(match.ID), 10), "--csv"))
	require.Len(t, recs, len(failures.Items)+1)
	for i, it := range failures.Items {
		require.Equal(t, it.Key, recs[i+1][1])
		require.Equal(t, it.Message, recs[i+1][3])
	}

	jobsJSON := decode[[]engine.Job](t, b.ok(t, "jobs", "--json"))
	recs = parse(b.ok(t, "jobs", "--csv"))
	require.Len(t, recs, len(jobsJSON)+1)
	for i, j := range jobsJSON {
		require.Equal(t, strconv.FormatInt(int64(j.ID), 10), recs[i+1][0])
		require.Equal(t, j.Type, recs[i+1][1])
		require.Equal(t, string(j.Status), recs[i+1][2])
	}
}

// TestStreamsAndSettings: streams show the pulls that ran; a setting is
// validated, set and shown, and a bad value refused.
func TestStreamsAndSettings(t *testing.T) {
	t.Parallel()
	b := sandboxSetup(t)
	require.JSONEq(t, `[]`, b.ok(t, "streams", "--json"))
	b.ok(t, "run", jobs.PullNhanhCustomers, "--json")
	streams := decode[[]engine.StreamState](t, b.ok(t, "streams", "--json"))
	require.Len(t, streams, 1)
	require.Equal(t, "done", streams[0].State)
	require.NotZero(t, streams[0].RowsThisPass)
	require.NotNil(t, streams[0].LastCompleted)

	r := b.run(t, "", "settings", "set", "drop_brake_percent", "150")
	require.Equal(t, cli.ExitRefused, r.code)
	require.Contains(t, r.stderr, "from 0 to 100")
	r = b.run(t, "", "settings", "set", "no_such_setting", "1")
	require.Equal(t, cli.ExitRefused, r.code)
	b.ok(t, "settings", "set", "drop_brake_percent", "35")
	settings := decode[[]engine.Setting](t, b.ok(t, "settings", "--json"))
	byKey := map[string]engine.Setting{}
	for _, s := range settings {
		byKey[s.Key] = s
	}
	require.Equal(t, engine.Setting{Key: "drop_brake_percent", Value: "35", Default: "20", Set: true,
		UpdatedAt: byKey["drop_brake_percent"].UpdatedAt, Help: byKey["drop_brake_percent"].Help}, byKey["drop_brake_percent"])
	require.False(t, byKey[jobs.SettingCustomerThreshold].Set)
	require.Contains(t, b.ok(t, "audit"), "drop_brake_percent: 20 (default) -> 35")
}

// respell writes a Vietnamese mobile the way another till would:
// +84 912 345 678 for 0912345678.
func respell(mobile string) string {
	digits := strings.Map(func(r rune) rune {
		if r < '0' || r > '9' {
			return -1
		}
		return r
	}, mobile)
	digits = strings.TrimPrefix(digits, "0")
	digits = strings.TrimPrefix(digits, "84")
	if len(digits) != 9 {
		return mobile
	}
	return "+84 " + digits[:3] + " " + digits[3:6] + " " + digits[6:]
}

func rowIDs(rows []engine.MappingRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Nhanh.ID
	}
	return out
}

func mappingIDs(rows []engine.MappingRow) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.MappingID
	}
	return out
}

func jobIDs(js []engine.Job) []engine.JobID {
	out := make([]engine.JobID, len(js))
	for i, j := range js {
		out[i] = j.ID
	}
	return out
}
