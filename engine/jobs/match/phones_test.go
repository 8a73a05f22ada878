package match_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox"
	"syncops/clients/sandbox/dataset"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
	"syncops/store/storetest"
)

// TestAutoMatchCustomersPhoneCases runs AUTO_MATCH_CUSTOMERS on a world with
// the Vietnamese phone cases on (dataset.GenerateConfig.PhoneCases): old
// 11-digit mobiles pair with their new form whichever side holds which,
// landlines pair only with the same landline (never with the mobile made of
// their last 9 digits), a bare number in a note pairs only after a phone
// label, and a number in a note as a bank account or an unlabelled digit
// run pairs with nobody. The mappings must be exactly Truth's.
func TestAutoMatchCustomersPhoneCases(t *testing.T) {
	t.Parallel()
	opts := sandbox.Options{Seed: 21, Customers: 1500, Products: 1, PhoneCases: true}
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			b := jobstest.New(t, jobstest.Options{Dialect: dialect, Sandbox: opts})
			ds, truth := dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: opts.Seed,
				Customers: opts.Customers, Products: opts.Products, PhoneCases: opts.PhoneCases})
			require.Equal(t, b.Truth(), truth, "the regenerated dataset is not the sandbox's world")
			jobstest.FillMirrors(t, b.Store, ds)

			want := matchExpectedCustomerRun(ds, truth)
			j := b.Run(t, jobs.AutoMatchCustomers, nil)
			want.check(t, b, j, false)

			mappings, err := b.Store.CustomerMappings(context.Background(), b.Store.Reader(), store.MappingFilter{})
			require.NoError(t, err)
			got := map[extid.NhanhCustomerID]extid.ShopifyCustomerGID{}
			for _, m := range mappings {
				got[m.NhanhID] = m.ShopifyID
			}
			wantPairs := map[extid.NhanhCustomerID]extid.ShopifyCustomerGID{}
			byFormat := map[dataset.PhoneFormat]int{}
			for id, m := range truth.CustomerMatches {
				wantPairs[id] = m.Shopify
				byFormat[m.PhoneFormat]++
			}
			require.Equal(t, wantPairs, got)
			for _, f := range dataset.PhoneCaseFormats {
				require.Positive(t, byFormat[f], "no %s pair in the world", f)
			}

			// The cases that must stay apart are in the world, and stayed
			// apart: a Nhanh customer and a Shopify customer sharing the last 9
			// digits of a number (a landline and its look-alike mobile, or a
			// phone and a bank account in a note), neither mapped.
			var alone []dataset.NhanhCustomer
			for _, n := range ds.NhanhCustomers {
				if truth.UnmatchedNhanhCustomers[n.ID] == dataset.ReasonNoCandidate && len(matchDigitsOf(n.Mobile)) >= 9 {
					alone = append(alone, n)
				}
			}
			var apart int
			for _, c := range ds.ShopifyCustomers {
				if truth.UnmatchedShopifyCustomers[c.ID] != dataset.ReasonNoCandidate {
					continue
				}
				shopifyDigits := matchDigitsOf(c.Phone) + " " + matchDigitsOf(c.Note)
				for _, n := range alone {
					if d := matchDigitsOf(n.Mobile); !strings.Contains(shopifyDigits, d[len(d)-9:]) {
						continue
					}
					require.NotContains(t, got, n.ID, "Nhanh %q paired with Shopify %q / %q", n.Mobile, c.Phone, c.Note)
					apart++
				}
			}
			require.Positive(t, apart, "no landline look-alike or bank-account note in the world")
		})
	}
}
