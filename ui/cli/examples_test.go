package cli

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"syncops/engine/app"
	"syncops/engine/enginetest"
)

// example is one command line shown in a command's help.
type example struct {
	where string            // the command whose help shows it
	line  string            // as written
	env   map[string]string // NAME=value words before the program
	args  []string          // after the program name
}

var envWord = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)

// envPrefix is the NAME=value words in front of a command line.
var envPrefix = regexp.MustCompile(`^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+`)

// quotedCommand is a command named in running text: "syncops types".
var quotedCommand = regexp.MustCompile(`"(syncops(?: [a-z][a-z-]*)+)"`)

// examples collects every indented line (the help's convention for a
// command line) of every command's Example and Long text that runs syncops
// ("syncops ..." or "go run . ..."), with the environment words in front of
// it.
func examples(t *testing.T, root *cobra.Command) []example {
	t.Helper()
	var out []example
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, text := range []string{c.Example, c.Long} {
			for line := range strings.SplitSeq(text, "\n") {
				indented := strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")
				cmdLine := envPrefix.ReplaceAllString(strings.TrimSpace(line), "")
				if !indented || cmdLine != "syncops" && !strings.HasPrefix(cmdLine, "syncops ") && !strings.HasPrefix(cmdLine, "go run . ") {
					continue // prose
				}
				words, err := shellWords(strings.TrimSpace(line))
				require.NoError(t, err, "%s: %q", c.CommandPath(), line)
				ex := example{where: c.CommandPath(), line: strings.TrimSpace(line), env: map[string]string{}}
				for len(words) > 0 && envWord.MatchString(words[0]) {
					name, value, _ := strings.Cut(words[0], "=")
					ex.env[name] = value
					words = words[1:]
				}
				switch {
				case len(words) >= 1 && words[0] == "syncops":
					ex.args = words[1:]
				case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == ".":
					ex.args = words[3:]
				default:
					continue
				}
				out = append(out, ex)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// shellWords splits a line as a POSIX shell would for the simple quoting
// help texts use (single and double quotes, no escapes).
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// serves are the commands that run until stopped (the console or the
// headless service), and init, which waits for a person to grant access on
// Nhanh's page; their examples are parsed and checked, not run (init's run
// is tested against the sandbox in doctor_test.go).
func serves(c *cobra.Command) bool {
	return !c.HasParent() || c.CommandPath() == "syncops demo" || c.CommandPath() == "syncops init"
}

// exampleShop is the sandbox the examples run against: a generated shop
// that also has the depot and the location the help texts name (a real
// shop's ids look like these).
func exampleShop(t *testing.T) map[string]string {
	t.Helper()
	shop := enginetest.StartShop(t, enginetest.ShopOptions{Seed: 1, Customers: 40, Products: 10, Scale: 50, ExampleStore: true})
	return shop.Env(t.TempDir())
}

// TestHelpExamplesWork runs every example of every command's help, in the
// order the help shows them, against the sandbox with the production job
// types, and requires each to succeed. Examples of the commands that serve
// until stopped are parsed with their flags, arguments and environment
// checked. A command named in running text must exist.
func TestHelpExamplesWork(t *testing.T) {
	t.Parallel()
	base := exampleShop(t)
	exs := examples(t, newRoot(&Options{}))
	require.GreaterOrEqual(t, len(exs), 15, "the examples were not found")

	ctx := context.Background()
	for _, ex := range exs {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range ex.env {
			env[k] = v
		}
		getenv := func(k string) string { return env[k] }
		var stdout, stderr bytes.Buffer
		opts := &Options{Stdout: &stdout, Stderr: &stderr, Env: getenv, Build: app.Build}
		root := newRoot(opts)
		cmd, rest, err := root.Find(ex.args)
		require.NoError(t, err, "%s: %s", ex.where, ex.line)
		if serves(cmd) {
			require.NoError(t, cmd.ParseFlags(rest), "%s: %s", ex.where, ex.line)
			require.NoError(t, cmd.ValidateArgs(cmd.Flags().Args()), "%s: %s", ex.where, ex.line)
			if cmd.PreRunE != nil {
				require.NoError(t, cmd.PreRunE(cmd, cmd.Flags().Args()), "%s: %s", ex.where, ex.line)
			}
			_, err := app.Load("", getenv)
			require.NoError(t, err, "%s: %s: its environment", ex.where, ex.line)
			continue
		}
		code := Main(ctx, ex.args, *opts)
		t.Logf("%s -> exit %d", ex.line, code)
		require.Equal(t, ExitOK, code, "%s: %s\nstdout: %s\nstderr: %s", ex.where, ex.line, stdout.String(), stderr.String())
	}
}

// TestHelpNamesRealCommands: a command named in a help text ("syncops
// types") exists under that name.
func TestHelpNamesRealCommands(t *testing.T) {
	t.Parallel()
	root := newRoot(&Options{})
	var walk func(c *cobra.Command)
	found := 0
	walk = func(c *cobra.Command) {
		for _, m := range quotedCommand.FindAllStringSubmatch(c.Long+"\n"+c.Example, -1) {
			found++
			words := strings.Fields(m[1])
			named, rest, err := root.Find(words[1:])
			require.NoError(t, err, "%s names %q", c.CommandPath(), m[1])
			require.Empty(t, rest, "%s names %q", c.CommandPath(), m[1])
			require.Equal(t, m[1], named.CommandPath(), "%s names %q", c.CommandPath(), m[1])
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	require.NotZero(t, found)
}
