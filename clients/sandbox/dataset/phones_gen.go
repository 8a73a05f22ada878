package dataset

import (
	"fmt"
	"strings"
)

// The phone cases of GenerateConfig.PhoneCases. Each role below builds one
// Nhanh customer and one Shopify customer and records the verdict the
// rules on Truth give.

// oldPrefixOf maps the first two digits of a new mobile subscriber number to
// the old prefix it replaced in the 2018 conversion (api-facts "Added
// facts"), without the leading 0.
var oldPrefixOf = map[string]string{
	"32": "162", "33": "163", "34": "164", "35": "165", "36": "166", "37": "167", "38": "168", "39": "169", // Viettel
	"70": "120", "79": "121", "77": "122", "76": "126", "78": "128", // MobiFone
	"83": "123", "84": "124", "85": "125", "81": "127", "82": "129", // VinaPhone
	"56": "186", "58": "188", // Vietnamobile
	"59": "199", // Gmobile
}

// convertedPrefixes are the keys of oldPrefixOf in a fixed order, so
// generation does not depend on map order.
var convertedPrefixes = []string{
	"32", "33", "34", "35", "36", "37", "38", "39", "70", "79", "77", "76", "78",
	"83", "84", "85", "81", "82", "56", "58", "59",
}

// landlineAreas are post-2017 area codes without their 0: Hà Nội and Hồ Chí
// Minh City have 2 digits and 8-digit subscribers, the provinces 3 digits
// and 7-digit subscribers; every landline is 02 + 9 digits.
var landlineAreas = []string{"24", "28", "236", "225", "292", "251", "258", "203", "222", "274", "234", "263"}

// phoneLabelledTemplates write a bare number (no 0) right after a phone
// label, as staff do in a hurry.
var phoneLabelledTemplates = []string{
	"SĐT: %s",
	"Khách quen - Sđt %s - giao tối",
	"ĐT/Zalo: %s",
	"Liên hệ: %s (chị Hương)",
	"di động %s, gọi trước 30 phút",
}

// bankNoteTemplates hold the number where it is not the customer's phone:
// a bank account (labelled before or after), or an unlabelled bare digit
// run. %s is the number with its 0 for the first three, bare for the rest.
var bankNoteTemplates = []string{
	"STK %s Vietcombank - chủ TK %s",
	"Chuyển khoản: %s (MB Bank), ghi chú tên shop",
	"Hoàn tiền vào STK: %s",
	"Mã đơn cũ %s, đã đổi size",
	"TK %s ACB",
}

// phoneCaseNoiseNotes are the noise notes plus notes whose digit runs a
// careless reader would take for phones: bank accounts, an order number,
// an amount.
var phoneCaseNoiseNotes = append(append([]string{}, noiseNotes...),
	"STK 0123456789 Vietcombank",
	"CK trước qua STK 0961234567 MB Bank",
	"Chuyển khoản Techcombank 19036512345678",
	"Mã vận đơn 912345678, giao thiếu 1 món",
	"Công nợ 350.000.000đ, thanh toán cuối tháng",
)

// phoneCase builds one customer of a PhoneCases role.
func (cb *customerBuilder) phoneCase(role customerRole) {
	switch role {
	case roleOldPrefixNhanh:
		cb.oldPrefixMatch(true)
	case roleOldPrefixShopify:
		cb.oldPrefixMatch(false)
	case roleLandlineMatch:
		cb.landlineMatch()
	case roleLandlineLookalike:
		cb.landlineLookalike()
	case roleLabelledNote:
		cb.labelledNote()
	case roleBankNote:
		cb.bankNote()
	default:
		panic(fmt.Sprintf("dataset: customer role %d has no builder", role))
	}
}

// freshConvertedSubscriber returns an unused subscriber number whose prefix
// replaced an old one, with its old 10-digit national form ("1681234567"
// for "381234567").
func (g *generator) freshConvertedSubscriber() (sub, old string) {
	for {
		prefix := pick(g, convertedPrefixes)
		s := prefix + fmt.Sprintf("%07d", g.rng.IntN(10_000_000))
		if _, used := g.usedPhones[s]; used {
			continue
		}
		g.usedPhones[s] = struct{}{}
		return s, oldPrefixOf[prefix] + s[2:]
	}
}

// oldMobileText writes an old national number (1681234567) as people still
// do: 01681234567, 0168 123 4567, 0168.123.4567, +84 168 123 4567,
// 841681234567.
func (g *generator) oldMobileText(old string) string {
	switch g.rng.IntN(5) {
	case 0:
		return "0" + old
	case 1:
		return "0" + old[:3] + " " + old[3:6] + " " + old[6:]
	case 2:
		return "0" + old[:3] + "." + old[3:6] + "." + old[6:]
	case 3:
		return "+84 " + old[:3] + " " + old[3:6] + " " + old[6:]
	default:
		return "84" + old
	}
}

