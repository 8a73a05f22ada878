package sync_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	"syncops/store"
	"syncops/store/storetest"
)

// diffOf reads a preview's whole diff through the engine API, a small page
// at a time, and returns its lines by "mapping/location" and its totals.
func diffOf(t testing.TB, w *syncWorld, id engine.JobID) (map[string]engine.DiffItem, engine.DiffTotals) {
	t.Helper()
	out := map[string]engine.DiffItem{}
	var after engine.DiffCursor
	var totals engine.DiffTotals
	for pages := 0; ; pages++ {
		page, err := w.Engine.Diff(context.Background(), engine.DiffFilter{Job: id, After: after, Limit: 7})
		require.NoError(t, err)
		totals = page.Totals
		for _, it := range page.Items {
			k := engineKey(it.MappingID, it.Location)
			require.NotContains(t, out, k, "a line is listed once")
			out[k] = it
		}
		if page.Next == nil {
			require.EqualValues(t, totals.Lines, len(out), "the pages hold every line counted")
			return out, totals
		}
		after = *page.Next
	}
}

// engineKey names a diff line in diffOf's map: "mapping/location".
func engineKey(mapping int64, location string) string { return fmt.Sprintf("%d/%s", mapping, location) }

// expectTotals sums up expected lines as the diff's totals must.
type expectTotals struct{ engine.DiffTotals }

func (e *expectTotals) write(old *int64, new int64) {
	e.Lines++
	e.Writes++
	switch {
	case old == nil:
		e.UnknownOld++
	case new > *old:
		e.Up++
		e.SumUp += new - *old
	case new < *old:
		e.Down++
		e.SumDown += *old - new
		if new <= 0 {
			e.ToZero++
		}
	default:
		e.Same++
	}
	e.Net = e.SumUp - e.SumDown
}

func requireNoShopifyWrites(t testing.TB, w *syncWorld) {
	t.Helper()
	rec := w.Sandbox.Shopify().Record()
	require.Zero(t, rec.Mutations, "a preview sends no mutation: %v", rec.Operations)
	require.Empty(t, rec.MetafieldWrites)
	require.Empty(t, rec.InventoryWrites)
	require.Empty(t, rec.Activations)
}

