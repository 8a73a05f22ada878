package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

// TestConcurrentWritersOfOneRecordKeepItsTerms: two transactions storing
// the same new customer at once (a full and an incremental pull on two
// instances) both succeed, and the customer is found by its name. Before,
// the second failed on the first's search terms (search_terms_pkey).
// Only PostgreSQL has concurrent writers.
func TestConcurrentWritersOfOneRecordKeepItsTerms(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	row := []store.NhanhCustomer{{ID: 7, Name: "Đặng Văn Hùng", Mobile: "0912345678"}}

	first, err := s.DB().BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = s.UpsertNhanhCustomers(ctx, first, row, at(1))
	require.NoError(t, err)
	// The second writer blocks on the first's rows until it commits.
	second := make(chan error, 1)
	go func() {
		second <- s.InTx(ctx, func(tx *sql.Tx) error {
			_, err := s.UpsertNhanhCustomers(ctx, tx, row, at(2))
			return err
		})
	}()
	// The second has read the customer as new (the first has not
	// committed) and waits for the first's row lock.
	require.Eventually(t, func() bool {
		var waiting int
		require.NoError(t, s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%nhanh_customers%'`).Scan(&waiting))
		return waiting > 0
	}, 10*time.Second, time.Millisecond)
	require.NoError(t, first.Commit())
	require.NoError(t, <-second)

	page, err := s.MappingList(ctx, s.Reader(), store.MappingListFilter{Kind: store.MappingKindCustomer,
		Tab: store.TabUnmatched, Search: search("đặng", "hùng")})
	require.NoError(t, err)
	require.Len(t, page.Rows, 1)
	require.Equal(t, "7", page.Rows[0].Nhanh.ID)
}
