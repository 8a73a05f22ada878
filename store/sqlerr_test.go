package store_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestIsUniqueViolationOnEachBackend(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		db := s.DB()
		_, err := db.Exec(`INSERT INTO customer_mappings (nhanh_customer_id, shopify_customer_gid, status, created_at, updated_at)
			VALUES (1, 'gid://shopify/Customer/1', 'PENDING', 0, 0)`)
		require.NoError(t, err)

		tests := []struct {
			name    string
			sql     string
			unique  bool
			columns []string // named by the violation
		}{
			{"unique column", `INSERT INTO customer_mappings (nhanh_customer_id, shopify_customer_gid, status, created_at, updated_at)
				VALUES (2, 'gid://shopify/Customer/1', 'PENDING', 0, 0)`, true, []string{"shopify_customer_gid"}},
			{"other unique column", `INSERT INTO customer_mappings (nhanh_customer_id, status, created_at, updated_at)
				VALUES (1, 'UNMAPPED', 0, 0)`, true, []string{"nhanh_customer_id"}},
			{"primary key", `INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 0), ('k', 'w', 0)`, true, nil},
			{"not null", `INSERT INTO settings (key, updated_at) VALUES ('n', 0)`, false, nil},
			{"syntax", `INSERT INTO nowhere VALUES (1)`, false, nil},
		}
		for _, tt := range tests {
			_, err := db.Exec(tt.sql)
			require.Error(t, err, tt.name)
			require.Equal(t, tt.unique, store.IsUniqueViolation(err), "%s: %v", tt.name, err)
			require.Equal(t, tt.unique, store.IsUniqueViolation(errors.Join(errors.New("context"), err)), "%s wrapped", tt.name)
			for _, col := range tt.columns {
				require.True(t, store.ViolatesColumn(err, col), "%s names %s: %v", tt.name, col, err)
			}
		}
		require.False(t, store.ViolatesColumn(errors.New("UNIQUE constraint failed: customer_mappings.nhanh_customer_id"), "shopify_customer_gid"))
		require.False(t, store.IsUniqueViolation(nil))
	})
}
