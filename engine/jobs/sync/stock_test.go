package sync_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/engine/jobs/jobstest"
	jsync "syncops/engine/jobs/sync"
	"syncops/store"
	"syncops/store/storetest"
)

// stockCase names the mapped products a stock test bends.
type stockCase struct {
	untracked, notStocked, nullStock, negative, inactive extid.NhanhProductID
}

// newStockWorld is a generated world where one mapped product of each
// awkward kind exists: an untracked Shopify item, an item not stocked at
// the primary location, a Nhanh product without a stock value, one with a
// negative depot, and an inactive one (status 2). strict makes the Nhanh
// fake read a missing status as active.
func newStockWorld(t *testing.T, d store.Dialect, strict bool) (*syncWorld, stockCase, map[extid.NhanhProductID]int64) {
	t.Helper()
	ds, truth := dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: jobstest.DefaultSeed,
		Customers: jobstest.DefaultCustomers, Products: jobstest.DefaultProducts})
	var pairs []extid.NhanhProductID
	for _, id := range slices.Sorted(maps.Keys(truth.ProductMatches)) {
		if p := productOf(ds, id); len(p.Available) >= 2 && !p.StockNull && p.Status == 1 {
			pairs = append(pairs, id)
		}
	}
	require.GreaterOrEqual(t, len(pairs), 5)
	c := stockCase{untracked: pairs[0], notStocked: pairs[1], nullStock: pairs[2], negative: pairs[3], inactive: pairs[4]}
	variantOf := func(id extid.NhanhProductID) *dataset.ShopifyVariant {
		for i := range ds.ShopifyVariants {
			if ds.ShopifyVariants[i].ID == truth.ProductMatches[id].Variant {
				return &ds.ShopifyVariants[i]
			}
		}
		t.Fatalf("no variant for %d", id)
		return nil
	}
	variantOf(c.untracked).Untracked = true
	nv := variantOf(c.notStocked)
	nv.NotStockedAt = []extid.ShopifyLocationGID{truth.PrimaryLocation}
	delete(nv.Available, truth.PrimaryLocation)
	productOf(ds, c.nullStock).StockNull = true
	neg := productOf(ds, c.negative)
	depots := slices.Sorted(maps.Keys(neg.Available))
	neg.Available[depots[0]] = -4
	productOf(ds, c.inactive).Status = 2
	w := newSyncWorld(t, worldOptions{dialect: d, ds: ds, truth: truth, strictNhanh: strict})
	mappingOf := w.mapProducts(t, w.matchedProducts())
	return w, c, mappingOf
}

func productOf(ds *dataset.Dataset, id extid.NhanhProductID) *dataset.NhanhProduct {
	for i := range ds.NhanhProducts {
		if ds.NhanhProducts[i].ID == id {
			return &ds.NhanhProducts[i]
		}
	}
	panic("no such Nhanh product")
}

// livePositiveSum is what a product sync writes at the primary location:
// the product's current Nhanh depots, negatives counted as 0.
func livePositiveSum(w *syncWorld, id extid.NhanhProductID) int64 {
	for _, p := range w.Sandbox.Nhanh().Snapshot().NhanhProducts {
		if p.ID == id {
			var sum int64
			for _, n := range p.Available {
				sum += max(n, 0)
			}
			return sum
		}
	}
	panic("no such Nhanh product")
}

type skipsMeta struct {
	Skips struct {
		Count int64 `json:"count"`
		Items []struct {
			MappingID int64  `json:"mappingId"`
			Error     string `json:"error"`
		} `json:"items"`
	} `json:"skips"`
}

