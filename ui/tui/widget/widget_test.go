package widget

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/ui/tui/styles"
)

func TestFitDropsTheLeastImportantColumns(t *testing.T) {
	t.Parallel()
	cols := []Column{
		{Title: "A", Width: 10, Flex: true, Keep: 100},
		{Title: "B", Width: 10, Keep: 50},
		{Title: "C", Width: 10, Keep: 10},
		{Title: "D", Width: 10, Keep: 90},
	}
	tests := []struct {
		width     int
		shown     []int
		flexWidth int
	}{
		{width: 100, shown: []int{0, 1, 2, 3}, flexWidth: 100 - 2 - 30 - 3},
		{width: 40, shown: []int{0, 1, 3}, flexWidth: 40 - 2 - 20 - 2},
		{width: 30, shown: []int{0, 3}, flexWidth: 30 - 2 - 10 - 1},
		{width: 5, shown: []int{0}, flexWidth: 10},
	}
	for _, tt := range tests {
		l := Fit(cols, tt.width)
		var shown []int
		for i := range cols {
			if l.Has(i) {
				shown = append(shown, i)
			}
		}
		require.Equal(t, tt.shown, shown, "width %d", tt.width)
		require.Equal(t, tt.flexWidth, l.Width(0), "width %d", tt.width)
		if tt.width >= 12 {
			require.Equal(t, tt.width, ansi.StringWidth(l.Row(make([]string, len(cols)), false, styles.New(true))))
		}
	}
}

// TestFitShortensNamesBeforeDroppingNeededColumns: a name column wide
// enough for every name is shortened before any column more important than
// whole names is dropped, and shown whole when only less important ones go.
func TestFitShortensNamesBeforeDroppingNeededColumns(t *testing.T) {
	t.Parallel()
	base := []Column{
		{Title: "NAME", Width: 10, Flex: true, Keep: 100},
		{Title: "NEEDED", Width: 10, Keep: 50},
		{Title: "SPARE", Width: 10, Keep: 10},
	}
	cols := WholeNames(base, 0, 30, []string{"a name of twenty-two"})
	tests := []struct {
		width     int
		shown     []int
		nameWidth int
	}{
		{width: 60, shown: []int{0, 1, 2}, nameWidth: 60 - 2 - 20 - 2},
		{width: 40, shown: []int{0, 1}, nameWidth: 40 - 2 - 10 - 1},
		{width: 30, shown: []int{0, 1}, nameWidth: 30 - 2 - 10 - 1},
		{width: 12, shown: []int{0}, nameWidth: 10},
	}
	for _, tt := range tests {
		l := Fit(cols, tt.width)
		var shown []int
		for i := range cols {
			if l.Has(i) {
				shown = append(shown, i)
			}
		}
		require.Equal(t, tt.shown, shown, "width %d", tt.width)
		require.Equal(t, tt.nameWidth, l.Width(0), "width %d", tt.width)
	}
}

func TestCellTruncatesAndPads(t *testing.T) {
	t.Parallel()
	require.Equal(t, "abc  ", Cell("abc", 5, false))
	require.Equal(t, "  abc", Cell("abc", 5, true))
	require.Equal(t, "abcd…", Cell("abcdefgh", 5, false))
	require.Equal(t, "Kho H…", Cell("Kho Hà Nội", 6, false), "cells count runes, not bytes")
	require.Empty(t, Cell("abc", 0, false))
}

func TestFillAndWindow(t *testing.T) {
	t.Parallel()
	require.Equal(t, "a\nb\n", Fill("a\nb", 3, 3))
	require.Equal(t, "a\nb", Fill("a\nb\nc", 3, 2))
	require.Equal(t, 0, Window(0, 3, 10, 50))
	require.Equal(t, 11, Window(0, 20, 10, 50), "the cursor scrolls into view at the bottom")
	require.Equal(t, 5, Window(11, 5, 10, 50), "and at the top")
	require.Equal(t, 40, Window(45, 49, 10, 50))
	require.Equal(t, 0, Window(3, 2, 10, 5), "everything fits")
}

