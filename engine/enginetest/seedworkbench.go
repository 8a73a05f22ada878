package enginetest

import (
	"context"
	"testing"
	"time"

	"syncops/clients/extid"
	"syncops/store"
)

// Workbench customers that SeedWorkbench stores, by what a test does with
// them.
const (
	WorkbenchSynced    int64 = 1001 // mapped by phone, SYNCED with its spend written
	WorkbenchFailed    int64 = 1002 // mapped, FAILED with an error
	WorkbenchOrphan    int64 = 1003 // mapped to a Shopify customer deleted since
	WorkbenchAmbiguous int64 = 1004 // unmatched: its phone is on two Shopify customers
	WorkbenchNoPhone   int64 = 1005 // unmatched: no phone
	WorkbenchPending   int64 = 1006 // mapped by e-mail, not yet synced
)

// WorkbenchCandidates are the two free Shopify customers WorkbenchAmbiguous
// could be mapped to.
var WorkbenchCandidates = []string{"gid://shopify/Customer/8004", "gid://shopify/Customer/8005"}

// SeedWorkbench stores a small fixed workbench in the mirrors as seen at
// at: six Nhanh and six Shopify customers with Vietnamese names, four
// mappings in every state (one synced by job 1, one failed by job 1, one
// orphaned, one pending) and two customers left unmatched by job 2 with
// their reasons. The ids are the Workbench* constants.
func (d *DB) SeedWorkbench(t testing.TB, at time.Time) {
	t.Helper()
	ctx, s := context.Background(), d.s
	must := func(what string, err error) {
		if err != nil {
			t.Fatalf("seed workbench: %s: %v", what, err)
		}
	}
	_, err := s.UpsertNhanhCustomers(ctx, s.DB(), []store.NhanhCustomer{
		{ID: 1001, Name: "Nguyễn Thị Lan", Mobile: "0912 345 678", Email: "lan.nguyen@example.vn", TotalAmount: 1_500_000},
		{ID: 1002, Name: "Trần Văn Bình", Mobile: "0903.111.222", TotalAmount: 820_000},
		{ID: 1003, Name: "Lê Hoàng Minh", Mobile: "0988 777 666", TotalAmount: 45_000},
		{ID: 1004, Name: "Phạm Thu Hà", Mobile: "+84 977 000 111", TotalAmount: 2_350_000},
		{ID: 1005, Name: "Đặng Quốc Việt", TotalAmount: 0},
		{ID: 1006, Name: "Võ Ngọc Anh", Email: "anh.vo@example.vn", TotalAmount: 310_000},
	}, at.Add(-3*time.Hour))
	must("Nhanh customers", err)
	shopify := []store.ShopifyCustomer{
		{ID: "gid://shopify/Customer/8001", LastName: "Nguyễn Thị", FirstName: "Lan", Phone: "+84912345678", Email: "lan.nguyen@example.vn"},
		{ID: "gid://shopify/Customer/8002", LastName: "Trần Văn", FirstName: "Bình", Phone: "+84903111222"},
		{ID: "gid://shopify/Customer/8003", LastName: "Lê", FirstName: "Minh", Phone: "+84988777666"},
		{ID: "gid://shopify/Customer/8004", LastName: "Phạm", FirstName: "Hà", Phone: "+84977000111"},
		{ID: "gid://shopify/Customer/8005", LastName: "Phạm Thu", FirstName: "Hà", Phone: "0977000111", Email: "ha.pham@example.vn"},
		{ID: "gid://shopify/Customer/8006", LastName: "Võ", FirstName: "Ngọc Anh", Email: "anh.vo@example.vn"},
	}
	_, err = s.UpsertShopifyCustomers(ctx, s.DB(), shopify, at.Add(-3*time.Hour))
	must("Shopify customers", err)
	must("mappings", s.CreateCustomerMappings(ctx, s.DB(), []store.CustomerMapping{
		{NhanhID: 1001, ShopifyID: "gid://shopify/Customer/8001", MatchMethod: store.MatchPhone},
		{NhanhID: 1002, ShopifyID: "gid://shopify/Customer/8002", MatchMethod: store.MatchPhone},
		{NhanhID: 1003, ShopifyID: "gid://shopify/Customer/8003", MatchMethod: store.MatchPhone},
		{NhanhID: 1006, ShopifyID: "gid://shopify/Customer/8006", MatchMethod: store.MatchEmail},
	}, at.Add(-3*time.Hour)))
	// Customer 8003 is deleted at Shopify: the next pull does not see it.
	var seen []store.ShopifyCustomer
	for _, c := range shopify {
		if c.ID != "gid://shopify/Customer/8003" {
			seen = append(seen, c)
		}
	}
	_, err = s.UpsertShopifyCustomers(ctx, s.DB(), seen, at.Add(-2*time.Hour))
	must("Shopify pull", err)
	_, err = s.MarkShopifyCustomersDeleted(ctx, s.DB(), at.Add(-2*time.Hour), at.Add(-2*time.Hour))
	must("deletion", err)
	ms, err := s.CustomerMappings(ctx, s.Reader(), store.MappingFilter{})
	must("read mappings", err)
	ids := map[extid.NhanhCustomerID]int64{}
	for _, m := range ms {
		ids[m.NhanhID] = m.ID
	}
	must("sync", s.RecordCustomerSync(ctx, s.DB(), ids[1001], 1_500_000, 0, at.Add(-time.Hour), 1))
	must("failure", s.RecordCustomerSyncFailure(ctx, s.DB(), ids[1002], "metafieldsSet: customer not found (userErrors: NOT_FOUND)",
		at.Add(-time.Hour), 1))
	must("reasons", s.SaveMatchReasons(ctx, s.DB(), store.MappingKindCustomer, []store.MatchReason{
		{NhanhID: 1004, Code: "ambiguous", Message: "its phone 0977000111 is on 2 Shopify customers",
			Candidates: WorkbenchCandidates, JobID: 2, At: at.Add(-30 * time.Minute)},
		{NhanhID: 1005, Code: "no-phone", Message: "it has neither a phone nor an e-mail", JobID: 2, At: at.Add(-30 * time.Minute)},
	}))
}

