package shopify_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/shopifyfake"
	"syncops/clients/shopify"
)

// Write the customer sync's metafield against the sandbox shop. One input
// is refused (number_integer takes no decimals); the other is written all
// the same.
func ExampleClient_SetMetafields() {
	ds := &dataset.Dataset{ShopifyCustomers: []dataset.ShopifyCustomer{
		{ID: "gid://shopify/Customer/1"}, {ID: "gid://shopify/Customer/2"},
	}}
	fake := shopifyfake.New(ds, shopifyfake.Options{AccessToken: "shpat_example"})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	client, err := shopify.New(shopify.Config{
		Shop:        "example.myshopify.com",
		BaseURL:     srv.URL,
		AccessToken: "shpat_example",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	results, err := client.SetMetafields(context.Background(), []shopify.MetafieldInput{
		{OwnerID: "gid://shopify/Customer/1", Namespace: "custom", Key: "total_spent", Type: "number_integer", Value: "1500000"},
		{OwnerID: "gid://shopify/Customer/2", Namespace: "custom", Key: "total_spent", Type: "number_integer", Value: "1500.5"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results {
		fmt.Println(r.Index, r.Err)
	}
	m, _ := fake.Metafield(extid.ShopifyCustomerGID("gid://shopify/Customer/1"), "custom.total_spent")
	fmt.Println(m.Value)
	// Output:
	// 0 <nil>
	// 1 shopify metafieldsSet: validation (HTTP 200) INVALID_VALUE: value: Value must be an integer.
	// 1500000
}
