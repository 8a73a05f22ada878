package sync_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs"
)

// holdLevels is a transport that holds the Shopify level read number
// holdAt (counting from 1) until the request's context ends, and says when
// it holds one.
type holdLevels struct {
	next   http.RoundTripper
	reads  atomic.Int64
	holdAt int64
	held   chan struct{}
}

func (h *holdLevels) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.GetBody != nil {
		body, err := req.GetBody()
		if err == nil {
			raw, _ := io.ReadAll(body)
			if bytes.Contains(raw, []byte("InventoryItem")) && !bytes.Contains(raw, []byte("mutation")) &&
				h.reads.Add(1) == h.holdAt {
				close(h.held)
				<-req.Context().Done()
				return nil, req.Context().Err()
			}
		}
	}
	return h.next.RoundTrip(req)
}

// TestProductPreviewResumesAfterTheProcessStops: a preview stopped in the
// middle of its level reads continues in a new engine from its last
// checkpoint and ends with one line per mapping and location, totals that
// are those of exactly those lines, and no write.
func TestProductPreviewResumesAfterTheProcessStops(t *testing.T) {
	t.Parallel()
	hold := &holdLevels{next: http.DefaultTransport, holdAt: 4, held: make(chan struct{})}
	w := newSyncWorld(t, worldOptions{products: 1500, clients: func(_ *nhanh.Config, s *shopify.Config) {
		s.HTTPClient = &http.Client{Transport: hold}
		s.MaxAttempts = 1
	}})
	ctx := context.Background()
	locA, locB, _, _ := w.depotSplit(t)
	pairs := w.matchedProducts()
	require.Greater(t, len(pairs), 1000, "more than ten batches of 100")
	mappingOf := w.mapProducts(t, pairs)
	// The drop brake's planning pass reads every batch's levels once before
	// the push pass reads them again, and a pass reads up to four batches
	// ahead of the one it plans: hold the push pass's eighth, by which the
	// first batches have been planned and checkpointed.
	hold.holdAt = int64((len(pairs)+99)/100) + 8

	id, err := w.Engine.Start(ctx, jobs.ProductSync, engine.Params{"dryRun": "true"}, engine.StartOptions{})
	require.NoError(t, err)
	select {
	case <-hold.held:
	case <-time.After(time.Minute):
		t.Fatal("the preview never reached its eighth level read")
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, w.Engine.Stop(stopCtx))
	stopped, err := w.Engine.Get(ctx, id)
	require.NoError(t, err)
	require.Positive(t, stopped.Processed, "batches before the held read were checkpointed")
	require.Less(t, stopped.Processed, stopped.Total, "stopped mid-way")

	w.StartEngine(t, nil)
	j := w.Wait(t, id)
	requireCompleted(t, j)
	requireNoShopifyWrites(t, w)

	lines, totals := diffOf(t, w, id)
	var exp expectTotals
	items := map[int64]bool{}
	for _, it := range lines {
		items[it.MappingID] = true
		switch it.Action {
		case engine.DiffWrite:
			exp.write(it.Old, *it.New)
		case engine.DiffFailed:
			exp.Lines++
			exp.Failed++
		default:
			t.Fatalf("a forced sync has only writes and failures: %+v", it)
		}
		require.False(t, strings.Contains(it.Reason, "could not be read"), "every level was read: %+v", it)
	}
	exp.Items = int64(len(items))
	require.Equal(t, exp.DiffTotals, totals, "the kept totals are those of the lines")
	require.Len(t, items, len(pairs))
	for nid := range pairs {
		mid := mappingOf[nid]
		_, failed := lines[engineKey(mid, "")]
		_, atA := lines[engineKey(mid, string(locA))]
		_, atB := lines[engineKey(mid, string(locB))]
		require.True(t, failed != (atA && atB), "mapping %d: a failure or a line per location", mid)
	}
}
