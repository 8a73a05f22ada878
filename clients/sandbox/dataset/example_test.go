package dataset_test

import (
	"fmt"

	"syncops/clients/sandbox/dataset"
)

func ExampleGenerateWithTruth() {
	ds, truth := dataset.GenerateWithTruth(dataset.GenerateConfig{Seed: 1, Customers: 1000, Products: 200})
	fmt.Println(len(ds.NhanhCustomers), "Nhanh customers,", len(ds.NhanhProducts), "Nhanh products")

	// Every Nhanh customer is either matched or unmatched for a stated reason.
	fmt.Println(len(truth.CustomerMatches)+len(truth.UnmatchedNhanhCustomers) == len(ds.NhanhCustomers))
	// Output:
	// 1000 Nhanh customers, 200 Nhanh products
	// true
}
