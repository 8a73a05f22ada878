// Package testbin builds the syncops binary for the end-to-end tests that
// drive it as an operator would. The binary is built at most once per test
// process, on first use (a package whose tests all skip builds nothing), and
// Main removes it when the tests end.
//
// Use it from a package's TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }
//
// and call Path(t) in each test that runs the binary.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// mainPackage is the import path of the syncops command: the module root.
const mainPackage = "syncops"

var (
	once     sync.Once
	dir, bin string
	buildErr error
)

// Path returns the path of the built binary, building it on the first call.
// A build failure fails every test that asks.
func Path(t testing.TB) string {
	t.Helper()
	once.Do(build)
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bin
}

// Main runs the tests, then removes the binary and its directory, and
// returns the exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil && code == 0 {
			fmt.Fprintf(os.Stderr, "testbin: remove %s: %v\n", dir, err)
			code = 1
		}
	}
	return code
}

func build() {
	var err error
	dir, err = os.MkdirTemp("", "syncops-bin-")
	if err != nil {
		buildErr = fmt.Errorf("testbin: %w", err)
		return
	}
	bin = filepath.Join(dir, "syncops")
	// Building by import path works from any package directory in the module.
	out, err := exec.Command("go", "build", "-o", bin, mainPackage).CombinedOutput()
	if err != nil {
		buildErr = fmt.Errorf("testbin: go build: %v\n%s", err, out)
	}
}
