package dataset_test

import (
	"regexp"
	"strings"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
)

// The referee re-derives the answer key from the data alone, following the
// rules written on dataset.Truth, with none of the generator's code. A test
// that compares it with the generator's Truth proves the Truth is what a
// correct matcher must find, not merely what the generator meant to build.

var nonDigits = regexp.MustCompile(`\D`)

// The rules on dataset.Truth, restated with regular expressions.
var (
	mobileNational   = regexp.MustCompile(`^[35789]\d{8}$`)
	landlineNational = regexp.MustCompile(`^2\d{9}$`)
	oldNational      = regexp.MustCompile(`^(1\d\d)(\d{7})$`)
	// noteRun is a digit run as written in a note: groups joined by at
	// most two spaces, dots, dashes or parentheses, maybe after a +.
	noteRun = regexp.MustCompile(`\+?\d+(?:[ .\-()]{1,2}\d+)*`)
	// Labels, on folded text (lower case, no diacritics).
	phoneLabelBefore = regexp.MustCompile(`(?:^|[^\pL])(?:sdt|dt|dtdd|dien\s+thoai|di\s+dong|lien\s+he|lien\s+lac|lh|goi|zalo|tel|phone|mobile|mob|cell|hotline|sms)[ \t:.\-=#()]{0,4}$`)
	bankLabels       = `(?:stk|tk|tai\s+khoan|ck|chuyen\s+khoan|ngan\s+hang|account|acc|bank|vcb|vietcombank|techcombank|tcb|mb|mbbank|acb|bidv|agribank|vietinbank|vpbank|tpbank|sacombank|vib|shb|hdbank|ocb)`
	bankLabelBefore  = regexp.MustCompile(`(?:^|[^\pL])` + bankLabels + `[ \t:.\-=#()]{0,4}$`)
	bankLabelAfter   = regexp.MustCompile(`^[ \t:.\-=#()]{0,4}` + bankLabels + `(?:$|[^\pL])`)
)

// oldToNew is the 2018 conversion table of api-facts, national digits.
var oldToNew = map[string]string{
	"162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37", "168": "38", "169": "39",
	"120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
	"123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
	"186": "56", "188": "58", "199": "59",
}

var vietnameseLetters = strings.NewReplacer(
	"à", "a", "á", "a", "ả", "a", "ã", "a", "ạ", "a", "ă", "a", "ằ", "a", "ắ", "a", "ẳ", "a", "ẵ", "a", "ặ", "a",
	"â", "a", "ầ", "a", "ấ", "a", "ẩ", "a", "ẫ", "a", "ậ", "a", "è", "e", "é", "e", "ẻ", "e", "ẽ", "e", "ẹ", "e",
	"ê", "e", "ề", "e", "ế", "e", "ể", "e", "ễ", "e", "ệ", "e", "ì", "i", "í", "i", "ỉ", "i", "ĩ", "i", "ị", "i",
	"ò", "o", "ó", "o", "ỏ", "o", "õ", "o", "ọ", "o", "ô", "o", "ồ", "o", "ố", "o", "ổ", "o", "ỗ", "o", "ộ", "o",
	"ơ", "o", "ờ", "o", "ớ", "o", "ở", "o", "ỡ", "o", "ợ", "o", "ù", "u", "ú", "u", "ủ", "u", "ũ", "u", "ụ", "u",
	"ư", "u", "ừ", "u", "ứ", "u", "ử", "u", "ữ", "u", "ự", "u", "ỳ", "y", "ý", "y", "ỷ", "y", "ỹ", "y", "ỵ", "y",
	"đ", "d")

func folded(s string) string { return vietnameseLetters.Replace(strings.ToLower(s)) }

