package store_test

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/store"
	"syncops/store/storetest"
)

// t0 is the tests' fixed "now"; later instants are t0 plus a few seconds.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// inTx runs fn in a write transaction and fails the test on error.
func inTx(t *testing.T, s *store.Store, fn func(tx *sql.Tx) error) {
	t.Helper()
	require.NoError(t, s.InTx(t.Context(), fn))
}

func nhanhCustomer(id int) store.NhanhCustomer {
	return store.NhanhCustomer{
		ID: extid.NhanhCustomerID(id), Type: 1, Name: fmt.Sprintf("Nguyễn Văn %d", id),
		Mobile: fmt.Sprintf("09%08d", id), Email: fmt.Sprintf("c%d@example.vn", id),
		Address: "12 Lê Lợi", City: "Hà Nội", TotalAmount: float64(id) * 1000.5,
		LastBoughtDate: "2026-01-02", RemoteUpdatedAt: 1_700_000_000 + int64(id),
	}
}

func nhanhCustomers(from, to int) []store.NhanhCustomer {
	var out []store.NhanhCustomer
	for id := from; id <= to; id++ {
		out = append(out, nhanhCustomer(id))
	}
	return out
}

func upsertNhanh(t *testing.T, s *store.Store, rows []store.NhanhCustomer, now time.Time) store.UpsertCounts {
	t.Helper()
	var counts store.UpsertCounts
	inTx(t, s, func(tx *sql.Tx) error {
		var err error
		counts, err = s.UpsertNhanhCustomers(t.Context(), tx, rows, now)
		return err
	})
	return counts
}

func TestUpsertNhanhCustomersDetectsEveryFieldChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *store.NhanhCustomer)
		want   store.UpsertCounts
	}{
		{"nothing", func(*store.NhanhCustomer) {}, store.UpsertCounts{Unchanged: 1}},
		{"type", func(c *store.NhanhCustomer) { c.Type = 2 }, store.UpsertCounts{Updated: 1}},
		{"name", func(c *store.NhanhCustomer) { c.Name = "Trần Thị B" }, store.UpsertCounts{Updated: 1}},
		{"mobile", func(c *store.NhanhCustomer) { c.Mobile = "+84912345678" }, store.UpsertCounts{Updated: 1}},
		{"email", func(c *store.NhanhCustomer) { c.Email = "" }, store.UpsertCounts{Updated: 1}},
		{"address", func(c *store.NhanhCustomer) { c.Address = "1 Hàng Bài" }, store.UpsertCounts{Updated: 1}},
		{"city", func(c *store.NhanhCustomer) { c.City = "Huế" }, store.UpsertCounts{Updated: 1}},
		{"total amount", func(c *store.NhanhCustomer) { c.TotalAmount += 0.25 }, store.UpsertCounts{Updated: 1}},
		{"last bought", func(c *store.NhanhCustomer) { c.LastBoughtDate = "2026-02-03" }, store.UpsertCounts{Updated: 1}},
		{"remote updated", func(c *store.NhanhCustomer) { c.RemoteUpdatedAt++ }, store.UpsertCounts{Updated: 1}},
		{"ignored local fields", func(c *store.NhanhCustomer) { c.PulledAt, c.DeletedAt = at(99), at(99) }, store.UpsertCounts{Unchanged: 1}},
	}
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := nhanhCustomer(100 + i)
				require.Equal(t, store.UpsertCounts{Created: 1}, upsertNhanh(t, s, []store.NhanhCustomer{c}, at(1)))
				tt.change(&c)
				require.Equal(t, tt.want, upsertNhanh(t, s, []store.NhanhCustomer{c}, at(2)))

				got, err := s.NhanhCustomer(t.Context(), s.Reader(), c.ID)
				require.NoError(t, err)
				c.PulledAt, c.DeletedAt = at(2), time.Time{}
				require.Equal(t, c, got, "stored row is the last one given, pulled at the second upsert")
			})
		}
	})
}

