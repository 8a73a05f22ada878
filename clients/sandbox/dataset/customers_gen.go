package dataset

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"syncops/clients/extid"
)

// customerRole is what one slot of the Nhanh customer list is generated to
// test. Every role except rolePhoneMatch is a hard case.
type customerRole int

const (
	roleAmbiguousPhone   customerRole = iota // 1 Nhanh, 2 Shopify share a phone
	roleAmbiguousEmail                       // 1 Nhanh without phone, 2 Shopify share its e-mail
	roleEmailFallback                        // 1 Nhanh without phone, 1 Shopify with its e-mail in another case
	roleConflict                             // 2 Nhanh share a phone, 1 Shopify has it
	roleNhanhOnly                            // phone known to nobody on Shopify
	roleNoKey                                // neither phone nor e-mail
	roleEmailNoCandidate                     // no phone, e-mail unknown to Shopify
	rolePhoneMatch                           // the ordinary case: one phone, one partner

	// The roles below exist only with GenerateConfig.PhoneCases (phones_gen.go).
	roleOldPrefixNhanh    // Nhanh has the old 11-digit mobile, Shopify the new form
	roleOldPrefixShopify  // Nhanh has the new form, Shopify the old 11-digit mobile
	roleLandlineMatch     // one landline on both sides
	roleLandlineLookalike // a landline on one side, the mobile of its last 9 digits on the other
	roleLabelledNote      // the number bare in a Shopify note, right after a phone label
	roleBankNote          // the number in a Shopify note as a bank account or unlabelled

	numCustomerRoles
)

// customerRoleCounts returns how many slots each role gets for n Nhanh
// customers, indexed by role: small rates, but at least one of each while
// n allows. Without phoneCases the phone roles get none, and the world is
// the one generated before they existed.
func customerRoleCounts(n int, phoneCases bool) []int {
	hard := []customerRole{roleAmbiguousPhone, roleAmbiguousEmail, roleEmailFallback, roleConflict,
		roleNhanhOnly, roleNoKey, roleEmailNoCandidate}
	cost := []int{1, 1, 1, 2, 1, 1, 1}
	want := []int{n / 1000, n / 2000, n / 200, n / 2000, n * 6 / 100, n / 200, n / 400}
	if phoneCases {
		hard = append(hard, roleOldPrefixNhanh, roleOldPrefixShopify, roleLandlineMatch, roleLandlineLookalike,
			roleLabelledNote, roleBankNote)
		cost = append(cost, 1, 1, 1, 1, 1, 1)
		want = append(want, n/100, n/100, n/200, n/400, n/400, n/400)
	}
	c := roleCounts(n, cost, want)
	counts := make([]int, numCustomerRoles)
	for i, r := range hard {
		counts[r] = c[i]
	}
	counts[rolePhoneMatch] = c[len(hard)]
	return counts
}

// phoneFormatWeights makes E.164 and local numbers the common case, as in
// real Shopify stores, and the odd formats rarer.
var phoneFormatWeights = map[PhoneFormat]int{
	PhoneLocal: 20, PhoneCountry: 8, PhoneE164: 30, PhoneGroupedSpaces: 5,
	PhoneGroupedDots: 3, PhoneGroupedDashes: 3, PhoneDoubleZero: 3,
	PhoneNoLeadingZero: 5, PhoneAddressOnly: 8, PhoneNoteOnly: 5, PhoneAndAddressBoth: 10,
}

// Rates of optional customer data.
const (
	nhanhEmailRate      = 0.35 // Nhanh customers with an e-mail
	sharedEmailRate     = 0.8  // Shopify partners that share the Nhanh e-mail
	shopifyEmailRate    = 0.75 // other Shopify customers with an e-mail
	staleMetafieldRate  = 0.05 // partners already holding an old custom.total_spent
	foldedNameRate      = 0.15 // Shopify names typed without diacritics
	noiseNoteRate       = 0.2
	unrelatedAddrPhRate = 0.1 // a second, unrelated number on the address
	shopifyOnlyPerNhanh = 10  // one Shopify-only customer per this many Nhanh customers
)

