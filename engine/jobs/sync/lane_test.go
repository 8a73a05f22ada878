package sync_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store/storetest"
)

// gateInventory holds every Nhanh product/inventory request until open is
// closed, and says when it first holds one.
type gateInventory struct {
	next   http.RoundTripper
	open   chan struct{}
	held   chan struct{}
	once   sync.Once
	closed sync.Once
}

func (g *gateInventory) RoundTrip(req *http.Request) (*http.Response, error) {
	if bytes.Contains([]byte(req.URL.Path), []byte("product/inventory")) {
		g.once.Do(func() { close(g.held) })
		select {
		case <-g.open:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return g.next.RoundTrip(req)
}

func (g *gateInventory) release() { g.closed.Do(func() { close(g.open) }) }

// TestInventoryWriterLaneWithTheRealKinds: while AUTO_SYNC_PRODUCTS reads
// stock, a PRODUCT_SYNC started with whenBusy=refuse is refused with the
// auto-sync's id, and a targeted PRODUCT_SYNC (as a webhook starts it)
// waits behind it and runs only once it has ended; a preview runs beside.
func TestInventoryWriterLaneWithTheRealKinds(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			gate := &gateInventory{next: http.DefaultTransport, open: make(chan struct{}), held: make(chan struct{})}
			t.Cleanup(gate.release)
			w := newSyncWorld(t, worldOptions{dialect: d, clients: func(n *nhanh.Config, _ *shopify.Config) {
				n.HTTPClient = &http.Client{Transport: gate}
			}})
			mappingOf := w.mapProducts(t, w.matchedProducts())
			ctx := context.Background()

			auto := w.Start(t, jobs.AutoSyncProducts, nil)
			select {
			case <-gate.held:
			case <-time.After(time.Minute):
				t.Fatal("the auto-sync never read stock")
			}
			_, err := w.Engine.Start(ctx, jobs.ProductSync, engine.Params{engine.LaneParam: engine.LaneRefuse}, engine.StartOptions{})
			var conflict *engine.ConflictError
			require.ErrorAs(t, err, &conflict)
			require.Equal(t, auto, conflict.Existing)
			require.Equal(t, jobs.AutoSyncProducts, conflict.Type)

			var one int64
			for _, id := range mappingOf {
				one = max(one, id)
			}
			targeted := w.Start(t, jobs.ProductSync, engine.Params{"ids": strconv.FormatInt(one, 10)})
			require.Eventually(t, func() bool {
				j, err := w.Engine.Get(ctx, targeted)
				return err == nil && bytes.Contains(j.Metadata, []byte(`"waitingFor"`))
			}, time.Minute, 20*time.Millisecond)
			j, err := w.Engine.Get(ctx, targeted)
			require.NoError(t, err)
			require.Equal(t, engine.StatusPending, j.Status, "queued behind the auto-sync")

			gate.release()
			a := w.Wait(t, auto)
			requireCompleted(t, a)
			p := w.Wait(t, targeted)
			requireCompleted(t, p)
			require.EqualValues(t, 1, p.Total)
			require.NotNil(t, p.StartedAt)
			require.False(t, p.StartedAt.Before(*a.CompletedAt), "the targeted sync ran after the auto-sync ended")
		})
	}
}
