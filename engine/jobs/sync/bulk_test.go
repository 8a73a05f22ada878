package sync_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine/jobs"
	jobsync "syncops/engine/jobs/sync"
)

// TestCustomerSyncWritesInBulkAboveTheThreshold: a customer sync whose
// scope reaches the bulk write threshold writes every spend through bulk
// mutations (no paced metafieldsSet call), one per batch of 5,000, and
// each customer's value is exactly Nhanh's; below the threshold the paced
// path stays.
func TestCustomerSyncWritesInBulkAboveTheThreshold(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		threshold string // "" leaves the default (10,000)
		bulk      bool
	}{
		{"below the default threshold: paced", "", false},
		{"at a threshold of 1: bulk", "1", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{customers: 600})
			ctx := context.Background()
			if tc.threshold != "" {
				require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jobsync.SettingBulkWriteThreshold, tc.threshold, time.Now()))
			}
			pairs := w.matchedCustomers()
			w.mapCustomers(t, pairs)

			j := w.Run(t, jobs.CustomerSync, nil)
			requireCompleted(t, j)
			require.EqualValues(t, len(pairs), j.Total)
			require.Equal(t, j.Total, j.Successful)
			for nid, gid := range pairs {
				mf, _ := w.Sandbox.Shopify().Metafield(gid, "custom.total_spent")
				require.Equal(t, strconv.FormatInt(w.truth.ExpectedTotalSpent[nid], 10), mf.Value)
			}
			rec := w.Sandbox.Shopify().Record()
			var meta struct {
				WriteMode string `json:"writeMode"`
			}
			require.NoError(t, json.Unmarshal(j.Metadata, &meta))
			if tc.bulk {
				require.Equal(t, 1, rec.BulkMutations, "one batch of up to 5,000, one operation")
				require.Zero(t, rec.Operations["metafieldsSet"], "no paced call")
				require.Equal(t, "bulk", meta.WriteMode)
				return
			}
			require.Zero(t, rec.BulkMutations)
			require.Positive(t, rec.Operations["metafieldsSet"])
			require.Empty(t, meta.WriteMode)
		})
	}
}

// TestBulkCustomerWriteOutlivesItsAttempts: Shopify runs the bulk mutation
// longer than two attempts' time. The first attempt starts it; the next
// ones plan the same batch, find its operation in the lane and poll it: one
// operation, one staged upload, every value written once and right. An
// attempt has 1.6 s of its 2 s: with 0.8 s, a first attempt on a machine at
// a load of 9 reached no checkpoint and the job failed.
func TestBulkCustomerWriteOutlivesItsAttempts(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{customers: 300, attemptTimeout: 2 * time.Second, shopifyBulkDelay: 5 * time.Second})
	ctx := context.Background()
	require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jobsync.SettingBulkWriteThreshold, "1", time.Now()))
	pairs := w.matchedCustomers()
	w.mapCustomers(t, pairs)

	j := w.Run(t, jobs.CustomerSync, nil)
	requireCompleted(t, j)
	require.Equal(t, j.Total, j.Successful)
	attempts, err := w.Engine.Attempts(ctx, j.ID)
	require.NoError(t, err)
	t.Logf("%d attempts", len(attempts))
	rec := w.Sandbox.Shopify().Record()
	require.Equal(t, 1, rec.BulkMutations, "one operation, polled across attempts")
	require.Equal(t, 1, rec.StagedUploads)
	require.Len(t, rec.MetafieldWrites, len(pairs), "each value written once")
	for nid, gid := range pairs {
		mf, _ := w.Sandbox.Shopify().Metafield(gid, "custom.total_spent")
		require.Equal(t, strconv.FormatInt(w.truth.ExpectedTotalSpent[nid], 10), mf.Value)
	}
}