func (g *generator) generateCustomers() {
	n := g.cfg.Customers
	counts := customerRoleCounts(n, g.cfg.PhoneCases)
	roles := shuffledRoles[customerRole](g, counts)
	shopifyOnly := max(1, n/shopifyOnlyPerNhanh)
	shopifyTotal := counts[roleAmbiguousPhone]*2 + counts[roleAmbiguousEmail]*2 +
		counts[roleEmailFallback] + counts[roleConflict] + counts[rolePhoneMatch] + shopifyOnly
	for r := roleOldPrefixNhanh; r < numCustomerRoles; r++ {
		shopifyTotal += counts[r] // one Shopify customer each
	}
	nhanhIDs := g.shuffledPool(firstNhanhCustomerID, n, 7)
	shopifyIDs := g.shuffledPool(firstShopifyCustomerID, shopifyTotal, 4000)
	cb := &customerBuilder{g: g, nhanhIDs: nhanhIDs, shopifyIDs: shopifyIDs}
	g.ds.NhanhCustomers = make([]NhanhCustomer, 0, n)
	g.ds.ShopifyCustomers = make([]ShopifyCustomer, 0, shopifyTotal)

	phoneMatches := 0
	for _, role := range roles {
		switch role {
		case rolePhoneMatch:
			// The first matches take each format once, so every format is
			// present even in a small world.
			f := cb.weightedFormat()
			if phoneMatches < len(PhoneFormats) {
				f = PhoneFormats[phoneMatches]
			}
			phoneMatches++
			cb.phoneMatch(f)
		case roleAmbiguousPhone:
			cb.ambiguousPhone()
		case roleAmbiguousEmail:
			cb.ambiguousEmail()
		case roleEmailFallback:
			cb.emailFallback()
		case roleConflict:
			cb.conflict()
		case roleNhanhOnly:
			s := g.freshSubscriber(false)
			id := cb.nhanh("0"+s, cb.maybeFreshEmail(nhanhEmailRate))
			g.truth.UnmatchedNhanhCustomers[id] = ReasonNoCandidate
		case roleNoKey:
			id := cb.nhanh("", "")
			g.truth.UnmatchedNhanhCustomers[id] = ReasonNoKey
		case roleEmailNoCandidate:
			id := cb.nhanh("", cb.maybeFreshEmail(1))
			g.truth.UnmatchedNhanhCustomers[id] = ReasonNoCandidate
		default:
			cb.phoneCase(role)
		}
	}
	for range shopifyOnly {
		cb.shopifyOnly()
	}
	sortByID(g.ds.NhanhCustomers, func(c NhanhCustomer) extid.NhanhCustomerID { return c.ID })
	// GIDs of one kind have the same number of digits, so text order is id order.
	sortByID(g.ds.ShopifyCustomers, func(c ShopifyCustomer) extid.ShopifyCustomerGID { return c.ID })
}

// customerBuilder creates the records of one role at a time. It keeps the
// name of the person being built so both sides of a pair agree on it.
type customerBuilder struct {
	g                    *generator
	nhanhIDs, shopifyIDs *idPool
	family, middle, give string
}

func (cb *customerBuilder) newPerson() {
	cb.family, cb.middle, cb.give = cb.g.fullName()
}

func (cb *customerBuilder) weightedFormat() PhoneFormat {
	total := 0
	for _, f := range PhoneFormats {
		total += phoneFormatWeights[f]
	}
	x := cb.g.rng.IntN(total)
	for _, f := range PhoneFormats {
		if x < phoneFormatWeights[f] {
			return f
		}
		x -= phoneFormatWeights[f]
	}
	return PhoneE164
}

func (cb *customerBuilder) maybeFreshEmail(rate float64) string {
	if !cb.g.chance(rate) {
		return ""
	}
	return cb.g.freshEmail(cb.family, cb.middle, cb.give)
}

// nhanh appends a Nhanh customer for the current person and returns its id.
func (cb *customerBuilder) nhanh(mobile, email string) extid.NhanhCustomerID {
	g := cb.g
	id := extid.NhanhCustomerID(cb.nhanhIDs.take())
	c := NhanhCustomer{
		ID:       id,
		Type:     g.customerType(),
		Name:     cb.family + " " + cb.middle + " " + cb.give,
		Mobile:   mobile,
		Email:    email,
		Address:  fmt.Sprintf("%d %s, %s", g.between(1, 300), pick(g, streets), pick(g, wards)),
		CityName: pick(g, cities),
	}
	c.TotalAmount = g.totalAmount()
	updatedFrom := g.pastTime()
	if c.TotalAmount > 0 {
		bought := g.pastTime()
		c.LastBoughtDate = bought.In(vietnamTime).Format(time.DateOnly)
		updatedFrom = bought
	}
	c.UpdatedAt = g.timeAfter(updatedFrom).Unix()
	g.ds.NhanhCustomers = append(g.ds.NhanhCustomers, c)
	g.truth.ExpectedTotalSpent[id] = int64(math.Round(c.TotalAmount))
	return id
}

