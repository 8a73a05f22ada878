package enginetest

import (
	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
)

// What the workbench tests of the faces ask of a shop, in plain values.

// AmbiguousPhoneCustomers are the Nhanh customers the shop's answer key
// leaves unmatched because their phone is on several Shopify customers.
func (s *Shop) AmbiguousPhoneCustomers() map[int64]bool {
	out := map[int64]bool{}
	for id, why := range s.Truth().UnmatchedNhanhCustomers {
		if why == dataset.ReasonAmbiguousPhone {
			out[int64(id)] = true
		}
	}
	return out
}

// NhanhMobile is a generated Nhanh customer's mobile as the shop holds it.
func (s *Shop) NhanhMobile(id int64) (string, bool) {
	ds := dataset.Generate(dataset.GenerateConfig{Seed: s.opts.Seed, Customers: s.opts.Customers, Products: s.opts.Products})
	for _, c := range ds.NhanhCustomers {
		if int64(c.ID) == id {
			return c.Mobile, true
		}
	}
	return "", false
}

// DeleteShopifyCustomer deletes a customer in the Shopify fake, as a
// merchant would in the admin; it reports whether it existed.
func (s *Shop) DeleteShopifyCustomer(gid string) bool {
	return s.Shopify().DeleteCustomer(extid.ShopifyCustomerGID(gid))
}
