package extid

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseGID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		resource string
		n        int64
		wantErr  bool
	}{
		{in: "gid://shopify/Customer/123", resource: "Customer", n: 123},
		{in: "gid://shopify/ProductVariant/9", resource: "ProductVariant", n: 9},
		{in: "123", wantErr: true},
		{in: "gid://shopify/Customer/", wantErr: true},
		{in: "gid://shopify/Customer/-1", wantErr: true},
		{in: "gid://shopify//5", wantErr: true},
		{in: "gid://other/Customer/5", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			resource, n, err := ParseGID(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.resource, resource)
			require.Equal(t, tt.n, n)
			require.Equal(t, tt.in, FormatGID(resource, n))
		})
	}
}

func TestParseTypedGID(t *testing.T) {
	t.Parallel()
	n, err := ParseTypedGID("gid://shopify/Location/7", ResourceLocation)
	require.NoError(t, err)
	require.Equal(t, int64(7), n)
	_, err = ParseTypedGID("gid://shopify/Location/7", ResourceCustomer)
	require.ErrorContains(t, err, "is a Location, want a Customer")
}
