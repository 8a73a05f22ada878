package sshd

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"

	gossh "golang.org/x/crypto/ssh"

	"syncops/engine"
)

// Role is what a session may do; the engine decides with it, from the
// Actor the session builds (Identity.Actor).
type Role = engine.Role

// Roles.
const (
	// RoleOperator may do everything the console offers.
	RoleOperator = engine.RoleOperator
	// RoleViewer sees everything and changes nothing.
	RoleViewer = engine.RoleViewer
)

// Identity is who a session is: the public key that authenticated it, as
// listed in one of the key files.
type Identity struct {
	// Fingerprint is the key's SHA256 fingerprint ("SHA256:...").
	Fingerprint string
	// Comment is the key's comment in the key file (often user@host).
	Comment string
	Role    Role
}

// Actor is the identity as the engine audits it and decides what it may
// do: the key's role goes with it, so a viewer's changes are refused by the
// engine whatever the console offers.
func (id Identity) Actor() engine.Actor {
	return engine.Actor{Kind: engine.ActorSSH, Name: strings.TrimSpace(id.Fingerprint + " " + id.Comment), Role: id.Role}
}

// keyFile is one authorized_keys file and the role its keys grant. It is
// re-read on every lookup, so an edit (a key added or revoked) applies to the
// next authentication without a restart; the parse is redone only when the
// bytes changed, which also keeps warnings about bad lines to one per edit.
type keyFile struct {
	path   string
	role   Role
	logger *slog.Logger

	mu      sync.Mutex
	raw     []byte              // contents the index was built from
	missing bool                // the file was absent at the last read
	index   map[string]keyEntry // marshalled public key -> entry
}

type keyEntry struct {
	comment string
}

// lookup says whether key is listed, with its comment.
func (f *keyFile) lookup(key gossh.PublicKey) (keyEntry, bool, error) {
	index, err := f.load()
	if err != nil {
		return keyEntry{}, false, err
	}
	e, ok := index[string(key.Marshal())]
	return e, ok, nil
}

// load reads the file and returns its index, parsing only when it changed.
// A missing file lists no keys (the operator may create it later); any other
// read error refuses every key of the file.
func (f *keyFile) load() (map[string]keyEntry, error) {
	raw, err := os.ReadFile(f.path)
	f.mu.Lock()
	defer f.mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		if !f.missing {
			f.logger.Warn("ssh key file missing: no "+string(f.role)+" can log in", slog.String("path", f.path))
		}
		f.missing, f.raw, f.index = true, nil, nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s keys: %w", f.role, err)
	}
	if f.index != nil && !f.missing && bytes.Equal(raw, f.raw) {
		return f.index, nil
	}
	f.missing, f.raw, f.index = false, raw, f.parse(raw)
	return f.index, nil
}

// parse builds the index. Lines carrying authorized_keys options (from=,
// command=, restrict, cert-authority, ...) are skipped with a warning: we do
// not enforce options, and silently ignoring a from= restriction would grant
// more than the file says.
func (f *keyFile) parse(raw []byte) map[string]keyEntry {
	index := map[string]keyEntry{}
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pub, comment, options, _, err := gossh.ParseAuthorizedKey([]byte(line))
		switch {
		case err != nil:
			f.logger.Warn("ssh key file: line skipped, not a public key",
				slog.String("path", f.path), slog.Int("line", i+1), slog.Any("error", err))
			continue
		case len(options) > 0:
			f.logger.Warn("ssh key file: line skipped, key options are not supported",
				slog.String("path", f.path), slog.Int("line", i+1), slog.String("fingerprint", gossh.FingerprintSHA256(pub)))
			continue
		}
		index[string(pub.Marshal())] = keyEntry{comment: comment}
	}
	return index
}

// keyring is the operators' and viewers' key files.
type keyring struct {
	files []*keyFile // in precedence order: the first file listing a key wins
}

// newKeyring orders the files so that a key listed in both is a viewer: the
// lesser role wins, so demoting a key by adding it to the viewers' file works
// even if it was not yet removed from the operators' file.
func newKeyring(operators, viewers string, logger *slog.Logger) *keyring {
	k := &keyring{}
	if viewers != "" {
		k.files = append(k.files, &keyFile{path: viewers, role: RoleViewer, logger: logger})
	}
	if operators != "" {
		k.files = append(k.files, &keyFile{path: operators, role: RoleOperator, logger: logger})
	}
	return k
}

// identify returns the identity of key, or false when no file lists it.
// A file that cannot be read refuses the key.
func (k *keyring) identify(key gossh.PublicKey) (Identity, bool, error) {
	for _, f := range k.files {
		e, ok, err := f.lookup(key)
		if err != nil {
			// Refuse rather than fall through: the unreadable file may be the
			// viewers' one, and falling through would promote a demoted key.
			return Identity{}, false, err
		}
		if ok {
			return Identity{Fingerprint: gossh.FingerprintSHA256(key), Comment: e.comment, Role: f.role}, true, nil
		}
	}
	return Identity{}, false, nil
}

// check reads every file once, so a typo in a path fails Start instead of
// silently refusing everyone.
func (k *keyring) check() error {
	for _, f := range k.files {
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("%s key file: %w", f.role, err)
		}
		if _, err := f.load(); err != nil {
			return err
		}
	}
	return nil
}
