package dataset

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"syncops/clients/extid"
)

// Defaults for GenerateConfig: a mid-sized Vietnamese fashion shop.
const (
	DefaultCustomers = 20000
	DefaultProducts  = 5000
	DefaultDepots    = 4
	DefaultLocations = 3
)

// DefaultBaseTime is the "now" of a generated world when the config gives
// none, so the same seed always yields the same timestamps.
var DefaultBaseTime = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// historySpan is how far back generated activity reaches from the base time.
const historySpan = 2 * 365 * 24 * time.Hour

// vietnamTime is UTC+7; a fixed zone keeps generation free of the tz database.
var vietnamTime = time.FixedZone("ICT", 7*60*60)

// First ids of each kind. Nhanh ids are large integers as in real shops;
// Shopify numbers are in the ranges real GIDs use.
const (
	firstNhanhCustomerID    = 142400000
	firstNhanhProductID     = 31400000
	firstNhanhDepotID       = 21000
	firstShopifyCustomerID  = 7712000000000
	firstShopifyProductID   = 8801000000000
	firstShopifyVariantID   = 44120000000000
	firstShopifyInventoryID = 46230000000000
	firstShopifyLocationID  = 72100000000
)

// GenerateConfig sizes a generated world. Zero fields take their defaults.
type GenerateConfig struct {
	Seed      uint64
	Customers int // Nhanh customers (default DefaultCustomers)
	Products  int // Nhanh products, deleted ones included (default DefaultProducts)
	Depots    int // Nhanh depots (default DefaultDepots)
	Locations int // Shopify locations (default DefaultLocations)
	// BaseTime is the generated world's "now": all dates fall in the two
	// years before it (default DefaultBaseTime).
	BaseTime time.Time
	// PhoneCases adds the phone cases of a real Vietnamese customer book
	// (phones_gen.go): mobiles in their pre-2018 11-digit form on one side
	// and the new form on the other, landlines, landlines whose last 9
	// digits are someone's mobile, bare numbers after a phone label in
	// notes, and bank accounts and other digit runs in notes. Off by
	// default: it changes the generated world.
	PhoneCases bool
	// Living switches on the hard cases of a trading shop; all off by default.
	Living LivingCases
}

// Validate reports a config that cannot be generated.
func (c GenerateConfig) Validate() error {
	var errs []error
	for _, size := range []struct {
		name string
		v    int
	}{{"customers", c.Customers}, {"products", c.Products}, {"depots", c.Depots}, {"locations", c.Locations}} {
		if size.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %d", size.name, size.v))
		}
	}
	return errors.Join(errs...)
}

func (c GenerateConfig) withDefaults() GenerateConfig {
	if c.Customers == 0 {
		c.Customers = DefaultCustomers
	}
	if c.Products == 0 {
		c.Products = DefaultProducts
	}
	if c.Depots == 0 {
		c.Depots = DefaultDepots
	}
	if c.Locations == 0 {
		c.Locations = DefaultLocations
	}
	if c.BaseTime.IsZero() {
		c.BaseTime = DefaultBaseTime
	}
	return c
}

// Generate builds a world from cfg. The same config always gives the same
// Dataset. It panics if cfg does not Validate: sizes are programmer input.
func Generate(cfg GenerateConfig) *Dataset {
	ds, _ := GenerateWithTruth(cfg)
	return ds
}

// GenerateWithTruth is Generate plus the answer key of the generated world.
func GenerateWithTruth(cfg GenerateConfig) (*Dataset, *Truth) {
	if err := cfg.Validate(); err != nil {
		panic("dataset.Generate: " + err.Error())
	}
	cfg = cfg.withDefaults()
	g := &generator{
		cfg:          cfg,
		rng:          rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0xda3e39cb94b95bdb)),
		ds:           &Dataset{},
		truth:        newTruth(),
		usedPhones:   map[string]struct{}{},
		usedEmails:   map[string]struct{}{},
		usedBarcodes: map[string]struct{}{},
	}
	g.generateLocations()
	g.generateDepots()
	g.generateCustomers()
	g.generateProducts()
	g.applyLiving()
	return g.ds, g.truth
}

// generator holds the state of one Generate call. The used* sets keep random
// keys from colliding by accident: every shared phone, e-mail or barcode in
// the output is a deliberate hard case recorded in Truth.
type generator struct {
	cfg   GenerateConfig
	rng   *rand.Rand
	ds    *Dataset
	truth *Truth

	usedPhones   map[string]struct{} // 9-digit subscriber numbers
	usedEmails   map[string]struct{} // lower-cased addresses
	usedBarcodes map[string]struct{}
}

