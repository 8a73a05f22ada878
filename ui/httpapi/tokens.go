package httpapi

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"syncops/engine"
)

// MinTokenLength is the shortest token the tokens file may hold; a shorter
// one is skipped with a warning, because it could be guessed.
const MinTokenLength = 16

// Identity is who a request is: the named token that authenticated it.
type Identity struct {
	Name string
	Role engine.Role
}

// Actor is the identity as the engine decides and audits with it.
func (id Identity) Actor() engine.Actor {
	return engine.Actor{Name: id.Name, Kind: engine.ActorHTTP, Role: id.Role}
}

// tokenEntry is one line of the tokens file; only the token's SHA-256 is
// kept, so a memory dump does not hand out working tokens.
type tokenEntry struct {
	id   Identity
	hash [sha256.Size]byte
}

// fileStamp is what tells that the tokens file changed without reading it.
type fileStamp struct {
	modTime time.Time
	size    int64
	mode    fs.FileMode
}

// tokenFile is the tokens file. Every lookup stats it and re-reads it when
// its modification time, size or mode changed, so a token added or revoked
// applies to the next request without a restart (the idea of ui/sshd's key
// files, with a stat instead of a read per request).
type tokenFile struct {
	path   string
	logger *slog.Logger

	mu      sync.Mutex
	stamp   fileStamp
	loaded  bool
	entries []tokenEntry
	err     error // why the file is refused (insecure mode, unreadable)
}

// ErrInsecureTokenFile: the tokens file can be read or written by group or
// others; syncops refuses every token of such a file.
var ErrInsecureTokenFile = errors.New("tokens file is accessible by group or others")

func newTokenFile(path string, logger *slog.Logger) *tokenFile {
	return &tokenFile{path: path, logger: logger}
}

// check loads the file once, so a wrong path or an insecure mode fails the
// server's start instead of refusing everyone quietly.
func (f *tokenFile) check() error {
	_, err := f.current()
	return err
}

// current returns the entries of the file as it is now.
func (f *tokenFile) current() ([]tokenEntry, error) {
	fi, err := os.Stat(f.path)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		if f.err == nil || !f.loaded { // once per change to unreadable
			f.logger.Warn("http tokens file unreadable: every request is refused", slog.String("path", f.path),
				slog.Any("error", err))
		}
		f.loaded, f.entries, f.err, f.stamp = true, nil, fmt.Errorf("tokens file: %w", err), fileStamp{}
		return nil, f.err
	}
	stamp := fileStamp{modTime: fi.ModTime(), size: fi.Size(), mode: fi.Mode()}
	if f.loaded && stamp == f.stamp {
		return f.entries, f.err
	}
	f.loaded, f.stamp = true, stamp
	f.entries, f.err = f.read(fi)
	if f.err != nil {
		f.logger.Error("http tokens file refused: every request is refused", slog.String("path", f.path),
			slog.Any("error", f.err))
		f.entries = nil
	}
	return f.entries, f.err
}

func (f *tokenFile) read(fi fs.FileInfo) ([]tokenEntry, error) {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s has mode %04o: %w; run chmod 600 %s", f.path, perm, ErrInsecureTokenFile, f.path)
	}
	raw, err := os.ReadFile(f.path)
	if err != nil {
		return nil, fmt.Errorf("read tokens file: %w", err)
	}
	return f.parse(raw), nil
}

// parse reads "NAME ROLE TOKEN" lines. A bad line is skipped with a warning
// that names the line, never the token.
func (f *tokenFile) parse(raw []byte) []tokenEntry {
	var out []tokenEntry
	seen := map[[sha256.Size]byte]bool{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		skip := func(reason string) {
			f.logger.Warn("http tokens file: line skipped, "+reason, slog.String("path", f.path), slog.Int("line", n))
		}
		if len(fields) != 3 {
			skip("want NAME ROLE TOKEN")
			continue
		}
		role := engine.Role(fields[1])
		if role != engine.RoleOperator && role != engine.RoleViewer {
			skip("role must be operator or viewer")
			continue
		}
		if len(fields[2]) < MinTokenLength {
			skip(fmt.Sprintf("token shorter than %d characters", MinTokenLength))
			continue
		}
		h := sha256.Sum256([]byte(fields[2]))
		if seen[h] {
			skip("token listed twice")
			continue
		}
		seen[h] = true
		out = append(out, tokenEntry{id: Identity{Name: fields[0], Role: role}, hash: h})
	}
	return out
}

// identify returns the identity of token. Every entry is compared, in
// constant time, so the answer's timing says nothing about which entry (if
// any) came close.
func (f *tokenFile) identify(token string) (Identity, bool) {
	entries, err := f.current()
	if err != nil || token == "" {
		return Identity{}, false
	}
	h := sha256.Sum256([]byte(token))
	var found Identity
	ok := 0
	for _, e := range entries {
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			found, ok = e.id, 1
		}
	}
	return found, ok == 1
}
