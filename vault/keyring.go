package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

const (
	keySize      = 32 // AES-256, for KEKs and DEKs alike
	gcmNonceSize = 12
	gcmTagSize   = 16

	kekAADPrefix = "steward/kek/v1\x00"
)

// Keyring is a KEKProvider backed by a local JSON file of key-encryption keys
// (see OpenKeyring): the embedded default for a single node. It is safe for
// concurrent use. Only cipher instances are kept in memory, never the encoded
// keys, and neither String nor any fmt verb reveals key material.
type Keyring struct {
	path string

	// reloadMu serialises reads of the file into memory, so a burst of
	// unwraps naming a new KEK reads the file once and an older read never
	// overwrites a newer one.
	reloadMu sync.Mutex

	mu       sync.RWMutex
	keks     map[string]cipher.AEAD
	ids      []string // file order, oldest first
	activeID string
	loaded   os.FileInfo // the file the keys in memory came from
}

var _ KEKProvider = (*Keyring)(nil)

// OpenKeyring loads the keyring file at path. When the file does not exist
// and create is true (first `steward dev` run), it creates the directory with
// mode 0700 and a file with mode 0600 holding one new active KEK.
//
// It refuses a file whose mode grants any group or other permission, a file
// with no keys, with zero or several active keys, with duplicate ids, or with
// a key that is not base64 of exactly 32 bytes.
func OpenKeyring(path string, create bool) (*Keyring, error) {
	if path == "" {
		return nil, errors.New("vault: keyring: the keyring file path is empty: set it in the configuration")
	}
	k := &Keyring{path: path}
	err := k.reload()
	if err == nil {
		return k, nil
	}
	if !create || !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := createKeyringFile(path); err != nil {
		return nil, err
	}
	if err := k.reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// Path returns the keyring file's path.
func (k *Keyring) Path() string { return k.path }

// Wrap encrypts dek with the active KEK (AES-256-GCM, random 96-bit nonce,
// the KEK id as additional data) and returns nonce||ciphertext||tag.
//
// It first re-reads the file if another process changed it, so new data keys
// are wrapped with the KEK a rotation made active, and refuses to wrap when
// the file is gone: a data key must never depend on a KEK that is not on disk.
func (k *Keyring) Wrap(ctx context.Context, dek []byte) (string, []byte, error) {
	if err := ctx.Err(); err != nil {
		return "", nil, fmt.Errorf("vault: keyring wrap: %w", err)
	}
	if len(dek) == 0 {
		return "", nil, errors.New("vault: keyring wrap: the data key is empty")
	}
	if err := k.refresh(); err != nil {
		return "", nil, fmt.Errorf("vault: keyring wrap: %w", err)
	}
	k.mu.RLock()
	id, aead := k.activeID, k.keks[k.activeID]
	k.mu.RUnlock()

	nonce := make([]byte, gcmNonceSize, gcmNonceSize+len(dek)+gcmTagSize)
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("vault: keyring wrap: read random nonce: %w", err)
	}
	return id, aead.Seal(nonce, nonce, dek, kekAAD(id)), nil
}

// Unwrap decrypts a data key wrapped by the named KEK. A KEK id it does not
// know makes it re-read the file once before failing: that is how a running
// server picks up a KEK that `steward keys rotate` added from another process.
func (k *Keyring) Unwrap(ctx context.Context, kekID string, wrapped []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("vault: keyring unwrap: %w", err)
	}
	aead, ok := k.kek(kekID)
	if !ok {
		if err := k.reloadUnlessKnown(kekID); err != nil {
			return nil, fmt.Errorf("vault: keyring unwrap: KEK %q is not loaded and re-reading the keyring failed: %w", kekID, err)
		}
		if aead, ok = k.kek(kekID); !ok {
			return nil, fmt.Errorf("vault: keyring unwrap: KEK %q is not in keyring %s", kekID, k.path)
		}
	}
	if len(wrapped) < gcmNonceSize+gcmTagSize {
		return nil, fmt.Errorf("vault: keyring unwrap with KEK %q: the wrapped key is truncated (%d bytes)", kekID, len(wrapped))
	}
	dek, err := aead.Open(nil, wrapped[:gcmNonceSize], wrapped[gcmNonceSize:], kekAAD(kekID))
	if err != nil {
		return nil, fmt.Errorf("vault: keyring unwrap with KEK %q: %w", kekID, err)
	}
	return dek, nil
}

