package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestSettings(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		_, ok, err := s.Setting(ctx, s.Reader(), "timezone")
		require.NoError(t, err)
		require.False(t, ok)
		for _, v := range []string{"Asia/Ho_Chi_Minh", "UTC", ""} {
			require.NoError(t, s.SetSetting(ctx, s.DB(), "timezone", v, at(1)))
			got, ok, err := s.Setting(ctx, s.Reader(), "timezone")
			require.NoError(t, err)
			require.True(t, ok, "an empty value is still set")
			require.Equal(t, v, got)
		}
		require.Error(t, s.SetSetting(ctx, s.DB(), "", "x", at(1)))
	})
}
