package jobs_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFamiliesImportNoOtherFamily keeps the split honest: a family (or
// mirror) that imported another family, or this package, would tie the
// families back together or make an import cycle with Kinds.
func TestFamiliesImportNoOtherFamily(t *testing.T) {
	t.Parallel()
	const base = "syncops/engine/jobs"
	forbidden := []string{base, base + "/pull", base + "/match", base + "/sync", base + "/jobstest"}
	for _, dir := range []string{"pull", "match", "sync", "mirror"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		require.NotEmpty(t, files, dir)
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue // external tests may build worlds from every family
			}
			src, err := os.ReadFile(file)
			require.NoError(t, err)
			f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ImportsOnly)
			require.NoError(t, err)
			for _, imp := range f.Imports {
				path, err := strconv.Unquote(imp.Path.Value)
				require.NoError(t, err)
				for _, bad := range forbidden {
					require.NotEqual(t, bad, path, "%s imports %s", file, path)
				}
			}
		}
	}
}
