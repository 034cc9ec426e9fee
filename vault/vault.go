package vault

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Defaults for Options.
const (
	DefaultDEKCacheTTL  = 5 * time.Minute
	DefaultDEKCacheSize = 1024
)

// Options tunes a Vault. The zero value is ready for production.
type Options struct {
	// Now stamps new records and ages the data-key cache. Default time.Now.
	Now func() time.Time
	// DEKCacheTTL is how long an unwrapped data key stays in memory before
	// it is unwrapped again. Default DefaultDEKCacheTTL; negative disables
	// the cache.
	DEKCacheTTL time.Duration
	// DEKCacheSize bounds how many unwrapped data keys stay in memory.
	// Default DefaultDEKCacheSize.
	DEKCacheSize int
	// Rand supplies data keys, their ids and nonces. Default crypto/rand.
	Rand io.Reader
}

// Vault seals and opens tenant secrets with envelope encryption: per-tenant
// data keys (AES-256-GCM) stored wrapped by a KEKProvider. It is the only way
// Steward stores secrets. Safe for concurrent use.
type Vault struct {
	keys    KeyStore
	secrets SecretStore
	kek     KEKProvider
	now     func() time.Time
	rand    io.Reader
	cache   *dekCache

	// locks serialise, per tenant, the creation of data keys and, per data
	// key, unwrapping on a cache miss.
	locks keyedMutex
}

// New returns a Vault over the given stores and KEK provider. It panics if
// any of them is nil: that is a wiring mistake, not a runtime condition.
func New(keys KeyStore, secrets SecretStore, kek KEKProvider, opts Options) *Vault {
	if keys == nil || secrets == nil || kek == nil {
		panic("vault: New needs a KeyStore, a SecretStore and a KEKProvider")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DEKCacheTTL == 0 {
		opts.DEKCacheTTL = DefaultDEKCacheTTL
	}
	if opts.DEKCacheSize <= 0 {
		opts.DEKCacheSize = DefaultDEKCacheSize
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	return &Vault{
		keys:    keys,
		secrets: secrets,
		kek:     kek,
		now:     opts.Now,
		rand:    opts.Rand,
		cache:   newDEKCache(opts.DEKCacheTTL, opts.DEKCacheSize, opts.Now),
	}
}

// String describes the vault without any key material.
func (v *Vault) String() string {
	return fmt.Sprintf("vault.Vault{cached_data_keys: %d}", v.cache.len())
}

// GoString makes %#v as safe as %v.
func (v *Vault) GoString() string { return v.String() }

// Seal encrypts plaintext for the named secret of the tenant with the
// tenant's active data key, creating that key on first use. The result is
// bound to tenantID and name: Open with any other tenant or name fails.
//
// Seal checks only what the binding needs (tenant id and name of 1 to 255
// bytes without NUL); PutSecret applies the stricter secret-name rule.
//
// Errors: KindInvalid for a tenant id or name that breaks that rule;
// otherwise what the KeyStore or KEKProvider returned.
func (v *Vault) Seal(ctx context.Context, tenantID, name string, plaintext []byte) ([]byte, error) {
	ct, err := v.seal(ctx, tenantID, name, plaintext)
	if err != nil {
		return nil, fmt.Errorf("vault: seal: %w", err)
	}
	return ct, nil
}

// Open decrypts a ciphertext made by Seal for the same tenant and name, with
// whichever of the tenant's data keys sealed it, active or not.
//
// Errors: KindInvalid when the ciphertext is malformed, truncated, of an
// unknown format version, tampered with, names a data key the tenant does not
// have, or was sealed for another tenant or name; otherwise what the KeyStore
// or KEKProvider returned.
func (v *Vault) Open(ctx context.Context, tenantID, name string, ciphertext []byte) ([]byte, error) {
	pt, err := v.open(ctx, tenantID, name, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("vault: open: %w", err)
	}
	return pt, nil
}

func (v *Vault) seal(ctx context.Context, tenantID, name string, plaintext []byte) ([]byte, error) {
	if err := checkBinding(tenantID, name); err != nil {
		return nil, err
	}
	dekID, aead, err := v.activeDataKey(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !validDEKID([]byte(dekID)) {
		return nil, fmt.Errorf("data key id %q does not fit the ciphertext format (1 to 255 printable ASCII bytes)", dekID)
	}
	nonce := make([]byte, gcmNonceSize)
	if _, err := io.ReadFull(v.rand, nonce); err != nil {
		return nil, fmt.Errorf("read random nonce: %w", err)
	}
	return ciphertext{
		dekID:  dekID,
		nonce:  nonce,
		sealed: aead.Seal(nil, nonce, plaintext, secretAAD(tenantID, name, dekID)),
	}.marshal(), nil
}

func (v *Vault) open(ctx context.Context, tenantID, name string, raw []byte) ([]byte, error) {
	if err := checkBinding(tenantID, name); err != nil {
		return nil, err
	}
	ct, err := parseCiphertext(raw)
	if err != nil {
		return nil, err
	}
	aead, err := v.dataKeyCipher(ctx, tenantID, ct.dekID, nil)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, ct.nonce, ct.sealed, secretAAD(tenantID, name, ct.dekID))
	if err != nil {
		return nil, governance.Wrap(governance.KindInvalid, "ciphertext_invalid",
			"the ciphertext does not decrypt: it is corrupt, or it was sealed for another tenant or secret name", err)
	}
	return pt, nil
}

// checkBinding checks what the additional data needs: NUL separates its
// parts, so neither part may hold one, or two bindings could collide.
func checkBinding(tenantID, name string) error {
	if err := checkTenantID(tenantID); err != nil {
		return err
	}
	if name == "" || len(name) > 255 || strings.IndexByte(name, 0) >= 0 {
		return governance.Errorf(governance.KindInvalid, "secret_name_invalid",
			"secret name %q is invalid: it must be 1 to 255 bytes without NUL", name)
	}
	return nil
}

func checkTenantID(tenantID string) error {
	if tenantID == "" || len(tenantID) > 255 || strings.IndexByte(tenantID, 0) >= 0 {
		return governance.Errorf(governance.KindInvalid, "tenant_id_invalid",
			"tenant id %q is invalid: it must be 1 to 255 bytes without NUL", tenantID)
	}
	return nil
}