func TestCustomerSyncPreviewWritesNothingAndDiffsEveryMappedCustomer(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{dialect: dialect})
			ctx := context.Background()
			pairs := w.matchedCustomers()
			mappingOf := w.mapCustomers(t, pairs)
			nids := slices.Sorted(maps.Keys(pairs))
			require.Greater(t, len(nids), 20)

			// Shopify's values as the mirror holds them: some above Nhanh's,
			// some below, some equal, one about to fall to 0, the rest as
			// generated.
			want := map[extid.NhanhCustomerID]int64{}
			old := map[extid.NhanhCustomerID]*int64{}
			zeroed := nids[0]
			require.NoError(t, w.Store.InTx(ctx, func(tx *sql.Tx) error {
				row := jobstestNhanhCustomer(w, zeroed)
				row.TotalAmount = 0
				_, err := w.Store.UpsertNhanhCustomers(ctx, tx, []store.NhanhCustomer{row}, w.Deps.Clock.Now())
				return err
			}))
			for i, nid := range nids {
				want[nid] = w.truth.ExpectedTotalSpent[nid]
				if nid == zeroed {
					want[nid] = 0
				}
				var v *int64
				switch i % 4 {
				case 0:
					v = ptr(want[nid] + 90_000)
				case 1:
					v = ptr(max(want[nid]-700, 0))
				case 2:
					v = ptr(want[nid])
				default:
					if mf, ok := w.shopifyMetafield(pairs[nid]); ok {
						n, err := strconv.ParseInt(mf, 10, 64)
						require.NoError(t, err)
						v = &n
					}
				}
				old[nid] = v
				if i%4 != 3 {
					require.NoError(t, w.Store.SetShopifyTotalSpent(ctx, w.Store.DB(), pairs[nid], strconv.FormatInt(*v, 10)))
				}
			}

			j := w.Run(t, jobs.CustomerSync, engine.Params{"dryRun": "true"})
			requireCompleted(t, j)
			require.True(t, j.DryRun())
			require.EqualValues(t, len(pairs), j.Successful, "every mapped customer would be written")
			requireNoShopifyWrites(t, w)
			for _, nid := range nids {
				m, err := w.Store.CustomerMapping(ctx, w.Store.Reader(), mappingOf[nid])
				require.NoError(t, err)
				require.Equal(t, store.MappingPending, m.Status, "a preview records nothing on the mapping")
				require.Nil(t, m.LastSyncedValue)
				log, err := w.Store.SyncLog(ctx, w.Store.Reader(), store.MappingKindCustomer, m.ID, 1)
				require.NoError(t, err)
				require.Empty(t, log)
			}

			lines, totals := diffOf(t, w, j.ID)
			var exp expectTotals
			for _, nid := range nids {
				it, ok := lines[fmt.Sprintf("%d/", mappingOf[nid])]
				require.True(t, ok, "Nhanh customer %d has its line", nid)
				require.Equal(t, engine.DiffWrite, it.Action)
				require.Equal(t, strconv.FormatInt(int64(nid), 10), it.NhanhID)
				require.Equal(t, string(pairs[nid]), it.ShopifyID)
				require.Equal(t, w.nhanhCustomer(nid).Name, it.Name)
				require.Equal(t, want[nid], *it.New, "Nhanh customer %d", nid)
				require.Equal(t, old[nid], it.Old, "Nhanh customer %d", nid)
				if old[nid] != nil {
					require.Equal(t, engine.OldFromMirror, it.OldSource)
				}
				exp.Items++
				exp.write(old[nid], want[nid])
			}
			require.Len(t, lines, len(nids))
			require.Equal(t, exp.DiffTotals, totals)
			require.Positive(t, totals.Up)
			require.Positive(t, totals.Down)
			require.Positive(t, totals.ToZero)
			require.Positive(t, totals.Same)

			// The metadata carries the same totals; the real run then writes
			// exactly what the preview said.
			var meta struct {
				Preview engine.DiffTotals `json:"preview"`
			}
			require.NoError(t, json.Unmarshal(j.Metadata, &meta))
			require.Equal(t, totals, meta.Preview)
			real := w.Run(t, jobs.CustomerSync, nil)
			requireCompleted(t, real)
			writes := w.Sandbox.Shopify().Record().MetafieldWrites
			require.Len(t, writes, len(nids))
			for _, wr := range writes {
				var nid extid.NhanhCustomerID
				for n, gid := range pairs {
					if string(gid) == wr.OwnerID {
						nid = n
					}
				}
				require.Equal(t, strconv.FormatInt(*lines[fmt.Sprintf("%d/", mappingOf[nid])].New, 10), wr.Value)
			}
		})
	}
}