func TestUpsertNhanhCustomersCountsMarksDeletedAndRevives(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		require.Equal(t, store.UpsertCounts{Created: 3}, upsertNhanh(t, s, nhanhCustomers(1, 3), at(1)))

		// Second full pull: 1 unchanged, 2 changed, 3 gone, 4 new (given twice: the last wins).
		second := nhanhCustomers(1, 2)
		second[1].Name = "renamed"
		dup := nhanhCustomer(4)
		dup.Name = "first copy"
		second = append(second, dup, nhanhCustomer(4))
		require.Equal(t, store.UpsertCounts{Created: 1, Updated: 1, Unchanged: 1}, upsertNhanh(t, s, second, at(10)))

		var marked int64
		inTx(t, s, func(tx *sql.Tx) error {
			var err error
			marked, err = s.MarkNhanhCustomersDeleted(ctx, tx, at(10), at(20))
			return err
		})
		require.EqualValues(t, 1, marked, "only customer 3 was not seen by the pull that started at 10s")
		gone, err := s.NhanhCustomer(ctx, s.Reader(), 3)
		require.NoError(t, err)
		require.Equal(t, at(20), gone.DeletedAt)
		four, err := s.NhanhCustomer(ctx, s.Reader(), 4)
		require.NoError(t, err)
		require.Equal(t, nhanhCustomer(4).Name, four.Name)
		n, err := s.CountNhanhCustomers(ctx, s.Reader())
		require.NoError(t, err)
		require.EqualValues(t, 3, n)

		// Customer 3 reappears unchanged: it comes back to life and counts as updated.
		require.Equal(t, store.UpsertCounts{Updated: 1}, upsertNhanh(t, s, nhanhCustomers(3, 3), at(30)))
		back, err := s.NhanhCustomer(ctx, s.Reader(), 3)
		require.NoError(t, err)
		require.True(t, back.DeletedAt.IsZero())
		require.Equal(t, at(30), back.PulledAt)

		// Marking again finds nothing new to mark: 1, 2 and 4 were pulled after 5s.
		inTx(t, s, func(tx *sql.Tx) error {
			marked, err = s.MarkNhanhCustomersDeleted(ctx, tx, at(5), at(40))
			return err
		})
		require.Zero(t, marked)
	})
}

func TestUpsertNhanhCustomersLargeBatchChunks(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		const total = 1234 // more than one IN list and many INSERT statements
		rows := nhanhCustomers(1, total)
		require.Equal(t, store.UpsertCounts{Created: total}, upsertNhanh(t, s, rows, at(1)))
		changed := 0
		for i := range rows {
			if i%7 == 0 {
				rows[i].TotalAmount += 1000
				changed++
			}
		}
		rows = append(rows, nhanhCustomers(total+1, total+10)...)
		require.Equal(t, store.UpsertCounts{Created: 10, Updated: changed, Unchanged: total - changed},
			upsertNhanh(t, s, rows, at(2)))
		n, err := s.CountNhanhCustomers(t.Context(), s.Reader())
		require.NoError(t, err)
		require.EqualValues(t, total+10, n)
	})
}

