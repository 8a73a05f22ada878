package match

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

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
	state, resumed, err := startMatch(r, &params)
	if err != nil {
		return err
	}
	m, err := d.indexCustomers(ctx, int64(r.ID()))
	if err != nil {
		return err
	}
	r.SetTotal(int64(m.pairs.lefts()) + m.noKey)
	r.SetMeta("nhanhCustomers", int64(m.pairs.lefts())+m.noKey)
	r.SetMeta("shopifyCustomers", m.scanned)
	r.SetMeta("phonesIndexed", m.byPhone.len())
	if !resumed {
		state.Tally.NoKey = m.noKey
		r.Skipped(m.noKey)
	}
	state.Tally.report(r, customerMatchMethods)

	if err := saveUnkeyedReasons(ctx, d.Store, r, store.MappingKindCustomer, m.unkeyed, params.DryRun); err != nil {
		return err
	}
	hadReason, err := d.Store.MatchReasonIDs(ctx, d.Store.Reader(), store.MappingKindCustomer)
	if err != nil {
		return err
	}
	w := &batchWriter[store.CustomerMapping]{r: r, store: d.Store, kind: store.MappingKindCustomer, hadReason: hadReason, dryRun: params.DryRun, methods: customerMatchMethods,
		state: &state, checkpointed: d.Checkpointed,
		insert: func(ctx context.Context, tx *sql.Tx, ms []store.CustomerMapping) error {
			return d.Store.InsertMatchedCustomerMappings(ctx, tx, ms, d.Clock.Now())
		},
		inTheWay: d.Store.CustomerMappingsInTheWay,
		nhanhID:  func(cm store.CustomerMapping) int64 { return int64(cm.NhanhID) },
		method:   func(cm store.CustomerMapping) string { return cm.MatchMethod },
		describeWay: func(cm, way store.CustomerMapping) string {
			switch {
			case way.NhanhID == cm.NhanhID:
				return fmt.Sprintf("Nhanh customer %d has mapping %d", cm.NhanhID, way.ID)
			case way.ShopifyID == cm.ShopifyID:
				return fmt.Sprintf("Shopify customer %s is already mapped to Nhanh customer %d (mapping %d)",
					cm.ShopifyID, way.NhanhID, way.ID)
			}
			return ""
		},
	}
	var verdicts []verdict
	var last int64
	flush := func() error {
		if len(verdicts) == 0 {
			return nil
		}
		if err := timeUp(ctx); err != nil {
			return err
		}
		b, err := m.batch(ctx, d.Store, int64(r.ID()), verdicts, last)
		if err != nil {
			return err
		}
		verdicts = verdicts[:0]
		return w.start(ctx, b)
	}
	size := cmp.Or(d.BatchSize, matchBatch)
	resumedAt := state.Done // state moves as the batches commit
	err = m.pairs.decide(func(v verdict) error {
		id := int64(m.nhanh[v.left])
		if id <= resumedAt || m.isOwn(v.left) {
			return nil // decided by an earlier attempt of this job
		}
		verdicts, last = append(verdicts, v), id
		if len(verdicts) >= size {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return errors.Join(err, w.wait())
}

// batch turns the verdicts of a batch of Nhanh customers into the mappings
// to create, in the order of their Shopify ids (the unique index on them is
// the largest an insert updates, and filling it in order saves SQLite about
// a third of the time; Shopify ids of one shop have the same number of
// digits, so numeric order is the index's text order), and the failed items.
func (m *customerMatch) batch(ctx context.Context, s *store.Store, job int64, vs []verdict, last int64) (*batch[store.CustomerMapping], error) {
	b := &batch[store.CustomerMapping]{last: last}
	names, err := m.names(ctx, s, vs)
	if err != nil {
		return nil, err
	}
	var paired []verdict
	for _, v := range vs {
		if v.kind == verdictPaired {
			if owner, ok := m.shopify.own[v.right]; ok {
				// Mapped by an earlier attempt of this job to another
				// customer: a mirror changed between the attempts.
				b.tally.AlreadyMapped++
				f := matchFailure(int64(m.nhanh[v.left]), "match by "+m.key(v.left),
					fmt.Sprintf("no unmapped Shopify customer has %s: %s is already mapped to Nhanh customer %d",
						m.key(v.left), m.describe(names, []int32{v.right})[0], owner))
				b.failures = append(b.failures, f)
				b.reasons = append(b.reasons, reasonOf(int64(m.nhanh[v.left]), v.kind, f.Message,
					[]string{string(m.shopify.gid(v.right))}))
				continue
			}
			paired = append(paired, v)
			continue
		}
		if f, ok := m.unmatched(&b.tally, names, v); ok {
			b.failures = append(b.failures, f)
			b.reasons = append(b.reasons, reasonOf(int64(m.nhanh[v.left]), v.kind, f.Message, m.candidates(v)))
		} else {
			b.skipped++
			b.reasons = append(b.reasons, reasonOf(int64(m.nhanh[v.left]), v.kind,
				"no Shopify customer has "+m.key(v.left), nil))
		}
	}
	slices.SortFunc(paired, func(a, b verdict) int { return cmp.Compare(m.shopify.nums[a.right], m.shopify.nums[b.right]) })
	b.mappings = make([]store.CustomerMapping, len(paired))
	for i, v := range paired {
		b.mappings[i] = store.CustomerMapping{NhanhID: m.nhanh[v.left], ShopifyID: m.shopify.gid(v.right),
			Status: store.MappingPending, MatchMethod: m.method(v.left), CreatedByJob: job}
	}
	return b, nil
}

// names reads the names of the Shopify customers the failures among vs
// will name, in one query; the match itself keeps no names in memory.
func (m *customerMatch) names(ctx context.Context, s *store.Store, vs []verdict) (map[extid.ShopifyCustomerGID]string, error) {
	var gids []extid.ShopifyCustomerGID
	for _, v := range vs {
		switch v.kind {
		case verdictAmbiguous, verdictTakenAlready:
			for _, rt := range v.named {
				gids = append(gids, m.shopify.gid(rt))
			}
		case verdictConflict, verdictPaired:
			if _, own := m.shopify.own[v.right]; v.kind == verdictConflict || own {
				gids = append(gids, m.shopify.gid(v.right))
			}
		}
	}
	if len(gids) == 0 {
		return nil, nil
	}
	names, err := s.ShopifyCustomerNames(ctx, s.Reader(), gids)
	if err != nil {
		return nil, fmt.Errorf("read the names of Shopify customers: %w", err)
	}
	return names, nil
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
	// unkeyed are their reasons.
	unkeyed []store.MatchReason
	scanned int64  // Shopify customers read
	own     []bool // per left, when the job resumes: mapped by an earlier attempt

	nums  []phone.Number // scratch
	lefts []int32        // scratch
}

// indexCustomers reads the unmapped Nhanh customers' keys and, at the same
// time on another connection, the Shopify customers' contacts (their
// numbers parsed as they arrive, kept in a compact form), then links each
// Shopify customer to the Nhanh customers it reaches. The two reads are
// independent and take about as long each, so reading them side by side
// takes the time of the longer one. Mappings made by job (an earlier
// attempt of the running one) count as not made yet.
func (d Deps) indexCustomers(ctx context.Context, job int64) (*customerMatch, error) {
	m := &customerMatch{pairs: newPairSet(), emails: map[int32]string{},
		byPhone: newKeyIndex[phone.Number](), byEmail: newKeyIndex[string](),
		shopify: customerRefs{odd: map[int32]extid.ShopifyCustomerGID{}, mappedTo: map[int32]extid.NhanhCustomerID{},
			own: map[int32]extid.NhanhCustomerID{}}}
	var contacts contactBuffer
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var nums []phone.Number
		return d.Store.EachShopifyCustomerContact(gctx, d.Store.Reader(), job, func(c store.ShopifyCustomerContact) {
			nums = phone.AppendAll(nums[:0], c.Phone)
			nums = phone.AppendAll(nums, c.AddressPhone)
			nums = phone.AppendFromNote(nums, c.Note)
			contacts.add(c, nums)
		})
	})
	g.Go(func() error {
		return d.Store.EachUnmappedNhanhCustomer(gctx, d.Store.Reader(), job, func(k store.NhanhCustomerKeys) {
			m.addNhanh(k.ID, k.Mobile, k.Email, k.Own)
		})
	})
	if err := g.Wait(); err != nil { // the first read to fail stops the other
		return nil, err
	}
	m.scanned = int64(len(contacts.ends))
	for i := range contacts.ends {
		m.link(&contacts, i)
	}
	return m, nil
}

