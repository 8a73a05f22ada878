package jobdetail

import "syncops/ui/tui/widget"

// listing is what the failed items and the diff have in common: one page
// of a keyset listing at a time, searched, read again when the job moves
// past what it was read at, with its reads numbered so that an answer no
// longer awaited (an older read, or one for the job shown before) is
// dropped. C is the listing's cursor.
type listing[C any] struct {
	search  widget.Search
	pageIdx int
	// starts[i] is the cursor that reads page i (the zero cursor: the first
	// page); pages are read by cursor, so a late page costs what the first
	// does.
	starts []C
	cursor int
	loaded bool
	seq    int
	busy   bool
	stale  bool
	// askedAt is the job's count the list was asked for at (failed items,
	// or mappings processed): when the job's count moves past it, the list
	// is read again.
	askedAt int64
}

// ask numbers a read of page idx at the job's count: idx may be one past
// the pages read so far, the next page, which starts where next says. It
// returns the read's number, the page to read and the cursors up to it.
func (s *listing[C]) ask(idx int, count int64, next func() (C, bool)) (seq, pageIdx int, starts []C) {
	s.seq++
	s.busy, s.stale, s.askedAt = true, false, count
	pageIdx, starts = widget.PageStarts(s.starts, idx, next)
	return s.seq, pageIdx, starts
}

// answered reports whether the answer numbered seq is the one awaited, and
// if so ends the wait.
func (s *listing[C]) answered(seq int) bool {
	if seq != s.seq {
		return false
	}
	s.busy = false
	return true
}

// show records the page read (page idx, read by starts) and keeps the
// cursor on one of its rows.
func (s *listing[C]) show(idx int, starts []C, rows int) {
	s.pageIdx, s.starts, s.loaded = idx, starts, true
	s.cursor = max(0, min(s.cursor, rows-1))
}

// searched starts the listing again for a new search.
func (s *listing[C]) searched() { s.starts, s.cursor = nil, 0 }
