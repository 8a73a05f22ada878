package sshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"
)

// hostKeyMode is the host key file's permission: the private key is readable
// by the service's user only.
const hostKeyMode fs.FileMode = 0o600

// loadOrCreateHostKey returns the host key at path, generating an ed25519 key
// there on first use. Reusing it on every start keeps the fingerprint clients
// pinned in known_hosts, so a changed key means a different server.
func loadOrCreateHostKey(path string) (gossh.Signer, error) {
	signer, err := loadHostKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return signer, err
	}
	if err := createHostKey(path); err != nil {
		return nil, err
	}
	return loadHostKey(path)
}

func loadHostKey(path string) (gossh.Signer, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	// Like OpenSSH, refuse a private key others can read: it may have leaked.
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("host key %s is accessible by others (mode %04o): chmod 600 it", path, info.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	signer, err := gossh.ParsePrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("host key %s: %w", path, err)
	}
	return signer, nil
}

// createHostKey writes a new key to a temporary file and links it into
// place, so a reader never sees half a key and two processes starting at once
// keep one key between them (the second link fails and its key is dropped).
func createHostKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("host key directory: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "syncops host key")
	if err != nil {
		return fmt.Errorf("encode host key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".ssh_host_key-*")
	if err != nil {
		return fmt.Errorf("write host key: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600 already; Chmod states the intent and
	// does not depend on the umask.
	if err := tmp.Chmod(hostKeyMode); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write host key: %w", err)
	}
	if _, err := tmp.Write(pem.EncodeToMemory(block)); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write host key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write host key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write host key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write host key: %w", err)
	}
	return nil
}
