package sandbox

import (
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox/fault"
)

func draws(inj *fault.Injector, n int) []fault.Kind {
	out := make([]fault.Kind, n)
	for i := range out {
		out[i] = inj.Next()
	}
	return out
}

func TestInjectorStreams(t *testing.T) {
	t.Parallel()
	spec := fault.Spec{Rates: map[fault.Kind]float64{fault.Server: 0.5}}
	const n = 64

	again := draws(injector(spec, 7, nhanhFaultStream), n)
	require.Equal(t, draws(injector(spec, 7, nhanhFaultStream), n), again, "same seed, same faults")
	require.NotEqual(t, again, draws(injector(spec, 7, shopifyFaultStream), n), "each API has its own stream")
	require.NotEqual(t, again, draws(injector(spec, 8, nhanhFaultStream), n), "another seed, other faults")
	require.Contains(t, again, fault.Server)
	require.Contains(t, again, fault.None)

	require.Nil(t, injector(fault.Spec{}, 7, nhanhFaultStream), "no rates, no injector")
	require.Nil(t, injector(fault.Spec{Rates: map[fault.Kind]float64{fault.Server: 0}}, 7, nhanhFaultStream))
}
