// Package fault decides, from a seed, which sandbox requests fail and how, so
// a test that injects faults sees the same faults on every run with the same
// request order.
package fault

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
)

// Kind is one way a request can fail.
type Kind string

// Fault kinds. None means the request is served normally.
const (
	None      Kind = ""
	Server    Kind = "5xx"       // HTTP 500/502/503
	Timeout   Kind = "timeout"   // the server stalls until the client gives up
	Malformed Kind = "malformed" // a truncated or broken JSON body
	Throttle  Kind = "throttle"  // the API's rate-limit reply (THROTTLED / ERR_429)
	Lock      Kind = "lock"      // Nhanh's ERR_429 lock with lockedSeconds
)

// Spec is the probability of each kind per request, plus the seed.
type Spec struct {
	Seed  uint64
	Rates map[Kind]float64
}

// Parse reads a spec like "seed=7,5xx=0.05,timeout=0.01". An empty string is no faults.
func Parse(s string) (Spec, error) {
	spec := Spec{Rates: map[Kind]float64{}}
	if strings.TrimSpace(s) == "" {
		return spec, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Spec{}, fmt.Errorf("fault spec %q: want key=value", part)
		}
		if k == "seed" {
			seed, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return Spec{}, fmt.Errorf("fault spec seed %q: %w", v, err)
			}
			spec.Seed = seed
			continue
		}
		kind := Kind(k)
		switch kind {
		case Server, Timeout, Malformed, Throttle, Lock:
		default:
			return Spec{}, fmt.Errorf("fault spec: unknown kind %q (want 5xx, timeout, malformed, throttle, lock)", k)
		}
		rate, err := strconv.ParseFloat(v, 64)
		if err != nil || rate < 0 || rate > 1 {
			return Spec{}, fmt.Errorf("fault spec %s=%q: want a rate between 0 and 1", k, v)
		}
		spec.Rates[kind] = rate
	}
	return spec, nil
}

// Injector draws faults from a Spec. It is safe for concurrent use; the
// sequence of draws is deterministic for a given seed and call order.
type Injector struct {
	mu    sync.Mutex
	rng   *rand.Rand
	rates []kindRate
}

type kindRate struct {
	kind Kind
	rate float64
}

// NewInjector returns an injector for spec. A nil *Injector injects nothing.
func NewInjector(spec Spec) *Injector {
	inj := &Injector{rng: rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))}
	// A fixed order keeps draws deterministic.
	for _, k := range []Kind{Server, Timeout, Malformed, Throttle, Lock} {
		if r := spec.Rates[k]; r > 0 {
			inj.rates = append(inj.rates, kindRate{k, r})
		}
	}
	return inj
}

// Next draws the fault for the next request, or None.
func (inj *Injector) Next() Kind {
	if inj == nil || len(inj.rates) == 0 {
		return None
	}
	inj.mu.Lock()
	defer inj.mu.Unlock()
	x := inj.rng.Float64()
	for _, kr := range inj.rates {
		if x < kr.rate {
			return kr.kind
		}
		x -= kr.rate
	}
	return None
}
