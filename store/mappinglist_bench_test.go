package store_test

import (
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/store"
	"syncops/store/storetest"
)

// benchMappings is the size of each side in BenchmarkMappingList (issue
// 12: any page or search of 500,000 mappings per side under 50 ms).
const benchMappings = 500_000

var (
	benchFamily = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"}
	benchMiddle = []string{"Thị", "Văn", "Minh", "Ngọc", "Thu", "Hữu", "Đức", "Thanh"}
	benchGiven  = []string{"Lan", "Hùng", "Mai", "Tuấn", "Hương", "Dũng", "Linh", "Nam", "Trang", "Sơn", "Yến", "Phúc"}
)

// seedWorkbench stores n Nhanh and n Shopify customers (names, phones and
// e-mails of each its own) and maps 90% of them; 1% of the mapped Shopify
// customers are deleted at the source.
func seedWorkbench(b *testing.B, s *store.Store, n int) {
	b.Helper()
	ctx := b.Context()
	const chunk = 5000
	now := time.UnixMilli(1_700_000_000_000)
	for start := 1; start <= n; start += chunk {
		var nc []store.NhanhCustomer
		var sc []store.ShopifyCustomer
		var ms []store.CustomerMapping
		for i := start; i < start+chunk && i <= n; i++ {
			name := benchFamily[i%len(benchFamily)] + " " + benchMiddle[i/7%len(benchMiddle)] + " " + benchGiven[i/3%len(benchGiven)]
			gid := extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, int64(7_000_000_000+i)))
			nc = append(nc, store.NhanhCustomer{ID: extid.NhanhCustomerID(i), Name: name,
				Mobile: fmt.Sprintf("09%08d", i), Email: fmt.Sprintf("khach%d@example.vn", i), TotalAmount: float64(i * 1000)})
			sc = append(sc, store.ShopifyCustomer{ID: gid, LastName: name, Phone: fmt.Sprintf("+849%08d", i),
				Email: fmt.Sprintf("khach%d@example.vn", i)})
			if i%10 != 0 {
				ms = append(ms, store.CustomerMapping{NhanhID: extid.NhanhCustomerID(i), ShopifyID: gid,
					Status: store.MappingSynced, MatchMethod: store.MatchPhone})
			}
		}
		require.NoError(b, s.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := s.UpsertNhanhCustomers(ctx, tx, nc, now); err != nil {
				return err
			}
			if _, err := s.UpsertShopifyCustomers(ctx, tx, sc, now); err != nil {
				return err
			}
			return s.InsertMatchedCustomerMappings(ctx, tx, ms, now)
		}))
	}
	// 1% of the Shopify side is gone.
	_, err := s.DB().ExecContext(ctx, "UPDATE shopify_customers SET deleted_at = 1 WHERE gid LIKE '%01'")
	require.NoError(b, err)
	_, err = s.DB().ExecContext(ctx, "ANALYZE")
	require.NoError(b, err)
}

// BenchmarkMappingList answers pages and searches of the customer mapping
// list over benchMappings records per side. Run with -benchtime=20x; the
// seed takes most of the time.
func BenchmarkMappingList(b *testing.B) {
	for _, d := range storetest.Backends(b) {
		b.Run(string(d), func(b *testing.B) {
			s := storetest.Open(b, d)
			start := time.Now()
			seedWorkbench(b, s, benchMappings)
			b.Logf("seeded %d per side in %s", benchMappings, time.Since(start).Round(time.Millisecond))
			k := store.MappingKindCustomer
			words := func(ws ...string) store.SearchQuery {
				var q store.SearchQuery
				for _, w := range ws {
					q.Words = append(q.Words, []string{w})
				}
				return q
			}
			cases := []struct {
				name string
				f    store.MappingListFilter
			}{
				{"first-page", store.MappingListFilter{}},
				{"deep-page", store.MappingListFilter{After: strconv.Itoa(benchMappings * 8 / 10)}},
				{"synced", store.MappingListFilter{Tab: store.TabSynced}},
				{"manual-none", store.MappingListFilter{Tab: store.TabManual}},
				{"orphaned", store.MappingListFilter{Tab: store.TabOrphaned}},
				{"unmatched", store.MappingListFilter{Tab: store.TabUnmatched}},
				{"unmatched-shopify", store.MappingListFilter{Tab: store.TabUnmatchedShopify}},
				{"search-phone", store.MappingListFilter{Search: words("0900123457")}},
				{"search-email", store.MappingListFilter{Search: words("khach424242@")}},
				{"search-id", store.MappingListFilter{Search: words("333333")}},
				{"search-common-name", store.MappingListFilter{Search: words("nguyễn")}},
				{"search-full-name", store.MappingListFilter{Search: words("đặng", "ngọc", "nam")}},
				{"search-nothing", store.MappingListFilter{Search: words("zzzz")}},
				{"search-unmatched-name", store.MappingListFilter{Tab: store.TabUnmatched, Search: words("lê", "minh")}},
			}
			for _, c := range cases {
				c.f.Kind = k
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						page, err := s.MappingList(b.Context(), s.Reader(), c.f)
						require.NoError(b, err)
						if c.name != "search-nothing" && c.name != "manual-none" {
							require.NotEmpty(b, page.Rows)
						}
					}
				})
			}
			b.Run("counts", func(b *testing.B) {
				for b.Loop() {
					_, err := s.MappingCounts(b.Context(), s.Reader(), k)
					require.NoError(b, err)
				}
			})
		})
	}
}