func TestListAndEachNhanhCustomers(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		upsertNhanh(t, s, nhanhCustomers(1, 5), at(1))
		upsertNhanh(t, s, append(nhanhCustomers(1, 2), nhanhCustomers(4, 5)...), at(2))
		inTx(t, s, func(tx *sql.Tx) error {
			_, err := s.MarkNhanhCustomersDeleted(ctx, tx, at(2), at(3))
			return err
		})
		ids := func(cs []store.NhanhCustomer) []extid.NhanhCustomerID {
			var out []extid.NhanhCustomerID
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return out
		}
		tests := []struct {
			name string
			opts store.ListOpts[extid.NhanhCustomerID]
			want []extid.NhanhCustomerID
		}{
			{"all live", store.ListOpts[extid.NhanhCustomerID]{}, []extid.NhanhCustomerID{1, 2, 4, 5}},
			{"first page", store.ListOpts[extid.NhanhCustomerID]{Limit: 2}, []extid.NhanhCustomerID{1, 2}},
			{"next page", store.ListOpts[extid.NhanhCustomerID]{AfterID: 2, Limit: 2}, []extid.NhanhCustomerID{4, 5}},
			{"with deleted", store.ListOpts[extid.NhanhCustomerID]{AfterID: 1, IncludeDeleted: true}, []extid.NhanhCustomerID{2, 3, 4, 5}},
			{"past the end", store.ListOpts[extid.NhanhCustomerID]{AfterID: 5}, nil},
		}
		for _, tt := range tests {
			got, err := s.ListNhanhCustomers(ctx, s.Reader(), tt.opts)
			require.NoError(t, err, tt.name)
			require.Equal(t, tt.want, ids(got), tt.name)
		}

		var seen []extid.NhanhCustomerID
		require.NoError(t, s.EachNhanhCustomer(ctx, s.Reader(), func(c store.NhanhCustomer) error {
			seen = append(seen, c.ID)
			return nil
		}))
		require.Equal(t, []extid.NhanhCustomerID{1, 2, 4, 5}, seen)

		stop := errors.New("stop")
		calls := 0
		err := s.EachNhanhCustomer(ctx, s.Reader(), func(store.NhanhCustomer) error {
			calls++
			return stop
		})
		require.ErrorIs(t, err, stop)
		require.Equal(t, 1, calls)

		_, err = s.NhanhCustomer(ctx, s.Reader(), 999)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func shopifyCustomer(n int) store.ShopifyCustomer {
	return store.ShopifyCustomer{
		ID:        extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, int64(1000+n))),
		FirstName: "Lan", LastName: fmt.Sprintf("Phạm %d", n), Email: fmt.Sprintf("s%d@example.com", n),
		Phone: fmt.Sprintf("+8491%07d", n), DefaultAddressPhone: fmt.Sprintf("091%07d", n),
		Note: "gọi trước khi giao", NumberOfOrders: int64(n), AmountSpent: "1250000.00", RemoteUpdatedAt: 1_700_000_500,
	}
}

