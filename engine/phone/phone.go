// Package phone reads Vietnamese phone numbers the way people type them,
// at a shop's till, in Shopify's phone fields and in free-text notes, and
// reduces each to one key, so that every spelling of one number compares
// equal:
//
//	0912345678  84912345678  +84 912 345 678  0084912345678
//	0912.345.678  0912-345-678  912345678  +84 (0) 912 345 678
//
// all read as the mobile 0912345678, and so do the numbers written before
// the 2018 conversion of 11-digit mobiles (oldPrefixes):
//
//	01681234567  +84 168 123 4567  0168.123.4567  →  0381234567
//
// Landlines (02 + area code + subscriber, 11 digits with the 0) are read as
// landlines: 024 3825 1234 and +84 24 3825 1234 are one number, which never
// equals a mobile, even one sharing its last 9 digits (0283 912 3456 is not
// 0839 123 456).
//
// The reading goes by length, which resolves the reference system's
// ambiguity: there, a number written without its leading 0 that starts
// with 84 (912 → 849 123 456) was taken for the country code and lost. Here
// the national number (the digits after the trunk 0: 9 for a mobile, 10 for
// a landline or an old mobile) decides which prefix was written.
//
// Where a number is read matters. A phone field (Parse, AppendAll) holds
// phones, so a bare national number, its 0 lost to a spreadsheet
// (912345678), is read as one. Free text (AppendFromNote) also holds order
// numbers, amounts and bank accounts, so there a number is read only when
// written with its 0 or country code, or, bare, right after a phone label
// ("SĐT: 912 345 678"); and a number right after or before a bank label
// ("STK 0912345678 MB Bank") is never read (labels.go).
//
// The functions work on bytes without regular expressions and allocate
// nothing, so matching can index millions of numbers cheaply.
package phone

import (
	"strings"
	"unicode/utf8"
)

// Number is a Vietnamese phone number reduced to its national number: the
// digits after the trunk 0, 9 for a mobile (912345678 for 0912345678), 10
// starting with 2 for a landline (2438251234 for 024 3825 1234). An old
// 11-digit mobile is stored in its new form. The zero Number is no number.
type Number uint32

// MaxNoteChars is the note length (in characters) from which a note is no
// longer searched for numbers: long notes are pasted documents and order
// histories, whose digits are rarely the customer's phone. It is the
// reference system's limit.
const MaxNoteChars = 2000

// Limits of the digit forms read (see parseDigits).
const (
	mobileDigits   = 9
	landlineDigits = 10
	maxDigits      = 15 // 00840 + 10 national digits
	minMobile      = 100_000_000
	maxMobile      = 999_999_999
	minLandline    = 2_000_000_000
	maxLandline    = 2_999_999_999
	// maxSeparators is how many separator characters may stand between two
	// digit groups of one number ("0912 345 678", "+84 (0) 912").
	maxSeparators = 2
)

// oldPrefixes maps the 3 national digits of an old 11-digit mobile (0162…
// without its 0) to the 2 digits that replaced them in the 2018 conversion;
// the last 7 digits were kept. Index: prefix - 100; 0 is no old prefix.
var oldPrefixes = [100]uint8{
	// Viettel 0162..0169 -> 032..039
	62: 32, 63: 33, 64: 34, 65: 35, 66: 36, 67: 37, 68: 38, 69: 39,
	// MobiFone
	20: 70, 21: 79, 22: 77, 26: 76, 28: 78,
	// VinaPhone
	23: 83, 24: 84, 25: 85, 27: 81, 29: 82,
	// Vietnamobile
	86: 56, 88: 58,
	// Gmobile
	99: 59,
}

// Valid reports whether n is a mobile or a landline number.
func (n Number) Valid() bool { return n.Mobile() || n.Landline() }

// Mobile reports whether n is a mobile number: 9 national digits, the first
// a 3, 5, 7, 8 or 9.
func (n Number) Mobile() bool {
	if n < minMobile || n > maxMobile {
		return false
	}
	return mobileLead(byte('0' + n/minMobile))
}

// Landline reports whether n is a landline number: 10 national digits, the
// first a 2 (02 + area code + subscriber).
func (n Number) Landline() bool { return n >= minLandline && n <= maxLandline }

// Subscriber returns the national digits, the search key ("912345678",
// "2438251234"), or "" for an invalid Number.
func (n Number) Subscriber() string {
	if !n.Valid() {
		return ""
	}
	var b [landlineDigits]byte
	return string(n.appendDigits(b[:0]))
}

