package dataset

import "syncops/clients/extid"

// Truth is the answer key of a generated Dataset: which records pair up and
// why the others do not. Every Nhanh customer appears in exactly one of
// CustomerMatches and UnmatchedNhanhCustomers; every Shopify customer is
// either a match target or in UnmatchedShopifyCustomers. Every Nhanh product
// appears in exactly one of ProductMatches, UnmatchedNhanhProducts and
// DeletedProducts; every Shopify variant is either a match target or in
// UnmatchedShopifyVariants.
//
// The rules the answers follow (a matcher that implements them reproduces
// Truth exactly):
//
// Customers. A Nhanh mobile is reduced to its national number (digits
// only, then one leading 00840, 0084, 840, 84 or 0 dropped, leaving 9 digits
// for a mobile, 10 starting with 2 for a landline; an old 11-digit mobile,
// 10 national digits starting with an old prefix, is rewritten to its new
// form by the 2018 conversion table). A Shopify customer is reachable from
// that number when its phone, its default address phone, or a phone written
// in its note reduces to the same national number. In a note, a bare
// national number (no 0, no country code) counts only right after a phone
// label ("SĐT:"), and no number next to a bank label ("STK", a bank's
// name) counts; the phone and address fields read bare numbers. A Nhanh customer without a mobile falls back to
// its e-mail, compared trimmed and case-insensitively. Exactly one candidate
// is a match, unless another Nhanh customer reaches the same Shopify customer
// (then all of them are conflicts); two or more candidates are ambiguous.
// Generated 9-digit numbers written without their leading 0 never start with
// 84, 85 or 86, so a reader that takes those as a country code also agrees.
//
// Products. Keys are lower(trim(SKU)), both sides non-empty; when either side's
// SKU is empty the barcode is compared instead. A pair is kept only when it is
// one-to-one. Deleted Nhanh products are not listed by the API, so they match
// nothing; their former partners are listed in DeletedProducts.
type Truth struct {
	// CustomerMatches holds the unambiguous customer pairs.
	CustomerMatches map[extid.NhanhCustomerID]CustomerMatch
	// UnmatchedNhanhCustomers says why a Nhanh customer has no pair.
	UnmatchedNhanhCustomers map[extid.NhanhCustomerID]Reason
	// UnmatchedShopifyCustomers says why a Shopify customer has no pair.
	UnmatchedShopifyCustomers map[extid.ShopifyCustomerGID]Reason
	// ExpectedTotalSpent is round(TotalAmount) (half away from zero) for every
	// Nhanh customer: the custom.total_spent value a sync must write.
	ExpectedTotalSpent map[extid.NhanhCustomerID]int64

	// ProductMatches holds the one-to-one product/variant pairs.
	ProductMatches map[extid.NhanhProductID]ProductMatch
	// UnmatchedNhanhProducts says why a listed Nhanh product has no pair.
	UnmatchedNhanhProducts map[extid.NhanhProductID]Reason
	// UnmatchedShopifyVariants says why a Shopify variant has no pair.
	UnmatchedShopifyVariants map[extid.ShopifyVariantGID]Reason
	// DeletedProducts are Nhanh products deleted after they had been mapped,
	// with the variant they were mapped to: a sync of such a mapping must
	// report the product as gone, not write zero stock.
	DeletedProducts map[extid.NhanhProductID]extid.ShopifyVariantGID

	// PrimaryLocation is the Shopify location marked Primary.
	PrimaryLocation extid.ShopifyLocationGID
}

// CustomerMatch is the expected Shopify partner of a Nhanh customer.
type CustomerMatch struct {
	Shopify extid.ShopifyCustomerGID
	By      MatchKey
	// PhoneFormat is how the Shopify side wrote the number (By == MatchPhone),
	// or empty for an e-mail match.
	PhoneFormat PhoneFormat
}

// ProductMatch is the expected Shopify variant of a Nhanh product.
type ProductMatch struct {
	Variant extid.ShopifyVariantGID
	By      MatchKey
	Form    SKUForm
}

// MatchKey names the field that pairs two records.
type MatchKey string

// Match keys.
const (
	MatchPhone   MatchKey = "phone"
	MatchEmail   MatchKey = "email"
	MatchSKU     MatchKey = "sku"
	MatchBarcode MatchKey = "barcode"
)

// PhoneFormat is how a Shopify customer's record carries the phone number
// that Nhanh stores as 0xxxxxxxxx. The examples use subscriber 912345678.
type PhoneFormat string