func (g *generator) customerType() NhanhCustomerType {
	switch x := g.rng.IntN(100); {
	case x < 85:
		return NhanhRetail
	case x < 95:
		return NhanhWholesale
	default:
		return NhanhAgent
	}
}

// trickyAmounts are spends whose rounding a sync must get right.
var trickyAmounts = []float64{1234567.5, 999.49, 2500.5, 1000000.51, 499999.5, 15750.25, 0.5}

// totalAmount is a lifetime spend in VND: mostly whole thousands spread
// across the loyalty tiers, some zero, some with a fractional part.
func (g *generator) totalAmount() float64 {
	switch x := g.rng.IntN(100); {
	case x < 8:
		return 0
	case x < 11:
		return pick(g, trickyAmounts)
	case x < 14:
		return float64(g.between(10, 50000))*1000 + pick(g, []float64{0.5, 0.49, 0.51, 0.25, 0.75})
	default:
		// 10^5 .. 10^8.3 VND: from one purchase to a BLACK_DIAMOND wholesaler.
		v := math.Pow(10, 5+3.3*g.rng.Float64())
		return math.Round(v/1000) * 1000
	}
}

// shopify appends a Shopify customer for the current person and returns it
// for the caller to fill in the contact fields. The slice was allocated at
// its final size, so the pointer stays valid.
func (cb *customerBuilder) shopify() *ShopifyCustomer {
	g := cb.g
	first, last := cb.give, cb.family+" "+cb.middle
	if g.chance(foldedNameRate) {
		first, last = titleASCII(first), titleASCII(last)
	}
	spent := g.between(0, 400000) * 1000
	c := ShopifyCustomer{
		ID:             extid.ShopifyCustomerGID(extid.FormatGID(extid.ResourceCustomer, cb.shopifyIDs.take())),
		FirstName:      first,
		LastName:       last,
		NumberOfOrders: int64(g.between(0, 60)),
		AmountSpent:    strconv.Itoa(spent) + ".00",
		UpdatedAt:      g.pastTime().Unix(),
		Metafields:     map[string]Metafield{},
	}
	if g.chance(noiseNoteRate) {
		notes := noiseNotes
		if g.cfg.PhoneCases {
			notes = phoneCaseNoiseNotes
		}
		c.Note = pick(g, notes)
	}
	g.ds.ShopifyCustomers = append(g.ds.ShopifyCustomers, c)
	return &g.ds.ShopifyCustomers[len(g.ds.ShopifyCustomers)-1]
}