func (g *generator) generateLocations() {
	names := []string{"Kho Hà Nội", "Cửa hàng Quận 1", "Kho Đà Nẵng", "Cửa hàng Cầu Giấy", "Kho Cần Thơ"}
	primary := g.rng.IntN(g.cfg.Locations)
	ids := g.idSeq(firstShopifyLocationID, g.cfg.Locations, 1000)
	for i := range g.cfg.Locations {
		loc := ShopifyLocation{
			ID:      extid.ShopifyLocationGID(extid.FormatGID(extid.ResourceLocation, ids[i])),
			Name:    pickOrNumbered(names, i, "Kho %d"),
			Primary: i == primary,
		}
		if loc.Primary {
			g.truth.PrimaryLocation = loc.ID
		}
		g.ds.ShopifyLocations = append(g.ds.ShopifyLocations, loc)
	}
}

func (g *generator) generateDepots() {
	names := []string{"Kho tổng Hà Nội", "Cửa hàng Hoàn Kiếm", "Kho Tân Bình", "Cửa hàng Hải Châu", "Kho Bình Dương"}
	ids := g.idSeq(firstNhanhDepotID, g.cfg.Depots, 50)
	for i := range g.cfg.Depots {
		g.ds.NhanhDepots = append(g.ds.NhanhDepots, NhanhDepot{
			ID:   extid.NhanhDepotID(ids[i]),
			Name: pickOrNumbered(names, i, "Kho số %d"),
		})
	}
}

func pickOrNumbered(names []string, i int, format string) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf(format, i+1)
}

// idSeq returns n ascending ids from first with random gaps below maxGap, as
// real id sequences have holes from deleted records.
func (g *generator) idSeq(first int64, n int, maxGap int) []int64 {
	ids := make([]int64, n)
	next := first
	for i := range ids {
		next += 1 + int64(g.rng.IntN(maxGap))
		ids[i] = next
	}
	return ids
}

// idPool is idSeq handed out in random order, for records whose creation
// order must not reveal their role (a Shopify customer's id must not tell
// which Nhanh customer it belongs to).
type idPool struct {
	ids  []int64
	next int
}

func (g *generator) shuffledPool(first int64, n int, maxGap int) *idPool {
	ids := g.idSeq(first, n, maxGap)
	g.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return &idPool{ids: ids}
}

func (p *idPool) take() int64 {
	id := p.ids[p.next]
	p.next++
	return id
}

