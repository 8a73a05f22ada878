package storetest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/store/storetest"
)

// A SYNCOPS_TEST_POSTGRES that is not a PostgreSQL URL once made the tests
// open a SQLite file of that name in the package directory; it must be
// refused instead, without echoing the value (it may hold a password).
func TestCheckPostgresDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn string
		ok  bool
	}{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", true},
		{"postgresql://u:secret@db/test", true},
		{"1", false},
		{"true", false},
		{"test.db", false},
		{"file:test.db", false},
		{"host=127.0.0.1 user=postgres password=secret", false},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			t.Parallel()
			err := storetest.CheckPostgresDSN(tt.dsn)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "SYNCOPS_TEST_POSTGRES must be a postgres://")
			require.NotContains(t, err.Error(), "secret")
		})
	}
}