// national reduces a number's digits to its national number, "" when they
// are none; bare allows a number without 0 or country code.
func national(digits string, bare bool) string {
	for _, p := range []string{"00840", "0084", "840", "84", "0", ""} {
		rest, ok := strings.CutPrefix(digits, p)
		if !ok || (p == "" && !bare) {
			continue
		}
		if mobileNational.MatchString(rest) || landlineNational.MatchString(rest) {
			return rest
		}
		if m := oldNational.FindStringSubmatch(rest); m != nil && oldToNew[m[1]] != "" {
			return oldToNew[m[1]] + m[2]
		}
	}
	return ""
}

// subscriber is the key of a phone field.
func subscriber(raw string) string { return national(nonDigits.ReplaceAllString(raw, ""), true) }

// notePhones are the keys of the numbers in a note.
func notePhones(note string) []string {
	if len([]rune(note)) >= 2000 {
		return nil
	}
	var out []string
	for _, m := range noteRun.FindAllStringIndex(note, -1) {
		before, after := folded(note[:m[0]]), folded(note[m[1]:])
		if bankLabelBefore.MatchString(before) || bankLabelAfter.MatchString(after) {
			continue
		}
		if key := national(nonDigits.ReplaceAllString(note[m[0]:m[1]], ""), phoneLabelBefore.MatchString(before)); key != "" {
			out = append(out, key)
		}
	}
	return out
}

func customerPhones(c dataset.ShopifyCustomer) []string {
	var out []string
	for _, p := range []string{c.Phone, c.DefaultAddressPhone} {
		if key := subscriber(p); key != "" {
			out = append(out, key)
		}
	}
	return append(out, notePhones(c.Note)...)
}

type customerVerdict struct {
	matches         map[extid.NhanhCustomerID]dataset.CustomerMatch
	unmatchedNhanh  map[extid.NhanhCustomerID]dataset.Reason
	unmatchedShopfy map[extid.ShopifyCustomerGID]dataset.Reason
}

func refereeCustomers(ds *dataset.Dataset) customerVerdict {
	byPhone := map[string]map[extid.ShopifyCustomerGID]bool{}
	byEmail := map[string]map[extid.ShopifyCustomerGID]bool{}
	add := func(idx map[string]map[extid.ShopifyCustomerGID]bool, key string, id extid.ShopifyCustomerGID) {
		if idx[key] == nil {
			idx[key] = map[extid.ShopifyCustomerGID]bool{}
		}
		idx[key][id] = true
	}
	for _, c := range ds.ShopifyCustomers {
		for _, p := range customerPhones(c) {
			add(byPhone, p, c.ID)
		}
		if e := strings.ToLower(strings.TrimSpace(c.Email)); e != "" {
			add(byEmail, e, c.ID)
		}
	}

	v := customerVerdict{
		matches:         map[extid.NhanhCustomerID]dataset.CustomerMatch{},
		unmatchedNhanh:  map[extid.NhanhCustomerID]dataset.Reason{},
		unmatchedShopfy: map[extid.ShopifyCustomerGID]dataset.Reason{},
	}
	claims := map[extid.ShopifyCustomerGID][]extid.NhanhCustomerID{}
	claimKey := map[extid.NhanhCustomerID]dataset.MatchKey{}
	for _, n := range ds.NhanhCustomers {
		var cands map[extid.ShopifyCustomerGID]bool
		key, ambiguous := dataset.MatchPhone, dataset.ReasonAmbiguousPhone
		switch email := strings.ToLower(strings.TrimSpace(n.Email)); {
		case subscriber(n.Mobile) != "":
			cands = byPhone[subscriber(n.Mobile)]
		case email != "":
			cands = byEmail[email]
			key, ambiguous = dataset.MatchEmail, dataset.ReasonAmbiguousEmail
		default:
			v.unmatchedNhanh[n.ID] = dataset.ReasonNoKey
			continue
		}
		switch len(cands) {
		case 0:
			v.unmatchedNhanh[n.ID] = dataset.ReasonNoCandidate
		case 1:
			for id := range cands {
				claims[id] = append(claims[id], n.ID)
			}
			claimKey[n.ID] = key
		default:
			v.unmatchedNhanh[n.ID] = ambiguous
			for id := range cands {
				v.unmatchedShopfy[id] = ambiguous
			}
		}
	}
	for sid, nids := range claims {
		if len(nids) > 1 {
			v.unmatchedShopfy[sid] = dataset.ReasonConflict
			for _, nid := range nids {
				v.unmatchedNhanh[nid] = dataset.ReasonConflict
			}
			continue
		}
		v.matches[nids[0]] = dataset.CustomerMatch{Shopify: sid, By: claimKey[nids[0]]}
	}
	for _, c := range ds.ShopifyCustomers {
		if _, seen := v.unmatchedShopfy[c.ID]; !seen && len(claims[c.ID]) == 0 {
			v.unmatchedShopfy[c.ID] = dataset.ReasonNoCandidate
		}
	}
	return v
}