// ActiveKEKID names the KEK that Wrap uses now, after re-reading the file if
// another process changed it.
func (k *Keyring) ActiveKEKID(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("vault: keyring: %w", err)
	}
	if err := k.refresh(); err != nil {
		return "", fmt.Errorf("vault: keyring: %w", err)
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.activeID, nil
}

// KEKIDs lists the ids of the loaded KEKs, oldest first.
func (k *Keyring) KEKIDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return append([]string(nil), k.ids...)
}

// Rotate adds a new random KEK, makes it the only active one and writes the
// file atomically. The old KEKs stay: data keys wrapped with them still
// unwrap until Vault.RotateKEK has re-wrapped them. Concurrent rotations by
// several processes are serialised by a lock file next to the keyring.
func (k *Keyring) Rotate() (newID string, err error) {
	unlock, err := lockKeyring(k.path)
	if err != nil {
		return "", fmt.Errorf("vault: keyring rotate: %w", err)
	}
	defer unlock()

	// Start from the file, not from memory: another process may have rotated.
	kf, _, err := readKeyringFile(k.path)
	if err != nil {
		return "", fmt.Errorf("vault: keyring rotate: %w", err)
	}
	taken := make(map[string]bool, len(kf.Keys))
	for i := range kf.Keys {
		taken[kf.Keys[i].ID] = true
		kf.Keys[i].Active = false
	}
	e, err := newKeyringEntry(time.Now(), taken)
	if err != nil {
		return "", fmt.Errorf("vault: keyring rotate: %w", err)
	}
	e.Active = true
	kf.Keys = append(kf.Keys, e)
	if err := writeKeyringFile(k.path, kf); err != nil {
		return "", fmt.Errorf("vault: keyring rotate: %w", err)
	}
	if err := k.reload(); err != nil {
		return "", fmt.Errorf("vault: keyring rotate: %w", err)
	}
	return e.ID, nil
}

// String describes the keyring without any key material.
func (k *Keyring) String() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return fmt.Sprintf("vault.Keyring{path: %q, keks: %d, active: %q}", k.path, len(k.ids), k.activeID)
}

// GoString makes %#v as safe as %v.
func (k *Keyring) GoString() string { return k.String() }

func (k *Keyring) kek(id string) (cipher.AEAD, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	aead, ok := k.keks[id]
	return aead, ok
}

// reload reads the file into memory.
func (k *Keyring) reload() error {
	k.reloadMu.Lock()
	defer k.reloadMu.Unlock()
	return k.reloadLocked()
}

// reloadUnlessKnown reads the file unless a concurrent reload already brought
// in the KEK id.
func (k *Keyring) reloadUnlessKnown(id string) error {
	k.reloadMu.Lock()
	defer k.reloadMu.Unlock()
	if _, ok := k.kek(id); ok {
		return nil
	}
	return k.reloadLocked()
}

// refresh re-reads the file when it is not the one loaded: every write
// renames a new file into place, so a rotation always shows as a change.
func (k *Keyring) refresh() error {
	k.reloadMu.Lock()
	defer k.reloadMu.Unlock()
	fi, err := os.Stat(k.path)
	if err != nil {
		return fmt.Errorf("keyring %s: %w", k.path, err)
	}
	k.mu.RLock()
	loaded := k.loaded
	k.mu.RUnlock()
	if loaded != nil && os.SameFile(fi, loaded) && fi.ModTime().Equal(loaded.ModTime()) && fi.Size() == loaded.Size() {
		return nil
	}
	return k.reloadLocked()
}

func (k *Keyring) reloadLocked() error {
	kf, fi, err := readKeyringFile(k.path)
	if err != nil {
		return err
	}
	keks := make(map[string]cipher.AEAD, len(kf.Keys))
	ids := make([]string, 0, len(kf.Keys))
	var active string
	for _, e := range kf.Keys {
		key, err := e.decodeKey(k.path)
		if err != nil {
			return err
		}
		aead, err := newGCM(key)
		clear(key)
		if err != nil {
			return fmt.Errorf("vault: keyring %s: key %q: %w", k.path, e.ID, err)
		}
		keks[e.ID] = aead
		ids = append(ids, e.ID)
		if e.Active {
			active = e.ID
		}
	}
	k.mu.Lock()
	k.keks, k.ids, k.activeID, k.loaded = keks, ids, active, fi
	k.mu.Unlock()
	return nil
}

func kekAAD(kekID string) []byte { return []byte(kekAADPrefix + kekID) }

// newGCM returns AES-256-GCM for a 32-byte key.
func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("key is %d bytes, want %d (AES-256)", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
