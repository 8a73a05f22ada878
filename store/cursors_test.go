package store_test

import (
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestPullCursorSaveLoadReset(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		_, err := s.PullCursor(ctx, s.DB(), "nhanh_customers")
		require.ErrorIs(t, err, store.ErrNotFound)

		steps := []store.PullCursor{
			{Stream: "nhanh_customers", State: store.PullRunning, JobID: 4, StartedAt: at(1), UpdatedAt: at(1)},
			{Stream: "nhanh_customers", Cursor: json.RawMessage(`{"id":142401158}`), State: store.PullRunning,
				TotalPulled: 100, JobID: 4, StartedAt: at(1), UpdatedAt: at(2)},
			{Stream: "nhanh_customers", Cursor: json.RawMessage(`{"id":142401258}`), State: store.PullPaused,
				TotalPulled: 200, JobID: 5, StartedAt: at(1), UpdatedAt: at(3)},
			{Stream: "nhanh_customers", State: store.PullDone, TotalPulled: 250, JobID: 5, StartedAt: at(1),
				UpdatedAt: at(4), CompletedAt: at(4)},
		}
		for _, c := range steps {
			inTx(t, s, func(tx *sql.Tx) error {
				if err := s.SavePullCursor(ctx, tx, c); err != nil {
					return err
				}
				got, err := s.PullCursor(ctx, tx, c.Stream)
				require.NoError(t, err)
				require.Equal(t, c, got, "visible inside the transaction")
				return nil
			})
		}
		inTx(t, s, func(tx *sql.Tx) error {
			return s.SavePullCursor(ctx, tx, store.PullCursor{Stream: "shopify_customers", Cursor: json.RawMessage(`"eyJsYXN0X2lkIjo0fQ=="`),
				State: store.PullRunning, UpdatedAt: at(5)})
		})
		all, err := s.ListPullCursors(ctx, s.Reader())
		require.NoError(t, err)
		require.Equal(t, []store.PullCursor{steps[3], {Stream: "shopify_customers",
			Cursor: json.RawMessage(`"eyJsYXN0X2lkIjo0fQ=="`), State: store.PullRunning, UpdatedAt: at(5)}}, all)

		require.NoError(t, s.ResetPullCursor(ctx, s.DB(), "nhanh_customers"))
		require.NoError(t, s.ResetPullCursor(ctx, s.DB(), "nhanh_customers"), "resetting twice is fine")
		_, err = s.PullCursor(ctx, s.DB(), "nhanh_customers")
		require.ErrorIs(t, err, store.ErrNotFound)
		all, err = s.ListPullCursors(ctx, s.Reader())
		require.NoError(t, err)
		require.Len(t, all, 1)
	})
}

func TestSavePullCursorValidates(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		for name, c := range map[string]store.PullCursor{
			"no stream":  {State: store.PullRunning, UpdatedAt: at(1)},
			"bad state":  {Stream: "x", State: "stuck", UpdatedAt: at(1)},
			"no time":    {Stream: "x", State: store.PullRunning},
			"bad cursor": {Stream: "x", State: store.PullRunning, UpdatedAt: at(1), Cursor: json.RawMessage(`{id:`)},
		} {
			require.Error(t, s.SavePullCursor(t.Context(), s.DB(), c), name)
		}
		all, err := s.ListPullCursors(t.Context(), s.Reader())
		require.NoError(t, err)
		require.Empty(t, all)
	})
}

func TestWatermarks(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		_, ok, err := s.Watermark(ctx, s.DB(), "nhanh_customers.updated_at")
		require.NoError(t, err)
		require.False(t, ok)
		for _, v := range []int64{1_700_000_000, 1_700_000_500, 0} {
			inTx(t, s, func(tx *sql.Tx) error {
				return s.SetWatermark(ctx, tx, "nhanh_customers.updated_at", v, at(1))
			})
			got, ok, err := s.Watermark(ctx, s.DB(), "nhanh_customers.updated_at")
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, v, got)
		}
		_, ok, err = s.Watermark(ctx, s.DB(), "shopify_customers.updated_at")
		require.NoError(t, err)
		require.False(t, ok, "marks are per name")
		require.Error(t, s.SetWatermark(ctx, s.DB(), "", 1, at(1)))
	})
}
