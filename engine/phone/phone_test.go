package phone_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine/phone"
)

func TestParse(t *testing.T) {
	t.Parallel()
	const want = phone.Number(912345678)
	tests := []struct {
		name string
		in   string
		want phone.Number // 0: not a number
	}{
		{"local", "0912345678", want},
		{"country code", "84912345678", want},
		{"E.164", "+84912345678", want},
		{"grouped spaces", "+84 912 345 678", want},
		{"grouped dots", "+84 912.345.678", want},
		{"grouped dashes", "+84 912-345-678", want},
		{"double zero", "0084912345678", want},
		{"double zero grouped", "0084 912 345 678", want},
		{"missing leading zero", "912345678", want},
		{"local with dots", "0912.345.678", want},
		{"local with dashes", "0912-345-678", want},
		{"local with spaces", "0912 345 678", want},
		{"local in pairs", "09 12 34 56 78", want},
		{"country code then zero", "+84 (0) 912 345 678", want},
		{"country code then zero, digits only", "840912345678", want},
		{"double zero then zero", "00840912345678", want},
		{"parenthesised country code", "(+84) 912 345 678", want},
		{"parenthesised local prefix", "(091) 234 5678", want},
		{"surrounding spaces", "  0912345678\t", want},
		{"two separators", "0912  345  678", want},
		{"Viettel 03x", "0321234567", 321234567},
		{"Vietnamobile 05x", "0521234567", 521234567},
		{"MobiFone 07x", "+84 701 234 567", 701234567},

		// 84, 85 and 86 start real subscriber numbers (084x, 085x, 086x).
		// The length says whether 84 is the country code.
		{"bare 84x subscriber", "841234567", 841234567},
		{"bare 85x subscriber", "851234567", 851234567},
		{"bare 86x subscriber", "861234567", 861234567},
		{"84x subscriber, local", "0841234567", 841234567},
		{"84x subscriber, country code", "84841234567", 841234567},
		{"84x subscriber, E.164", "+84841234567", 841234567},
		{"85x subscriber, country code", "84851234567", 851234567},
		{"country code and 7 digits", "849123456", 849123456},

		{"empty", "", 0},
		{"spaces only", "   ", 0},
		{"letters", "không có", 0},
		{"letters around digits", "tel 0912345678", 0},
		{"trailing text", "0912345678 (Lan)", 0},
		{"too short", "091234567", 0},
		{"8 digits", "12345678", 0},
		{"too long", "09123456789", 0},
		{"12 digits not 840", "849123456789", 0},
		{"two numbers", "0912345678 0987654321", 0},
		{"old 11-digit mobile", "01681234567", 381234567},
		{"landline", "024 3825 1234", 2438251234},
		{"old form of a 10-digit landline", "04 3825 1234", 0},
		{"11 digits, unknown old prefix", "01301234567", 0},
		{"11 digits starting 03", "03812345678", 0},
		{"subscriber starting with 1", "0112345678", 0},
		{"subscriber starting with 2", "0212345678", 0},
		{"subscriber starting with 4", "0412345678", 0},
		{"subscriber starting with 0", "000912345678", 0},
		{"foreign E.164", "+14155550123", 0},
		{"foreign with 9 digits", "+912345678", 0},
		{"plus and local form", "+0912345678", 0},
		{"plus double zero", "+0084912345678", 0},
		{"three separators", "0912 - 345 - 678", 0},
		{"slash separator", "0912/345/678", 0},
		{"plus alone", "+", 0},
		{"plus inside", "0912+345678", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := phone.Parse(tt.in)
			require.Equal(t, tt.want != 0, ok, "Parse(%q) = %d, %v", tt.in, got, ok)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestNumberForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n                       phone.Number
		valid                   bool
		sub, local, e164, label string
	}{
		{912345678, true, "912345678", "0912345678", "+84912345678", "Vinaphone"},
		{321234567, true, "321234567", "0321234567", "+84321234567", "Viettel"},
		{381234567, true, "381234567", "0381234567", "+84381234567", "Viettel, converted"},
		{2438251234, true, "2438251234", "02438251234", "+842438251234", "Hà Nội landline"},
		{2363821234, true, "2363821234", "02363821234", "+842363821234", "Đà Nẵng landline"},
		{1681234567, false, "", "", "", "old mobile never stored"},
		{3_000_000_000, false, "", "", "", "10 digits starting 3"},
		{0, false, "", "", "", "zero"},
		{12345678, false, "", "", "", "8 digits"},
		{212345678, false, "", "", "", "landline lead"},
		{1_000_000_000, false, "", "", "", "10 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.valid, tt.n.Valid())
			require.Equal(t, tt.valid && len(tt.sub) == 9, tt.n.Mobile())
			require.Equal(t, tt.valid && len(tt.sub) == 10, tt.n.Landline())
			require.Equal(t, tt.sub, tt.n.Subscriber())
			require.Equal(t, tt.local, tt.n.String())
			require.Equal(t, tt.e164, tt.n.E164())
		})
	}
}