var phoneFieldForms = []struct {
	format dataset.PhoneFormat
	re     *regexp.Regexp
}{
	{dataset.PhoneLocal, regexp.MustCompile(`^0[35789]\d{8}$`)},
	{dataset.PhoneCountry, regexp.MustCompile(`^84[35789]\d{8}$`)},
	{dataset.PhoneE164, regexp.MustCompile(`^\+84[35789]\d{8}$`)},
	{dataset.PhoneGroupedSpaces, regexp.MustCompile(`^\+84 \d{3} \d{3} \d{3}$`)},
	{dataset.PhoneGroupedDots, regexp.MustCompile(`^\+84 \d{3}\.\d{3}\.\d{3}$`)},
	{dataset.PhoneGroupedDashes, regexp.MustCompile(`^\+84 \d{3}-\d{3}-\d{3}$`)},
	{dataset.PhoneDoubleZero, regexp.MustCompile(`^0084[35789]\d{8}$`)},
	{dataset.PhoneNoLeadingZero, regexp.MustCompile(`^[35789]\d{8}$`)},
}

// classifyPhone says how c carries the number of the Nhanh mobile, from
// the records alone.
func classifyPhone(mobile string, c dataset.ShopifyCustomer) dataset.PhoneFormat {
	sub := subscriber(mobile)
	isOld := func(field string) bool {
		d := nonDigits.ReplaceAllString(field, "")
		return regexp.MustCompile(`^(?:0|84|0084)1\d{9}$`).MatchString(d)
	}
	switch {
	case isOld(mobile):
		return dataset.PhoneOldPrefixNhanh
	case isOld(c.Phone) || isOld(c.DefaultAddressPhone):
		return dataset.PhoneOldPrefixShopify
	case landlineNational.MatchString(sub):
		return dataset.PhoneLandline
	case c.Phone == "" && c.DefaultAddressPhone == "" && !strings.Contains(c.Note, "0"+sub[:3]) && !strings.Contains(c.Note, "+84"):
		return dataset.PhoneNoteLabelled
	case c.Phone == "" && c.DefaultAddressPhone == "":
		return dataset.PhoneNoteOnly
	case c.Phone == "":
		return dataset.PhoneAddressOnly
	case subscriber(c.DefaultAddressPhone) == sub:
		return dataset.PhoneAndAddressBoth
	}
	for _, f := range phoneFieldForms {
		if f.re.MatchString(c.Phone) {
			return f.format
		}
	}
	return "unknown"
}

type productVerdict struct {
	matches          map[extid.NhanhProductID]dataset.ProductMatch
	unmatchedNhanh   map[extid.NhanhProductID]dataset.Reason
	unmatchedVariant map[extid.ShopifyVariantGID]dataset.Reason
}

func skuKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func refereeProducts(ds *dataset.Dataset) productVerdict {
	bySKU := map[string][]int{}
	byBarcode := map[string][]int{}
	for i, v := range ds.ShopifyVariants {
		if k := skuKey(v.SKU); k != "" {
			bySKU[k] = append(bySKU[k], i)
		}
		if v.Barcode != "" {
			byBarcode[v.Barcode] = append(byBarcode[v.Barcode], i)
		}
	}
	candidates := func(p dataset.NhanhProduct) map[int]bool {
		out := map[int]bool{}
		code := skuKey(p.Code)
		if code != "" {
			for _, i := range bySKU[code] {
				out[i] = true
			}
		}
		if p.Barcode != "" {
			for _, i := range byBarcode[p.Barcode] {
				if code == "" || skuKey(ds.ShopifyVariants[i].SKU) == "" {
					out[i] = true
				}
			}
		}
		return out
	}

	v := productVerdict{
		matches:          map[extid.NhanhProductID]dataset.ProductMatch{},
		unmatchedNhanh:   map[extid.NhanhProductID]dataset.Reason{},
		unmatchedVariant: map[extid.ShopifyVariantGID]dataset.Reason{},
	}
	reachedBy := map[int][]extid.NhanhProductID{}
	single := map[extid.NhanhProductID]int{}
	for _, p := range ds.NhanhProducts {
		if p.Deleted {
			for i := range candidates(p) {
				v.unmatchedVariant[ds.ShopifyVariants[i].ID] = dataset.ReasonNhanhDeleted
			}
			continue
		}
		cands := candidates(p)
		for i := range cands {
			reachedBy[i] = append(reachedBy[i], p.ID)
		}
		switch {
		case skuKey(p.Code) == "" && p.Barcode == "":
			v.unmatchedNhanh[p.ID] = dataset.ReasonNoKey
		case len(cands) == 0:
			v.unmatchedNhanh[p.ID] = dataset.ReasonNoCandidate
		case len(cands) > 1:
			v.unmatchedNhanh[p.ID] = dataset.ReasonDuplicateShopifySKU
			for i := range cands {
				v.unmatchedVariant[ds.ShopifyVariants[i].ID] = dataset.ReasonDuplicateShopifySKU
			}
		default:
			for i := range cands {
				single[p.ID] = i
			}
		}
	}
	nhanhByID := map[extid.NhanhProductID]dataset.NhanhProduct{}
	for _, p := range ds.NhanhProducts {
		nhanhByID[p.ID] = p
	}
	for pid, i := range single {
		variant := ds.ShopifyVariants[i]
		if len(reachedBy[i]) > 1 {
			v.unmatchedNhanh[pid] = dataset.ReasonDuplicateNhanhSKU
			v.unmatchedVariant[variant.ID] = dataset.ReasonDuplicateNhanhSKU
			continue
		}
		v.matches[pid] = productForm(nhanhByID[pid], variant)
	}
	matched := map[extid.ShopifyVariantGID]bool{}
	for _, m := range v.matches {
		matched[m.Variant] = true
	}
	for _, variant := range ds.ShopifyVariants {
		if _, seen := v.unmatchedVariant[variant.ID]; seen || matched[variant.ID] {
			continue
		}
		reason := dataset.ReasonNoCandidate
		if skuKey(variant.SKU) == "" && variant.Barcode == "" {
			reason = dataset.ReasonNoKey
		}
		v.unmatchedVariant[variant.ID] = reason
	}
	return v
}

func productForm(p dataset.NhanhProduct, variant dataset.ShopifyVariant) dataset.ProductMatch {
	m := dataset.ProductMatch{Variant: variant.ID, By: dataset.MatchSKU}
	switch {
	case p.Code == "":
		m.By, m.Form = dataset.MatchBarcode, dataset.SKUEmptyOnNhanh
	case variant.SKU == "":
		m.By, m.Form = dataset.MatchBarcode, dataset.SKUEmptyOnShopify
	case variant.SKU == p.Code:
		m.Form = dataset.SKUExact
	case strings.TrimSpace(variant.SKU) != variant.SKU:
		m.Form = dataset.SKUPadded
	default:
		m.Form = dataset.SKUOtherCase
	}
	return m
}
