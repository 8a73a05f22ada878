package phone_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine/phone"
)

// TestOldPrefixes walks the whole 2018 conversion table (api-facts "Added
// facts"): each old 11-digit mobile reads as its new 10-digit form in every
// way it is written, and equals the new form written any way.
func TestOldPrefixes(t *testing.T) {
	t.Parallel()
	table := []struct{ carrier, old, new string }{
		{"Viettel", "0162", "032"}, {"Viettel", "0163", "033"}, {"Viettel", "0164", "034"},
		{"Viettel", "0165", "035"}, {"Viettel", "0166", "036"}, {"Viettel", "0167", "037"},
		{"Viettel", "0168", "038"}, {"Viettel", "0169", "039"},
		{"MobiFone", "0120", "070"}, {"MobiFone", "0121", "079"}, {"MobiFone", "0122", "077"},
		{"MobiFone", "0126", "076"}, {"MobiFone", "0128", "078"},
		{"VinaPhone", "0123", "083"}, {"VinaPhone", "0124", "084"}, {"VinaPhone", "0125", "085"},
		{"VinaPhone", "0127", "081"}, {"VinaPhone", "0129", "082"},
		{"Vietnamobile", "0186", "056"}, {"Vietnamobile", "0188", "058"},
		{"Gmobile", "0199", "059"},
	}
	const last7 = "4567890"
	for _, tt := range table {
		t.Run(tt.carrier+" "+tt.old, func(t *testing.T) {
			t.Parallel()
			want, ok := phone.Parse(tt.new + last7)
			require.True(t, ok)
			require.Equal(t, tt.new+last7, want.String())
			old := tt.old[1:] // national digits of the old prefix: "168"
			forms := []string{
				tt.old + last7,                                    // 01684567890
				"+84" + old + last7,                               // +841684567890
				"84" + old + last7,                                // 841684567890
				"0084" + old + last7,                              // 00841684567890
				"+84 (0) " + old + " " + last7,                    // +84 (0) 168 4567890
				tt.old + "." + last7[:3] + "." + last7[3:],        // 0168.456.7890
				tt.old + "-" + last7[:3] + "-" + last7[3:],        // 0168-456-7890
				tt.old + " " + last7[:3] + " " + last7[3:],        // 0168 456 7890
				"(" + tt.old + ") " + last7[:3] + " " + last7[3:], // (0168) 456 7890
				"+84 " + old + " " + last7[:3] + " " + last7[3:],  // +84 168 456 7890
				old + last7, // 1684567890: 0 lost in a spreadsheet
			}
			for _, f := range forms {
				got, ok := phone.Parse(f)
				require.True(t, ok, "Parse(%q)", f)
				require.Equal(t, want, got, "Parse(%q)", f)
				require.Equal(t, []phone.Number{want}, phone.AppendAll(nil, f), "AppendAll(%q)", f)
			}
			note := "Khách cũ, SĐT cũ " + tt.old + " " + last7[:3] + " " + last7[3:] + ", đã đổi đầu số"
			require.Equal(t, []phone.Number{want}, phone.AppendFromNote(nil, note))
		})
	}
}

func TestOldPrefixNotInTable(t *testing.T) {
	t.Parallel()
	// 11-digit numbers starting 01 whose prefix the conversion never used
	// (0110..0119, 0130.., 0170.., 0190..0198) are not phones.
	for _, s := range []string{"01101234567", "01301234567", "01611234567", "01701234567", "01871234567", "01981234567", "+84 130 123 4567"} {
		_, ok := phone.Parse(s)
		require.False(t, ok, "Parse(%q)", s)
		require.Empty(t, phone.AppendAll(nil, s), "AppendAll(%q)", s)
	}
}