func TestAppendAll(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []phone.Number
	}{
		{"template with dots", "Khách quen, SĐT: 0912.345.678, giao giờ hành chính", []phone.Number{912345678}},
		{"template with spaces", "Gọi trước khi giao: 0912 345 678", []phone.Number{912345678}},
		{"E.164 before a dash", "SĐT Zalo +84912345678 - chỉ nhận hàng buổi tối", []phone.Number{912345678}},
		{"local in text", "Liên hệ 0912345678 nếu không có người nhận", []phone.Number{912345678}},
		{"short numbers are not phones", "Thích màu pastel, size 39", nil},
		{"one digit", "Đã đổi hàng 1 lần", nil},
		{"short number before a phone", "size 39 0912345678", []phone.Number{912345678}},
		{"number after a phone", "0912345678 2 lần", []phone.Number{912345678}},
		{"two numbers, one space", "0912345678 0987654321", []phone.Number{912345678, 987654321}},
		{"two numbers, slash", "0912345678/0987654321", []phone.Number{912345678, 987654321}},
		{"two numbers, words", "chồng 0912.345.678, vợ +84 987 654 321", []phone.Number{912345678, 987654321}},
		{"same number twice", "0912345678 hoặc +84912345678", []phone.Number{912345678, 912345678}},
		{"glued to letters", "sdt0912345678zalo", []phone.Number{912345678}},
		{"parenthesised country code", "Số (+84) 912 345 678.", []phone.Number{912345678}},
		{"country code then zero", "+84 (0) 912 345 678", []phone.Number{912345678}},
		{"plus applies to the first number only", "+84 912345678 0987654321", []phone.Number{912345678, 987654321}},
		{"foreign number", "US: +1 415 555 0123", nil},
		{"order number too long", "Đơn 1234567890123456", nil},
		{"landline", "ĐT bàn 024 3825 1234", []phone.Number{2438251234}},
		{"empty", "", nil},
		{"many one-digit groups", strings.Repeat("1 ", 40) + "0912345678", []phone.Number{912345678}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, phone.AppendAll(nil, tt.text))
		})
	}
}

func TestAppendAllKeepsDst(t *testing.T) {
	t.Parallel()
	dst := []phone.Number{321234567}
	got := phone.AppendAll(dst, "0912345678")
	require.Equal(t, []phone.Number{321234567, 912345678}, got)
}

// Matching reads millions of fields; reading must not allocate.
func TestReadingDoesNotAllocate(t *testing.T) {
	dst := make([]phone.Number, 0, 8)
	allocs := testing.AllocsPerRun(100, func() {
		dst = phone.AppendAll(dst[:0], "Khách quen, SĐT: 0912.345.678 / +84 987 654 321, giao giờ hành chính")
		dst = phone.AppendFromNote(dst, "Gọi trước khi giao: 0912 345 678")
		_, _ = phone.Parse("+84 912-345-678")
	})
	require.Zero(t, allocs)
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"0912345678", "+84 912.345.678", "0084912345678", "841234567", "+84 (0) 912 345 678",
		"Khách quen, SĐT: 0912.345.678, giao", "0912345678 0987654321", "size 39", "(+84) 912-345-678", "",
		// Old 11-digit mobiles, landlines, labels and bank accounts.
		"01681234567", "+84 168 123 4567", "0168.123.4567", "(0199) 123 4567", "1281234567", "01301234567",
		"024 3825 1234", "+84 28 3912 3456", "0236.382.1234", "2438251234", "04 3825 1234",
		"SĐT: 912 345 678", "Số điện thoại 168 123 4567", "Mã đơn 912345678", "STK 0123456789 Vietcombank",
		"STK 0912345678 MB Bank", "CK về 0912345678 Techcombank", "Điê\u0323n thoa\u0323i 912345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		found := phone.AppendAll(nil, s)
		for _, n := range found {
			checkForms(t, s, n)
		}
		inNote := phone.AppendFromNote(nil, s)
		for _, n := range inNote {
			checkForms(t, s, n)
		}
		n, ok := phone.Parse(s)
		if !ok {
			if n != 0 {
				t.Fatalf("Parse(%q) failed but returned %d", s, n)
			}
			return
		}
		if !n.Valid() {
			t.Fatalf("Parse(%q) = invalid %d", s, n)
		}
		// A field that is one number is found whole in a phone field.
		if len(found) != 1 || found[0] != n {
			t.Fatalf("Parse(%q) = %d but AppendAll finds %v", s, n, found)
		}
	})
}

// checkForms checks that n, found in s, is valid and that each way of
// writing it reads back as n: in a phone field, in a note when written with
// its 0 or country code or after a phone label, and never in a note after a
// bank label or bare without a label.
func checkForms(t *testing.T, s string, n phone.Number) {
	t.Helper()
	if !n.Valid() {
		t.Fatalf("%q: found invalid %d", s, n)
	}
	for _, form := range []string{n.String(), n.E164(), n.Subscriber(), "0084" + n.Subscriber()} {
		if back, ok := phone.Parse(form); !ok || back != n {
			t.Fatalf("%d written as %q reads back as %d, %v", n, form, back, ok)
		}
	}
	for _, note := range []string{"Khách quen " + n.String() + " giao tối", "SĐT: " + n.Subscriber(), "Zalo " + n.E164()} {
		if got := phone.AppendFromNote(nil, note); len(got) != 1 || got[0] != n {
			t.Fatalf("%d in the note %q reads as %v", n, note, got)
		}
	}
	for _, note := range []string{"STK " + n.String(), n.String() + " Vietcombank", "Mã đơn " + n.Subscriber()} {
		if got := phone.AppendFromNote(nil, note); len(got) != 0 {
			t.Fatalf("the note %q reads as %v", note, got)
		}
	}
}

func BenchmarkAppendAll(b *testing.B) {
	fields := []string{"+84912345678", "0912.345.678", "Khách quen, SĐT: 0912 345 678, giao giờ hành chính", "size 39", ""}
	dst := make([]phone.Number, 0, 8)
	b.ReportAllocs()
	for i := range b.N {
		dst = phone.AppendAll(dst[:0], fields[i%len(fields)])
	}
}
