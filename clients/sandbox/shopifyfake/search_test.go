package shopifyfake

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/sandbox/dataset"
)

func TestSearchTerms(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	c := &dataset.ShopifyCustomer{Email: "Lan@X.vn", Phone: "+84901", UpdatedAt: at}
	v := &dataset.ShopifyVariant{SKU: "AB-1", ProductStatus: "DRAFT", UpdatedAt: at}
	cases := []struct {
		query        string
		customer, vt bool
	}{
		{"", true, true},
		{"updated_at:>'2025-12-31T23:59:59Z'", true, true},
		{"updated_at:>'2026-01-01T00:00:00Z'", false, false},
		{"updated_at:>='2026-01-01T00:00:00Z'", true, true},
		{`updated_at:<"2026-01-02"`, true, true},
		{"updated_at:<=2025-12-31", false, false},
		{"email:lan@x.vn", true, true},
		{"email:other@x.vn AND updated_at:>2025-01-01", false, true},
		{"product_status:active,draft", true, true},
		{"status:active", true, false},
		{"sku:ab-1 whatever free text", true, true},
		{"'quoted free text with : colon'", true, true},
	}
	for _, tc := range cases {
		s := parseSearch(tc.query)
		require.Equal(t, tc.customer, s.customer(c), "customer %q", tc.query)
		require.Equal(t, tc.vt, s.variant(v), "variant %q", tc.query)
	}
}
