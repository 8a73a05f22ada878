package match_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
	"syncops/store/storetest"
)

// truthReasonCodes maps the answer key's reasons to the codes the match
// keeps; a record deleted at Nhanh is not listed as unmatched.
var truthReasonCodes = map[dataset.Reason][]string{
	dataset.ReasonNoCandidate:    {engine.ReasonNoCandidate},
	dataset.ReasonNoKey:          {engine.ReasonNoPhone, engine.ReasonPhoneUnreadable},
	dataset.ReasonAmbiguousPhone: {engine.ReasonAmbiguous},
	dataset.ReasonAmbiguousEmail: {engine.ReasonAmbiguous},
	dataset.ReasonConflict:       {engine.ReasonConflict},
}

// TestAutoMatchKeepsWhyNotMatched: after a match, every Nhanh customer the
// answer key leaves unmatched has a reason of the right code, naming its
// candidates when it has several; a dry run keeps none, and a customer
// matched later loses its reason.
func TestAutoMatchKeepsWhyNotMatched(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b, _ := matchWorld(t, dialect)
			truth := b.Truth()
			k := store.MappingKindCustomer

			b.Run(t, jobs.AutoMatchCustomers, engine.Params{"dryRun": "true"})
			page, err := b.Store.MappingList(ctx, b.Store.Reader(), store.MappingListFilter{Kind: k, Tab: store.TabUnmatched, Limit: 10})
			require.NoError(t, err)
			for _, r := range page.Rows {
				require.Nil(t, r.Reason, "a dry run keeps no reasons")
			}

			// A stale reason of a customer this run matches, as an earlier
			// run (before its Shopify side was pulled) would have left.
			var stale int64
			for id := range truth.CustomerMatches {
				stale = int64(id)
				break
			}
			require.NoError(t, b.Store.SaveMatchReasons(ctx, b.Store.DB(), k, []store.MatchReason{
				{NhanhID: stale, Code: engine.ReasonNoCandidate, Message: "no Shopify customer yet", At: time.UnixMilli(1)}}))

			j := b.Run(t, jobs.AutoMatchCustomers, nil)
			checked := map[dataset.Reason]int{}
			for id, why := range truth.UnmatchedNhanhCustomers {
				codes, listed := truthReasonCodes[why]
				if !listed {
					continue
				}
				r, err := b.Store.MatchReasonOf(ctx, b.Store.Reader(), k, int64(id))
				require.NoError(t, err, "Nhanh customer %d (%s)", id, why)
				require.Contains(t, codes, r.Code, "Nhanh customer %d (%s): %s", id, why, r.Message)
				require.Equal(t, int64(j.ID), r.JobID)
				require.NotEmpty(t, r.Message)
				if why == dataset.ReasonAmbiguousPhone || why == dataset.ReasonAmbiguousEmail {
					require.GreaterOrEqual(t, len(r.Candidates), 2, "Nhanh customer %d", id)
				}
				checked[why]++
			}
			for why := range truthReasonCodes {
				require.NotZero(t, checked[why], "the world has no %s case", why)
			}
			for id := range truth.CustomerMatches {
				_, err := b.Store.MatchReasonOf(ctx, b.Store.Reader(), k, int64(id))
				require.ErrorIs(t, err, store.ErrNotFound, "matched customer %d has a reason", id)
			}
		})
	}
}
