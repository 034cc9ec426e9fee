package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/stewardhq/steward/governance"
)

// apiKeyPepperFile names the pepper's temp files while it is created.
const apiKeyPepperFile = "api-key-pepper"

// apiKeyPepperPath is where the pepper of cfg's installation lives: the
// api_key_pepper_file setting, by default beside the keyring (a 0700
// directory that already holds Steward's key material). Keeping it out of
// database backups is what makes a stolen backup useless.
func apiKeyPepperPath(cfg Config) string { return cfg.APIKeyPepperFile }

// loadAPIKeyPepper reads the server-side secret that API key hashes are
// keyed with: exactly 32 bytes, readable by the owner alone. With create it
// makes the file (32 bytes from crypto/rand, mode 0600) when it is missing.
//
// Losing the pepper makes every API key unverifiable (integrations need new
// keys); leaking it together with the database lets an attacker test
// guesses offline, which 256-bit keys still defeat. Back it up with the
// keyring.
func loadAPIKeyPepper(path string, create bool) ([]byte, error) {
	pepper, err := readAPIKeyPepper(path)
	if err == nil || !create || !errors.Is(err, fs.ErrNotExist) {
		return pepper, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("API key pepper: create directory: %w", err)
	}
	b := make([]byte, governance.APIKeyPepperSize)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return nil, fmt.Errorf("API key pepper: read random bytes: %w", err)
	}
	// Written aside, then linked into place: a reader never sees a partial
	// file, and of two commands racing to create it the first link wins and
	// the other reads the winner's.
	tmp, err := os.CreateTemp(filepath.Dir(path), apiKeyPepperFile+".*.tmp") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("API key pepper: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("API key pepper %s: write: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readAPIKeyPepper(path)
		}
		return nil, fmt.Errorf("API key pepper %s: %w", path, err)
	}
	return b, nil
}

func readAPIKeyPepper(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("API key pepper %s does not exist (`steward apikeys create` makes it with the first key): %w", path, err)
		}
		return nil, fmt.Errorf("API key pepper: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("API key pepper: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("API key pepper %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("API key pepper %s has mode %04o, which grants group/other permissions: run `chmod 600 %s`", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, governance.APIKeyPepperSize+1))
	if err != nil {
		return nil, fmt.Errorf("API key pepper %s: read: %w", path, err)
	}
	if len(b) != governance.APIKeyPepperSize {
		return nil, fmt.Errorf("API key pepper %s holds %d bytes, want %d: is this the right file? (a lost pepper cannot be recreated: every API key must then be replaced)", path, len(b), governance.APIKeyPepperSize)
	}
	return b, nil
}
