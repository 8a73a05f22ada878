package shopify_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/shopifyfake"
	"syncops/clients/shopify"
)

const testToken = "shpat_test_0123456789abcdef"

// baseTime is the sandbox's "now" for updatedAt values.
var baseTime = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// testDataset builds a small shop with known answers: customer i (1-based)
// was updated at a scrambled minute, so updatedAt order differs from id
// order; variants cycle through product statuses; location 2 is primary.
func testDataset(customers, variants int) *dataset.Dataset {
	ds := &dataset.Dataset{}
	for i := 1; i <= 3; i++ {
		ds.ShopifyLocations = append(ds.ShopifyLocations, dataset.ShopifyLocation{
			ID: extid.ShopifyLocationGID(extid.FormatGID(extid.ResourceLocation, int64(i))), Name: fmt.Sprintf("Kho %d", i), Primary: i == 2,
		})
	}
	for i := 1; i <= customers; i++ {
		ds.ShopifyCustomers = append(ds.ShopifyCustomers, dataset.ShopifyCustomer{
			ID:                  extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, int64(i))),
			FirstName:           fmt.Sprintf("Lan %d", i),
			LastName:            "Nguyễn",
			Email:               fmt.Sprintf("c%d@example.vn", i),
			Phone:               fmt.Sprintf("+8490%07d", i),
			DefaultAddressPhone: fmt.Sprintf("090%07d", i),
			NumberOfOrders:      int64(i % 7),
			AmountSpent:         fmt.Sprintf("%d.50", i*1000),
			UpdatedAt:           baseTime.Add(time.Duration((i*7919)%customers) * time.Minute).Unix(),
		})
	}
	statuses := []string{"ACTIVE", "DRAFT", "ARCHIVED"}
	for i := 1; i <= variants; i++ {
		ds.ShopifyVariants = append(ds.ShopifyVariants, dataset.ShopifyVariant{
			ID:              extid.ShopifyVariantGID(extid.FormatGID(extid.ResourceVariant, int64(i))),
			ProductID:       extid.ShopifyProductGID(extid.FormatGID(extid.ResourceProduct, int64((i+1)/2))),
			ProductTitle:    fmt.Sprintf("Áo %d", (i+1)/2),
			Title:           fmt.Sprintf("Size %d", i%2),
			SKU:             fmt.Sprintf("SKU-%04d", i),
			Barcode:         fmt.Sprintf("893%09d", i),
			ProductStatus:   statuses[i%3],
			InventoryItemID: extid.ShopifyInventoryItemGID(extid.FormatGID(extid.ResourceInventoryItem, int64(i))),
			Available:       map[extid.ShopifyLocationGID]int64{ds.ShopifyLocations[0].ID: int64(i)},
			UpdatedAt:       baseTime.Add(time.Duration(i) * time.Minute).Unix(),
		})
	}
	return ds
}

// bundle is one test's world: a fake shop behind an HTTP server and a
// client pointed at it, sharing a fake clock unless realClock was asked.
type bundle struct {
	ctx    context.Context
	ds     *dataset.Dataset
	fake   *shopifyfake.Server
	url    string
	clock  clockwork.Clock
	fc     *clockwork.FakeClock // nil with a real clock
	client *shopify.Client
}

type setupOptions struct {
	customers, variants int
	fake                shopifyfake.Options
	config              func(*shopify.Config)
	realClock           bool
	// wrap puts a handler in front of the fake, for replies it never gives.
	wrap func(http.Handler) http.Handler
	// autoAdvance moves the fake clock whenever someone waits on it, so
	// backoff and bucket waits pass at once.
	autoAdvance bool
}

func setup(t testing.TB, o setupOptions) bundle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	b := bundle{ctx: ctx, ds: testDataset(o.customers, o.variants)}
	if o.realClock {
		b.clock = clockwork.NewRealClock()
	} else {
		b.fc = clockwork.NewFakeClockAt(baseTime.Add(24 * time.Hour))
		b.clock = b.fc
	}
	fo := o.fake
	fo.AccessToken = testToken
	fo.Clock = b.clock
	b.fake = shopifyfake.New(b.ds, fo)
	var handler http.Handler = b.fake
	if o.wrap != nil {
		handler = o.wrap(b.fake)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	b.url = srv.URL
	cfg := shopify.Config{
		Shop:           "syncops-test.myshopify.com",
		BaseURL:        srv.URL,
		AccessToken:    testToken,
		HTTPClient:     srv.Client(),
		Clock:          b.clock,
		RequestTimeout: 5 * time.Second,
	}
	if o.config != nil {
		o.config(&cfg)
	}
	client, err := shopify.New(cfg)
	require.NoError(t, err)
	b.client = client
	if o.autoAdvance && b.fc != nil {
		go func() {
			for b.fc.BlockUntilContext(ctx, 1) == nil {
				b.fc.Advance(50 * time.Millisecond)
			}
		}()
	}
	return b
}

func contextWithCancel(b bundle) (context.Context, context.CancelFunc) {
	return context.WithCancel(b.ctx)
}