func TestInputEdits(t *testing.T) {
	t.Parallel()
	key := func(s string) tea.KeyPressMsg {
		switch s {
		case "left":
			return tea.KeyPressMsg{Code: tea.KeyLeft}
		case "backspace":
			return tea.KeyPressMsg{Code: tea.KeyBackspace}
		case "home":
			return tea.KeyPressMsg{Code: tea.KeyHome}
		case "ctrl+w":
			return tea.KeyPressMsg{Code: 'w', Mod: tea.ModCtrl}
		case "ctrl+k":
			return tea.KeyPressMsg{Code: 'k', Mod: tea.ModCtrl}
		}
		return tea.KeyPressMsg{Code: []rune(s)[0], Text: s}
	}
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"typing", []string{"a", "b", "c"}, "abc"},
		{"insert in the middle", []string{"a", "c", "left", "b"}, "abc"},
		{"backspace", []string{"a", "b", "backspace"}, "a"},
		{"delete word", []string{"0", " ", "*", "/", "2", "ctrl+w"}, "0 "},
		{"kill to end", []string{"a", "b", "home", "ctrl+k"}, ""},
		{"ctrl letters are not text", []string{"a", "ctrl+k"}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var in Input
			in.Focus()
			for _, k := range tt.keys {
				in.Update(key(k))
			}
			require.Equal(t, tt.want, in.Value())
		})
	}
	var blurred Input
	require.False(t, blurred.Update(key("a")), "a blurred input takes no keys")
	var pasted Input
	pasted.Focus()
	pasted.Update(tea.PasteMsg{Content: "0 */6\n* * *"})
	require.Equal(t, "0 */6 * * *", pasted.Value(), "a paste stays on one line")
}

func TestInputViewKeepsTheCursorVisible(t *testing.T) {
	t.Parallel()
	s := styles.New(true)
	var in Input
	in.Prompt = "> "
	in.SetValue(strings.Repeat("x", 30) + "END")
	in.Focus()
	view := ansi.Strip(in.View(s, 12))
	require.Equal(t, 12, ansi.StringWidth(view))
	require.Contains(t, view, "END")
}

// TestInputKeepsItsWidthWithWideCharacters: Vietnamese text and emoji
// (two cells each) never widen the field, wherever the cursor is.
func TestInputKeepsItsWidthWithWideCharacters(t *testing.T) {
	t.Parallel()
	s := styles.New(true)
	tests := []struct {
		name  string
		value string
		left  int // cursor moves left from the end
	}{
		{name: "vietnamese", value: "Nguyễn Thị Hồng Nhung Đà Nẵng"},
		{name: "emoji at the end", value: "đơn hàng 🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉"},
		{name: "cursor on an emoji", value: "khách 😀😀😀😀😀😀😀😀😀😀😀 Hà Nội", left: 9},
		{name: "CJK", value: "顧客顧客顧客顧客顧客顧客顧客"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := Input{Prompt: "/ "}
			in.SetValue(tt.value)
			in.Focus()
			for range tt.left {
				in.Update(tea.KeyPressMsg{Code: tea.KeyLeft})
			}
			for _, width := range []int{12, 20, 22} {
				require.Equal(t, width, ansi.StringWidth(ansi.Strip(in.View(s, width))), "width %d", width)
			}
			in.Blur()
			require.Equal(t, 20, ansi.StringWidth(ansi.Strip(in.View(s, 20))))
		})
	}
}

func TestBarAndBadgeWidths(t *testing.T) {
	t.Parallel()
	s := styles.New(false)
	for _, pct := range []float64{0, 0.333, 1} {
		require.Equal(t, 20, ansi.StringWidth(Bar(s, Progress{Fraction: pct, Known: true, Status: engine.StatusRunning}, 20)))
	}
	require.Equal(t, 20, ansi.StringWidth(Bar(s, Progress{Status: engine.StatusRunning}, 20)))
	require.Equal(t, "██████████░░░░░░░░░░  50%",
		ansi.Strip(Bar(s, Progress{Fraction: 0.5, Known: true, Status: engine.StatusRunning}, 25)))
	for _, st := range []engine.Status{"", engine.StatusPending, engine.StatusCompleted, engine.StatusCancelled} {
		require.Equal(t, BadgeWidth, ansi.StringWidth(Badge(s, st)))
	}
}

