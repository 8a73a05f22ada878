package match_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/engine/jobs/match"
	"syncops/store"
	"syncops/store/storetest"
)

// attemptStopper ends an attempt of a match at chosen checkpoints: it moves
// the engine's fake clock past the attempt's time budget and holds the body
// until its context says so, as a slow attempt running out of time would.
type attemptStopper struct {
	clock *clockwork.FakeClock
	mu    sync.Mutex
	seen  int
	stops map[int]bool // the checkpoints (1-based, over the whole job) to stop after
}

func (s *attemptStopper) checkpointed(ctx context.Context, _ int64) {
	s.mu.Lock()
	s.seen++
	stop := s.stops[s.seen]
	s.mu.Unlock()
	if !stop {
		return
	}
	s.clock.Advance(engine.DefaultAttemptTimeout)
	<-ctx.Done()
}

// resumeWorld is matchWorld with the match kinds in batches of batch
// records, on a fake clock, ending their attempts after the checkpoints in
// stops.
func resumeWorld(t *testing.T, dialect store.Dialect, batch int, stops ...int) (*jobstest.World, *dataset.Dataset) {
	t.Helper()
	b := jobstest.New(t, jobstest.Options{Dialect: dialect, Sandbox: matchWorldOptions, NoEngine: true})
	ds, truth := dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: matchWorldOptions.Seed,
		Customers: matchWorldOptions.Customers, Products: matchWorldOptions.Products})
	require.Equal(t, b.Truth(), truth, "the regenerated dataset is not the sandbox's world")
	jobstest.FillMirrors(t, b.Store, ds)
	clock := clockwork.NewFakeClock()
	stopper := &attemptStopper{clock: clock, stops: map[int]bool{}}
	for _, n := range stops {
		stopper.stops[n] = true
	}
	b.Deps.Clock = clock
	b.StartEngine(t, match.Kinds(match.Deps{Store: b.Store, Clock: clock, BatchSize: batch, Checkpointed: stopper.checkpointed}))
	return b, ds
}

// TestAutoMatchContinuesInTheNextAttempt ends attempts of both auto-match
// kinds twice, each time after a committed batch, as a run on a large shop
// running out of its attempt's time would: the next attempt of the same
// job continues from the checkpoint, counts the mappings earlier attempts
// created (and does not find them in its way), and the job ends with
// exactly the counters, metadata, failed items and mappings of an
// uninterrupted run.
func TestAutoMatchContinuesInTheNextAttempt(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			for _, tc := range []struct {
				kind  string
				batch int
				want  func(*dataset.Dataset, *dataset.Truth) matchExpectedRun
			}{
				{jobs.AutoMatchCustomers, 150, matchExpectedCustomerRun},
				{jobs.AutoMatchProducts, 40, matchExpectedProductRun},
			} {
				b, ds := resumeWorld(t, dialect, tc.batch, 2, 5)
				j := b.Run(t, tc.kind, nil)
				// Products match only sellable units (active variants).
				truth := b.Truth()
				if tc.kind == jobs.AutoMatchProducts {
					truth = truth.ActiveVariantsOnly(ds)
				}
				tc.want(ds, truth).check(t, b, j, false)

				attempts, err := b.Engine.Attempts(ctx, j.ID)
				require.NoError(t, err)
				var outcomes []string
				for _, a := range attempts {
					outcomes = append(outcomes, a.Outcome)
				}
				require.Equal(t, []string{"continued", "continued", "completed"}, outcomes, tc.kind)

				// The mappings are Truth's pairs, each recorded as this job's.
				got := map[int64]string{}
				want := map[int64]string{}
				if tc.kind == jobs.AutoMatchCustomers {
					ms, err := b.Store.CustomerMappings(ctx, b.Store.Reader(), store.MappingFilter{})
					require.NoError(t, err)
					for _, m := range ms {
						require.Equal(t, int64(j.ID), m.CreatedByJob)
						got[int64(m.NhanhID)] = string(m.ShopifyID)
					}
					for id, m := range truth.CustomerMatches {
						want[int64(id)] = string(m.Shopify)
					}
				} else {
					ms, err := b.Store.ProductMappings(ctx, b.Store.Reader(), store.MappingFilter{})
					require.NoError(t, err)
					for _, m := range ms {
						require.Equal(t, int64(j.ID), m.CreatedByJob)
						got[int64(m.NhanhID)] = string(m.ShopifyID)
					}
					for id, m := range truth.ProductMatches {
						want[int64(id)] = string(m.Variant)
					}
				}
				require.Equal(t, want, got, tc.kind)
			}
		})
	}
}

// TestAutoMatchNamesAMappingMadeMeanwhile: a mapping made by someone else
// after the match read the mappings is refused by the database; the batch is
// written again with only the record it blocks failing, naming the mapping.
func TestAutoMatchNamesAMappingMadeMeanwhile(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := jobstest.New(t, jobstest.Options{Dialect: dialect, NoEngine: true})
			s1, s2 := matchCustomerGID(1001), matchCustomerGID(1002)
			require.NoError(t, b.Store.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := b.Store.UpsertNhanhCustomers(ctx, tx, []store.NhanhCustomer{
					{ID: 1, Mobile: "0912345678"}, {ID: 2, Mobile: "0987654321"}, {ID: 3}}, time.Now()); err != nil {
					return err
				}
				_, err := b.Store.UpsertShopifyCustomers(ctx, tx, []store.ShopifyCustomer{
					{ID: s1, Phone: "+84912345678"}, {ID: s2, Phone: "+84987654321"}}, time.Now())
				return err
			}))
			// The mapping is made after the match indexed: at its first
			// checkpoint there is none yet, so it is made before the second
			// batch (of Nhanh customer 2) writes.
			var once sync.Once
			b.StartEngine(t, match.Kinds(match.Deps{Store: b.Store, Clock: clockwork.NewRealClock(), BatchSize: 1,
				Checkpointed: func(context.Context, int64) {
					once.Do(func() {
						require.NoError(t, b.Store.CreateCustomerMappings(ctx, b.Store.DB(),
							[]store.CustomerMapping{{NhanhID: 9, ShopifyID: s2, MatchMethod: store.MatchManual}}, time.Now()))
					})
				}}))
			j := b.Run(t, jobs.AutoMatchCustomers, nil)
			require.Equal(t, engine.StatusCompleted, j.Status, j.Error)
			require.Equal(t, engine.Counters{Total: 3, Processed: 3, Successful: 1, Failed: 1, Skipped: 1}, j.Counters())
			failed := b.Failures(t, j.ID)
			require.Len(t, failed, 1)
			require.Contains(t, failed["2"].Message, "mapped meanwhile by someone else")
			require.Contains(t, failed["2"].Message, "Shopify customer "+string(s2)+" is already mapped to Nhanh customer 9")
			m := decodeMatchMeta(t, j)
			require.Equal(t, int64(1), m.AlreadyMapped)
			require.Equal(t, int64(1), m.Created)
			ms, err := b.Store.CustomerMappings(ctx, b.Store.Reader(), store.MappingFilter{})
			require.NoError(t, err)
			got := map[extid.NhanhCustomerID]extid.ShopifyCustomerGID{}
			for _, m := range ms {
				got[m.NhanhID] = m.ShopifyID
			}
			require.Equal(t, map[extid.NhanhCustomerID]extid.ShopifyCustomerGID{1: s1, 9: s2}, got)
		})
	}
}
