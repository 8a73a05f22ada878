package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/store"
)

// TestJobCarriesRateAndETATyped: the rate and ETA a run writes into its
// metadata reach the faces as typed fields; only a running job has an ETA.
func TestJobCarriesRateAndETATyped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status store.JobStatus
		meta   string
		rate   float64
		eta    time.Duration
		hasETA bool
	}{
		{name: "running", status: store.JobRunning, meta: `{"itemsPerSecond":12.5,"etaSeconds":48,"phase":"sync"}`,
			rate: 12.5, eta: 48 * time.Second, hasETA: true},
		{name: "running without estimate", status: store.JobRunning, meta: `{"itemsPerSecond":3}`, rate: 3},
		{name: "finished keeps its rate", status: store.JobCompleted, meta: `{"itemsPerSecond":0.2,"etaSeconds":9}`, rate: 0.2},
		{name: "no metadata", status: store.JobRunning, meta: ``},
		{name: "not an object", status: store.JobRunning, meta: `[1,2]`},
		{name: "wrong types", status: store.JobRunning, meta: `{"itemsPerSecond":"fast","etaSeconds":"soon"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := jobFromRecord(store.JobRecord{ID: 7, Status: tt.status, Metadata: json.RawMessage(tt.meta)})
			require.Equal(t, Status(tt.status), j.Status)
			require.InDelta(t, tt.rate, j.Rate, 1e-9)
			require.Equal(t, tt.eta, j.ETA)
			require.Equal(t, tt.hasETA, j.HasETA)
		})
	}
}

// TestFromStoreNamesTheEngineSentinels: a store sentinel anywhere in the
// chain becomes the engine's, the message and the store's sentinel kept.
func TestFromStoreNamesTheEngineSentinels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		err      error
		sentinel error
	}{
		{name: "not found", err: fmt.Errorf("job 9: %w", store.ErrNotFound), sentinel: ErrNotFound},
		{name: "conflict", err: fmt.Errorf("insert job: %w", store.ErrConflict), sentinel: ErrConflict},
		{name: "other", err: errors.New("disk full")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := FromStore(tt.err)
			require.Equal(t, tt.err.Error(), got.Error())
			require.ErrorIs(t, got, tt.err)
			for _, s := range []error{ErrNotFound, ErrConflict} {
				require.Equal(t, s == tt.sentinel, errors.Is(got, s), "errors.Is(%v)", s)
			}
		})
	}
	require.NoError(t, FromStore(nil))
}

// TestStatusesMatchTheStore: the engine's statuses and actor kinds are
// spelled as the store keeps them, so conversion is a plain type change.
func TestStatusesMatchTheStore(t *testing.T) {
	t.Parallel()
	for _, s := range []store.JobStatus{store.JobPending, store.JobRunning, store.JobCompleted, store.JobFailed, store.JobCancelled} {
		require.True(t, Status(s).Valid(), s)
		require.Equal(t, s.Terminal(), Status(s).Terminal(), s)
	}
	for _, s := range []Status{"", "pending", "DONE"} {
		require.False(t, s.Valid(), s)
	}
	for _, k := range []ActorKind{ActorLocal, ActorSSH, ActorCLI, ActorScheduler, ActorHTTP} {
		require.True(t, store.ActorKind(k).Valid(), k)
	}
}
