package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox"
	"syncops/clients/shopify"
)

// TestClientsRunAtTheLimitsWithoutViolations pulls 20,000 customers from each
// side and writes 20,000 metafields and 5,000 inventory quantities through
// the real clients against the sandbox at a scaled limit, with the
// concurrency a job would use, and checks the fakes recorded no violation.
func TestClientsRunAtTheLimitsWithoutViolations(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("drives the clients at the sandbox's limits for several seconds")
	}
	const scale = 10
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{Seed: 5, Customers: 20000, Products: 5000, Scale: scale})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	ep := sb.Endpoints()
	nc, err := nhanh.New(nhanh.Config{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, BusinessID: ep.NhanhBusinessID,
		AccessToken: ep.NhanhToken, Window: 30 * time.Second / scale})
	require.NoError(t, err)
	sc, err := shopify.New(shopify.Config{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL, APIVersion: ep.ShopifyAPIVersion,
		AccessToken: ep.ShopifyToken})
	require.NoError(t, err)

	// Pull every Nhanh customer, page by page.
	var nhanhCustomers int
	var next json.RawMessage
	for {
		page, err := nc.ListCustomers(ctx, nhanh.CustomerFilter{}, next)
		require.NoError(t, err)
		nhanhCustomers += len(page.Customers)
		if page.Next == nil {
			break
		}
		next = page.Next
	}
	require.Equal(t, 20000, nhanhCustomers)

	// Pull every Shopify customer.
	var owners []extid.ShopifyCustomerGID
	after := ""
	for {
		page, err := sc.ListCustomers(ctx, "", after)
		require.NoError(t, err)
		for _, c := range page.Customers {
			owners = append(owners, c.ID)
		}
		if !page.HasNextPage {
			break
		}
		after = page.EndCursor
	}
	require.NotEmpty(t, owners)

	// 20,000 metafields, 25 per call, four calls in flight.
	inputs := make([]shopify.MetafieldInput, 20000)
	for i := range inputs {
		inputs[i] = shopify.MetafieldInput{OwnerID: string(owners[i%len(owners)]), Namespace: "custom", Key: "total_spent",
			Type: "number_integer", Value: fmt.Sprint(1000 * (i + 1))}
	}
	var g errgroup.Group
	g.SetLimit(4)
	var mu sync.Mutex
	failed := 0
	for start := 0; start < len(inputs); start += 25 {
		batch := inputs[start:min(start+25, len(inputs))]
		g.Go(func() error {
			res, err := sc.SetMetafields(ctx, batch)
			mu.Lock()
			defer mu.Unlock()
			for _, r := range res {
				if r.Err != nil {
					failed++
				}
			}
			return err
		})
	}
	require.NoError(t, g.Wait())
	require.Zero(t, failed)

	// 5,000 inventory quantities at the primary location.
	locs, err := sc.Locations(ctx)
	require.NoError(t, err)
	var primary extid.ShopifyLocationGID
	for _, l := range locs {
		if l.Primary {
			primary = l.ID
		}
	}
	var items []shopify.InventoryQuantity
	after = ""
	for len(items) < 5000 {
		page, err := sc.ListVariants(ctx, "", after)
		require.NoError(t, err)
		for _, v := range page.Variants {
			if len(items) < 5000 {
				items = append(items, shopify.InventoryQuantity{InventoryItemID: v.InventoryItemID, LocationID: primary,
					Quantity: int64(len(items) % 97)})
			}
		}
		if !page.HasNextPage {
			break
		}
		after = page.EndCursor
	}
	res, err := sc.SetInventory(ctx, items, shopify.InventoryOptions{KeyPrefix: "limits-test"})
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}

	nrec := sb.Nhanh().Record()
	require.Empty(t, nrec.Violations, "Nhanh limit violations")
	require.Zero(t, nrec.CallsWhileLocked)
	srec := sb.Shopify().Record()
	require.Zero(t, srec.Throttles, "Shopify throttles (bucket overdrawn)")

	for endpoint, er := range nrec.Endpoints {
		t.Logf("nhanh %s: %d requests, busiest window %d of %d (%.2f of the limit)", endpoint, er.Requests,
			er.MaxInWindow, nrec.Limit, float64(er.MaxInWindow)/float64(nrec.Limit))
	}
	t.Logf("shopify: %d requests, %.0f points; sustained %.0f points/s of a restore rate of %.0f (%.2f)",
		srec.Requests, srec.Points, srec.SustainedPointsPerSecond(), srec.RestoreRate,
		srec.SustainedPointsPerSecond()/srec.RestoreRate)
	require.Greater(t, srec.SustainedPointsPerSecond()/srec.RestoreRate, 0.9)
}
