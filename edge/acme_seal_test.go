package edge

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
)

// testKEK wraps data keys with one AES-GCM key, as the keyring does.
type testKEK struct {
	id   string
	aead cipher.AEAD
	fail error
}

func newTestKEK(t *testing.T, id string) *testKEK {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return &testKEK{id: id, aead: aead}
}

func (k *testKEK) Wrap(_ context.Context, dek []byte) (string, []byte, error) {
	if k.fail != nil {
		return "", nil, k.fail
	}
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return k.id, k.aead.Seal(nonce, nonce, dek, []byte(k.id)), nil
}

func (k *testKEK) Unwrap(_ context.Context, id string, wrapped []byte) ([]byte, error) {
	if id != k.id {
		return nil, fmt.Errorf("unknown KEK %q", id)
	}
	n := k.aead.NonceSize()
	if len(wrapped) < n {
		return nil, errors.New("short")
	}
	return k.aead.Open(nil, wrapped[:n], wrapped[n:], []byte(id))
}

func TestACMESealer(t *testing.T) {
	ctx := context.Background()
	kek := newTestKEK(t, "kek-1")
	s := NewACMESealer(kek)
	secret := []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI...\n-----END EC PRIVATE KEY-----\n")
	sealed, err := s.Seal(ctx, "acme_account+key", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("PRIVATE KEY")) {
		t.Fatal("the sealed value holds the plaintext")
	}
	got, err := s.Open(ctx, "acme_account+key", sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q, %v", got, err)
	}
	again, _ := s.Seal(ctx, "acme_account+key", secret)
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are equal: the data key or nonce is reused")
	}

	t.Run("refused", func(t *testing.T) {
		flip := func(i int) []byte {
			b := bytes.Clone(sealed)
			b[i] ^= 0x01
			return b
		}
		for name, c := range map[string]struct {
			name   string
			sealed []byte
		}{
			"moved under another name": {"steward.example.com", sealed},
			"last byte tampered":       {"acme_account+key", flip(len(sealed) - 1)},
			"ciphertext tampered":      {"acme_account+key", flip(len(sealed) - 30)},
			"unknown format version":   {"acme_account+key", append([]byte{0x02}, sealed[1:]...)},
			"truncated in the header":  {"acme_account+key", sealed[:4]},
			"truncated after the key":  {"acme_account+key", sealed[:len(sealed)-len(secret)-20]},
			"empty":                    {"acme_account+key", nil},
		} {
			if pt, err := s.Open(ctx, c.name, c.sealed); err == nil {
				t.Errorf("%s: opened as %q", name, pt)
			} else if !errors.Is(err, ErrSealedEntry) {
				t.Errorf("%s: err = %v, want ErrSealedEntry", name, err)
			}
		}
		other := NewACMESealer(newTestKEK(t, "kek-1"))
		if _, err := other.Open(ctx, "acme_account+key", sealed); err == nil {
			t.Error("opened with another key-encryption key")
		}
		if _, err := s.Seal(ctx, "a\x00b", secret); err == nil {
			t.Error("sealed under a name holding NUL")
		}
		if _, err := s.Seal(ctx, "", secret); err == nil {
			t.Error("sealed under an empty name")
		}
		kek.fail = errors.New("key vault unreachable")
		if _, err := s.Seal(ctx, "x", secret); err == nil || !errors.Is(err, kek.fail) {
			t.Errorf("seal with a failing KEK: %v", err)
		}
	})
}