// contactBuffer holds the Shopify customers' contacts as matching needs
// them, one entry a customer: the GID's number (the GID itself in odd when
// it has another shape), the numbers found in its phones and note (flat, up
// to ends[i]), its e-mail and the Nhanh customer it is mapped to. About 40
// bytes a customer, against a few hundred for the rows read.
type contactBuffer struct {
	gids     []int64
	odd      map[int]extid.ShopifyCustomerGID
	nums     []phone.Number
	ends     []int32
	emails   []string
	mappedTo map[int]extid.NhanhCustomerID
	own      map[int]bool
}

func (b *contactBuffer) add(c store.ShopifyCustomerContact, nums []phone.Number) {
	i := len(b.ends)
	n, err := extid.ParseTypedGID(string(c.ID), extid.ResourceCustomer)
	if err != nil {
		n = 0
		if b.odd == nil {
			b.odd = map[int]extid.ShopifyCustomerGID{}
		}
		b.odd[i] = c.ID
	}
	b.gids = append(b.gids, n)
	b.nums = append(b.nums, nums...)
	b.ends = append(b.ends, int32(len(b.nums)))
	b.emails = append(b.emails, c.Email)
	if c.MappedTo != 0 {
		if b.mappedTo == nil {
			b.mappedTo, b.own = map[int]extid.NhanhCustomerID{}, map[int]bool{}
		}
		b.mappedTo[i], b.own[i] = c.MappedTo, c.Own
	}
}