// chance is true with probability p.
func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func pick[T any](g *generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// between returns a uniform integer in [lo, hi].
func (g *generator) between(lo, hi int) int { return lo + g.rng.IntN(hi-lo+1) }

// pastTime returns a moment within the history span before the base time.
func (g *generator) pastTime() time.Time {
	return g.cfg.BaseTime.Add(-time.Duration(g.rng.Int64N(int64(historySpan))))
}

// timeAfter returns a moment between t and the base time.
func (g *generator) timeAfter(t time.Time) time.Time {
	span := g.cfg.BaseTime.Sub(t)
	if span <= 0 {
		return t
	}
	return t.Add(time.Duration(g.rng.Int64N(int64(span))))
}

// freshSubscriber returns an unused 9-digit subscriber number. With
// bareSafe it avoids 84/85/86, which a reader could take for the country
// code when the number is written without its leading 0.
func (g *generator) freshSubscriber(bareSafe bool) string {
	for {
		prefix := pick(g, subscriberPrefixes)
		if bareSafe && (prefix == "84" || prefix == "85" || prefix == "86") {
			continue
		}
		s := prefix + fmt.Sprintf("%07d", g.rng.IntN(10_000_000))
		if _, used := g.usedPhones[s]; used {
			continue
		}
		g.usedPhones[s] = struct{}{}
		return s
	}
}

// formatPhone writes subscriber number s in the given format. The address
// and note formats only decide where the number goes; their text form is a
// local one chosen by the caller.
func formatPhone(s string, f PhoneFormat) string {
	grouped := func(sep string) string { return "+84 " + s[0:3] + sep + s[3:6] + sep + s[6:9] }
	switch f {
	case PhoneCountry:
		return "84" + s
	case PhoneE164:
		return "+84" + s
	case PhoneGroupedSpaces:
		return grouped(" ")
	case PhoneGroupedDots:
		return grouped(".")
	case PhoneGroupedDashes:
		return grouped("-")
	case PhoneDoubleZero:
		return "0084" + s
	case PhoneNoLeadingZero:
		return s
	default:
		return "0" + s
	}
}

// localGrouped writes s as shop staff type it: 0912.345.678 or 0912 345 678.
func localGrouped(s, sep string) string {
	return "0" + s[0:3] + sep + s[3:6] + sep + s[6:9]
}

// anyPhoneText writes s in a random one of the formats seen in the wild.
func (g *generator) anyPhoneText(s string) string {
	switch g.rng.IntN(4) {
	case 0:
		return formatPhone(s, PhoneE164)
	case 1:
		return localGrouped(s, pick(g, []string{" ", ".", "-"}))
	default:
		return formatPhone(s, PhoneLocal)
	}
}

// fullName returns a Vietnamese name split as Shopify stores it: family and
// middle names in LastName, the given name in FirstName.
func (g *generator) fullName() (family, middle, given string) {
	total := 0
	for _, w := range familyWeights {
		total += w
	}
	x := g.rng.IntN(total)
	for i, w := range familyWeights {
		if x < w {
			family = familyNames[i]
			break
		}
		x -= w
	}
	middle = pick(g, middleNames)
	for given = pick(g, givenNames); given == middle; given = pick(g, givenNames) {
	}
	return family, middle, given
}

// freshEmail returns an unused lower-case address built from the name.
func (g *generator) freshEmail(family, middle, given string) string {
	f, m, gv := foldASCII(family), foldASCII(middle), foldASCII(given)
	var local string
	switch g.rng.IntN(4) {
	case 0:
		local = gv + "." + f
	case 1:
		local = f + m + gv
	case 2:
		local = gv + f + strconv.Itoa(g.between(70, 99)) // birth year, as many do
	default:
		local = f + "." + gv + strconv.Itoa(g.between(1, 999))
	}
	domain := pick(g, emailDomains)
	email := local + "@" + domain
	for n := 2; ; n++ {
		if _, used := g.usedEmails[email]; !used {
			break
		}
		email = local + strconv.Itoa(n) + "@" + domain
	}
	g.usedEmails[email] = struct{}{}
	return email
}

// mixedCase returns the address with the first letter of each dot- or
// at-separated part upper-cased ("Lan.Nguyen@Gmail.com"): the same mailbox
// to a case-insensitive reader, a different string to anyone else.
func mixedCase(email string) string {
	b := []byte(email)
	start := true
	for i, c := range b {
		if start && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		start = c == '.' || c == '@'
	}
	return string(b)
}

// freshBarcode returns an unused EAN-13 with Vietnam's GS1 prefix 893 and a
// valid check digit.
func (g *generator) freshBarcode() string {
	for {
		body := "893" + fmt.Sprintf("%09d", g.rng.IntN(1_000_000_000))
		code := body + strconv.Itoa(ean13Check(body))
		if _, used := g.usedBarcodes[code]; used {
			continue
		}
		g.usedBarcodes[code] = struct{}{}
		return code
	}
}

func ean13Check(body string) int {
	sum := 0
	for i, r := range body {
		d := int(r - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// roleCounts spreads a budget of n records over hard cases: each case gets
// want[i] (at least 1 when want is positive) while budget lasts, and the rest
// goes to the last entry, the ordinary case.
func roleCounts(n int, cost []int, want []int) []int {
	counts := make([]int, len(want)+1)
	left := n
	for i, w := range want {
		w = max(w, 1)
		c := min(w, left/cost[i])
		counts[i] = c
		left -= c * cost[i]
	}
	counts[len(want)] = left
	return counts
}

// shuffledRoles expands counts into a shuffled list of role indexes.
func shuffledRoles[R ~int](g *generator, counts []int) []R {
	var roles []R
	for r, c := range counts {
		for range c {
			roles = append(roles, R(r))
		}
	}
	g.rng.Shuffle(len(roles), func(i, j int) { roles[i], roles[j] = roles[j], roles[i] })
	return roles
}

// sortByID orders records by their id, as the APIs list them.
func sortByID[T any, K cmp.Ordered](xs []T, id func(T) K) {
	slices.SortFunc(xs, func(a, b T) int { return cmp.Compare(id(a), id(b)) })
}