// TestProductSyncOnItemsShopifyOrNhanhCannotGive: a PRODUCT_SYNC reads
// Nhanh's live stock (every status asked, so an inactive product is not
// lost even where a missing status means active), skips an untracked item
// and an item not stocked at the location, each with its reason, fails a
// product without a stock value instead of writing 0, counts a negative
// depot as 0, and on every later run skips the same items again without
// failing them. With the activation setting on, the item is stocked at the
// location and written.
func TestProductSyncOnItemsShopifyOrNhanhCannotGive(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			w, c, mappingOf := newStockWorld(t, d, true)
			ctx := context.Background()
			primary := w.truth.PrimaryLocation
			itemOf := func(id extid.NhanhProductID) extid.ShopifyInventoryItemGID {
				return w.variant(w.truth.ProductMatches[id].Variant).InventoryItemID
			}
			untrackedBefore, _ := w.Sandbox.Shopify().Available(itemOf(c.untracked), primary)
			// The shop keeps selling: Nhanh's stock moves without its updatedAt.
			require.True(t, w.Sandbox.Nhanh().SetStock(c.inactive, firstDepot(w, c.inactive), 37))

			for run := range 2 {
				j := w.Run(t, jobs.ProductSync, nil)
				requireCompleted(t, j)
				fails := w.Failures(t, j.ID)
				require.Len(t, fails, 1, "only the product without stock fails (run %d): %v", run, fails)
				f := fails[itoa(mappingOf[c.nullStock])]
				require.Contains(t, f.Message, "Nhanh returned no stock")
				require.Contains(t, f.Message, "not 0")
				require.EqualValues(t, 2, j.Skipped, "untracked and not stocked are skipped (run %d)", run)

				var m skipsMeta
				require.NoError(t, json.Unmarshal(j.Metadata, &m))
				require.EqualValues(t, 2, m.Skips.Count)
				reasons := map[int64]string{}
				for _, s := range m.Skips.Items {
					reasons[s.MappingID] = s.Error
				}
				require.Contains(t, reasons[mappingOf[c.untracked]], "does not track")
				require.Contains(t, reasons[mappingOf[c.notStocked]], "not stocked at")
				require.Contains(t, reasons[mappingOf[c.notStocked]], string(primary), "the reason names the location")
				require.Contains(t, reasons[mappingOf[c.notStocked]], jsync.SettingInventoryActivate)

				got, _ := w.Sandbox.Shopify().Available(itemOf(c.untracked), primary)
				require.Equal(t, untrackedBefore, got, "an untracked item is left alone")
				require.False(t, stockedAt(w, c.notStocked, primary), "nothing activated without the setting")
				got, _ = w.Sandbox.Shopify().Available(itemOf(c.negative), primary)
				require.Equal(t, livePositiveSum(w, c.negative), got, "a negative depot counts as 0")
				got, _ = w.Sandbox.Shopify().Available(itemOf(c.inactive), primary)
				require.Equal(t, livePositiveSum(w, c.inactive), got, "the inactive product's live stock")
			}
			// The mirror holds what was read.
			rows, err := w.Store.NhanhProductStocks(ctx, w.Store.Reader(), []extid.NhanhProductID{c.inactive})
			require.NoError(t, err)
			require.Equal(t, int64(37), rows[c.inactive].Depots[firstDepot(w, c.inactive)])

			// A preview shows the same skips as lines with their reason.
			pj := w.Run(t, jobs.ProductSync, engine.Params{"dryRun": "true"})
			requireCompleted(t, pj)
			lines, _ := diffOf(t, w, pj.ID)
			for id, why := range map[extid.NhanhProductID]string{c.notStocked: "not stocked", c.untracked: "does not track"} {
				line := lines[engineKey(mappingOf[id], string(primary))]
				require.Equal(t, engine.DiffSkipped, line.Action, "product %d", id)
				require.Contains(t, line.Reason, why)
				require.Nil(t, line.New)
			}

			require.NoError(t, w.Store.SetSetting(ctx, w.Store.DB(), jsync.SettingInventoryActivate, "true", time.Now()))
			j := w.Run(t, jobs.ProductSync, nil)
			requireCompleted(t, j)
			require.EqualValues(t, 1, j.Skipped, "only the untracked item is left")
			require.True(t, stockedAt(w, c.notStocked, primary), "activated at the mapped location")
			got, _ := w.Sandbox.Shopify().Available(itemOf(c.notStocked), primary)
			require.Equal(t, livePositiveSum(w, c.notStocked), got)
		})
	}
}

// stockedAt reports whether the sandbox's Shopify stocks the product's
// variant at loc.
func stockedAt(w *syncWorld, id extid.NhanhProductID, loc extid.ShopifyLocationGID) bool {
	v, ok := w.Sandbox.Shopify().Variant(w.truth.ProductMatches[id].Variant)
	return ok && !slices.Contains(v.NotStockedAt, loc)
}

func firstDepot(w *syncWorld, id extid.NhanhProductID) extid.NhanhDepotID {
	return slices.Sorted(maps.Keys(w.nhanhProduct(id).Available))[0]
}

func itoa(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}

