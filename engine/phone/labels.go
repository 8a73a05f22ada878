package phone

import (
	"unicode"
	"unicode/utf8"
)

// Labels decide how digits in free text are read. Labels are compared
// folded: without case and without Vietnamese diacritics (precomposed or
// combining), whitespace runs read as one space, so "SĐT", "Sđt", "sdt" and
// "Số ĐT" all end with the label "dt" or "sdt". A label counts only as
// whole words ("abcsdt" is not "sdt") and only when at most
// maxLabelGap of the bytes " \t:.-=#()" stand between it and the digits.

// phoneLabels mark the bare national number right after them as a phone
// ("SĐT: 912 345 678"): the common Vietnamese and English words for a phone
// or contact, their abbreviations, and Zalo, whose accounts are phone
// numbers.
var phoneLabels = []string{
	"dt",         // ĐT (điện thoại), and Số ĐT
	"sdt",        // SĐT (số điện thoại)
	"dtdd",       // ĐTDĐ (điện thoại di động)
	"dien thoai", // điện thoại, số điện thoại
	"di dong",    // di động
	"lien he",    // liên hệ
	"lien lac",   // liên lạc
	"lh",         // LH (liên hệ)
	"goi",        // gọi (call)
	"zalo",
	"tel", "phone", "mobile", "mob", "cell", "hotline", "sms",
}

// bankLabels mark the digits right after them (or, for bank names, right
// before them) as a bank account, never a phone: many banks let customers
// choose their phone number as their account number, and a shop's own
// account pasted into notes would otherwise tie every such note to one
// customer.
var bankLabels = []string{
	"stk",          // STK (số tài khoản), and Số TK
	"tk",           // TK (tài khoản)
	"tai khoan",    // tài khoản, số tài khoản
	"ck",           // CK (chuyển khoản)
	"chuyen khoan", // chuyển khoản
	"ngan hang",    // ngân hàng
	"account", "acc", "bank",
	// The banks most often named in notes.
	"vcb", "vietcombank", "techcombank", "tcb", "mb", "mbbank", "acb", "bidv", "agribank",
	"vietinbank", "vpbank", "tpbank", "sacombank", "vib", "shb", "hdbank", "ocb",
}

// maxLabelGap is how many separator bytes may stand between a label and
// the digits ("SĐT : ", "Tel.: ").
const maxLabelGap = 4

// phoneLabelled reports whether a phone label ends right before start.
func phoneLabelled(text string, start int) bool {
	end := skipGapBack(text, start)
	for _, l := range phoneLabels {
		if labelEndsAt(text, end, l) {
			return true
		}
	}
	return false
}

// bankLabelled reports whether a bank label ends right before start or
// begins right after end.
func bankLabelled(text string, start, end int) bool {
	before, after := skipGapBack(text, start), skipGapForward(text, end)
	for _, l := range bankLabels {
		if labelEndsAt(text, before, l) || labelStartsAt(text, after, l) {
			return true
		}
	}
	return false
}

func isGap(c byte) bool {
	switch c {
	case ' ', '\t', ':', '.', '-', '=', '#', '(', ')':
		return true
	}
	return false
}

// skipGapBack returns where the gap of at most maxLabelGap bytes ending at
// i begins.
func skipGapBack(text string, i int) int {
	for j := 0; j < maxLabelGap && i > 0 && isGap(text[i-1]); j++ {
		i--
	}
	return i
}

// skipGapForward returns where the gap of at most maxLabelGap bytes
// starting at i ends.
func skipGapForward(text string, i int) int {
	for j := 0; j < maxLabelGap && i < len(text) && isGap(text[i]); j++ {
		i++
	}
	return i
}

// labelEndsAt reports whether text[:end] ends with label as whole words.
func labelEndsAt(text string, end int, label string) bool {
	i, k := end, len(label)
	for k > 0 {
		c, at, ok := foldedBefore(text, i)
		if !ok {
			return false
		}
		if label[k-1] == ' ' {
			if c != ' ' {
				return false
			}
			// Any further whitespace belongs to the same space.
			for c == ' ' {
				i = at
				if c, at, ok = foldedBefore(text, i); !ok {
					return false
				}
			}
			k--
			continue
		}
		if c != label[k-1] {
			return false
		}
		i, k = at, k-1
	}
	return !unicode.IsLetter(lastRune(text[:i]))
}

// labelStartsAt reports whether text[start:] starts with label as whole
// words.
func labelStartsAt(text string, start int, label string) bool {
	i, k := start, 0
	for k < len(label) {
		c, next, ok := foldedAt(text, i)
		if !ok {
			return false
		}
		if label[k] == ' ' {
			if c != ' ' {
				return false
			}
			for c == ' ' {
				i = next
				if c, next, ok = foldedAt(text, i); !ok {
					return false
				}
			}
			k++
			continue
		}
		if c != label[k] {
			return false
		}
		i, k = next, k+1
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return !unicode.IsLetter(r)
}

// foldedBefore returns the folded letter (or ' ' for whitespace) that ends
// at text[:i], skipping combining marks, and where it starts. ok is false
// at the start of the text or before anything else.
func foldedBefore(text string, i int) (c byte, at int, ok bool) {
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(text[:i])
		i -= size
		if isCombining(r) {
			continue
		}
		c, ok = fold(r)
		return c, i, ok
	}
	return 0, 0, false
}

// foldedAt returns the folded letter (or ' ') starting at text[i:] and the
// index past it and its combining marks.
func foldedAt(text string, i int) (c byte, next int, ok bool) {
	if i >= len(text) {
		return 0, i, false
	}
	r, size := utf8.DecodeRuneInString(text[i:])
	c, ok = fold(r)
	i += size
	for i < len(text) {
		r, size = utf8.DecodeRuneInString(text[i:])
		if !isCombining(r) {
			break
		}
		i += size
	}
	return c, i, ok
}

// lastRune returns the last rune of s that is not a combining mark, or
// utf8.RuneError for none.
func lastRune(s string) rune {
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
		if !isCombining(r) {
			return r
		}
	}
	return utf8.RuneError
}

// isCombining reports a combining diacritical mark, as decomposed (NFD)
// Vietnamese text carries its tones.
func isCombining(r rune) bool { return r >= 0x300 && r <= 0x36f }

// fold returns the lower-case ASCII letter r stands for, or ' ' for
// whitespace; ok is false for anything else.
func fold(r rune) (byte, bool) {
	switch {
	case r >= 'a' && r <= 'z':
		return byte(r), true
	case r >= 'A' && r <= 'Z':
		return byte(r - 'A' + 'a'), true
	case r == ' ' || r == '\t' || r == 0xa0:
		return ' ', true
	case r < utf8.RuneSelf:
		return 0, false
	}
	c, ok := vietnameseFold[r]
	return c, ok
}

// vietnameseFold maps each Vietnamese letter with diacritics, both cases,
// to its base letter.
var vietnameseFold = func() map[rune]byte {
	groups := map[byte]string{
		'a': "àáảãạăằắẳẵặâầấẩẫậÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ",
		'e': "èéẻẽẹêềếểễệÈÉẺẼẸÊỀẾỂỄỆ",
		'i': "ìíỉĩịÌÍỈĨỊ",
		'o': "òóỏõọôồốổỗộơờớởỡợÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
		'u': "ùúủũụưừứửữựÙÚỦŨỤƯỪỨỬỮỰ",
		'y': "ỳýỷỹỵỲÝỶỸỴ",
		'd': "đĐ",
	}
	m := map[rune]byte{}
	for base, letters := range groups {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()