// Phone formats.
const (
	PhoneLocal          PhoneFormat = "local"           // phone 0912345678
	PhoneCountry        PhoneFormat = "country"         // phone 84912345678
	PhoneE164           PhoneFormat = "e164"            // phone +84912345678
	PhoneGroupedSpaces  PhoneFormat = "grouped-spaces"  // phone +84 912 345 678
	PhoneGroupedDots    PhoneFormat = "grouped-dots"    // phone +84 912.345.678
	PhoneGroupedDashes  PhoneFormat = "grouped-dashes"  // phone +84 912-345-678
	PhoneDoubleZero     PhoneFormat = "double-zero"     // phone 0084912345678
	PhoneNoLeadingZero  PhoneFormat = "no-leading-zero" // phone 912345678
	PhoneAddressOnly    PhoneFormat = "address-only"    // only defaultAddressPhone
	PhoneNoteOnly       PhoneFormat = "note-only"       // only inside the note
	PhoneAndAddressBoth PhoneFormat = "phone-and-address"

	// Formats of GenerateConfig.PhoneCases.
	PhoneOldPrefixNhanh   PhoneFormat = "old-prefix-nhanh"   // Nhanh 0168 123 4567, Shopify +84381234567
	PhoneOldPrefixShopify PhoneFormat = "old-prefix-shopify" // Nhanh 0381234567, Shopify +84 168 123 4567
	PhoneLandline         PhoneFormat = "landline"           // 024 3825 1234 on both sides
	PhoneNoteLabelled     PhoneFormat = "note-labelled"      // note "SĐT: 912 345 678"
)

// PhoneFormats lists every format the generator uses, in a fixed order.
var PhoneFormats = []PhoneFormat{
	PhoneLocal, PhoneCountry, PhoneE164, PhoneGroupedSpaces, PhoneGroupedDots,
	PhoneGroupedDashes, PhoneDoubleZero, PhoneNoLeadingZero, PhoneAddressOnly,
	PhoneNoteOnly, PhoneAndAddressBoth,
}

// PhoneCaseFormats lists the formats GenerateConfig.PhoneCases adds.
var PhoneCaseFormats = []PhoneFormat{PhoneOldPrefixNhanh, PhoneOldPrefixShopify, PhoneLandline, PhoneNoteLabelled}

// SKUForm is how a matched pair's keys relate.
type SKUForm string

// SKU forms.
const (
	SKUExact          SKUForm = "exact"            // same SKU on both sides
	SKUOtherCase      SKUForm = "other-case"       // Shopify SKU in another letter case
	SKUPadded         SKUForm = "padded"           // Shopify SKU with surrounding spaces
	SKUEmptyOnNhanh   SKUForm = "empty-on-nhanh"   // Nhanh code empty: barcode pairs them
	SKUEmptyOnShopify SKUForm = "empty-on-shopify" // Shopify SKU empty: barcode pairs them
)

// Reason says why a record has no partner.
type Reason string

// Reasons.
const (
	// ReasonNoCandidate: the record has a key, but nothing on the other side shares it.
	ReasonNoCandidate Reason = "no-candidate"
	// ReasonNoKey: no phone and no e-mail, or no SKU and no barcode.
	ReasonNoKey Reason = "no-key"
	// ReasonAmbiguousPhone: one phone reaches two Shopify customers.
	ReasonAmbiguousPhone Reason = "ambiguous-phone"
	// ReasonAmbiguousEmail: one e-mail is shared by two Shopify customers.
	ReasonAmbiguousEmail Reason = "ambiguous-email"
	// ReasonConflict: two Nhanh customers reach the same single Shopify customer.
	ReasonConflict Reason = "conflict"
	// ReasonDuplicateNhanhSKU: two Nhanh products share the SKU.
	ReasonDuplicateNhanhSKU Reason = "duplicate-nhanh-sku"
	// ReasonDuplicateShopifySKU: two Shopify variants share the SKU.
	ReasonDuplicateShopifySKU Reason = "duplicate-shopify-sku"
	// ReasonNhanhDeleted: the variant's Nhanh partner was deleted.
	ReasonNhanhDeleted Reason = "nhanh-deleted"
)

func newTruth() *Truth {
	return &Truth{
		CustomerMatches:           map[extid.NhanhCustomerID]CustomerMatch{},
		UnmatchedNhanhCustomers:   map[extid.NhanhCustomerID]Reason{},
		UnmatchedShopifyCustomers: map[extid.ShopifyCustomerGID]Reason{},
		ExpectedTotalSpent:        map[extid.NhanhCustomerID]int64{},
		ProductMatches:            map[extid.NhanhProductID]ProductMatch{},
		UnmatchedNhanhProducts:    map[extid.NhanhProductID]Reason{},
		UnmatchedShopifyVariants:  map[extid.ShopifyVariantGID]Reason{},
		DeletedProducts:           map[extid.NhanhProductID]extid.ShopifyVariantGID{},
	}
}