// freshLandline returns an unused landline's national digits (2438251234)
// with the length of its area code.
func (g *generator) freshLandline() (string, int) {
	for {
		area := pick(g, landlineAreas)
		s := area + fmt.Sprintf("%0*d", 10-len(area), g.rng.IntN(pow10(10-len(area))))
		if _, used := g.usedPhones[s]; used {
			continue
		}
		g.usedPhones[s] = struct{}{}
		return s, len(area)
	}
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// landlineText writes a landline's national digits, its area code being
// the first areaLen of them: 02438251234, 024 3825 1234, (0236) 382 1234,
// +84 24 3825 1234, +842438251234.
func (g *generator) landlineText(s string, areaLen int) string {
	area, sub := s[:areaLen], s[areaLen:]
	grouped := sub[:len(sub)-4] + " " + sub[len(sub)-4:]
	switch g.rng.IntN(5) {
	case 0:
		return "0" + s
	case 1:
		return "0" + area + " " + grouped
	case 2:
		return "(0" + area + ") " + grouped
	case 3:
		return "+84 " + area + " " + grouped
	default:
		return "+84" + s
	}
}

func (cb *customerBuilder) oldPrefixMatch(oldOnNhanh bool) {
	g := cb.g
	cb.newPerson()
	s, old := g.freshConvertedSubscriber()
	mobile, format := "0"+s, PhoneOldPrefixShopify
	if oldOnNhanh {
		mobile, format = g.oldMobileText(old), PhoneOldPrefixNhanh
	}
	nid := cb.nhanh(mobile, "")
	sc := cb.shopify()
	switch {
	case oldOnNhanh && g.chance(0.5):
		sc.Phone = formatPhone(s, PhoneE164)
	case oldOnNhanh:
		sc.DefaultAddressPhone = localGrouped(s, pick(g, []string{" ", ".", "-"}))
	case g.chance(0.5):
		sc.Phone = g.oldMobileText(old)
	default:
		sc.DefaultAddressPhone = g.oldMobileText(old)
	}
	sc.Email = cb.maybeFreshEmail(shopifyEmailRate)
	g.truth.CustomerMatches[nid] = CustomerMatch{Shopify: sc.ID, By: MatchPhone, PhoneFormat: format}
}

func (cb *customerBuilder) landlineMatch() {
	g := cb.g
	cb.newPerson()
	s, areaLen := g.freshLandline()
	nid := cb.nhanh(g.landlineText(s, areaLen), "")
	sc := cb.shopify()
	if g.chance(0.5) {
		sc.Phone = g.landlineText(s, areaLen)
	} else {
		sc.DefaultAddressPhone = g.landlineText(s, areaLen)
	}
	sc.Email = cb.maybeFreshEmail(shopifyEmailRate)
	g.truth.CustomerMatches[nid] = CustomerMatch{Shopify: sc.ID, By: MatchPhone, PhoneFormat: PhoneLandline}
}

// landlineLookalike puts a landline on one side and, on the other, the
// mobile made of its last 9 digits (0283 912 3456 and 0839 123 456): a
// reader that compares the last 9 digits pairs them, the rules do not.
func (cb *customerBuilder) landlineLookalike() {
	g := cb.g
	cb.newPerson()
	s := g.freshSubscriber(false)
	landline := "2" + s
	g.usedPhones[landline] = struct{}{}
	areaLen := 3
	if s[0] == '4' || s[0] == '8' { // 024, 028: the two 2-digit areas
		areaLen = 2
	}
	landlineOnNhanh := g.chance(0.5)
	mobile := "0" + s
	if landlineOnNhanh {
		mobile = g.landlineText(landline, areaLen)
	}
	nid := cb.nhanh(mobile, "")
	sc := cb.shopify()
	if landlineOnNhanh {
		sc.Phone = formatPhone(s, pick(g, []PhoneFormat{PhoneE164, PhoneLocal}))
	} else {
		sc.Phone = g.landlineText(landline, areaLen)
	}
	sc.Email = cb.maybeFreshEmail(shopifyEmailRate)
	g.truth.UnmatchedNhanhCustomers[nid] = ReasonNoCandidate
	g.truth.UnmatchedShopifyCustomers[sc.ID] = ReasonNoCandidate
}

func (cb *customerBuilder) labelledNote() {
	g := cb.g
	cb.newPerson()
	s := g.freshSubscriber(true)
	nid := cb.nhanh("0"+s, "")
	sc := cb.shopify()
	bare := pick(g, []string{s, s[0:3] + " " + s[3:6] + " " + s[6:9], s[0:3] + "." + s[3:6] + "." + s[6:9]})
	sc.Note = fmt.Sprintf(pick(g, phoneLabelledTemplates), bare)
	sc.Email = cb.maybeFreshEmail(shopifyEmailRate)
	g.truth.CustomerMatches[nid] = CustomerMatch{Shopify: sc.ID, By: MatchPhone, PhoneFormat: PhoneNoteLabelled}
}

// bankNote gives a Nhanh customer's number to a Shopify customer's note as
// a bank account or an unlabelled digit run: neither is a phone, so the
// two stay apart.
func (cb *customerBuilder) bankNote() {
	g := cb.g
	cb.newPerson()
	s := g.freshSubscriber(true)
	nid := cb.nhanh("0"+s, "")
	sc := cb.shopify()
	i := g.rng.IntN(len(bankNoteTemplates))
	number := "0" + s
	if i >= 3 {
		number = s
	}
	tmpl := bankNoteTemplates[i]
	if strings.Count(tmpl, "%s") == 2 {
		sc.Note = fmt.Sprintf(tmpl, number, strings.ToUpper(foldASCII(cb.family+" "+cb.middle+" "+cb.give)))
	} else {
		sc.Note = fmt.Sprintf(tmpl, number)
	}
	sc.Email = cb.maybeFreshEmail(shopifyEmailRate)
	g.truth.UnmatchedNhanhCustomers[nid] = ReasonNoCandidate
	g.truth.UnmatchedShopifyCustomers[sc.ID] = ReasonNoCandidate
}
