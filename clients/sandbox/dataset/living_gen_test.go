package dataset_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox/dataset"
)

func TestLivingCasesAreOffByDefaultAndLeaveTheWorldAlone(t *testing.T) {
	t.Parallel()
	cfg := dataset.GenerateConfig{Seed: 5, Customers: 300, Products: 200}
	plain, plainTruth := dataset.GenerateWithTruth(cfg)
	cfg.Living = dataset.LivingCases{NullTotalRate: 0.1, NullStockRate: 0.1, UntrackedRate: 0.1, NotStockedRate: 0.2, ParentsAndCombos: 3}
	living, truth := dataset.GenerateWithTruth(cfg)

	var nullTotals, nullStock, untracked, notStocked, parents, children, combos int
	for _, c := range plain.NhanhCustomers {
		require.False(t, c.TotalAmountNull)
	}
	require.Len(t, plainTruth.ExpectedTotalSpent, len(plain.NhanhCustomers))
	for i, c := range living.NhanhCustomers {
		require.Equal(t, plain.NhanhCustomers[i].ID, c.ID, "the base world is unchanged")
		if c.TotalAmountNull {
			nullTotals++
			require.NotContains(t, truth.ExpectedTotalSpent, c.ID)
		}
	}
	for _, p := range living.NhanhProducts {
		switch {
		case p.StockNull:
			nullStock++
		case p.ParentID == -2:
			parents++
			require.Equal(t, dataset.ReasonParentProduct, truth.UnmatchedNhanhProducts[p.ID])
		case p.ParentID > 0:
			children++
		case len(p.Combos) > 0:
			combos++
			require.Equal(t, dataset.ReasonComboProduct, truth.UnmatchedNhanhProducts[p.ID])
		}
	}
	for _, v := range living.ShopifyVariants {
		if v.Untracked {
			untracked++
		}
		for _, loc := range v.NotStockedAt {
			notStocked++
			require.NotContains(t, v.Available, loc)
			require.NotEqual(t, truth.PrimaryLocation, loc, "the primary location stays stocked")
		}
	}
	require.Positive(t, nullTotals)
	require.Positive(t, nullStock)
	require.Positive(t, untracked)
	require.Positive(t, notStocked)
	require.Equal(t, 3, parents)
	require.Equal(t, 6, children)
	require.Equal(t, 3, combos)
	require.Len(t, living.NhanhProducts, len(plain.NhanhProducts)+12)
}
