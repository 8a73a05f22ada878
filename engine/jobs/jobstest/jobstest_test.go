package jobstest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine/jobs/jobstest"
)

func TestNewBuildsAWorkingWorld(t *testing.T) {
	t.Parallel()
	w := jobstest.New(t, jobstest.Options{})
	depots, err := w.Deps.Nhanh.Depots(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, depots)
	locs, err := w.Deps.Shopify.Locations(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, locs)
	require.NotNil(t, w.Engine, "the engine runs unless NoEngine")
}