// titleASCII folds diacritics and keeps each word capitalised ("Đặng Văn" -> "Dang Van").
func titleASCII(s string) string {
	words := strings.Fields(foldASCII(s))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

func (cb *customerBuilder) phoneMatch(f PhoneFormat) {
	g := cb.g
	cb.newPerson()
	s := g.freshSubscriber(f == PhoneNoLeadingZero)
	email := cb.maybeFreshEmail(nhanhEmailRate)
	nid := cb.nhanh("0"+s, email)

	sc := cb.shopify()
	switch f {
	case PhoneAddressOnly:
		sc.DefaultAddressPhone = g.anyPhoneText(s)
	case PhoneNoteOnly:
		text := pick(g, []string{localGrouped(s, "."), localGrouped(s, " "), formatPhone(s, PhoneE164), formatPhone(s, PhoneLocal)})
		sc.Note = fmt.Sprintf(pick(g, noteTemplates), text)
	case PhoneAndAddressBoth:
		sc.Phone = formatPhone(s, PhoneE164)
		sc.DefaultAddressPhone = localGrouped(s, " ")
	default:
		sc.Phone = formatPhone(s, f)
		if g.chance(unrelatedAddrPhRate) {
			sc.DefaultAddressPhone = g.anyPhoneText(g.freshSubscriber(false))
		}
	}
	switch {
	case email != "" && g.chance(sharedEmailRate):
		sc.Email = email
	default:
		sc.Email = cb.maybeFreshEmail(shopifyEmailRate)
	}
	if g.chance(staleMetafieldRate) {
		stale := g.truth.ExpectedTotalSpent[nid] + int64(g.between(1, 500))*1000
		sc.Metafields["custom.total_spent"] = Metafield{Type: "number_integer", Value: strconv.FormatInt(stale, 10)}
	}
	g.truth.CustomerMatches[nid] = CustomerMatch{Shopify: sc.ID, By: MatchPhone, PhoneFormat: f}
}

func (cb *customerBuilder) ambiguousPhone() {
	g := cb.g
	cb.newPerson()
	s := g.freshSubscriber(false)
	nid := cb.nhanh("0"+s, cb.maybeFreshEmail(nhanhEmailRate))
	g.truth.UnmatchedNhanhCustomers[nid] = ReasonAmbiguousPhone
	// Two people of one household give the shop the same number.
	for i := range 2 {
		cb.newPerson()
		sc := cb.shopify()
		if i == 0 {
			sc.Phone = formatPhone(s, PhoneE164)
		} else {
			sc.DefaultAddressPhone = localGrouped(s, " ")
		}
		sc.Email = cb.maybeFreshEmail(shopifyEmailRate)
		g.truth.UnmatchedShopifyCustomers[sc.ID] = ReasonAmbiguousPhone
	}
}

func (cb *customerBuilder) ambiguousEmail() {
	g := cb.g
	cb.newPerson()
	email := g.freshEmail(cb.family, cb.middle, cb.give)
	nid := cb.nhanh("", email)
	g.truth.UnmatchedNhanhCustomers[nid] = ReasonAmbiguousEmail
	for i, e := range []string{email, mixedCase(email)} {
		if i == 1 {
			cb.newPerson()
		}
		sc := cb.shopify()
		sc.Email = e
		cb.maybeUnrelatedPhone(sc)
		g.truth.UnmatchedShopifyCustomers[sc.ID] = ReasonAmbiguousEmail
	}
}

func (cb *customerBuilder) emailFallback() {
	g := cb.g
	cb.newPerson()
	email := g.freshEmail(cb.family, cb.middle, cb.give)
	nhanhEmail := mixedCase(email)
	if g.chance(0.3) {
		nhanhEmail += " " // typed at the till with a trailing space
	}
	nid := cb.nhanh("", nhanhEmail)
	sc := cb.shopify()
	sc.Email = email
	cb.maybeUnrelatedPhone(sc)
	g.truth.CustomerMatches[nid] = CustomerMatch{Shopify: sc.ID, By: MatchEmail}
}

func (cb *customerBuilder) conflict() {
	g := cb.g
	cb.newPerson()
	s := g.freshSubscriber(false)
	samePerson := g.chance(0.5) // the till created the customer twice
	for i := range 2 {
		if i == 1 && !samePerson {
			cb.newPerson()
		}
		nid := cb.nhanh("0"+s, cb.maybeFreshEmail(nhanhEmailRate))
		g.truth.UnmatchedNhanhCustomers[nid] = ReasonConflict
	}
	sc := cb.shopify()
	sc.Phone = formatPhone(s, pick(g, []PhoneFormat{PhoneE164, PhoneLocal}))
	sc.Email = cb.maybeFreshEmail(shopifyEmailRate)
	g.truth.UnmatchedShopifyCustomers[sc.ID] = ReasonConflict
}

func (cb *customerBuilder) shopifyOnly() {
	g := cb.g
	cb.newPerson()
	sc := cb.shopify()
	cb.maybeUnrelatedPhone(sc)
	sc.Email = cb.maybeFreshEmail(0.85)
	g.truth.UnmatchedShopifyCustomers[sc.ID] = ReasonNoCandidate
}

// maybeUnrelatedPhone gives sc a number no Nhanh customer has, in a random
// format, or none.
func (cb *customerBuilder) maybeUnrelatedPhone(sc *ShopifyCustomer) {
	g := cb.g
	if g.chance(0.3) {
		return
	}
	f := pick(g, PhoneFormats[:phoneFieldFormats])
	sc.Phone = formatPhone(g.freshSubscriber(f == PhoneNoLeadingZero), f)
}

// phoneFieldFormats is how many leading PhoneFormats describe the text of
// the phone field itself (the rest describe where the number sits).
const phoneFieldFormats = 8
