package sshd_test

import (
	"strings"
	"sync"

	"github.com/charmbracelet/x/ansi"
)

// screen is a small terminal emulator for tests: it applies what a session
// writes (text, cursor moves, erases, scrolls, the sequences Bubble Tea's
// renderer emits) to a grid of cells, so a test reads the screen the user
// would see rather than a byte stream whose frames depend on timing.
type screen struct {
	mu      sync.Mutex
	w, h    int
	cells   [][]rune
	x, y    int
	top     int // scroll region, inclusive
	bottom  int
	savedX  int
	savedY  int
	wrap    bool // the next printable goes to the next line first
	noWrap  bool // autowrap mode reset
	insert  bool
	last    rune
	saved   [][]rune // main screen while the alternate one is shown
	parser  *ansi.Parser
	written chan struct{} // closed and replaced on every Write
	writes  int           // Write calls so far
	printed []rune        // every character printed, erased or not
}

func newScreen(w, h int) *screen {
	s := &screen{w: w, h: h, written: make(chan struct{})}
	s.reset()
	s.parser = ansi.NewParser()
	s.parser.SetHandler(ansi.Handler{Print: s.print, Execute: s.execute, HandleCsi: s.csi, HandleEsc: s.esc})
	return s
}

func (s *screen) reset() {
	s.cells = s.blankLines(s.h)
	s.x, s.y, s.top, s.bottom = 0, 0, 0, s.h-1
	s.wrap, s.noWrap, s.insert = false, false, false
}

func (s *screen) blankLines(n int) [][]rune {
	lines := make([][]rune, n)
	for i := range lines {
		lines[i] = []rune(strings.Repeat(" ", s.w))
	}
	return lines
}

// Write implements io.Writer.
func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.parser.Parse(p)
	s.writes++
	close(s.written)
	s.written = make(chan struct{})
	s.mu.Unlock()
	return len(p), nil
}

// String is the screen's text, trailing blanks trimmed.
func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := make([]string, len(s.cells))
	for i, l := range s.cells {
		lines[i] = strings.TrimRight(strings.ReplaceAll(string(l), "\x00", ""), " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// history is every character ever printed (a renderer erases its frame
// when the program ends) and how many writes brought them.
func (s *screen) history() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.printed), s.writes
}

// changed is closed at the next Write.
func (s *screen) changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

func (s *screen) print(r rune) {
	width := ansi.StringWidth(string(r))
	if width == 0 {
		return
	}
	if s.wrap {
		s.x, s.wrap = 0, false
		s.lineFeed()
	}
	if s.insert {
		s.insertBlanks(width)
	}
	s.cells[s.y][s.x] = r
	s.printed = append(s.printed, r)
	if width == 2 && s.x+1 < s.w {
		s.cells[s.y][s.x+1] = 0
	}
	s.last = r
	s.x += width
	if s.x >= s.w {
		s.x = s.w - 1
		s.wrap = !s.noWrap
	}
}

func (s *screen) execute(b byte) {
	s.wrap = false
	switch b {
	case '\r':
		s.x = 0
	case '\n', '\v', '\f':
		s.lineFeed()
	case '\b':
		s.x = max(0, s.x-1)
	case '\t':
		s.x = min(s.w-1, (s.x/8+1)*8)
	}
}

func (s *screen) lineFeed() {
	switch {
	case s.y == s.bottom:
		s.scrollUp(1)
	case s.y < s.h-1:
		s.y++
	}
}

func (s *screen) scrollUp(n int) {
	for range n {
		copy(s.cells[s.top:s.bottom], s.cells[s.top+1:s.bottom+1])
		s.cells[s.bottom] = s.blankLines(1)[0]
	}
}

func (s *screen) scrollDown(n int) {
	for range n {
		copy(s.cells[s.top+1:s.bottom+1], s.cells[s.top:s.bottom])
		s.cells[s.top] = s.blankLines(1)[0]
	}
}

func (s *screen) insertBlanks(n int) {
	line := s.cells[s.y]
	copy(line[min(s.w, s.x+n):], line[s.x:])
	for i := s.x; i < min(s.w, s.x+n); i++ {
		line[i] = ' '
	}
}

func (s *screen) erase(y, from, to int) {
	for i := max(0, from); i < min(s.w, to); i++ {
		s.cells[y][i] = ' '
	}
}