// String returns the number as Vietnamese write it at home ("0912345678",
// "02438251234"), or "" for an invalid Number.
func (n Number) String() string {
	if !n.Valid() {
		return ""
	}
	var b [landlineDigits + 1]byte
	return string(n.appendDigits(append(b[:0], '0')))
}

// E164 returns the international form ("+84912345678"), or "" for an
// invalid Number.
func (n Number) E164() string {
	if !n.Valid() {
		return ""
	}
	var b [landlineDigits + 3]byte
	return string(n.appendDigits(append(b[:0], "+84"...)))
}

func (n Number) appendDigits(dst []byte) []byte {
	var d [landlineDigits]byte
	w := mobileDigits
	if n.Landline() {
		w = landlineDigits
	}
	v := uint32(n)
	for i := w - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, d[:w]...)
}

// Parse reads s as one phone field holding one number: digits, optionally
// a leading + (then the country code must be 84), and between digit groups
// at most two of the separators space, dot, dash and parentheses. Spaces
// around it, an opening parenthesis before and a closing one after are
// ignored. Anything else, or a digit count no form below accepts, is not a
// number. With N the national number (9 digits for a mobile, 10 for a
// landline or an old mobile):
//
//	N          912345678        bare, as a spreadsheet leaves it
//	0 N        0912345678       01681234567   02438251234
//	84 N       84912345678      (also +84...)
//	840 N      840912345678     +84 (0) 912 345 678
//	0084 N     0084912345678
//	00840 N    00840912345678
func Parse(s string) (Number, bool) {
	sc := scanner{text: s}
	first := sc.skipToRun(0)
	if first < 0 || !onlyOf(s[:sc.runStart(first)], " \t(") {
		return 0, false
	}
	r, end := sc.run(first)
	if !onlyOf(s[end:], " \t)") {
		return 0, false
	}
	return r.number(s, 0, r.n-1, true)
}

// AppendAll appends to dst every number found in a phone field (which may
// hold several: "0912345678 / 0987654321"), in order, and returns the
// extended slice. A digit sequence that is not a whole number is skipped;
// neighbouring digit groups are joined only when together they form a
// number ("0912 345 678"), so "size 39, 0912345678" finds one number and
// "0912345678 0987654321" two. Duplicates are kept. Bare national numbers
// are read, as in Parse: use AppendFromNote for free text.
func AppendAll(dst []Number, field string) []Number {
	return appendNumbers(dst, field, false)
}

// AppendFromNote appends the numbers found in a free-text note, which is
// searched only when it is shorter than MaxNoteChars characters. It reads
// as AppendAll does, except that a bare national number (no 0, no country
// code) counts only right after a phone label, and no number is read from
// a digit sequence next to a bank label (see labels.go for both lists).
func AppendFromNote(dst []Number, note string) []Number {
	if len(note) >= MaxNoteChars && utf8.RuneCountInString(note) >= MaxNoteChars {
		return dst
	}
	return appendNumbers(dst, note, true)
}

func appendNumbers(dst []Number, text string, freeText bool) []Number {
	sc := scanner{text: text}
	for i := sc.skipToRun(0); i >= 0; i = sc.skipToRun(i) {
		start := sc.runStart(i)
		var r run
		r, i = sc.run(i)
		if !freeText {
			dst = r.appendNumbers(dst, text, true)
			continue
		}
		if bankLabelled(text, start, i) {
			continue
		}
		dst = r.appendNumbers(dst, text, phoneLabelled(text, start))
	}
	return dst
}

// maxGroups bounds the digit groups of one run that are kept; a longer run
// is read as several (a number is never more than 15 one-digit groups).
const maxGroups = 16

// span is one digit group [start, end) of the text.
type span struct{ start, end int }

// run is a sequence of digit groups joined by short separators.
type run struct {
	plus   bool // a + stands right before the first group
	groups [maxGroups]span
	n      int
}

// scanner finds runs in text.
type scanner struct{ text string }

// skipToRun returns the index of the first digit at or after i, or -1.
func (sc scanner) skipToRun(i int) int {
	for ; i < len(sc.text); i++ {
		if isDigit(sc.text[i]) {
			return i
		}
	}
	return -1
}

