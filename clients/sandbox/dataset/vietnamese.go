package dataset

import (
	"strings"
	"unicode"
)

// The word lists below are what a Vietnamese shop's customer book looks like:
// a handful of family names cover most people, middle names mark gender and
// generation, given names carry the diacritics that break naive matching.

var familyNames = []string{
	"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ",
	"Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
}

// familyWeights follows the rough national distribution (Nguyễn is about
// four in ten people), so duplicates of common names appear naturally.
var familyWeights = []int{38, 11, 9, 7, 5, 4, 4, 4, 3, 3, 3, 3, 2, 2, 1, 1}

var middleNames = []string{
	"Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Quốc",
	"Thu", "Hoài", "Gia", "Bảo", "Xuân", "Kim", "Phương", "Anh",
}

var givenNames = []string{
	"An", "Anh", "Bình", "Châu", "Chi", "Cường", "Dũng", "Duyên", "Giang",
	"Hà", "Hải", "Hạnh", "Hiếu", "Hòa", "Hùng", "Hương", "Huyền", "Khánh",
	"Khoa", "Lan", "Linh", "Long", "Mai", "My", "Nam", "Nga", "Ngân",
	"Nhung", "Oanh", "Phong", "Phúc", "Phương", "Quân", "Quang", "Quỳnh",
	"Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Tiến", "Trang", "Trí", "Trinh",
	"Tú", "Tuấn", "Uyên", "Việt", "Vy", "Xuân", "Yến", "Đạt", "Điệp", "Ánh",
}

var cities = []string{
	"Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Bình Dương",
	"Đồng Nai", "Khánh Hòa", "Nghệ An", "Thừa Thiên Huế", "Quảng Ninh", "Lâm Đồng",
}

var streets = []string{
	"Nguyễn Trãi", "Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt",
	"Điện Biên Phủ", "Cách Mạng Tháng Tám", "Phan Đình Phùng", "Võ Văn Tần",
	"Nguyễn Huệ", "Hoàng Diệu", "Bạch Đằng", "Quang Trung", "Lê Duẩn",
}

var wards = []string{
	"Phường Bến Nghé", "Phường Bến Thành", "Phường Cầu Giấy", "Phường Hàng Bạc",
	"Phường Thạc Gián", "Phường An Hải", "Phường Tân Định", "Phường Dịch Vọng",
}

var emailDomains = []string{
	"gmail.com", "gmail.com", "gmail.com", "gmail.com", "gmail.com", "gmail.com",
	"yahoo.com", "yahoo.com.vn", "hotmail.com", "outlook.com", "icloud.com", "fpt.vn",
}

// noiseNotes are Shopify customer notes that carry no phone number, so they
// must never produce a match; short numbers ("size 39") are deliberate.
var noiseNotes = []string{
	"Khách VIP, ưu tiên đóng gói cẩn thận",
	"Giao giờ hành chính",
	"Thích màu pastel, size 39",
	"Đã đổi hàng 1 lần",
	"Không gọi trước khi giao",
	"Khách sỉ khu vực miền Trung",
}

// noteTemplates put a phone number inside free text, as shop staff do.
var noteTemplates = []string{
	"Khách quen, SĐT: %s, giao giờ hành chính",
	"Gọi trước khi giao: %s",
	"SĐT Zalo %s - chỉ nhận hàng buổi tối",
	"Liên hệ %s nếu không có người nhận",
}

// subscriberPrefixes are the first two digits of real Vietnamese mobile
// subscriber numbers (the 0 of 03x, 05x, 07x, 08x, 09x dropped).
var subscriberPrefixes = []string{
	"32", "33", "34", "35", "36", "37", "38", "39", // Viettel
	"52", "56", "58", "59", // Vietnamobile, Gmobile
	"70", "76", "77", "78", "79", // MobiFone
	"81", "82", "83", "84", "85", "86", "87", "88", "89",
	"90", "91", "92", "93", "94", "96", "97", "98", "99",
}

// asciiFold maps each lower-case Vietnamese letter with diacritics to its
// base letter, for e-mail addresses and SKU suffixes.
var asciiFold = func() map[rune]rune {
	groups := map[rune]string{
		'a': "àáảãạăằắẳẵặâầấẩẫậ",
		'e': "èéẻẽẹêềếểễệ",
		'i': "ìíỉĩị",
		'o': "òóỏõọôồốổỗộơờớởỡợ",
		'u': "ùúủũụưừứửữự",
		'y': "ỳýỷỹỵ",
		'd': "đ",
	}
	m := map[rune]rune{}
	for base, letters := range groups {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// foldASCII lower-cases s and strips Vietnamese diacritics ("Đặng" -> "dang").
func foldASCII(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		if f, ok := asciiFold[r]; ok {
			r = f
		}
		b.WriteRune(r)
	}
	return b.String()
}

// skuPart turns a variant option ("Xanh navy", "Đen / M") into an SKU
// fragment ("XANH-NAVY", "DEN-M").
func skuPart(s string) string {
	fields := strings.FieldsFunc(foldASCII(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	return strings.ToUpper(strings.Join(fields, "-"))
}