func TestProductSyncPreviewReadsShopifyLevelsAndWritesNothing(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{dialect: dialect})
			ctx := context.Background()
			locA, locB, depotsA, depotsB := w.depotSplit(t)
			pairs := w.matchedProducts()
			mappingOf := w.mapProducts(t, pairs)
			nids := slices.Sorted(maps.Keys(pairs))

			// Shopify's levels move after the last pull (a sale, a restock):
			// the preview must show the live value, not the mirror's.
			shop := w.Sandbox.Shopify()
			for i, nid := range nids {
				if i%3 == 0 {
					shop.Restock(w.variant(pairs[nid]).InventoryItemID, locA, 4)
				}
			}
			type key struct {
				nid extid.NhanhProductID
				loc extid.ShopifyLocationGID
			}
			old := map[key]*int64{}
			for _, nid := range nids {
				for _, loc := range []extid.ShopifyLocationGID{locA, locB} {
					if v, ok := shop.Available(w.variant(pairs[nid]).InventoryItemID, loc); ok {
						old[key{nid, loc}] = &v
					}
				}
			}

			j := w.Run(t, jobs.ProductSync, engine.Params{"dryRun": "true"})
			requireCompleted(t, j)
			requireNoShopifyWrites(t, w)
			for _, nid := range nids {
				m, err := w.Store.ProductMapping(ctx, w.Store.Reader(), mappingOf[nid])
				require.NoError(t, err)
				require.Equal(t, store.MappingPending, m.Status)
				require.Nil(t, m.LastSyncedValue)
			}

			lines, totals := diffOf(t, w, j.ID)
			var exp expectTotals
			items := map[int64]bool{}
			for _, nid := range nids {
				mid := mappingOf[nid]
				if it, failed := lines[fmt.Sprintf("%d/", mid)]; failed {
					require.Equal(t, engine.DiffFailed, it.Action, "a line without location is a failure")
					require.NotEmpty(t, it.Reason)
					exp.Lines++
					exp.Failed++
					items[mid] = true
					continue
				}
				p := w.nhanhProduct(nid)
				for loc, depots := range map[extid.ShopifyLocationGID][]extid.NhanhDepotID{locA: depotsA, locB: depotsB} {
					it, ok := lines[fmt.Sprintf("%d/%s", mid, loc)]
					require.True(t, ok, "product %d has a line at %s", nid, loc)
					require.Equal(t, engine.DiffWrite, it.Action)
					require.Equal(t, sumDepots(p.Available, depots), *it.New, "product %d at %s", nid, loc)
					require.Equal(t, old[key{nid, loc}], it.Old, "product %d at %s", nid, loc)
					if it.Old != nil {
						require.Equal(t, engine.OldFromShopify, it.OldSource)
					} else {
						require.Contains(t, it.Reason, "not stocked")
					}
					exp.write(it.Old, *it.New)
					items[mid] = true
				}
			}
			exp.Items = int64(len(items))
			require.Len(t, lines, int(exp.Lines))
			require.Equal(t, exp.DiffTotals, totals)
			require.Positive(t, totals.Writes)

			// The real run writes what the preview showed, over the values it
			// showed.
			real := w.Run(t, jobs.ProductSync, nil)
			require.Equal(t, engine.StatusCompleted, real.Status)
			applied := shop.Record().InventoryWrites
			require.NotEmpty(t, applied)
			byItem := map[extid.ShopifyInventoryItemGID]extid.NhanhProductID{}
			for _, nid := range nids {
				byItem[w.variant(pairs[nid]).InventoryItemID] = nid
			}
			for _, wr := range applied {
				nid := byItem[wr.InventoryItemID]
				it := lines[fmt.Sprintf("%d/%s", mappingOf[nid], wr.LocationID)]
				require.Equal(t, wr.Quantity, *it.New)
				require.NotNil(t, it.Old)
				require.Equal(t, wr.Previous, *it.Old)
			}
		})
	}
}

