package shopify_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/clients/extid"
	"syncops/clients/sandbox/fault"
	"syncops/clients/sandbox/shopifyfake"
	"syncops/clients/shopify"
)

func TestBulkCustomersExportsEveryMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		bulkDelay time.Duration
		query     string
		want      int
	}{
		{"everyone, done at first poll", 0, "", 700},
		{"updated since, polled on the clock", 5 * time.Second, fmt.Sprintf("updated_at:>'%s'", baseTime.Add(600*time.Minute).Format(time.RFC3339)), 99},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOptions{customers: 700, autoAdvance: true, fake: shopifyfake.Options{BulkDelay: tc.bulkDelay}})
			var got []shopify.Customer
			err := b.client.BulkCustomers(b.ctx, tc.query, func(c shopify.Customer) error {
				got = append(got, c)
				return nil
			})
			require.NoError(t, err)
			require.Len(t, got, tc.want)
			seen := map[extid.ShopifyCustomerGID]bool{}
			for _, c := range got {
				require.False(t, seen[c.ID])
				seen[c.ID] = true
			}
			want := b.ds.ShopifyCustomers[len(b.ds.ShopifyCustomers)-1]
			if tc.query == "" {
				require.Equal(t, shopify.Customer{
					ID: want.ID, FirstName: want.FirstName, LastName: want.LastName, Email: want.Email, Phone: want.Phone,
					DefaultAddressPhone: want.DefaultAddressPhone, NumberOfOrders: want.NumberOfOrders,
					AmountSpent: want.AmountSpent, UpdatedAt: time.Unix(want.UpdatedAt, 0).UTC(),
				}, got[len(got)-1])
			}
			polls := b.fake.Record().Operations["node"]
			if tc.bulkDelay == 0 {
				require.Equal(t, 1, polls)
			} else {
				require.Greater(t, polls, 1, "polled until the operation completed")
			}
		})
	}
}

func TestBulkVariantsCarryProductFields(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{variants: 90})
	var got []shopify.Variant
	require.NoError(t, b.client.BulkVariants(b.ctx, "product_status:active", func(v shopify.Variant) error {
		got = append(got, v)
		return nil
	}))
	require.Len(t, got, 30)
	for _, v := range got {
		require.Equal(t, "ACTIVE", v.ProductStatus)
		require.NotEmpty(t, v.ProductID)
		require.NotEmpty(t, v.ProductTitle)
		require.NotEmpty(t, v.InventoryItemID)
	}
}

func TestBulkDownloadResumesAfterABrokenTransfer(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 200, autoAdvance: true})
	b.fake.Script(shopifyfake.ScriptedFault{Op: "download", Kind: fault.Malformed})
	seen := map[extid.ShopifyCustomerGID]int{}
	require.NoError(t, b.client.BulkCustomers(b.ctx, "", func(c shopify.Customer) error {
		seen[c.ID]++
		return nil
	}))
	require.Len(t, seen, 200)
	for id, n := range seen {
		require.Equal(t, 1, n, "customer %s delivered once", id)
	}
	require.Equal(t, int64(1), b.client.Stats().Retries)
}

func TestBulkStopsOnTheCallersError(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 50})
	stop := errors.New("enough")
	n := 0
	err := b.client.BulkCustomers(b.ctx, "", func(shopify.Customer) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 10, n)
}

func TestBulkWithNoMatchesCallsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{customers: 5})
	err := b.client.BulkCustomers(b.ctx, "email:nobody@example.vn", func(shopify.Customer) error {
		t.Fatal("no customer should be delivered")
		return nil
	})
	require.NoError(t, err)
}

func TestBulkRefusedWhileTooManyRun(t *testing.T) {
	t.Parallel()
	// Operations that never finish on a clock that does not move fill the
	// shop's five slots; the sixth start is a rate-limit error.
	b := setup(t, setupOptions{customers: 5, fake: shopifyfake.Options{BulkDelay: time.Hour}, config: func(c *shopify.Config) {
		c.BulkPollInterval = time.Hour
	}})
	ctx, cancel := contextWithCancel(b)
	defer cancel()
	for range shopifyfake.MaxConcurrentBulkQueries {
		go func() { _ = b.client.BulkCustomers(ctx, "", func(shopify.Customer) error { return nil }) }()
	}
	require.NoError(t, b.fc.BlockUntilContext(b.ctx, shopifyfake.MaxConcurrentBulkQueries))
	err := b.client.BulkCustomers(b.ctx, "", func(shopify.Customer) error { return nil })
	require.Equal(t, apierr.ClassRateLimit, apierr.ClassOf(err), "%v", err)
}
