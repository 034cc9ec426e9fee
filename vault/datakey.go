package vault

import (
	"context"
	"crypto/cipher"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/stewardhq/steward/governance"
)

// activeDataKey returns the tenant's active data key as a cipher, creating
// the key on the tenant's first seal.
func (v *Vault) activeDataKey(ctx context.Context, tenantID string) (string, cipher.AEAD, error) {
	dk, err := v.keys.ActiveDataKey(ctx, tenantID)
	if err == nil {
		aead, err := v.dataKeyCipher(ctx, tenantID, dk.ID, &dk)
		return dk.ID, aead, err
	}
	if !governance.IsKind(err, governance.KindNotFound) {
		return "", nil, fmt.Errorf("load active data key: %w", err)
	}

	unlock, err := v.locks.lock(ctx, "create\x00"+tenantID)
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	// Whoever held the lock before us may have created it.
	dk, err = v.keys.ActiveDataKey(ctx, tenantID)
	switch {
	case err == nil:
		aead, err := v.dataKeyCipher(ctx, tenantID, dk.ID, &dk)
		return dk.ID, aead, err
	case !governance.IsKind(err, governance.KindNotFound):
		return "", nil, fmt.Errorf("load active data key: %w", err)
	}
	id, aead, err := v.createDataKey(ctx, tenantID)
	if err == nil {
		return id, aead, nil
	}
	if !governance.IsKind(err, governance.KindConflict) {
		return "", nil, err
	}
	// Another process got there first: use its key.
	dk, err = v.keys.ActiveDataKey(ctx, tenantID)
	if err != nil {
		return "", nil, fmt.Errorf("load active data key after a conflicting create: %w", err)
	}
	aead, err = v.dataKeyCipher(ctx, tenantID, dk.ID, &dk)
	return dk.ID, aead, err
}

// createDataKey makes a new random data key, wraps it with the active KEK
// and stores it as the tenant's active key. The caller holds the tenant's
// create lock.
func (v *Vault) createDataKey(ctx context.Context, tenantID string) (string, cipher.AEAD, error) {
	var raw [8]byte
	if _, err := io.ReadFull(v.rand, raw[:]); err != nil {
		return "", nil, fmt.Errorf("create data key: read random id: %w", err)
	}
	id := "dek-" + hex.EncodeToString(raw[:])
	dek := make([]byte, keySize)
	defer clear(dek)
	if _, err := io.ReadFull(v.rand, dek); err != nil {
		return "", nil, fmt.Errorf("create data key: read random key: %w", err)
	}
	aead, err := newGCM(dek)
	if err != nil {
		return "", nil, fmt.Errorf("create data key: %w", err)
	}
	kekID, wrapped, err := v.kek.Wrap(ctx, dek)
	if err != nil {
		return "", nil, fmt.Errorf("create data key: %w", err)
	}
	err = v.keys.CreateDataKey(ctx, governance.DataKey{
		TenantID:  tenantID,
		ID:        id,
		KEKID:     kekID,
		Wrapped:   wrapped,
		Active:    true,
		CreatedAt: v.now().UTC(),
		Version:   1,
	})
	if err != nil {
		return "", nil, fmt.Errorf("create data key: %w", err)
	}
	v.cache.put(dekRef{tenantID, id}, aead)
	return id, aead, nil
}

// dataKeyCipher returns the cipher of one data key of the tenant: from the
// cache, or by unwrapping known (when the caller has the record) or the
// record loaded from the KeyStore. Concurrent misses unwrap once.
func (v *Vault) dataKeyCipher(ctx context.Context, tenantID, id string, known *governance.DataKey) (cipher.AEAD, error) {
	ref := dekRef{tenantID, id}
	if aead, ok := v.cache.get(ref); ok {
		return aead, nil
	}
	unlock, err := v.locks.lock(ctx, "unwrap\x00"+tenantID+"\x00"+id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if aead, ok := v.cache.get(ref); ok {
		return aead, nil
	}

	var dk governance.DataKey
	if known != nil {
		dk = *known
	} else {
		dk, err = v.keys.DataKey(ctx, tenantID, id)
		if governance.IsKind(err, governance.KindNotFound) {
			return nil, governance.Wrap(governance.KindInvalid, "ciphertext_invalid",
				"the ciphertext was sealed with a data key this tenant does not have", err)
		}
		if err != nil {
			return nil, fmt.Errorf("load data key %s: %w", id, err)
		}
	}
	// A store bug must not let one tenant's key open another's secrets.
	if dk.TenantID != tenantID || dk.ID != id {
		return nil, fmt.Errorf("load data key %s: the key store returned key %q of tenant %q", id, dk.ID, dk.TenantID)
	}
	dek, err := v.kek.Unwrap(ctx, dk.KEKID, dk.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("unwrap data key %s: %w", id, err)
	}
	aead, err := newGCM(dek)
	clear(dek)
	if err != nil {
		return nil, fmt.Errorf("unwrap data key %s: %w", id, err)
	}
	v.cache.put(ref, aead)
	return aead, nil
}