func TestShopifyCustomersMirror(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		upsert := func(rows []store.ShopifyCustomer, now time.Time) store.UpsertCounts {
			var counts store.UpsertCounts
			inTx(t, s, func(tx *sql.Tx) error {
				var err error
				counts, err = s.UpsertShopifyCustomers(ctx, tx, rows, now)
				return err
			})
			return counts
		}
		rows := []store.ShopifyCustomer{shopifyCustomer(1), shopifyCustomer(2), shopifyCustomer(3)}
		require.Equal(t, store.UpsertCounts{Created: 3}, upsert(rows, at(1)))
		rows[0].Note = "khách quen 0912 345 678"
		require.Equal(t, store.UpsertCounts{Updated: 1, Unchanged: 1}, upsert(rows[:2], at(2)))

		var marked int64
		inTx(t, s, func(tx *sql.Tx) error {
			var err error
			marked, err = s.MarkShopifyCustomersDeleted(ctx, tx, at(2), at(3))
			return err
		})
		require.EqualValues(t, 1, marked)

		got, err := s.ShopifyCustomer(ctx, s.Reader(), rows[0].ID)
		require.NoError(t, err)
		want := rows[0]
		want.PulledAt = at(2)
		require.Equal(t, want, got)

		page, err := s.ListShopifyCustomers(ctx, s.Reader(), store.ListOpts[extid.ShopifyCustomerGID]{Limit: 1})
		require.NoError(t, err)
		require.Len(t, page, 1)
		rest, err := s.ListShopifyCustomers(ctx, s.Reader(), store.ListOpts[extid.ShopifyCustomerGID]{AfterID: page[0].ID})
		require.NoError(t, err)
		require.Len(t, rest, 1, "customer 3 is deleted")
		require.ElementsMatch(t, []extid.ShopifyCustomerGID{rows[0].ID, rows[1].ID}, []extid.ShopifyCustomerGID{page[0].ID, rest[0].ID})

		n, err := s.CountShopifyCustomers(ctx, s.Reader())
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		var walked int
		require.NoError(t, s.EachShopifyCustomer(ctx, s.Reader(), func(store.ShopifyCustomer) error { walked++; return nil }))
		require.Equal(t, 2, walked)

		require.Equal(t, store.UpsertCounts{Updated: 1}, upsert(rows[2:], at(4)), "a deleted customer comes back")
		_, err = s.ShopifyCustomer(ctx, s.Reader(), "gid://shopify/Customer/1")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestSyncReadsOfCustomerMirrors(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		newest, err := s.NewestNhanhCustomerUpdate(ctx, s.Reader())
		require.NoError(t, err)
		require.Zero(t, newest, "an empty mirror")

		// Nhanh customers 1..3, then 3 marked deleted by a pass without it.
		upsertNhanh(t, s, nhanhCustomers(1, 3), at(1))
		upsertNhanh(t, s, nhanhCustomers(1, 2), at(5))
		shopify := []store.ShopifyCustomer{shopifyCustomer(1), shopifyCustomer(2)}
		inTx(t, s, func(tx *sql.Tx) error {
			if _, err := s.MarkNhanhCustomersDeleted(ctx, tx, at(5), at(5)); err != nil {
				return err
			}
			if _, err := s.UpsertShopifyCustomers(ctx, tx, shopify, at(1)); err != nil {
				return err
			}
			if _, err := s.UpsertShopifyCustomers(ctx, tx, shopify[:1], at(5)); err != nil {
				return err
			}
			_, err := s.MarkShopifyCustomersDeleted(ctx, tx, at(5), at(5))
			return err
		})

		spends, err := s.NhanhCustomerSpends(ctx, s.Reader(), []extid.NhanhCustomerID{1, 3, 99})
		require.NoError(t, err)
		require.Equal(t, map[extid.NhanhCustomerID]store.NhanhCustomerSpend{
			1: {Name: "Nguyễn Văn 1", TotalAmount: 1000.5},
			3: {Name: "Nguyễn Văn 3", TotalAmount: 3001.5, Deleted: true},
		}, spends, "an id the mirror lacks is absent")
		spends, err = s.NhanhCustomerSpends(ctx, s.Reader(), nil)
		require.NoError(t, err)
		require.Empty(t, spends)

		gone, err := s.DeletedShopifyCustomers(ctx, s.Reader(), []extid.ShopifyCustomerGID{shopify[0].ID, shopify[1].ID, "gid://shopify/Customer/9"})
		require.NoError(t, err)
		require.Equal(t, map[extid.ShopifyCustomerGID]bool{shopify[1].ID: true}, gone)

		newest, err = s.NewestNhanhCustomerUpdate(ctx, s.Reader())
		require.NoError(t, err)
		require.Equal(t, nhanhCustomer(3).RemoteUpdatedAt, newest, "deleted rows count")
	})
}

func TestNhanhCustomerSpendsManyIDs(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		// More ids than one IN list holds.
		upsertNhanh(t, s, nhanhCustomers(1, 1200), at(1))
		ids := make([]extid.NhanhCustomerID, 0, 1300)
		for id := 1; id <= 1300; id++ {
			ids = append(ids, extid.NhanhCustomerID(id))
		}
		spends, err := s.NhanhCustomerSpends(t.Context(), s.Reader(), ids)
		require.NoError(t, err)
		require.Len(t, spends, 1200)
		require.Equal(t, 1200*1000.5, spends[1200].TotalAmount)
	})
}
