package match_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
)

// matchWorldOptions is the generated world the match tests run on.
var matchWorldOptions = sandbox.Options{Seed: 7, Customers: 2000, Products: 500}

// matchWorld starts a sandbox of matchWorldOptions and fills the store's
// mirrors straight from the same generated dataset, as complete pulls would
// (deleted Nhanh products end up marked deleted), so the match tests do not
// depend on the pull jobs.
func matchWorld(t *testing.T, dialect store.Dialect) (*jobstest.World, *dataset.Dataset) {
	t.Helper()
	b := jobstest.New(t, jobstest.Options{Dialect: dialect, Sandbox: matchWorldOptions})
	ds, truth := dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: matchWorldOptions.Seed,
		Customers: matchWorldOptions.Customers, Products: matchWorldOptions.Products})
	require.Equal(t, b.Truth(), truth, "the regenerated dataset is not the sandbox's world")
	jobstest.FillMirrors(t, b.Store, ds)
	return b, ds
}

// matchMeta is the metadata both auto-match kinds write.
type matchMeta struct {
	DryRun           bool  `json:"dryRun"`
	MatchedByPhone   int64 `json:"matchedByPhone"`
	MatchedByEmail   int64 `json:"matchedByEmail"`
	MatchedBySKU     int64 `json:"matchedBySKU"`
	MatchedByBarcode int64 `json:"matchedByBarcode"`
	NoCandidate      int64 `json:"noCandidate"`
	NoKey            int64 `json:"noKey"`
	Ambiguous        int64 `json:"ambiguous"`
	Conflicts        int64 `json:"conflicts"`
	AlreadyMapped    int64 `json:"alreadyMapped"`
	Created          int64 `json:"created"`
}

func decodeMatchMeta(t testing.TB, j engine.Job) matchMeta {
	t.Helper()
	var m matchMeta
	require.NoError(t, json.Unmarshal(j.Metadata, &m))
	return m
}