// numbers are the numbers of contact i.
func (b *contactBuffer) numbers(i int) []phone.Number {
	start := int32(0)
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.nums[start:b.ends[i]]
}

func (m *customerMatch) addNhanh(id extid.NhanhCustomerID, mobile, email string, own bool) {
	m.nums = distinctNumbers(phone.AppendAll(m.nums[:0], mobile))
	email = emailKey(email)
	if len(m.nums) == 0 && email == "" {
		m.noKey++
		r := store.MatchReason{NhanhID: int64(id), Code: engine.ReasonNoPhone, Message: "no phone and no e-mail"}
		if strings.TrimSpace(mobile) != "" {
			r.Code, r.Message = engine.ReasonPhoneUnreadable, fmt.Sprintf("no phone number can be read in %q, and no e-mail", mobile)
		}
		m.unkeyed = append(m.unkeyed, r)
		return
	}
	l := m.pairs.addLeft()
	m.nhanh = append(m.nhanh, id)
	if own && m.own == nil {
		m.own = make([]bool, l, l+1)
	}
	if m.own != nil {
		m.own = append(m.own, own)
	}
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

// link links Shopify customer i of contacts, by its numbers and e-mail, to
// the Nhanh customers it reaches.
func (m *customerMatch) link(contacts *contactBuffer, i int) {
	m.lefts = m.lefts[:0]
	for _, n := range contacts.numbers(i) {
		m.lefts = m.byPhone.appendLefts(m.lefts, n)
	}
	if m.byEmail.len() > 0 {
		if key := emailKey(contacts.emails[i]); key != "" {
			m.lefts = m.byEmail.appendLefts(m.lefts, key)
		}
	}
	if len(m.lefts) == 0 {
		return
	}
	mappedTo, own := contacts.mappedTo[i], contacts.own[i]
	r := m.shopify.add(contacts.gids[i], contacts.odd[i], mappedTo, own)
	for _, l := range distinct(m.lefts) {
		m.pairs.link(l, r, mappedTo != 0 && !own)
	}
}

// isOwn reports whether left l was mapped by an earlier attempt of the job.
func (m *customerMatch) isOwn(l int32) bool { return int(l) < len(m.own) && m.own[l] }

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

// unmatched counts a Nhanh customer left without a mapping and, when an
// operator can resolve it, returns the failed item saying how.
func (m *customerMatch) unmatched(t *matchTally, names map[extid.ShopifyCustomerGID]string, v verdict) (engine.Failure, bool) {
	key := m.key(v.left)
	var msg string
	switch v.kind {
	case verdictNone:
		t.NoCandidate++
		return engine.Failure{}, false
	case verdictAmbiguous:
		t.Ambiguous++
		msg = fmt.Sprintf("%s is on %s: %s; map this customer by hand", key,
			plural(v.count, "Shopify customer", "Shopify customers"), listNamed(m.describe(names, v.named), v.count))
	case verdictConflict:
		t.Conflicts++
		rivals := make([]string, len(v.rivals))
		for i, l := range v.rivals {
			rivals[i] = fmt.Sprintf("%d (%s)", m.nhanh[l], m.key(l))
		}
		msg = fmt.Sprintf("Shopify customer %s, found by %s, is also the only match of %s: %s; "+
			"none of them was mapped: map the right one by hand", m.describe(names, []int32{v.right})[0], key,
			plural(v.count, "other Nhanh customer", "other Nhanh customers"), listNamed(rivals, v.count))
	default: // verdictTakenAlready
		t.AlreadyMapped++
		described := m.describe(names, v.named)
		for i, rt := range v.named {
			described[i] += fmt.Sprintf(" is already mapped to Nhanh customer %d", m.shopify.mappedTo[rt])
		}
		msg = fmt.Sprintf("no unmapped Shopify customer has %s: %s", key, strings.Join(described, "; "))
	}
	return matchFailure(int64(m.nhanh[v.left]), "match by "+key, msg), true
}

// candidates are the Shopify customers an unmatched verdict names.
func (m *customerMatch) candidates(v verdict) []string {
	rights := v.named
	if v.kind == verdictConflict {
		rights = []int32{v.right}
	}
	out := make([]string, len(rights))
	for i, rt := range rights {
		out[i] = string(m.shopify.gid(rt))
	}
	return out
}

// describe names Shopify customers for a message: "gid (Nguyễn Thị Lan)". A
// customer deleted since it was read is named by its id alone.
func (m *customerMatch) describe(names map[extid.ShopifyCustomerGID]string, rights []int32) []string {
	out := make([]string, len(rights))
	for i, rt := range rights {
		gid := m.shopify.gid(rt)
		out[i] = string(gid)
		if name := names[gid]; name != "" {
			out[i] += " (" + name + ")"
		}
	}
	return out
}

// customerRefs numbers the Shopify customers reached by some Nhanh
// customer, keeping only the numeric part of each GID (a GID of another
// shape is kept whole) and, for those already mapped, the Nhanh customer:
// in mappedTo, or in own when the running job mapped it.
type customerRefs struct {
	nums     []int64
	odd      map[int32]extid.ShopifyCustomerGID
	mappedTo map[int32]extid.NhanhCustomerID
	own      map[int32]extid.NhanhCustomerID
}

// add numbers a Shopify customer by its GID's number, or by odd, its GID,
// when that has another shape (n is then 0).
func (t *customerRefs) add(n int64, odd extid.ShopifyCustomerGID, mappedTo extid.NhanhCustomerID, own bool) int32 {
	r := int32(len(t.nums))
	if odd != "" {
		t.odd[r] = odd
	}
	t.nums = append(t.nums, n)
	switch {
	case mappedTo != 0 && own:
		t.own[r] = mappedTo
	case mappedTo != 0:
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
