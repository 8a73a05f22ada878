package pull_test

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
)

// The helpers here state what the mirror must hold after a complete pull
// of a dataset (every field, not a sample) and read what it holds.

// pullMirror is one mirror table as a pull test sees it: the source's rows
// as the mirror must hold them, and the live rows it holds.
type pullMirror struct {
	want func(ds *dataset.Dataset) any
	got  func(t testing.TB, s *store.Store) any
}

var (
	nhanhCustomerMirror = pullMirror{
		want: func(ds *dataset.Dataset) any { return wantNhanhCustomers(ds.NhanhCustomers) },
		got: func(t testing.TB, s *store.Store) any {
			rows, err := s.ListNhanhCustomers(context.Background(), s.Reader(), store.ListOpts[extid.NhanhCustomerID]{})
			require.NoError(t, err)
			for i := range rows {
				rows[i].PulledAt = time.Time{}
			}
			return rows
		},
	}
	nhanhProductMirror = pullMirror{
		want: func(ds *dataset.Dataset) any { return wantNhanhProducts(ds.NhanhProducts) },
		got: func(t testing.TB, s *store.Store) any {
			rows, err := s.ListNhanhProducts(context.Background(), s.Reader(), store.ListOpts[extid.NhanhProductID]{})
			require.NoError(t, err)
			for i := range rows {
				rows[i].PulledAt = time.Time{}
			}
			return rows
		},
	}
	shopifyCustomerMirror = pullMirror{
		want: func(ds *dataset.Dataset) any { return wantShopifyCustomers(ds.ShopifyCustomers) },
		got: func(t testing.TB, s *store.Store) any {
			rows, err := s.ListShopifyCustomers(context.Background(), s.Reader(), store.ListOpts[extid.ShopifyCustomerGID]{})
			require.NoError(t, err)
			for i := range rows {
				rows[i].PulledAt = time.Time{}
			}
			return rows
		},
	}
	shopifyVariantMirror = pullMirror{
		want: func(ds *dataset.Dataset) any { return wantShopifyVariants(ds.ShopifyVariants, "") },
		got: func(t testing.TB, s *store.Store) any {
			rows, err := s.ListShopifyVariants(context.Background(), s.Reader(), store.ListOpts[extid.ShopifyVariantGID]{})
			require.NoError(t, err)
			for i := range rows {
				rows[i].PulledAt = time.Time{}
			}
			return rows
		},
	}
)

// requireMirror requires the mirror to hold exactly want's live rows.
func requireMirror(t testing.TB, s *store.Store, m pullMirror, want any) {
	t.Helper()
	require.Equal(t, want, m.got(t, s))
}

func wantNhanhCustomers(cs []dataset.NhanhCustomer) []store.NhanhCustomer {
	out := make([]store.NhanhCustomer, 0, len(cs))
	for _, c := range cs {
		out = append(out, jobstest.NhanhCustomerRow(c))
	}
	slices.SortFunc(out, func(a, b store.NhanhCustomer) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// wantNhanhProducts is the listed (not deleted) products.
func wantNhanhProducts(ps []dataset.NhanhProduct) []store.NhanhProduct {
	var out []store.NhanhProduct
	for _, p := range ps {
		if p.Deleted {
			continue
		}
		out = append(out, jobstest.NhanhProductRow(p))
	}
	slices.SortFunc(out, func(a, b store.NhanhProduct) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func wantShopifyCustomers(cs []dataset.ShopifyCustomer) []store.ShopifyCustomer {
	out := make([]store.ShopifyCustomer, 0, len(cs))
	for _, c := range cs {
		out = append(out, jobstest.ShopifyCustomerRow(c))
	}
	slices.SortFunc(out, func(a, b store.ShopifyCustomer) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// wantShopifyVariants is the variants of products in status (all when "").
func wantShopifyVariants(vs []dataset.ShopifyVariant, status string) []store.ShopifyVariant {
	var out []store.ShopifyVariant
	for _, v := range vs {
		if status != "" && v.ProductStatus != status {
			continue
		}
		out = append(out, jobstest.ShopifyVariantRow(v))
	}
	slices.SortFunc(out, func(a, b store.ShopifyVariant) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// rowCount is the length of a want* slice.
func rowCount(rows any) int64 {
	switch r := rows.(type) {
	case []store.NhanhCustomer:
		return int64(len(r))
	case []store.NhanhProduct:
		return int64(len(r))
	case []store.ShopifyCustomer:
		return int64(len(r))
	case []store.ShopifyVariant:
		return int64(len(r))
	}
	panic("rowCount: unknown rows")
}