func TestPreviewRunsBesideTheSyncItPreviews(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{})
	ctx := context.Background()
	pairs := w.matchedCustomers()
	w.mapCustomers(t, pairs)

	tests := []struct {
		name    string
		params  engine.Params
		allowed bool // may start while the run of the same parameters is active
	}{
		{"a preview", engine.Params{"dryRun": "true"}, true},
		{"a second identical preview", engine.Params{"dryRun": "true"}, false},
		{"dryRun=false is the run itself", engine.Params{"dryRun": "false"}, false},
		{"the run again", nil, false},
	}
	realID := w.Start(t, jobs.CustomerSync, nil)
	var previewID engine.JobID
	for _, tt := range tests {
		id, err := w.Engine.Start(ctx, jobs.CustomerSync, tt.params, engine.StartOptions{})
		if tt.allowed {
			require.NoError(t, err, tt.name)
			previewID = id
			continue
		}
		var conflict *engine.ConflictError
		require.True(t, errors.As(err, &conflict), "%s: %v", tt.name, err)
		require.Contains(t, []engine.JobID{realID, previewID}, conflict.Existing, tt.name)
	}
	real, preview := w.Wait(t, realID), w.Wait(t, previewID)
	requireCompleted(t, real)
	requireCompleted(t, preview)
	require.EqualValues(t, len(pairs), preview.Successful)
	require.Len(t, w.Sandbox.Shopify().Record().MetafieldWrites, len(pairs), "only the real run wrote")
	lines, totals := diffOf(t, w, previewID)
	require.Len(t, lines, len(pairs))
	require.EqualValues(t, len(pairs), totals.Writes)

	// The real job has no diff.
	_, err := w.Engine.Diff(ctx, engine.DiffFilter{Job: realID})
	require.ErrorIs(t, err, engine.ErrNoDiff)
	_, err = w.Engine.Diff(ctx, engine.DiffFilter{Job: 987654})
	require.ErrorIs(t, err, engine.ErrNotFound)
}

func TestAutoSyncPreviewsKeepUnchangedAndDeferredAndMoveNoWatermark(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{})
	ctx := context.Background()
	pairs := w.matchedCustomers()
	mappingOf := w.mapCustomers(t, pairs)
	first := w.Run(t, jobs.AutoSyncCustomers, nil)
	requireCompleted(t, first)
	writes := len(w.Sandbox.Shopify().Record().MetafieldWrites)
	mutations := w.Sandbox.Shopify().Record().Mutations
	marks := func() []int64 {
		var out []int64
		for _, k := range []string{"autosync:nhanh_customers", "autosync:nhanh_orders"} {
			v, _, err := w.Store.Watermark(ctx, w.Store.Reader(), k)
			require.NoError(t, err)
			out = append(out, v)
		}
		return out
	}
	before := marks()

	// Two customers' spend moves in the mirror; a limit of one write defers
	// the second. A third moves less than the threshold.
	nids := slices.Sorted(maps.Keys(pairs))
	moved, nudged := nids[:2], nids[3]
	require.NoError(t, w.Store.InTx(ctx, func(tx *sql.Tx) error {
		var rows []store.NhanhCustomer
		for _, nid := range moved {
			row := jobstestNhanhCustomer(w, nid)
			row.TotalAmount += 50_000
			rows = append(rows, row)
		}
		row := jobstestNhanhCustomer(w, nudged)
		row.TotalAmount += 400
		rows = append(rows, row)
		_, err := w.Store.UpsertNhanhCustomers(ctx, tx, rows, w.Deps.Clock.Now())
		return err
	}))
	j := w.Run(t, jobs.AutoSyncCustomers, engine.Params{"dryRun": "true", "limit": "1"})
	requireCompleted(t, j)
	require.Len(t, w.Sandbox.Shopify().Record().MetafieldWrites, writes)
	require.Equal(t, mutations, w.Sandbox.Shopify().Record().Mutations, "the preview sent no mutation")
	require.Equal(t, before, marks(), "a preview moves no watermark")

	// The preview visits what the run would: the three mappings whose
	// spend moved. The others are settled (the first run wrote them and
	// nothing they are planned from changed): counted as skipped and
	// unchanged, and not in the diff.
	lines, totals := diffOf(t, w, j.ID)
	require.Len(t, lines, 3)
	require.Equal(t, engine.Counters{Total: int64(len(pairs)), Processed: int64(len(pairs)), Successful: 1,
		Skipped: int64(len(pairs) - 1)}, j.Counters())
	require.EqualValues(t, len(pairs)-3, metaOf(t, j).Unchanged)
	it := lines[fmt.Sprintf("%d/", mappingOf[moved[0]])]
	require.Equal(t, engine.DiffWrite, it.Action)
	require.Equal(t, int64(50_000), *it.New-*it.Old)
	it = lines[fmt.Sprintf("%d/", mappingOf[moved[1]])]
	require.Equal(t, engine.DiffSkipped, it.Action)
	require.Contains(t, it.Reason, "limit")
	require.NotContains(t, lines, fmt.Sprintf("%d/", mappingOf[nids[2]]))
	it = lines[fmt.Sprintf("%d/", mappingOf[nudged])]
	require.Equal(t, engine.DiffUnchanged, it.Action)
	require.Equal(t, int64(400), *it.New-*it.Old)
	require.Contains(t, it.Reason, "+400 since the last write, under the 1000 VND threshold")
	require.Equal(t, engine.DiffTotals{Lines: 3, Items: 3, Writes: 1, Up: 1, SumUp: 50_000,
		Net: 50_000, Skipped: 1, Unchanged: 1}, totals)

	// Search and the action filter narrow the lines and their sums.
	page, err := w.Engine.Diff(ctx, engine.DiffFilter{Job: j.ID, Actions: []engine.DiffAction{engine.DiffWrite, engine.DiffSkipped}})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	require.EqualValues(t, 2, page.Matching.Lines)
	require.Equal(t, totals, page.Totals)
	name := w.nhanhCustomer(moved[0]).Name
	page, err = w.Engine.Diff(ctx, engine.DiffFilter{Job: j.ID, Search: name})
	require.NoError(t, err)
	require.NotEmpty(t, page.Items)
	require.Equal(t, name, page.Items[0].Name)
	_, err = w.Engine.Diff(ctx, engine.DiffFilter{Job: j.ID, Actions: []engine.DiffAction{"bogus"}})
	var perr *engine.ParamError
	require.ErrorAs(t, err, &perr)

	// The mapping still holds the first run's value: the write line's old one.
	m, err := w.Store.CustomerMapping(ctx, w.Store.Reader(), mappingOf[moved[0]])
	require.NoError(t, err)
	require.Equal(t, *lines[fmt.Sprintf("%d/", mappingOf[moved[0]])].Old, *m.LastSyncedValue)
}