// TestLandlines: a landline matches only the same landline digits, whatever
// the form, and never a mobile, not even one sharing its last 9 digits.
func TestLandlines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want phone.Number // 0: not a number
	}{
		{"Hà Nội", "024 3825 1234", 2438251234},
		{"Hà Nội, digits only", "02438251234", 2438251234},
		{"Hà Nội, dots", "024.3825.1234", 2438251234},
		{"Hà Nội, parenthesised area code", "(024) 3825 1234", 2438251234},
		{"Hà Nội, E.164", "+842438251234", 2438251234},
		{"Hà Nội, grouped international", "+84 24 3825 1234", 2438251234},
		{"Hà Nội, country code then zero", "+84 (0) 24 3825 1234", 2438251234},
		{"Hà Nội, double zero", "0084 24 3825 1234", 2438251234},
		{"Hà Nội, 0 lost", "2438251234", 2438251234},
		{"Hồ Chí Minh", "028 3912 3456", 2839123456},
		{"Đà Nẵng", "0236 382 1234", 2363821234},
		{"Hải Phòng", "0225-384-1234", 2253841234},
		{"Cần Thơ", "0292.373.1234", 2923731234},
		{"too short", "024 3825 123", 0},
		{"too long", "024 3825 12345", 0},
		{"pre-2017 Hà Nội form", "04 3825 1234", 0},
		{"pre-2017 Đà Nẵng form", "0511 382 1234", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := phone.Parse(tt.in)
			require.Equal(t, tt.want != 0, ok, "Parse(%q) = %d", tt.in, got)
			require.Equal(t, tt.want, got)
			if ok {
				require.True(t, got.Landline())
				require.False(t, got.Mobile())
			}
		})
	}

	// 028 3912 3456 ends with the digits of the mobile 0839 123 456, and
	// 0236 382 1234 with those of 0363 821 234: different numbers.
	for _, pair := range [][2]string{{"028 3912 3456", "0839123456"}, {"0236 382 1234", "0363821234"}, {"+84 28 3912 3456", "+84 839 123 456"}} {
		landline, ok := phone.Parse(pair[0])
		require.True(t, ok)
		mobile, ok := phone.Parse(pair[1])
		require.True(t, ok)
		require.NotEqual(t, landline, mobile, "%s and %s", pair[0], pair[1])
		require.True(t, mobile.Mobile())
	}
}

