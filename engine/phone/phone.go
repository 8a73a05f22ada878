// Package phone reads Vietnamese mobile numbers the way people type them,
// at a shop's till, in Shopify's phone fields and in free-text notes, and
// reduces each to its 9-digit subscriber number so that two spellings of
// one number compare equal:
//
//	0912345678  84912345678  +84 912 345 678  0084912345678
//	0912.345.678  0912-345-678  912345678  +84 (0) 912 345 678
//
// all read as the subscriber number 912345678.
//
// The reading goes by length, which resolves the reference system's
// ambiguity: there, a number written without its leading 0 that starts
// with 84 (912 → 849 123 456) was taken for the country code and lost. Here
// 9 digits are always a bare subscriber number and only 11 digits starting
// with 84 carry the country code, since a subscriber number is exactly
// 9 digits long. Only mobile numbers are read (a subscriber number starts
// with 3, 5, 7, 8 or 9); landlines and foreign numbers are not phones here.
//
// The functions work on bytes without regular expressions and allocate
// nothing, so matching can index millions of numbers cheaply.
package phone

import (
	"strings"
	"unicode/utf8"
)

// Number is a Vietnamese mobile number reduced to its 9-digit subscriber
// number (912345678 for 0912345678). The zero Number is no number.
type Number uint32

// MaxNoteChars is the note length (in characters) from which a note is no
// longer searched for numbers: long notes are pasted documents and order
// histories, whose digits are rarely the customer's phone. It is the
// reference system's limit.
const MaxNoteChars = 2000

// Limits of the digit forms read (see parseDigits).
const (
	subscriberDigits = 9
	maxDigits        = 14 // 0084 0 xxxxxxxxx
	minSubscriber    = 100_000_000
	maxSubscriber    = 999_999_999
	// maxSeparators is how many separator characters may stand between two
	// digit groups of one number ("0912 345 678", "+84 (0) 912").
	maxSeparators = 2
)

// Valid reports whether n is a mobile subscriber number: 9 digits, the
// first a 3, 5, 7, 8 or 9.
func (n Number) Valid() bool {
	if n < minSubscriber || n > maxSubscriber {
		return false
	}
	return mobileLead(byte('0' + n/minSubscriber))
}

// Subscriber returns the 9 digits, the search key ("912345678"), or "" for
// an invalid Number.
func (n Number) Subscriber() string {
	if !n.Valid() {
		return ""
	}
	var b [subscriberDigits]byte
	return string(n.appendDigits(b[:0]))
}

// String returns the number as Vietnamese write it at home ("0912345678"),
// or "" for an invalid Number.
func (n Number) String() string {
	if !n.Valid() {
		return ""
	}
	var b [subscriberDigits + 1]byte
	return string(n.appendDigits(append(b[:0], '0')))
}

// E164 returns the international form ("+84912345678"), or "" for an
// invalid Number.
func (n Number) E164() string {
	if !n.Valid() {
		return ""
	}
	var b [subscriberDigits + 3]byte
	return string(n.appendDigits(append(b[:0], "+84"...)))
}

func (n Number) appendDigits(dst []byte) []byte {
	var d [subscriberDigits]byte
	v := uint32(n)
	for i := subscriberDigits - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, d[:]...)
}

// Parse reads s as one phone number: digits, optionally a leading + (then
// the country code must be 84), and between digit groups at most two of
// the separators space, dot, dash and parentheses. Spaces around it, an
// opening parenthesis before and a closing one after are ignored. Anything
// else, or a digit count no form below accepts, is not a number:
//
//	9 digits                  912345678       a subscriber number as is
//	10 digits, 0 first        0912345678
//	11 digits, 84 first       84912345678     (also +84...)
//	12 digits, 840 first      840912345678    +84 (0) 912 345 678
//	13 digits, 0084 first     0084912345678
//	14 digits, 00840 first    00840912345678
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
	return r.number(s, 0, r.n-1)
}

// AppendAll appends to dst every number found in text, in order, and
// returns the extended slice. A digit sequence that is not a whole number
// is skipped; neighbouring digit groups are joined only when together they
// form a number ("0912 345 678"), so "size 39, 0912345678" finds one
// number and "0912345678 0987654321" two. Duplicates are kept.
func AppendAll(dst []Number, text string) []Number {
	sc := scanner{text: text}
	for i := sc.skipToRun(0); i >= 0; i = sc.skipToRun(i) {
		var r run
		r, i = sc.run(i)
		dst = r.appendNumbers(dst, text)
	}
	return dst
}

// AppendFromNote is AppendAll for a free-text note, which is searched only
// when it is shorter than MaxNoteChars characters.
func AppendFromNote(dst []Number, note string) []Number {
	if len(note) >= MaxNoteChars && utf8.RuneCountInString(note) >= MaxNoteChars {
		return dst
	}
	return AppendAll(dst, note)
}

// maxGroups bounds the digit groups of one run that are kept; a longer run
// is read as several (a number is never more than 14 one-digit groups).
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
// on after it; a group that starts no number is skipped.
func (r *run) appendNumbers(dst []Number, text string) []Number {
	for first := 0; first < r.n; {
		next := first + 1
		for last := r.n - 1; last >= first; last-- {
			if n, ok := r.number(text, first, last); ok {
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
func (r *run) number(text string, first, last int) (Number, bool) {
	var d [maxDigits]byte
	n := 0
	for g := first; g <= last; g++ {
		s := text[r.groups[g].start:r.groups[g].end]
		if n+len(s) > maxDigits {
			return 0, false
		}
		n += copy(d[n:], s)
	}
	return parseDigits(d[:n], r.plus && first == 0)
}

// parseDigits reads a number from its digits alone (see Parse for the
// forms). With plus, the digits must start with the country code 84.
func parseDigits(d []byte, plus bool) (Number, bool) {
	var sub []byte
	switch n := len(d); {
	case plus && (n < 2 || d[0] != '8' || d[1] != '4'):
		return 0, false
	case n == 9:
		sub = d
	case n == 10 && d[0] == '0':
		sub = d[1:]
	case n == 11 && string(d[:2]) == "84":
		sub = d[2:]
	case n == 12 && string(d[:3]) == "840":
		sub = d[3:]
	case n == 13 && string(d[:4]) == "0084":
		sub = d[4:]
	case n == 14 && string(d[:5]) == "00840":
		sub = d[5:]
	default:
		return 0, false
	}
	if !mobileLead(sub[0]) {
		return 0, false
	}
	var v uint32
	for _, c := range sub {
		v = v*10 + uint32(c-'0')
	}
	return Number(v), true
}

// mobileLead reports whether c can start a mobile subscriber number
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
