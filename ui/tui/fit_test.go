package tui_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/stretchr/testify/require"
)

// TestGoldensFitTheirScreen reads every golden recorded at a terminal size
// (a WxH folder) and checks that no line is wider than W and there are no
// more than H lines: a line wider than the screen wraps in a real
// terminal and pushes the whole frame down. It found the job page's key
// line at 109 cells on an 80-column screen.
func TestGoldensFitTheirScreen(t *testing.T) {
	t.Parallel()
	size := regexp.MustCompile(`^(\d+)x(\d+)$`)
	checked := 0
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".golden") {
			return err
		}
		m := size.FindStringSubmatch(filepath.Base(filepath.Dir(path)))
		if m == nil {
			return nil
		}
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimRight(string(body), "\n"), "\n")
		require.LessOrEqual(t, len(lines), h, "%s has more lines than the screen", path)
		for i, line := range lines {
			require.LessOrEqual(t, lipgloss.Width(line), w, "%s line %d is wider than the screen:\n%s", path, i+1, line)
		}
		checked++
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, checked, 20, "the goldens were not found")
}
