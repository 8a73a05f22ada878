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

func TestPullStreamClaimQueries(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		running := store.PullCursor{Stream: "nhanh_products", Cursor: json.RawMessage(`{"page":3}`), State: store.PullRunning,
			TotalPulled: 300, JobID: 7, StartedAt: at(1), UpdatedAt: at(2)}
		inTx(t, s, func(tx *sql.Tx) error {
			_, err := s.LockPullCursor(ctx, tx, running.Stream)
			require.ErrorIs(t, err, store.ErrNotFound, "no cursor yet")
			_, ok, err := s.PullStreamOwner(ctx, tx, running.Stream)
			require.NoError(t, err)
			require.False(t, ok, "no row, no owner")
			if err := s.SavePullCursor(ctx, tx, running); err != nil {
				return err
			}
			return s.SavePullCursor(ctx, tx, store.PullCursor{Stream: "shopify_variants", State: store.PullRunning, UpdatedAt: at(2)})
		})
		inTx(t, s, func(tx *sql.Tx) error {
			got, err := s.LockPullCursor(ctx, tx, running.Stream)
			require.NoError(t, err)
			require.Equal(t, running, got)
			owner, ok, err := s.PullStreamOwner(ctx, tx, running.Stream)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, int64(7), owner)
			owner, ok, err = s.PullStreamOwner(ctx, tx, "shopify_variants")
			require.NoError(t, err)
			require.True(t, ok)
			require.Zero(t, owner, "a row that names no job")
			return nil
		})

		tests := []struct {
			name      string
			jobID     int64
			wantState store.PullState
		}{
			{"another job cannot pause it", 8, store.PullRunning},
			{"its owner pauses it", 7, store.PullPaused},
		}
		for i, tt := range tests {
			inTx(t, s, func(tx *sql.Tx) error { return s.PausePullStream(ctx, tx, running.Stream, tt.jobID, at(10+i)) })
			got, err := s.PullCursor(ctx, s.Reader(), running.Stream)
			require.NoError(t, err, tt.name)
			require.Equal(t, tt.wantState, got.State, tt.name)
		}
		got, err := s.PullCursor(ctx, s.Reader(), running.Stream)
		require.NoError(t, err)
		require.Equal(t, at(11), got.UpdatedAt)
		inTx(t, s, func(tx *sql.Tx) error { return s.PausePullStream(ctx, tx, running.Stream, 7, at(20)) })
		again, err := s.PullCursor(ctx, s.Reader(), running.Stream)
		require.NoError(t, err)
		require.Equal(t, got, again, "a paused stream is not paused again")
	})
}

// TestLockPullCursorMakesClaimsTakeTurns holds a stream's lock in one
// transaction and shows a second claim waits for it (PostgreSQL's row lock;
// on SQLite the single writer does the same).
func TestLockPullCursorMakesClaimsTakeTurns(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		inTx(t, s, func(tx *sql.Tx) error {
			return s.SavePullCursor(ctx, tx, store.PullCursor{Stream: "nhanh_customers", State: store.PullRunning, JobID: 1, UpdatedAt: at(1)})
		})
		if s.Dialect() == store.SQLite {
			t.Skip("SQLite has a single writer connection: a second write transaction cannot begin to contend")
		}
		first, err := s.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		defer func() { _ = first.Rollback() }()
		_, err = s.LockPullCursor(ctx, first, "nhanh_customers")
		require.NoError(t, err)

		second, err := s.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		defer func() { _ = second.Rollback() }()
		_, err = second.ExecContext(ctx, "SET LOCAL lock_timeout = '200ms'")
		require.NoError(t, err)
		_, err = s.LockPullCursor(ctx, second, "nhanh_customers")
		require.ErrorContains(t, err, "lock timeout", "the row is locked by the first claim")
		require.NoError(t, first.Commit())
	})
}
