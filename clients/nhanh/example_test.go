package nhanh_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/nhanhfake"
)

// ExampleClient_ListCustomers pages through every customer updated since a
// watermark, passing each page's Next back unchanged.
func ExampleClient_ListCustomers() {
	world := &dataset.Dataset{NhanhCustomers: []dataset.NhanhCustomer{
		{ID: 1, Name: "Nguyễn Văn An", Mobile: "0901234567", TotalAmount: 2500000, UpdatedAt: 1_760_000_100},
		{ID: 2, Name: "Trần Thị Bình", Mobile: "+84 912 345 678", TotalAmount: 150000.5, UpdatedAt: 1_760_000_200},
		{ID: 3, Name: "Lê Văn Cường", UpdatedAt: 1_750_000_000},
	}}
	fake := nhanhfake.New(world, nhanhfake.Options{AppID: "7001", BusinessID: "42", AccessToken: "example-token"})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	client, err := nhanh.New(nhanh.Config{BaseURL: srv.URL, AppID: "7001", BusinessID: "42", AccessToken: "example-token"})
	if err != nil {
		fmt.Println(err)
		return
	}
	filter := nhanh.CustomerFilter{UpdatedAtFrom: 1_760_000_000}
	var next json.RawMessage
	for {
		page, err := client.ListCustomers(context.Background(), filter, next)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, c := range page.Customers {
			fmt.Printf("%d %s %s %.1f\n", c.ID, c.Name, c.Mobile, c.TotalAmount)
		}
		if page.Next == nil {
			break
		}
		next = page.Next
	}
	// Output:
	// 1 Nguyễn Văn An 0901234567 2500000.0
	// 2 Trần Thị Bình +84 912 345 678 150000.5
}

// ExampleClient_Inventory reads stock for a list of products; products the
// reply leaves out (Nhanh may omit those without stock) are absent from the
// map, and the caller decides what that means.
func ExampleClient_Inventory() {
	world := &dataset.Dataset{NhanhProducts: []dataset.NhanhProduct{
		{ID: 11, Code: "AO-01", Available: map[extid.NhanhDepotID]int64{100: 4, 200: 1}},
		{ID: 12, Code: "AO-02"},
	}}
	fake := nhanhfake.New(world, nhanhfake.Options{AppID: "7001", BusinessID: "42", AccessToken: "example-token"})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	client, err := nhanh.New(nhanh.Config{BaseURL: srv.URL, AppID: "7001", BusinessID: "42", AccessToken: "example-token"})
	if err != nil {
		fmt.Println(err)
		return
	}
	stock, err := client.Inventory(context.Background(), []extid.NhanhProductID{11, 12})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []extid.NhanhProductID{11, 12} {
		s, ok := stock[id]
		fmt.Println(id, ok, s.Available, s.Depots[100], s.Depots[200])
	}
	// Output:
	// 11 true 5 4 1
	// 12 false 0 0 0
}