// TestProgressOfUnknownAndUnfinishedJobs: a total that only keeps up with
// the work (a pull growing page by page) is not shown as done, and a job
// that stopped short never shows a full bar or 100%.
func TestProgressOfUnknownAndUnfinishedJobs(t *testing.T) {
	t.Parallel()
	s := styles.New(true)
	tests := []struct {
		name     string
		job      engine.Job
		bar      string
		doneText string
	}{
		{name: "running pull, total grows with the work",
			job: engine.Job{Status: engine.StatusRunning, Total: 1250, Processed: 1250},
			bar: "▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒  ···", doneText: "1,250 so far"},
		{name: "running, nothing counted yet",
			job: engine.Job{Status: engine.StatusRunning},
			bar: "▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒  ···", doneText: "0 so far"},
		{name: "running with a known total",
			job: engine.Job{Status: engine.StatusRunning, Total: 1000, Processed: 400},
			bar: "██████░░░░░░░░░  40%", doneText: "400/1,000"},
		{name: "cancelled pull whose end was never known",
			job: engine.Job{Status: engine.StatusCancelled, Total: 800, Processed: 800},
			bar: "▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒   – ", doneText: "800"},
		{name: "failed part way through a known total",
			job: engine.Job{Status: engine.StatusFailed, Total: 1000, Processed: 999},
			bar: "██████████████░  99%", doneText: "999/1,000"},
		{name: "cancelled with no items",
			job: engine.Job{Status: engine.StatusCancelled},
			bar: "▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒   – ", doneText: "0"},
		{name: "completed with no items",
			job: engine.Job{Status: engine.StatusCompleted},
			bar: "███████████████ 100%", doneText: "0"},
		{name: "completed",
			job: engine.Job{Status: engine.StatusCompleted, Total: 20, Processed: 20},
			bar: "███████████████ 100%", doneText: "20/20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.bar, ansi.Strip(Bar(s, JobProgress(tt.job), 20)))
			require.Equal(t, tt.doneText, DoneText(tt.job))
		})
	}
}

// TestStalledJobShowsWhy: a running job whose counters have not moved for
// StallAfter shows "stalled for …" instead of a rate and ETA that froze.
func TestStalledJobShowsWhy(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name             string
		job              engine.Job
		rate, eta, stall string
	}{
		{name: "moving", job: engine.Job{Status: engine.StatusRunning, Rate: 12.5, ETA: 48 * time.Second, HasETA: true, UpdatedAt: now.Add(-5 * time.Second)},
			rate: "12.5/s", eta: "48s"},
		{name: "stalled", job: engine.Job{Status: engine.StatusRunning, Rate: 12.5, ETA: 48 * time.Second, HasETA: true, UpdatedAt: now.Add(-2 * time.Minute)},
			rate: "stalled", eta: "–", stall: "stalled for 2m00s"},
		{name: "finished long ago", job: engine.Job{Status: engine.StatusCompleted, Rate: 12.5, UpdatedAt: now.Add(-time.Hour)},
			rate: "12.5/s", eta: "–"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sp := JobSpeed(tt.job, now)
			require.Equal(t, tt.rate, sp.RateText())
			require.Equal(t, tt.eta, sp.ETAText())
			require.Equal(t, tt.stall, sp.StallText())
		})
	}
}

func TestMoreSaysWhatIsOutOfView(t *testing.T) {
	t.Parallel()
	require.Empty(t, More(0, 10, 10))
	require.Equal(t, "  ↓ 3 more", More(0, 10, 13))
	require.Equal(t, "  ↑ 2 more · ↓ 1 more", More(2, 10, 13))
}

// TestConfirmButtonsAnswerClicks: a click on the yes or the no text of a
// dialog drawn centred answers it; a click elsewhere leaves it open.
func TestConfirmButtonsAnswerClicks(t *testing.T) {
	t.Parallel()
	s := styles.New(true)
	c := Confirm{Title: "Cancel job #5?", Body: "It stops.", Yes: "cancel it", No: "keep it"}
	lines := strings.Split(ansi.Strip(Overlay(Fill("", 80, 20), c.View(s, 80), 80, 20)), "\n")
	find := func(text string) (int, int) {
		for y, ln := range lines {
			if i := strings.Index(ln, text); i >= 0 {
				return ansi.StringWidth(ln[:i]), y
			}
		}
		t.Fatalf("%q not drawn", text)
		return 0, 0
	}
	x, y := find("y cancel it")
	decided, yes := c.Click(s, x+1, y, 80, 20)
	require.True(t, decided)
	require.True(t, yes)
	x, y = find("n/esc keep it")
	decided, yes = c.Click(s, x+3, y, 80, 20)
	require.True(t, decided)
	require.False(t, yes)
	decided, _ = c.Click(s, 0, 0, 80, 20)
	require.False(t, decided)
}
