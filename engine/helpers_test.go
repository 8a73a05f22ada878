package engine_test

import (
	"context"
	"encoding/json"
	"syncops/engine"
	"syncops/store"
	"syncops/store/storetest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustField(t *testing.T, raw json.RawMessage, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	v, ok := m[key]
	require.True(t, ok, "metadata has no %q: %s", key, raw)
	return v
}

func setupDSN(t *testing.T, d store.Dialect) string {
	t.Helper()
	return storetest.DSN(t, d)
}

// waitAttemptOutcome waits until the job's last attempt has ended with the
// outcome: the worker's final write, which follows the status change an
// operator's cancel makes at once.
func waitAttemptOutcome(t *testing.T, e *engine.Engine, id engine.JobID, outcome string) {
	t.Helper()
	require.Eventually(t, func() bool {
		attempts, err := e.Attempts(context.Background(), id)
		return err == nil && len(attempts) > 0 && attempts[len(attempts)-1].Outcome == outcome
	}, 30*time.Second, 5*time.Millisecond)
}