// SeedPreviewDiff stores the diff of preview job id: six customers, one of
// each kind of line (up, down, to zero, unchanged, skipped, failed).
func (d *DB) SeedPreviewDiff(t testing.TB, id int64) {
	t.Helper()
	v := func(n int64) *int64 { return &n }
	rows := []store.DiffRow{
		{MappingID: 1, Name: "Nguyễn Thị Lan", NhanhID: "1001", ShopifyID: "gid://shopify/Customer/8001", Action: store.DiffWrite,
			Old: v(1_200_000), OldSource: "mirror", New: v(1_500_000)},
		{MappingID: 2, Name: "Trần Văn Bình", NhanhID: "1002", ShopifyID: "gid://shopify/Customer/8002", Action: store.DiffWrite,
			Old: v(900_000), OldSource: "mirror", New: v(820_000)},
		{MappingID: 3, Name: "Lê Hoàng Minh", NhanhID: "1003", ShopifyID: "gid://shopify/Customer/8003", Action: store.DiffWrite,
			Old: v(45_000), OldSource: "mirror", New: v(0)},
		{MappingID: 4, Name: "Phạm Thu Hà", NhanhID: "1004", ShopifyID: "gid://shopify/Customer/8004", Action: store.DiffUnchanged,
			Old: v(2_350_000), OldSource: "mirror", New: v(2_350_000)},
		{MappingID: 5, Name: "Đặng Quốc Việt", NhanhID: "1005", ShopifyID: "gid://shopify/Customer/8005", Action: store.DiffSkipped,
			Reason: "deferred by limit"},
		{MappingID: 6, Name: "Võ Ngọc Anh", NhanhID: "1006", ShopifyID: "gid://shopify/Customer/8006", Action: store.DiffFailed,
			Reason: "spend unknown: Nhanh sent no totalAmount"},
	}
	for i := range rows {
		rows[i].JobID = id
	}
	if err := d.s.UpsertSyncDiffs(context.Background(), d.s.DB(), rows); err != nil {
		t.Fatalf("seed preview diff: %v", err)
	}
}