func jobstestNhanhCustomer(w *syncWorld, id extid.NhanhCustomerID) store.NhanhCustomer {
	return jobstest.NhanhCustomerRow(w.nhanhCustomer(id))
}

// shopifyMetafield is custom.total_spent of a generated Shopify customer.
func (w *syncWorld) shopifyMetafield(id extid.ShopifyCustomerGID) (string, bool) {
	for _, c := range w.ds.ShopifyCustomers {
		if c.ID == id {
			mf, ok := c.Metafields["custom.total_spent"]
			return mf.Value, ok
		}
	}
	return "", false
}

func ptr(v int64) *int64 { return &v }

// TestEverySyncKindPreviews runs each sync kind as a preview over a world
// where a few mappings of each side failed before: none sends a mutation
// or changes a mapping, and each keeps a diff line for every mapping in its
// scope.
func TestEverySyncKindPreviews(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind       string
		products   bool
		failedOnly bool // the scope is the mappings whose last sync failed
	}{
		{jobs.CustomerSync, false, false},
		{jobs.AutoSyncCustomers, false, false},
		{jobs.RetryFailedCustomers, false, true},
		{jobs.ProductSync, true, false},
		{jobs.AutoSyncProducts, true, false},
		{jobs.RetryFailedProducts, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{})
			ctx := context.Background()
			var mappings []int64
			if tt.products {
				for _, id := range w.mapProducts(t, w.matchedProducts()) {
					mappings = append(mappings, id)
				}
			} else {
				for _, id := range w.mapCustomers(t, w.matchedCustomers()) {
					mappings = append(mappings, id)
				}
			}
			slices.Sort(mappings)
			failed := mappings[:3]
			require.NoError(t, w.Store.InTx(ctx, func(tx *sql.Tx) error {
				for _, id := range failed {
					var err error
					if tt.products {
						err = w.Store.RecordProductSyncFailure(ctx, tx, id, "earlier failure", w.Deps.Clock.Now(), 1)
					} else {
						err = w.Store.RecordCustomerSyncFailure(ctx, tx, id, "earlier failure", w.Deps.Clock.Now(), 1)
					}
					if err != nil {
						return err
					}
				}
				return nil
			}))
			state := func() string {
				var out []any
				var err error
				if tt.products {
					var ms []store.ProductMapping
					ms, err = w.Store.ProductMappings(ctx, w.Store.Reader(), store.MappingFilter{})
					out = append(out, ms)
				} else {
					var ms []store.CustomerMapping
					ms, err = w.Store.CustomerMappings(ctx, w.Store.Reader(), store.MappingFilter{})
					out = append(out, ms)
				}
				require.NoError(t, err)
				raw, err := json.Marshal(out)
				require.NoError(t, err)
				return string(raw)
			}
			before := state()

			j := w.Run(t, tt.kind, engine.Params{"dryRun": "true"})
			requireCompleted(t, j)
			requireNoShopifyWrites(t, w)
			require.Equal(t, before, state(), "a preview changes no mapping")

			scope := mappings
			if tt.failedOnly {
				scope = failed
			}
			lines, totals := diffOf(t, w, j.ID)
			require.EqualValues(t, len(scope), totals.Items)
			require.EqualValues(t, len(scope), j.Total)
			for _, id := range scope {
				found := false
				for k := range lines {
					found = found || strings.HasPrefix(k, strconv.FormatInt(id, 10)+"/")
				}
				require.True(t, found, "mapping %d has a line", id)
			}
			require.Positive(t, totals.Writes)
		})
	}
}

