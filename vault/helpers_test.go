package vault

import (
	"context"
	"github.com/stewardhq/steward/internal/testenv"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// countingKEK counts the calls that reach a provider.
type countingKEK struct {
	KEKProvider
	wraps, unwraps atomic.Int64
}

func (c *countingKEK) Wrap(ctx context.Context, dek []byte) (string, []byte, error) {
	c.wraps.Add(1)
	return c.KEKProvider.Wrap(ctx, dek)
}

func (c *countingKEK) Unwrap(ctx context.Context, kekID string, wrapped []byte) ([]byte, error) {
	c.unwraps.Add(1)
	return c.KEKProvider.Unwrap(ctx, kekID, wrapped)
}

// newTestKeyring creates a keyring in a fresh directory.
func newTestKeyring(t testing.TB) *Keyring {
	t.Helper()
	k, err := OpenKeyring(filepath.Join(t.TempDir(), "steward", "keyring.json"), true)
	if err != nil {
		t.Fatalf("OpenKeyring: %v", err)
	}
	return k
}

type testVault struct {
	*Vault
	store   *memStore
	keyring *Keyring
	kek     *countingKEK
	clock   *testenv.Clock
}

// newTestVault wires a Vault to an in-memory store, a fresh keyring behind a
// counting provider and a fake clock.
func newTestVault(t testing.TB, opts Options) *testVault {
	t.Helper()
	tv := &testVault{store: newMemStore(), keyring: newTestKeyring(t), clock: testenv.NewClock()}
	tv.kek = &countingKEK{KEKProvider: tv.keyring}
	if opts.Now == nil {
		opts.Now = tv.clock.Now
	}
	tv.Vault = New(tv.store, tv.store, tv.kek, opts)
	return tv
}

// fresh returns another Vault over the same stores and keys with an empty
// cache, as another process or a restart would have.
func (tv *testVault) fresh() *Vault {
	return New(tv.store, tv.store, tv.keyring, Options{Now: tv.clock.Now})
}

func mustSeal(t *testing.T, v *Vault, tenantID, name string, plaintext []byte) []byte {
	t.Helper()
	ct, err := v.Seal(context.Background(), tenantID, name, plaintext)
	if err != nil {
		t.Fatalf("Seal(%s, %s): %v", tenantID, name, err)
	}
	return ct
}

func mustOpen(t *testing.T, v *Vault, tenantID, name string, ct []byte) []byte {
	t.Helper()
	pt, err := v.Open(context.Background(), tenantID, name, ct)
	if err != nil {
		t.Fatalf("Open(%s, %s): %v", tenantID, name, err)
	}
	return pt
}

// dekIDOf reads the data key id out of a version-1 ciphertext.
func dekIDOf(t *testing.T, ct []byte) string {
	t.Helper()
	p, err := parseCiphertext(ct)
	if err != nil {
		t.Fatalf("parse ciphertext: %v", err)
	}
	return p.dekID
}