// TestProductSyncStockDropBrake: after a first sync, Nhanh's stock
// collapses (most products to 0). The next PRODUCT_SYNC stops before
// writing anything, FAILED with the counts and how to go on; Shopify is
// untouched. Started again with acceptDrop it writes the drop.
func TestProductSyncStockDropBrake(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			w := newSyncWorld(t, worldOptions{dialect: d})
			pairs := w.matchedProducts()
			w.mapProducts(t, pairs)
			requireCompleted(t, w.Run(t, jobs.ProductSync, nil))
			for _, p := range w.Sandbox.Nhanh().Snapshot().NhanhProducts {
				for depot := range p.Available {
					w.Sandbox.Nhanh().SetStock(p.ID, depot, 0)
				}
			}
			before := w.Sandbox.Shopify().Record().Mutations

			j := w.Run(t, jobs.ProductSync, nil)
			require.Equal(t, engine.StatusFailed, j.Status)
			require.Contains(t, j.Error, "drop brake")
			require.Contains(t, j.Error, "stock values")
			require.Contains(t, j.Error, "nothing was written")
			require.Contains(t, j.Error, "acceptDrop=true")
			require.Equal(t, before, w.Sandbox.Shopify().Record().Mutations, "Shopify untouched")
			var m struct {
				DropBrake struct {
					What   string `json:"what"`
					Writes int    `json:"writes"`
					Drops  int    `json:"drops"`
					ToZero int    `json:"toZero"`
				} `json:"dropBrake"`
			}
			require.NoError(t, json.Unmarshal(j.Metadata, &m))
			require.Equal(t, "stock", m.DropBrake.What)
			require.Positive(t, m.DropBrake.ToZero)
			require.Greater(t, float64(m.DropBrake.Drops), jsync.DefaultDropShare*float64(m.DropBrake.Writes))

			// A preview says the brake would stop, and still lists the drops.
			pj := w.Run(t, jobs.ProductSync, engine.Params{"dryRun": "true"})
			requireCompleted(t, pj)
			var pm struct {
				DropBrake struct {
					WouldStop bool `json:"wouldStop"`
				} `json:"dropBrake"`
			}
			require.NoError(t, json.Unmarshal(pj.Metadata, &pm))
			require.True(t, pm.DropBrake.WouldStop)
			_, totals := diffOf(t, w, pj.ID)
			require.Positive(t, totals.ToZero)
			require.Equal(t, before, w.Sandbox.Shopify().Record().Mutations, "a preview writes nothing")

			id, err := w.Engine.Start(context.Background(), jobs.ProductSync, engine.Params{"acceptDrop": "true"},
				engine.StartOptions{Actor: engine.Actor{Name: "ops", Kind: engine.ActorCLI}})
			require.NoError(t, err)
			j = w.Wait(t, id)
			requireCompleted(t, j)
			audit, err := w.Engine.Audit(context.Background(), engine.AuditFilter{})
			require.NoError(t, err)
			require.True(t, slices.ContainsFunc(audit, func(e engine.AuditEntry) bool {
				return e.JobID == int64(id) && e.Action == "job.start" && strings.Contains(e.Detail, `"acceptDrop":true`)
			}), "the accepted drop is audited with the start: %+v", audit)
			require.Positive(t, j.Successful)
			for nid, vid := range pairs {
				if got, ok := w.Sandbox.Shopify().Available(w.variant(vid).InventoryItemID, w.truth.PrimaryLocation); ok {
					require.Zero(t, got, "product %d written to 0 once accepted", nid)
				}
			}
		})
	}
}

// TestInventoryWritersShareOneLane: every kind that writes Shopify
// inventory takes the inventory lane and lets the operator choose to wait
// or be refused; the customer kinds write no inventory and take none.
func TestInventoryWritersShareOneLane(t *testing.T) {
	t.Parallel()
	writers := map[string]bool{jsync.ProductSync: true, jsync.AutoSyncProducts: true, jsync.RetryFailedProducts: true}
	kinds := jsync.Kinds(jsync.Deps{})
	require.Len(t, kinds, 6)
	for _, k := range kinds {
		t.Run(k.Type, func(t *testing.T) {
			t.Parallel()
			takesParam := slices.ContainsFunc(k.Params, func(p engine.ParamSpec) bool { return p.Name == engine.LaneParam })
			if writers[k.Type] {
				require.Equal(t, jsync.InventoryLane, k.Lane)
				require.True(t, takesParam, "whenBusy")
				return
			}
			require.Empty(t, k.Lane)
			require.False(t, takesParam)
		})
	}
}
