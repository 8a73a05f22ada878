package store_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestSchedulesUpsertAndVersion(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		version := func() store.ScheduleVersion {
			v, err := s.SchedulesVersion(ctx, s.Reader())
			require.NoError(t, err)
			return v
		}
		empty := version()
		require.Equal(t, store.ScheduleVersion{}, empty)
		_, err := s.Schedule(ctx, s.Reader(), "CUSTOMER_SYNC")
		require.ErrorIs(t, err, store.ErrNotFound)

		sync := store.Schedule{JobType: "CUSTOMER_SYNC", Cron: "0 */6 * * *", Enabled: true,
			Params: json.RawMessage(`{"force":false}`), UpdatedBy: "lan", UpdatedAt: at(1)}
		pull := store.Schedule{JobType: "PULL_NHANH_CUSTOMERS", Cron: "@hourly", UpdatedBy: "cli", UpdatedAt: at(1)}
		seen := map[store.ScheduleVersion]bool{empty: true}
		steps := []struct {
			name string
			sch  store.Schedule
		}{
			{"create", sync},
			{"create another at the same instant", pull},
			{"disable, same instant", func() store.Schedule { c := sync; c.Enabled = false; return c }()},
			{"rewrite unchanged", func() store.Schedule { c := sync; c.Enabled = false; return c }()},
			{"new cron later, enabled again", func() store.Schedule { c := sync; c.Cron = "*/30 * * * *"; c.UpdatedAt = at(9); return c }()},
		}
		for _, step := range steps {
			require.NoError(t, s.UpsertSchedule(ctx, s.DB(), step.sch), step.name)
			v := version()
			require.False(t, seen[v], "%s: version %+v must be new", step.name, v)
			seen[v] = true
			got, err := s.Schedule(ctx, s.Reader(), step.sch.JobType)
			require.NoError(t, err)
			want := step.sch
			if len(want.Params) == 0 {
				want.Params = json.RawMessage(`{}`)
			}
			require.Equal(t, want, got, step.name)
		}
		require.Equal(t, version(), version(), "reading does not change the version")

		all, err := s.Schedules(ctx, s.Reader())
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, "CUSTOMER_SYNC", all[0].JobType)
		require.Equal(t, "*/30 * * * *", all[0].Cron)
		require.True(t, all[0].Enabled)
	})
}

func TestUpsertScheduleValidates(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		for name, sch := range map[string]store.Schedule{
			"no type":    {Cron: "@hourly", UpdatedAt: at(1)},
			"no cron":    {JobType: "X", UpdatedAt: at(1)},
			"bad params": {JobType: "X", Cron: "@hourly", Params: json.RawMessage(`{`), UpdatedAt: at(1)},
			"no time":    {JobType: "X", Cron: "@hourly"},
		} {
			require.Error(t, s.UpsertSchedule(t.Context(), s.DB(), sch), name)
		}
		all, err := s.Schedules(t.Context(), s.Reader())
		require.NoError(t, err)
		require.Empty(t, all)
	})
}
