package edge

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// KEK wraps and unwraps data keys with the key-encryption key kept outside
// the database. *vault.Keyring implements it (it is vault.KEKProvider).
type KEK interface {
	Wrap(ctx context.Context, dek []byte) (kekID string, wrapped []byte, err error)
	Unwrap(ctx context.Context, kekID string, wrapped []byte) ([]byte, error)
}

// ACMESealer seals the ACME cache's entries (account key, certificates and
// their private keys) with envelope encryption, as the vault seals tenant
// secrets but without a tenant: each entry under a fresh AES-256-GCM data
// key that is stored, beside it, only wrapped by the keyring's active KEK.
// The entry's name is bound in as additional data, so a sealed value moved
// under another name does not open.
//
// Sealed format, version 1:
//
//	byte 0          0x01
//	byte 1          n = len(KEK id), 1..255
//	n bytes         KEK id
//	2 bytes         m = len(wrapped data key), big-endian
//	m bytes         wrapped data key
//	12 bytes        GCM nonce
//	rest            AES-256-GCM ciphertext || tag
type ACMESealer struct {
	kek KEK
}

// NewACMESealer returns a sealer over kek. It panics on a nil kek: that is
// a wiring mistake.
func NewACMESealer(kek KEK) *ACMESealer {
	if kek == nil {
		panic("edge: NewACMESealer needs a KEK")
	}
	return &ACMESealer{kek: kek}
}

const (
	acmeSealV1  byte = 0x01
	acmeAADBase      = "steward/acme-cache/v1\x00"
)

// ErrSealedEntry reports a sealed ACME cache entry that is malformed,
// tampered with, or sealed under another name.
var ErrSealedEntry = errors.New("edge: the sealed ACME cache entry does not open")

func acmeAAD(name, kekID string) []byte {
	return []byte(acmeAADBase + name + "\x00" + kekID)
}

func checkEntryName(name string) error {
	if name == "" || strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("edge: ACME cache entry name %q: must be non-empty without NUL", name)
	}
	return nil
}

// Seal encrypts plaintext for the entry name. Errors: a name that is empty
// or holds NUL; otherwise the KEK's.
func (s *ACMESealer) Seal(ctx context.Context, name string, plaintext []byte) ([]byte, error) {
	if err := checkEntryName(name); err != nil {
		return nil, err
	}
	dek := make([]byte, 32)
	if _, err := rand.Read(dek); err != nil {
		return nil, fmt.Errorf("edge: seal ACME cache entry: %w", err)
	}
	kekID, wrapped, err := s.kek.Wrap(ctx, dek)
	if err != nil {
		return nil, fmt.Errorf("edge: seal ACME cache entry: wrap data key: %w", err)
	}
	if len(kekID) == 0 || len(kekID) > 255 || len(wrapped) > 0xffff {
		return nil, fmt.Errorf("edge: seal ACME cache entry: KEK id %q or wrapped key (%d bytes) does not fit the format", kekID, len(wrapped))
	}
	aead, err := newEntryGCM(dek)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("edge: seal ACME cache entry: %w", err)
	}
	out := make([]byte, 0, 4+len(kekID)+len(wrapped)+len(nonce)+len(plaintext)+aead.Overhead())
	out = append(out, acmeSealV1, byte(len(kekID)))
	out = append(out, kekID...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(wrapped)))
	out = append(out, wrapped...)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, acmeAAD(name, kekID)), nil
}

// Open decrypts what Seal made for the same name. Errors: ErrSealedEntry
// for a malformed, tampered or misplaced value; otherwise the KEK's (a KEK
// id the keyring no longer holds, an unreachable key vault).
func (s *ACMESealer) Open(ctx context.Context, name string, sealed []byte) ([]byte, error) {
	if err := checkEntryName(name); err != nil {
		return nil, err
	}
	b := sealed
	if len(b) < 2 || b[0] != acmeSealV1 {
		return nil, ErrSealedEntry
	}
	n := int(b[1])
	b = b[2:]
	if n == 0 || len(b) < n+2 {
		return nil, ErrSealedEntry
	}
	kekID := string(b[:n])
	b = b[n:]
	m := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if len(b) < m {
		return nil, ErrSealedEntry
	}
	wrapped := b[:m]
	b = b[m:]
	dek, err := s.kek.Unwrap(ctx, kekID, wrapped)
	if err != nil {
		return nil, fmt.Errorf("edge: open ACME cache entry: unwrap data key: %w", err)
	}
	aead, err := newEntryGCM(dek)
	if err != nil {
		return nil, err
	}
	if len(b) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrSealedEntry
	}
	pt, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], acmeAAD(name, kekID))
	if err != nil {
		return nil, ErrSealedEntry
	}
	return pt, nil
}

func newEntryGCM(dek []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(dek)
	if err != nil {
		return nil, fmt.Errorf("edge: ACME cache data key: %w", err)
	}
	return cipher.NewGCM(block)
}
