// Package ui holds the faces (console, SSH, command line, HTTP, headless).
// Its only file here is the test that keeps them faces: they reach the
// database and the external APIs through the engine, never directly.
package ui

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// forbiddenImports are the packages below the engine. A face that imports
// one of them (or a package inside them) bypasses the engine's API: its
// roles, its audit and its own types. engine/jobs/jobstest is the job
// families' test kit, whose API is made of store and sandbox types; the
// faces' tests use engine/enginetest instead.
var forbiddenImports = []string{"syncops/store", "syncops/clients", "syncops/engine/jobs/jobstest"}

// forbidden reports whether importing path bypasses the engine.
func forbidden(path string) bool {
	for _, f := range forbiddenImports {
		if path == f || strings.HasPrefix(path, f+"/") {
			return true
		}
	}
	return false
}

// forbiddenIn lists "file: import" for every forbidden import of the Go
// files (tests included, whatever their build tags) under root.
func forbiddenIn(t *testing.T, root string) (found []string, files int) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return filepath.SkipDir // the go tool ignores these too
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if forbidden(p) {
				found = append(found, filepath.ToSlash(path)+": "+p)
			}
		}
		return nil
	})
	require.NoError(t, err)
	sort.Strings(found)
	return found, files
}

// TestFacesGoThroughTheEngine: no file under ui (tests included) imports
// the store, an API client, the sandbox or the job families' test kit.
func TestFacesGoThroughTheEngine(t *testing.T) {
	t.Parallel()
	found, files := forbiddenIn(t, ".")
	require.Greater(t, files, 50, "the faces' files were not found")
	require.Empty(t, found, "faces must use the engine's API (engine, engine/app, engine/...; tests: engine/enginetest)")
}

// TestForbiddenImportsAreFound: the check sees a forbidden import in a
// plain file, a test file, a file behind a build tag, and an aliased or
// blank import, and leaves the engine's packages and look-alike names alone.
func TestForbiddenImportsAreFound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"face/a.go":           "package face\nimport \"syncops/store\"\n",
		"face/b_test.go":      "package face\nimport st \"syncops/store/storetest\"\n",
		"face/c.go":           "//go:build linux\n\npackage face\nimport _ \"syncops/clients/sandbox\"\n",
		"face/d.go":           "package face\nimport (\n\t\"syncops/engine\"\n\t\"syncops/engine/app\"\n\t\"syncops/storefront\"\n)\n",
		"face/e_test.go":      "package face\nimport \"syncops/engine/jobs/jobstest\"\n",
		"face/testdata/x.go":  "package x\nimport \"syncops/store\"\n",
		"face/sub/f.go":       "package sub\nimport \"syncops/clients/extid\"\n",
		"face/sub/notes.txt":  "import \"syncops/store\"\n",
		"face/sub/g_test.go":  "package sub\nimport \"syncops/engine/enginetest\"\n",
		"face/.hidden/h.go":   "package h\nimport \"syncops/store\"\n",
		"face/_ignored/i.go":  "package i\nimport \"syncops/clients/nhanh\"\n",
		"face/sub/j.go":       "package sub\nimport \"syncops/clientsx\"\n",
		"face/sub/k_other.go": "package sub\nimport \"fmt\"\nvar _ = fmt.Sprint\n",
	}
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	found, n := forbiddenIn(t, filepath.Join(dir, "face"))
	for i, f := range found {
		found[i] = strings.TrimPrefix(f, filepath.ToSlash(filepath.Join(dir, "face"))+"/")
	}
	require.Equal(t, []string{
		"a.go: syncops/store",
		"b_test.go: syncops/store/storetest",
		"c.go: syncops/clients/sandbox",
		"e_test.go: syncops/engine/jobs/jobstest",
		"sub/f.go: syncops/clients/extid",
	}, found)
	require.Equal(t, 9, n)
}
