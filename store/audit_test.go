package store_test

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
	"syncops/store/storetest"
)

func TestAuditLogOrderAndPaging(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		const total = 7
		for i := range total {
			e := store.AuditEntry{At: at(10 - i), Actor: fmt.Sprintf("op%d", i), ActorKind: store.ActorSSH,
				Action: "job.start", JobID: int64(i), Detail: "PULL_NHANH_CUSTOMERS"}
			inTx(t, s, func(tx *sql.Tx) error { return s.AddAudit(ctx, tx, e) })
		}
		// Pages of 3 from the newest: op6 op5 op4 | op3 op2 op1 | op0, whatever the clocks said.
		var pages [][]string
		var before int64
		for {
			page, err := s.AuditLog(ctx, s.Reader(), store.AuditFilter{Limit: 3, BeforeID: before})
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			var actors []string
			for _, e := range page {
				actors = append(actors, e.Actor)
			}
			pages = append(pages, actors)
			before = page[len(page)-1].ID
		}
		require.Equal(t, [][]string{{"op6", "op5", "op4"}, {"op3", "op2", "op1"}, {"op0"}}, pages)

		all, err := s.AuditLog(ctx, s.Reader(), store.AuditFilter{})
		require.NoError(t, err)
		require.Len(t, all, total, "the default limit is larger than the log")
		require.Equal(t, store.AuditEntry{ID: all[6].ID, At: at(10), Actor: "op0", ActorKind: store.ActorSSH,
			Action: "job.start", Detail: "PULL_NHANH_CUSTOMERS"}, all[6], "job 0 reads back as none")
		require.EqualValues(t, 6, all[0].JobID)
	})
}

func TestAddAuditValidates(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ok := store.AuditEntry{At: at(1), Actor: "lan", ActorKind: store.ActorLocal, Action: "schedule.set"}
		for name, change := range map[string]func(e *store.AuditEntry){
			"no time":   func(e *store.AuditEntry) { e.At = time.Time{} },
			"no actor":  func(e *store.AuditEntry) { e.Actor = "" },
			"bad kind":  func(e *store.AuditEntry) { e.ActorKind = "web" },
			"no action": func(e *store.AuditEntry) { e.Action = "" },
		} {
			e := ok
			change(&e)
			require.Error(t, s.AddAudit(t.Context(), s.DB(), e), name)
		}
		require.NoError(t, s.AddAudit(t.Context(), s.DB(), ok))
		for _, kind := range []store.ActorKind{store.ActorSSH, store.ActorCLI, store.ActorScheduler} {
			e := ok
			e.ActorKind = kind
			require.NoError(t, s.AddAudit(t.Context(), s.DB(), e))
		}
		log, err := s.AuditLog(t.Context(), s.Reader(), store.AuditFilter{})
		require.NoError(t, err)
		require.Len(t, log, 4)
	})
}
