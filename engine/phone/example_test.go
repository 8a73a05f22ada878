package phone_test

import (
	"fmt"

	"syncops/engine/phone"
)

func ExampleParse() {
	for _, s := range []string{"+84 912.345.678", "0084912345678", "912345678", "841234567",
		"0168 123 4567", "024 3825 1234", "04 3825 1234"} {
		n, ok := phone.Parse(s)
		fmt.Println(s, "->", n.String(), ok)
	}
	// Output:
	// +84 912.345.678 -> 0912345678 true
	// 0084912345678 -> 0912345678 true
	// 912345678 -> 0912345678 true
	// 841234567 -> 0841234567 true
	// 0168 123 4567 -> 0381234567 true
	// 024 3825 1234 -> 02438251234 true
	// 04 3825 1234 ->  false
}

func ExampleAppendAll() {
	fmt.Println(phone.AppendAll(nil, "0912.345.678 / 987 654 321"))
	// Output: [0912345678 0987654321]
}

func ExampleAppendFromNote() {
	fmt.Println(phone.AppendFromNote(nil, "Chồng 0912.345.678, vợ SĐT: 987 654 321, STK 0961234567 MB, đơn 934567890"))
	// Output: [0912345678 0987654321]
}
