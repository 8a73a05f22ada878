package sandbox_test

import (
	"context"
	"fmt"
	"time"

	"syncops/clients/sandbox"
)

func ExampleStart() {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{Seed: 1, Customers: 500, Products: 100, Scale: 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = sb.Close(ctx)
	}()

	ep := sb.Endpoints()
	// Feed ep.NhanhBaseURL, ep.NhanhAppID, ep.NhanhBusinessID, ep.NhanhToken to
	// the Nhanh client and ep.ShopifyBaseURL, ep.ShopifyToken,
	// ep.ShopifyAPIVersion to the Shopify client; Truth has the answers.
	fmt.Println(len(sb.Truth().CustomerMatches) > 0, ep.NhanhAppID != "")
	// Output: true true
}
