package match

import "slices"

// maxNamed is how many candidates a failed match names; the count says
// how many there were in all.
const maxNamed = 5

// pairSet decides which unmapped Nhanh records pair one-to-one with the
// Shopify records they reach. The Nhanh records ("left") are numbered in the
// order they are added; the Shopify records ("right") by the caller's table,
// which holds only those reached by some left. A right already mapped to
// another Nhanh record is not a candidate, but is remembered so the left
// can be told why it has none.
//
// Memory is two int32 per left plus one per right; lists exist only for the
// rare lefts with several candidates.
type pairSet struct {
	first  []int32           // per left: the first free right it reaches, or -1
	count  []int32           // per left: how many free rights it reaches
	others map[int32][]int32 // per left with several: the next ones, up to maxNamed in all
	taken  map[int32][]int32 // per left: mapped rights it reaches, up to maxNamed
	rights int32             // how many rights have been linked
}

func newPairSet() *pairSet {
	return &pairSet{others: map[int32][]int32{}, taken: map[int32][]int32{}}
}

// addLeft adds a left with no candidates yet and returns its number.
func (p *pairSet) addLeft() int32 {
	p.first = append(p.first, -1)
	p.count = append(p.count, 0)
	return int32(len(p.first) - 1)
}

func (p *pairSet) lefts() int { return len(p.first) }

// link records that left l reaches right r. Each pair must be linked once.
func (p *pairSet) link(l, r int32, mapped bool) {
	p.rights = max(p.rights, r+1)
	if mapped {
		if len(p.taken[l]) < maxNamed {
			p.taken[l] = append(p.taken[l], r)
		}
		return
	}
	p.count[l]++
	switch {
	case p.first[l] < 0:
		p.first[l] = r
	case len(p.others[l])+1 < maxNamed:
		p.others[l] = append(p.others[l], r)
	}
}

// verdictKind is what became of one left.
type verdictKind int

const (
	verdictPaired       verdictKind = iota // exactly one candidate, claimed by no other left
	verdictNone                            // no candidate at all
	verdictAmbiguous                       // several candidates
	verdictConflict                        // its only candidate is the only candidate of other lefts too
	verdictTakenAlready                    // every right it reaches is mapped already
)

// verdict is the decision for one left.
type verdict struct {
	left   int32
	kind   verdictKind
	right  int32   // paired, conflict: the candidate
	named  []int32 // ambiguous: candidates named; taken: the mapped rights
	count  int     // ambiguous: how many candidates in all; conflict: how many rivals
	rivals []int32 // conflict: the other lefts claiming right, up to maxNamed
}

// decide calls fn with the verdict of every left in order and stops at
// fn's first error.
func (p *pairSet) decide(fn func(verdict) error) error {
	// A right is claimed by every left whose only candidate it is; a right
	// with two claimants pairs with neither.
	claims := make([]int32, p.rights)
	for l, n := range p.count {
		if n == 1 {
			claims[p.first[l]]++
		}
	}
	claimants := map[int32][]int32{}
	for l, n := range p.count {
		if r := p.first[l]; n == 1 && claims[r] > 1 {
			claimants[r] = append(claimants[r], int32(l))
		}
	}
	for l := range p.first {
		v := verdict{left: int32(l), right: p.first[l], count: int(p.count[l])}
		switch n := p.count[l]; {
		case n == 0 && len(p.taken[v.left]) > 0:
			v.kind, v.named = verdictTakenAlready, p.taken[v.left]
		case n == 0:
			v.kind = verdictNone
		case n > 1:
			v.kind = verdictAmbiguous
			v.named = append([]int32{v.right}, p.others[v.left]...)
		case claims[v.right] > 1:
			v.kind = verdictConflict
			v.count = int(claims[v.right]) - 1
			v.rivals = rivalsOf(claimants[v.right], v.left)
		default:
			v.kind = verdictPaired
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// rivalsOf returns up to maxNamed of claimants other than l.
func rivalsOf(claimants []int32, l int32) []int32 {
	out := make([]int32, 0, min(len(claimants), maxNamed))
	for _, c := range claimants {
		if c != l && len(out) < maxNamed {
			out = append(out, c)
		}
	}
	return out
}

// keyIndex finds the lefts that carry a key (a phone number, an e-mail, a
// SKU). Most keys belong to one left, so the first is kept in a flat map
// and only shared keys get a list.
type keyIndex[K comparable] struct {
	first map[K]int32
	more  map[K][]int32
}

func newKeyIndex[K comparable]() *keyIndex[K] {
	return &keyIndex[K]{first: map[K]int32{}, more: map[K][]int32{}}
}

// add records that left l carries k; adding the same pair twice is harmless.
func (x *keyIndex[K]) add(k K, l int32) {
	f, ok := x.first[k]
	switch {
	case !ok:
		x.first[k] = l
	case f != l && !slices.Contains(x.more[k], l):
		x.more[k] = append(x.more[k], l)
	}
}

// appendLefts appends the lefts carrying k to dst.
func (x *keyIndex[K]) appendLefts(dst []int32, k K) []int32 {
	f, ok := x.first[k]
	if !ok {
		return dst
	}
	return append(append(dst, f), x.more[k]...)
}

func (x *keyIndex[K]) len() int { return len(x.first) }

// distinct sorts ls and drops repeats, in place.
func distinct(ls []int32) []int32 {
	if len(ls) < 2 {
		return ls
	}
	slices.Sort(ls)
	return slices.Compact(ls)
}
