package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// maxKeyringFileSize is far above any real keyring (one KEK is ~150 bytes);
// it only stops a wrong path from being read into memory.
const maxKeyringFileSize = 1 << 20

var kekIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// keyringFile is the on-disk form:
//
//	{"keys": [{"id": "kek-20250101T120000-a1b2c3", "created_at": "2025-01-01T12:00:00Z",
//	           "key": "<base64 of 32 bytes>", "active": true}]}
type keyringFile struct {
	Keys []keyringEntry `json:"keys"`
}

type keyringEntry struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"` // RFC 3339, UTC
	Key       string `json:"key"`        // standard base64 of 32 bytes
	Active    bool   `json:"active"`
}

// String leaves the key out, should an entry ever reach a log.
func (e keyringEntry) String() string {
	return fmt.Sprintf("kek{id: %q, created_at: %q, active: %t}", e.ID, e.CreatedAt, e.Active)
}

// GoString makes %#v as safe as %v.
func (e keyringEntry) GoString() string { return e.String() }

func (e keyringEntry) decodeKey(path string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(e.Key)
	if err != nil {
		return nil, fmt.Errorf("vault: keyring %s: key %q: \"key\" is not valid standard base64", path, e.ID)
	}
	if len(key) != keySize {
		clear(key)
		return nil, fmt.Errorf("vault: keyring %s: key %q: \"key\" decodes to %d bytes, want %d (AES-256)", path, e.ID, len(key), keySize)
	}
	return key, nil
}

// newKeyringEntry returns an inactive KEK of 32 random bytes with an id
// "kek-<UTC yyyymmddThhmmss>-<6 hex>" not in taken.
func newKeyringEntry(now time.Time, taken map[string]bool) (keyringEntry, error) {
	now = now.UTC()
	var id string
	for {
		var suffix [3]byte
		if _, err := rand.Read(suffix[:]); err != nil {
			return keyringEntry{}, fmt.Errorf("read random: %w", err)
		}
		id = "kek-" + now.Format("20060102T150405") + "-" + hex.EncodeToString(suffix[:])
		if !taken[id] {
			break
		}
	}
	key := make([]byte, keySize)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return keyringEntry{}, fmt.Errorf("read random: %w", err)
	}
	return keyringEntry{
		ID:        id,
		CreatedAt: now.Format(time.RFC3339),
		Key:       base64.StdEncoding.EncodeToString(key),
	}, nil
}

// readKeyringFile opens, checks and parses the keyring. The mode is checked
// on the open file, so the file checked is the file read.
func readKeyringFile(path string) (keyringFile, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return keyringFile{}, nil, fmt.Errorf("vault: keyring %s does not exist (`steward dev` creates it; in production set the path of an existing keyring): %w", path, err)
		}
		return keyringFile{}, nil, fmt.Errorf("vault: keyring: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return keyringFile{}, nil, fmt.Errorf("vault: keyring: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return keyringFile{}, nil, fmt.Errorf("vault: keyring %s is not a regular file", path)
	}
	if err := checkPrivate(path, fi.Mode()); err != nil {
		return keyringFile{}, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyringFileSize+1))
	if err != nil {
		return keyringFile{}, nil, fmt.Errorf("vault: keyring %s: read: %w", path, err)
	}
	if len(data) > maxKeyringFileSize {
		return keyringFile{}, nil, fmt.Errorf("vault: keyring %s is larger than %d bytes: is this the right file?", path, maxKeyringFileSize)
	}
	kf, err := parseKeyringFile(path, data)
	if err != nil {
		return keyringFile{}, nil, err
	}
	return kf, fi, nil
}

// checkPrivate refuses a keyring that anyone but its owner could read or
// change. Windows has no such mode bits; there the directory's ACL decides.
func checkPrivate(path string, mode fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if perm := mode.Perm(); perm&0o077 != 0 {
		return fmt.Errorf("vault: keyring %s has mode %04o, which grants group/other permissions: run `chmod 600 %s`", path, perm, path)
	}
	return nil
}

func parseKeyringFile(path string, data []byte) (keyringFile, error) {
	var kf keyringFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&kf); err != nil {
		return keyringFile{}, fmt.Errorf("vault: keyring %s is not valid keyring JSON: %w", path, err)
	}
	if dec.More() {
		return keyringFile{}, fmt.Errorf("vault: keyring %s has data after the JSON object", path)
	}
	if len(kf.Keys) == 0 {
		return keyringFile{}, fmt.Errorf("vault: keyring %s holds no keys", path)
	}
	seen := make(map[string]bool, len(kf.Keys))
	var active []string
	for i, e := range kf.Keys {
		if !kekIDPattern.MatchString(e.ID) {
			return keyringFile{}, fmt.Errorf("vault: keyring %s: key #%d: id %q is invalid: use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", path, i+1, e.ID)
		}
		if seen[e.ID] {
			return keyringFile{}, fmt.Errorf("vault: keyring %s: key id %q appears more than once", path, e.ID)
		}
		seen[e.ID] = true
		if _, err := time.Parse(time.RFC3339, e.CreatedAt); err != nil {
			return keyringFile{}, fmt.Errorf("vault: keyring %s: key %q: created_at %q is not an RFC 3339 time", path, e.ID, e.CreatedAt)
		}
		key, err := e.decodeKey(path)
		if err != nil {
			return keyringFile{}, err
		}
		clear(key)
		if e.Active {
			active = append(active, e.ID)
		}
	}
	switch len(active) {
	case 1:
		return kf, nil
	case 0:
		return keyringFile{}, fmt.Errorf("vault: keyring %s has no active key: exactly one key must have \"active\": true", path)
	default:
		return keyringFile{}, fmt.Errorf("vault: keyring %s has %d active keys (%s): exactly one key must have \"active\": true", path, len(active), strings.Join(active, ", "))
	}
}

// createKeyringFile creates the directory (0700) and a keyring (0600) with
// one active KEK, unless another process created the file first.
func createKeyringFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("vault: keyring: create directory: %w", err)
	}
	unlock, err := lockKeyring(path)
	if err != nil {
		return fmt.Errorf("vault: keyring: %w", err)
	}
	defer unlock()
	if _, err := os.Lstat(path); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("vault: keyring: %w", err)
	}
	e, err := newKeyringEntry(time.Now(), nil)
	if err != nil {
		return fmt.Errorf("vault: keyring: create: %w", err)
	}
	e.Active = true
	if err := writeKeyringFile(path, keyringFile{Keys: []keyringEntry{e}}); err != nil {
		return fmt.Errorf("vault: keyring: create: %w", err)
	}
	return nil
}

// writeKeyringFile replaces the keyring atomically: a 0600 temporary file in
// the same directory, fsync, rename, then fsync of the directory so the
// rename itself survives a crash. It checks the content first.
func writeKeyringFile(path string, kf keyringFile) (err error) {
	data, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return fmt.Errorf("encode keyring: %w", err)
	}
	data = append(data, '\n')
	defer clear(data)
	// Never replace a keyring with one that would not load.
	if _, err := parseKeyringFile(path, data); err != nil {
		return fmt.Errorf("refusing to write an invalid keyring: %w", err)
	}

	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir is best effort: some platforms and file systems cannot fsync a
// directory, and the rename has already happened.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