// runStart returns where the run whose first digit is at i begins,
// counting a + (or "+(") written right before it.
func (sc scanner) runStart(i int) int {
	switch {
	case i >= 1 && sc.text[i-1] == '+':
		return i - 1
	case i >= 2 && sc.text[i-1] == '(' && sc.text[i-2] == '+':
		return i - 2
	}
	return i
}

// run reads the run whose first digit is at i and returns it with the
// index just past its last digit.
func (sc scanner) run(i int) (run, int) {
	t := sc.text
	r := run{plus: sc.runStart(i) < i}
	for r.n < maxGroups {
		start := i
		for i < len(t) && isDigit(t[i]) {
			i++
		}
		r.groups[r.n] = span{start, i}
		r.n++
		// Look past at most maxSeparators separators for the next group.
		j := i
		for j < len(t) && j-i < maxSeparators && isSeparator(t[j]) {
			j++
		}
		if j == i || j >= len(t) || !isDigit(t[j]) {
			break
		}
		i = j
	}
	return r, i
}

// appendNumbers appends the numbers in r: from each group, the longest
// sequence of groups that reads as a number is taken, and the search goes
// on after it; a group that starts no number is skipped. With bareFirst, a
// bare national number may start at the first group (the run is in a phone
// field or right after a phone label).
func (r *run) appendNumbers(dst []Number, text string, bareFirst bool) []Number {
	for first := 0; first < r.n; {
		next := first + 1
		for last := r.n - 1; last >= first; last-- {
			if n, ok := r.number(text, first, last, bareFirst && first == 0); ok {
				dst = append(dst, n)
				next = last + 1
				break
			}
		}
		first = next
	}
	return dst
}

// number reads groups first..last as one number. The run's + applies
// only to a number starting at its first group.
func (r *run) number(text string, first, last int, bare bool) (Number, bool) {
	var d [maxDigits]byte
	n := 0
	for g := first; g <= last; g++ {
		s := text[r.groups[g].start:r.groups[g].end]
		if n+len(s) > maxDigits {
			return 0, false
		}
		n += copy(d[n:], s)
	}
	return parseDigits(d[:n], r.plus && first == 0, bare)
}

// prefixes are what may stand before a national number, longest first.
// Each form has its own length for a given national number, so at most one
// reading of a digit string gives a valid national number.
var prefixes = []struct {
	digits  string
	country bool // the form carries the country code (may follow a +)
}{
	{"00840", false}, {"0084", false}, {"840", true}, {"84", true}, {"0", false}, {"", false},
}

// parseDigits reads a number from its digits alone (see Parse for the
// forms). With plus, the digits must start with the country code 84; only
// with bare may the national number stand alone.
func parseDigits(d []byte, plus, bare bool) (Number, bool) {
	for _, p := range prefixes {
		if !hasPrefix(d, p.digits) || (plus && !p.country) || (p.digits == "" && !bare) {
			continue
		}
		if n, ok := national(d[len(p.digits):]); ok {
			return n, true
		}
	}
	return 0, false
}

// national reads a national number: 9 digits for a mobile, 10 starting
// with 2 for a landline, 10 starting with an old prefix for an old mobile,
// which is read in its new form.
func national(d []byte) (Number, bool) {
	switch {
	case len(d) == mobileDigits && mobileLead(d[0]):
		return Number(digitsValue(d)), true
	case len(d) == landlineDigits && d[0] == '2':
		return Number(digitsValue(d)), true
	case len(d) == landlineDigits && d[0] == '1':
		np := oldPrefixes[digitsValue(d[1:3])]
		if np == 0 {
			return 0, false
		}
		return Number(uint32(np)*10_000_000 + digitsValue(d[3:])), true
	}
	return 0, false
}

func digitsValue(d []byte) uint32 {
	var v uint32
	for _, c := range d {
		v = v*10 + uint32(c-'0')
	}
	return v
}

func hasPrefix(d []byte, p string) bool { return len(d) >= len(p) && string(d[:len(p)]) == p }

// mobileLead reports whether c can start a mobile national number
// (03x, 05x, 07x, 08x, 09x).
func mobileLead(c byte) bool {
	switch c {
	case '3', '5', '7', '8', '9':
		return true
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSeparator(c byte) bool {
	switch c {
	case ' ', '.', '-', '(', ')':
		return true
	}
	return false
}

// onlyOf reports whether every byte of s is one of chars.
func onlyOf(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(chars, s[i]) < 0 {
			return false
		}
	}
	return true
}
