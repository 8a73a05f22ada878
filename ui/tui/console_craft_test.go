package tui_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/stretchr/testify/require"
)

// TestScrollLongJobDetail scrolls a job's info, taller than an 80x24
// screen, to its end and back, with the position shown as it goes.
func TestScrollLongJobDetail(t *testing.T) {
	t.Parallel()
	b := setup(t, 80, 24, world{seed: failedJob})
	b.waitFor(t, "Stepped import")
	b.press("2")
	b.waitFor(t, "#4 ", "[All 4]")
	b.press("enter")
	b.waitFor(t, "Job #4  FAILED", "lines 1–15 of 19 · 0%")
	require.NotContains(t, b.rec.current(), "finished Failed", "the end is below the screen")

	b.press("end")
	b.waitFor(t, "lines 5–19 of 19 · 100%", "finished Failed")
	require.NotContains(t, b.rec.current(), "shopify inventorySetQuantities", "the top scrolled away")

	b.press("home")
	b.waitFor(t, "lines 1–15 of 19 · 0%", "shopify inventorySetQuantities")
	b.press("pgdown")
	b.waitFor(t, "100%")
	b.press("k")
	b.waitFor(t, "lines 4–18 of 19")
}

// TestFilterKeepsItsWidthWithVietnameseAndEmoji types a filter with
// Vietnamese text and an emoji: the field stays as wide as the screen, the
// list follows every key (no enter needed), and esc clears the filter.
func TestFilterKeepsItsWidthWithVietnameseAndEmoji(t *testing.T) {
	t.Parallel()
	b := setup(t, 80, 24, world{seed: func(t testing.TB, b *bundle) { insertJobs(t, b.store, manyJobs(30)) }})
	b.waitFor(t, "Stepped import")
	b.press("2")
	b.waitSettled(t, "[All 30]")
	b.press("/")
	b.waitFor(t, "#id, type, label")
	for _, r := range "Đà Nẵng 🎉 khách hàng Nguyễn Thị Hồng Nhung 😀😀😀" {
		b.tm.Send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	b.waitFor(t, "😀😀😀")
	b.waitSettled(t, "[All 0]", "no jobs")
	for _, line := range strings.Split(b.rec.current(), "\n") {
		require.LessOrEqual(t, ansi.StringWidth(line), 80, "a line grew past the screen: %q", line)
	}
	field := strings.Split(b.rec.current(), "\n")[2]
	require.True(t, strings.HasPrefix(field, "/ "), "the filter field is on the info line: %q", field)
	require.Equal(t, 80, ansi.StringWidth(field))

	b.press("backspace", "backspace", "left", "left", "left", "left", "left")
	b.waitFor(t, "😀")
	require.Equal(t, 80, ansi.StringWidth(strings.Split(b.rec.current(), "\n")[2]))

	b.press("esc")
	b.waitSettled(t, "[All 30]", "no filter")
}

// TestMouseClicksTabsAndRows clicks the Jobs tab, a state tab, then a row
// twice (select, then open), and scrolls a list with the wheel.
func TestMouseClicksTabsAndRows(t *testing.T) {
	t.Parallel()
	b := setup(t, 120, 40, world{seed: func(t testing.TB, b *bundle) { insertJobs(t, b.store, manyJobs(30)) }})
	b.waitFor(t, "Stepped import")
	// " syncops " (9 cells), two spaces, "1 Overview", two spaces, "2 Jobs".
	b.tm.Send(tea.MouseClickMsg{X: 25, Y: 0, Button: tea.MouseLeft})
	b.waitSettled(t, "[All 30]", "#30")

	// The state tabs are the first line of the body (screen line 1):
	// "[All 30] " then " Running 1 ".
	b.tm.Send(tea.MouseClickMsg{X: 12, Y: 1, Button: tea.MouseLeft})
	b.waitSettled(t, "[Running ")

	b.tm.Send(tea.MouseClickMsg{X: 2, Y: 1, Button: tea.MouseLeft})
	b.waitSettled(t, "[All 30]")
	// Rows start under the tabs, the info line and the header: screen
	// line 4 is #30, line 6 is #28.
	b.tm.Send(tea.MouseClickMsg{X: 5, Y: 6, Button: tea.MouseLeft})
	b.waitView(t, func(v string) bool { return strings.Contains(v, "▸     #28") })
	b.tm.Send(tea.MouseWheelMsg{X: 5, Y: 8, Button: tea.MouseWheelDown})
	b.waitView(t, func(v string) bool { return strings.Contains(v, "▸     #27") })
	b.tm.Send(tea.MouseClickMsg{X: 5, Y: 7, Button: tea.MouseLeft})
	b.waitFor(t, "Job #27 ")
}

// TestCopyJobID copies the selected job's id with y: the OSC 52 sequence
// that sets the operator's clipboard is in the output, and a notice says
// so.
func TestCopyJobID(t *testing.T) {
	t.Parallel()
	b := setup(t, 80, 24, world{seed: func(t testing.TB, b *bundle) { insertJobs(t, b.store, manyJobs(30)) }})
	b.waitFor(t, "Stepped import")
	b.press("2")
	b.waitSettled(t, "[All 30]", "#30")
	b.press("down", "y")
	b.waitFor(t, "copied job id 29 to the clipboard")
	want := []byte("\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte("29")))
	teatest.WaitFor(t, b.tm.Output(), func(out []byte) bool { return bytes.Contains(out, want) },
		teatest.WithDuration(waitTimeout))
}