// TestAppendFromNote pins the free-text rules: full forms anywhere, bare
// national numbers only right after a phone label, nothing next to a bank
// label.
func TestAppendFromNote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		note string
		want []phone.Number
	}{
		// Full forms (with the 0 or the country code) are read anywhere.
		{"short note", "SĐT 0912345678", []phone.Number{912345678}},
		{"grouped after a label", "SĐT: 0912 345 678", []phone.Number{912345678}},
		{"no label needed with the 0", "Chị Lan 0912.345.678 giao giờ hành chính", []phone.Number{912345678}},
		{"E.164", "Gọi trước khi giao: +84 912 345 678", []phone.Number{912345678}},
		{"old mobile", "Anh Hùng 0168 123 4567 (số cũ)", []phone.Number{381234567}},
		{"landline", "ĐT bàn 024 3825 1234, máy lẻ 12", []phone.Number{2438251234}},
		{"two numbers", "chồng 0912.345.678, vợ +84 987 654 321", []phone.Number{912345678, 987654321}},

		// Bare national numbers: only right after a phone label.
		{"bare after SĐT", "SĐT: 912 345 678", []phone.Number{912345678}},
		{"bare after sdt, no space", "sdt912345678", []phone.Number{912345678}},
		{"bare after Sđt", "Khách quen - Sđt 912345678 - giao tối", []phone.Number{912345678}},
		{"bare after ĐT", "ĐT: 912.345.678", []phone.Number{912345678}},
		{"bare after Số ĐT", "Số ĐT 912345678", []phone.Number{912345678}},
		{"bare after folded dt", "dt: 912345678", []phone.Number{912345678}},
		{"bare after ĐTDĐ", "ĐTDĐ 987654321", []phone.Number{987654321}},
		{"bare after điện thoại", "Số điện thoại: 912345678", []phone.Number{912345678}},
		{"bare after decomposed điện thoại", "Điê\u0323n thoa\u0323i 912345678", []phone.Number{912345678}},
		{"bare after di động", "Di động: 987 654 321", []phone.Number{987654321}},
		{"bare after di động, two spaces", "di  động 987654321", []phone.Number{987654321}},
		{"bare after liên hệ", "Liên hệ 912345678 nếu không có người nhận", []phone.Number{912345678}},
		{"bare after LH", "LH 912345678", []phone.Number{912345678}},
		{"bare after gọi", "gọi 912345678 trước khi giao", []phone.Number{912345678}},
		{"bare after Zalo", "SĐT/Zalo: 912345678", []phone.Number{912345678}},
		{"bare after Tel.", "Tel.: 912345678", []phone.Number{912345678}},
		{"bare after phone", "Phone: 912 345 678", []phone.Number{912345678}},
		{"bare after mobile", "Mobile (Lan): 912345678", nil},
		{"bare landline after label", "ĐT: 24 3825 1234", []phone.Number{2438251234}},
		{"bare old mobile after label", "SĐT 168 123 4567", []phone.Number{381234567}},
		{"bare without a label", "Mã đơn 912345678", nil},
		{"bare alone", "912345678", nil},
		{"bare, label too far", "SĐT của chị là 912345678", nil},
		{"bare, label inside a word", "abcsdt 912345678", nil},
		{"bare, second number after a labelled one", "SĐT: 0912345678, 987654321", []phone.Number{912345678}},
		{"amount without a label", "Tổng 350.000.000đ", nil},
		{"order number", "Đơn 1234567890123456", nil},
		{"bare old mobile, no label", "Mã KH 1681234567", nil},

		// Bank accounts: never read, whatever their digits look like.
		{"STK not a mobile", "STK 0123456789 Vietcombank", nil},
		{"STK with a mobile-shaped account", "STK 0912345678 MB Bank", nil},
		{"Số TK", "Số TK: 0912.345.678", nil},
		{"số tài khoản", "Số tài khoản 0912345678 - Nguyễn Văn An", nil},
		{"bank name after", "CK về 0912345678 Techcombank", nil},
		{"bank name before", "Vietcombank 0912345678", nil},
		{"bare after TK", "TK 912345678 ACB", nil},
		{"chuyển khoản", "Chuyển khoản: 0987654321", nil},
		{"account and phone", "STK 19036512345678 Techcombank, SĐT 0912 345 678", []phone.Number{912345678}},
		{"phone then account", "SĐT 0912345678, STK 0987654321 MB", []phone.Number{912345678}},
		{"bank name inside a word", "Nhà bankim 0912345678", []phone.Number{912345678}},

		// Size limit.
		{"just under the limit", "0912345678 " + strings.Repeat("x", phone.MaxNoteChars-12), []phone.Number{912345678}},
		{"at the limit", "0912345678 " + strings.Repeat("x", phone.MaxNoteChars-11), nil},
		// 1,000 Vietnamese characters take 3,000 bytes: the limit counts characters.
		{"long in bytes, short in characters", "0912345678 " + strings.Repeat("ệ", 1000), []phone.Number{912345678}},
		{"long in characters", "0912345678 " + strings.Repeat("ệ", phone.MaxNoteChars), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, phone.AppendFromNote(nil, tt.note))
		})
	}
}

// TestPhoneFieldReadsBare: in a phone field, where only phones are
// written, bare national numbers are read without a label; the same
// digits in a note are not.
func TestPhoneFieldReadsBare(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		field string
		want  phone.Number
	}{
		{"912345678", 912345678},
		{"912 345 678", 912345678},
		{"1681234567", 381234567},
		{"2438251234", 2438251234},
	} {
		got, ok := phone.Parse(tt.field)
		require.True(t, ok, tt.field)
		require.Equal(t, tt.want, got)
		require.Equal(t, []phone.Number{tt.want}, phone.AppendAll(nil, tt.field))
		require.Empty(t, phone.AppendFromNote(nil, "Ghi chú "+tt.field))
	}
}
