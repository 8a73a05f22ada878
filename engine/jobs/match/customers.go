package match

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"syncops/clients/extid"
	"syncops/engine"
	"syncops/engine/phone"
	"syncops/store"
)

// customerMatchMethods are the metadata keys of customer matches by method.
var customerMatchMethods = map[string]string{store.MatchPhone: "matchedByPhone", store.MatchEmail: "matchedByEmail"}

// autoMatchCustomers maps unmapped Nhanh customers to Shopify customers.
//
// A Nhanh customer is matched by its mobile: every number in it, reduced to
// the subscriber number (package phone), against the numbers in a Shopify
// customer's phone, default address phone and note (notes shorter than
// phone.MaxNoteChars). A Nhanh customer with no readable mobile falls back
// to its e-mail, trimmed and compared without case; one whose number reaches
// nobody does not fall back. These are the rules the sandbox's Truth
// follows (clients/sandbox/dataset/truth.go).
func (d Deps) autoMatchCustomers(ctx context.Context, r *engine.Run) error {
	var params matchParams
	if err := r.Params(&params); err != nil {
		return err
	}
	r.SetMeta("dryRun", params.DryRun)
	m, err := d.indexCustomers(ctx)
	if err != nil {
		return err
	}
	r.SetTotal(int64(m.pairs.lefts()) + m.noKey)
	r.SetMeta("nhanhCustomers", int64(m.pairs.lefts())+m.noKey)
	r.SetMeta("shopifyCustomers", m.scanned)
	r.SetMeta("phonesIndexed", m.byPhone.len())

	tally := newMatchTally()
	tally.noKey = m.noKey
	r.Skipped(m.noKey)
	w := &mappingWriter[store.CustomerMapping]{d: d, r: r, tally: tally, dryRun: params.DryRun,
		create:  d.Store.CreateCustomerMappings,
		nhanhID: func(cm store.CustomerMapping) int64 { return int64(cm.NhanhID) },
		method:  func(cm store.CustomerMapping) string { return cm.MatchMethod },
	}
	names := &customerNames{s: d.Store, cache: map[extid.ShopifyCustomerGID]string{}}
	var decided []pairedRefs
	err = m.pairs.decide(func(v verdict) error {
		if v.kind == verdictPaired {
			decided = append(decided, pairedRefs{left: v.left, right: v.right})
			return nil
		}
		return m.reportUnmatched(ctx, r, tally, names, v)
	})
	if err == nil {
		err = m.writePairs(ctx, w, decided)
	}
	tally.report(r, customerMatchMethods)
	return err
}

// pairedRefs is one decided pair.
type pairedRefs struct{ left, right int32 }

// writePairs creates the mappings in the order of their Shopify ids: the
// unique index on them is the largest an insert updates, and filling it in
// order instead of all over saves SQLite about a third of the time
// (measured with 450,000 mappings). Shopify ids of one shop have the same
// number of digits, so numeric order is the index's text order.
func (m *customerMatch) writePairs(ctx context.Context, w *mappingWriter[store.CustomerMapping], pairs []pairedRefs) error {
	slices.SortFunc(pairs, func(a, b pairedRefs) int { return cmp.Compare(m.shopify.nums[a.right], m.shopify.nums[b.right]) })
	for _, p := range pairs {
		err := w.add(ctx, store.CustomerMapping{NhanhID: m.nhanh[p.left], ShopifyID: m.shopify.gid(p.right),
			Status: store.MappingPending, MatchMethod: m.method(p.left)})
		if err != nil {
			return err
		}
	}
	return w.flush(ctx)
}

// customerMatch is the in-memory state of one customer match: the unmapped
// Nhanh customers (lefts) with their keys, and the Shopify customers they
// reach (rights).
type customerMatch struct {
	pairs   *pairSet
	nhanh   []extid.NhanhCustomerID // per left
	phone   []phone.Number          // per left: its first number, 0 if it matches by e-mail
	emails  map[int32]string        // per e-mail left: its e-mail key
	byPhone *keyIndex[phone.Number]
	byEmail *keyIndex[string]
	shopify customerRefs
	noKey   int64 // unmapped Nhanh customers with neither a number nor an e-mail
	scanned int64 // Shopify customers read

	nums  []phone.Number // scratch
	lefts []int32        // scratch
}