func (s *screen) csi(cmd ansi.Cmd, params ansi.Params) {
	s.wrap = false
	n := func(i int) int { // a count: missing or 0 means 1
		v, _, _ := params.Param(i, 1)
		return max(1, v)
	}
	p0, _, _ := params.Param(0, 0)
	if cmd.Intermediate() != 0 {
		return
	}
	if cmd.Prefix() == '?' {
		s.privateMode(cmd.Final(), params)
		return
	}
	if cmd.Prefix() != 0 {
		return
	}
	switch cmd.Final() {
	case 'A':
		s.y = max(0, s.y-n(0))
	case 'B', 'e':
		s.y = min(s.h-1, s.y+n(0))
	case 'C', 'a':
		s.x = min(s.w-1, s.x+n(0))
	case 'D':
		s.x = max(0, s.x-n(0))
	case 'E':
		s.x, s.y = 0, min(s.h-1, s.y+n(0))
	case 'F':
		s.x, s.y = 0, max(0, s.y-n(0))
	case 'G', '`':
		s.x = min(s.w-1, n(0)-1)
	case 'd':
		s.y = min(s.h-1, n(0)-1)
	case 'H', 'f':
		s.y, s.x = min(s.h-1, n(0)-1), min(s.w-1, n(1)-1)
	case 'I':
		s.x = min(s.w-1, (s.x/8+n(0))*8)
	case 'Z':
		s.x = max(0, ((s.x+7)/8-n(0))*8)
	case 'J':
		s.eraseDisplay(p0)
	case 'K':
		switch p0 {
		case 0:
			s.erase(s.y, s.x, s.w)
		case 1:
			s.erase(s.y, 0, s.x+1)
		default:
			s.erase(s.y, 0, s.w)
		}
	case 'X':
		s.erase(s.y, s.x, s.x+n(0))
	case '@':
		s.insertBlanks(n(0))
	case 'P':
		line := s.cells[s.y]
		k := min(n(0), s.w-s.x)
		copy(line[s.x:], line[s.x+k:])
		s.erase(s.y, s.w-k, s.w)
	case 'L', 'M':
		if s.y < s.top || s.y > s.bottom {
			return
		}
		top := s.top
		s.top = s.y
		if cmd.Final() == 'L' {
			s.scrollDown(min(n(0), s.bottom-s.y+1))
		} else {
			s.scrollUp(min(n(0), s.bottom-s.y+1))
		}
		s.top = top
	case 'S':
		s.scrollUp(n(0))
	case 'T':
		s.scrollDown(n(0))
	case 'r':
		top, _, _ := params.Param(0, 1)
		bottom, _, _ := params.Param(1, s.h)
		s.top, s.bottom = max(0, top-1), min(s.h-1, max(1, bottom)-1)
		s.x, s.y = 0, 0
	case 'b':
		for range n(0) {
			s.print(s.last)
		}
	case 'h', 'l':
		if p0 == 4 {
			s.insert = cmd.Final() == 'h'
		}
	case 's':
		s.savedX, s.savedY = s.x, s.y
	case 'u':
		s.x, s.y = s.savedX, s.savedY
	}
}

func (s *screen) eraseDisplay(mode int) {
	switch mode {
	case 0:
		s.erase(s.y, s.x, s.w)
		for y := s.y + 1; y < s.h; y++ {
			s.erase(y, 0, s.w)
		}
	case 1:
		for y := 0; y < s.y; y++ {
			s.erase(y, 0, s.w)
		}
		s.erase(s.y, 0, s.x+1)
	default:
		for y := range s.h {
			s.erase(y, 0, s.w)
		}
	}
}

func (s *screen) privateMode(final byte, params ansi.Params) {
	if final != 'h' && final != 'l' {
		return
	}
	set := final == 'h'
	params.ForEach(0, func(_, mode int, _ bool) {
		switch mode {
		case 7:
			s.noWrap = !set
		case 47, 1047, 1049:
			if set && s.saved == nil {
				s.saved = s.cells
				s.cells = s.blankLines(s.h)
			} else if !set && s.saved != nil {
				s.cells, s.saved = s.saved, nil
			}
		}
	})
}

func (s *screen) esc(cmd ansi.Cmd) {
	if cmd.Intermediate() != 0 {
		return
	}
	s.wrap = false
	switch cmd.Final() {
	case '7':
		s.savedX, s.savedY = s.x, s.y
	case '8':
		s.x, s.y = s.savedX, s.savedY
	case 'D':
		s.lineFeed()
	case 'E':
		s.x = 0
		s.lineFeed()
	case 'M':
		if s.y == s.top {
			s.scrollDown(1)
		} else {
			s.y = max(0, s.y-1)
		}
	case 'c':
		s.reset()
	}
}