// TestAutoSyncProductsCorrectsShopifySideDrift: after an auto-sync,
// Shopify's stock moves behind our back (a restock from a cancelled
// Shopify order). The preview reads the live level and shows the write
// that corrects it; the auto-sync then writes exactly that line and
// nothing else, and Shopify holds Nhanh's value again.
func TestAutoSyncProductsCorrectsShopifySideDrift(t *testing.T) {
	t.Parallel()
	w := newSyncWorld(t, worldOptions{})
	pairs := w.matchedProducts()
	mappingOf := w.mapProducts(t, pairs)
	requireCompleted(t, w.Run(t, jobs.AutoSyncProducts, nil))
	primary := w.truth.PrimaryLocation
	var drifted extid.NhanhProductID
	for _, nid := range slices.Sorted(maps.Keys(pairs)) {
		if w.Sandbox.Shopify().Restock(w.variant(pairs[nid]).InventoryItemID, primary, 5) {
			drifted = nid
			break
		}
	}
	require.NotZero(t, drifted)
	mutations := w.Sandbox.Shopify().Record().Mutations

	j := w.Run(t, jobs.AutoSyncProducts, engine.Params{"dryRun": "true"})
	requireCompleted(t, j)
	require.Equal(t, mutations, w.Sandbox.Shopify().Record().Mutations)
	lines, totals := diffOf(t, w, j.ID)
	it := lines[engineKey(mappingOf[drifted], string(primary))]
	require.Equal(t, engine.DiffWrite, it.Action)
	require.Equal(t, engine.OldFromShopify, it.OldSource)
	require.Equal(t, int64(5), *it.Old-*it.New)
	require.Contains(t, it.Reason, "drift")
	require.EqualValues(t, 1, totals.Writes, "only the drifted level differs")

	j = w.Run(t, jobs.AutoSyncProducts, nil)
	requireCompleted(t, j)
	require.EqualValues(t, 1, j.Successful, "only the drifted mapping is written")
	level, ok := w.Sandbox.Shopify().Available(w.variant(pairs[drifted]).InventoryItemID, primary)
	require.True(t, ok)
	require.Equal(t, *it.New, level, "Shopify holds Nhanh's value again")
}