// indexCustomers reads the unmapped Nhanh customers' keys, then streams the
// Shopify customers' contacts and links each Shopify customer to the Nhanh
// customers it reaches.
func (d Deps) indexCustomers(ctx context.Context) (*customerMatch, error) {
	m := &customerMatch{pairs: newPairSet(), emails: map[int32]string{},
		byPhone: newKeyIndex[phone.Number](), byEmail: newKeyIndex[string](),
		shopify: customerRefs{odd: map[int32]extid.ShopifyCustomerGID{}, mappedTo: map[int32]extid.NhanhCustomerID{}}}
	err := d.Store.EachUnmappedNhanhCustomer(ctx, d.Store.Reader(), func(k store.NhanhCustomerKeys) {
		m.addNhanh(k.ID, k.Mobile, k.Email)
	})
	if err != nil {
		return nil, err
	}
	err = d.Store.EachShopifyCustomerContact(ctx, d.Store.Reader(), func(c store.ShopifyCustomerContact) {
		m.scanned++
		m.nums = phone.AppendAll(m.nums[:0], c.Phone)
		m.nums = phone.AppendAll(m.nums, c.AddressPhone)
		m.nums = phone.AppendFromNote(m.nums, c.Note)
		m.link(c, m.nums)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *customerMatch) addNhanh(id extid.NhanhCustomerID, mobile, email string) {
	m.nums = distinctNumbers(phone.AppendAll(m.nums[:0], mobile))
	email = emailKey(email)
	if len(m.nums) == 0 && email == "" {
		m.noKey++
		return
	}
	l := m.pairs.addLeft()
	m.nhanh = append(m.nhanh, id)
	if len(m.nums) == 0 {
		m.phone = append(m.phone, 0)
		m.emails[l] = email
		m.byEmail.add(email, l)
		return
	}
	m.phone = append(m.phone, m.nums[0])
	for _, n := range m.nums {
		m.byPhone.add(n, l)
	}
}

// link links a Shopify customer, by its numbers and e-mail, to the Nhanh
// customers it reaches.
func (m *customerMatch) link(c store.ShopifyCustomerContact, nums []phone.Number) {
	m.lefts = m.lefts[:0]
	for _, n := range nums {
		m.lefts = m.byPhone.appendLefts(m.lefts, n)
	}
	if m.byEmail.len() > 0 {
		if key := emailKey(c.Email); key != "" {
			m.lefts = m.byEmail.appendLefts(m.lefts, key)
		}
	}
	if len(m.lefts) == 0 {
		return
	}
	r := m.shopify.add(c.ID, c.MappedTo)
	for _, l := range distinct(m.lefts) {
		m.pairs.link(l, r, c.MappedTo != 0)
	}
}

// method is how left l matches: by phone, or by e-mail when it has no number.
func (m *customerMatch) method(l int32) string {
	if m.phone[l] == 0 {
		return store.MatchEmail
	}
	return store.MatchPhone
}

// key describes left l's match key for an operator: "phone 0912345678".
func (m *customerMatch) key(l int32) string {
	if m.phone[l] == 0 {
		return "e-mail " + m.emails[l]
	}
	return "phone " + m.phone[l].String()
}

// reportUnmatched counts a Nhanh customer left without a mapping and, when
// an operator can resolve it, records a failed item saying how.
func (m *customerMatch) reportUnmatched(ctx context.Context, r *engine.Run, t *matchTally, names *customerNames, v verdict) error {
	key := m.key(v.left)
	var msg string
	switch v.kind {
	case verdictNone:
		t.noCandidate++
		r.Skipped(1)
		return nil
	case verdictAmbiguous:
		t.ambiguous++
		described, err := m.describe(ctx, names, v.named)
		if err != nil {
			return err
		}
		msg = fmt.Sprintf("%s is on %s: %s; map this customer by hand", key,
			plural(v.count, "Shopify customer", "Shopify customers"), listNamed(described, v.count))
	case verdictConflict:
		t.conflicts++
		described, err := m.describe(ctx, names, []int32{v.right})
		if err != nil {
			return err
		}
		rivals := make([]string, len(v.rivals))
		for i, l := range v.rivals {
			rivals[i] = fmt.Sprintf("%d (%s)", m.nhanh[l], m.key(l))
		}
		msg = fmt.Sprintf("Shopify customer %s, found by %s, is also the only match of %s: %s; "+
			"none of them was mapped: map the right one by hand", described[0], key,
			plural(v.count, "other Nhanh customer", "other Nhanh customers"), listNamed(rivals, v.count))
	case verdictTakenAlready:
		t.alreadyMapped++
		described, err := m.describe(ctx, names, v.named)
		if err != nil {
			return err
		}
		for i, rt := range v.named {
			described[i] += fmt.Sprintf(" is already mapped to Nhanh customer %d", m.shopify.mappedTo[rt])
		}
		msg = fmt.Sprintf("no unmapped Shopify customer has %s: %s", key, strings.Join(described, "; "))
	default:
		return fmt.Errorf("customer match: unexpected verdict %d", v.kind)
	}
	return matchFailure(ctx, r, int64(m.nhanh[v.left]), "match by "+key, msg)
}

// describe names Shopify customers for a message: "gid (Nguyễn Thị Lan)".
func (m *customerMatch) describe(ctx context.Context, names *customerNames, rights []int32) ([]string, error) {
	out := make([]string, len(rights))
	for i, rt := range rights {
		gid := m.shopify.gid(rt)
		name, err := names.name(ctx, gid)
		if err != nil {
			return nil, err
		}
		out[i] = string(gid)
		if name != "" {
			out[i] += " (" + name + ")"
		}
	}
	return out, nil
}

// customerNames looks up the names of the few Shopify customers a failure
// names; the match itself keeps no names in memory.
type customerNames struct {
	s     *store.Store
	cache map[extid.ShopifyCustomerGID]string
}

func (n *customerNames) name(ctx context.Context, gid extid.ShopifyCustomerGID) (string, error) {
	if name, ok := n.cache[gid]; ok {
		return name, nil
	}
	c, err := n.s.ShopifyCustomer(ctx, n.s.Reader(), gid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Deleted since it was read: the id alone still identifies it.
	case err != nil:
		return "", fmt.Errorf("read Shopify customer %s: %w", gid, err)
	}
	// Vietnamese order: family and middle names (LastName) before the given name.
	name := strings.TrimSpace(c.LastName + " " + c.FirstName)
	n.cache[gid] = name
	return name, nil
}

// customerRefs numbers the Shopify customers reached by some Nhanh
// customer, keeping only the numeric part of each GID (a GID of another
// shape is kept whole) and, for those already mapped, the Nhanh customer.
type customerRefs struct {
	nums     []int64
	odd      map[int32]extid.ShopifyCustomerGID
	mappedTo map[int32]extid.NhanhCustomerID
}

func (t *customerRefs) add(id extid.ShopifyCustomerGID, mappedTo extid.NhanhCustomerID) int32 {
	r := int32(len(t.nums))
	n, err := extid.ParseTypedGID(string(id), extid.ResourceCustomer)
	if err != nil {
		n, t.odd[r] = 0, id
	}
	t.nums = append(t.nums, n)
	if mappedTo != 0 {
		t.mappedTo[r] = mappedTo
	}
	return r
}

func (t *customerRefs) gid(r int32) extid.ShopifyCustomerGID {
	if id, ok := t.odd[r]; ok {
		return id
	}
	return extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, t.nums[r]))
}

// emailKey is an e-mail as compared: trimmed, without case.
func emailKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// distinctNumbers drops repeated numbers in place, keeping the first order.
func distinctNumbers(ns []phone.Number) []phone.Number {
	out := ns[:0]
	for _, n := range ns {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
