package vault

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/stewardhq/steward/governance"
)

// maxRewrapAttempts bounds the retries of one data key whose version keeps
// changing under RotateKEK (another rotation running at the same time).
const maxRewrapAttempts = 5

// RotateReport counts what RotateKEK did.
type RotateReport struct {
	Tenants   int // tenants whose data keys were listed
	DataKeys  int // data keys examined
	Rewrapped int // data keys re-wrapped with the active KEK
}

// RotateKEK re-wraps, with the provider's active KEK, every data key of the
// listed tenants that another KEK wraps. Secrets are never re-encrypted.
// It is idempotent: a second run re-wraps nothing. A key whose version
// changed between read and write is re-read and retried.
//
// It carries on past a failing tenant or key, so one bad record does not
// block the rest, and returns the report with all the errors joined; after
// the causes are fixed, running it again finishes the job.
func (v *Vault) RotateKEK(ctx context.Context, tenantIDs []string) (RotateReport, error) {
	var rep RotateReport
	active, err := v.kek.ActiveKEKID(ctx)
	if err != nil {
		return rep, fmt.Errorf("vault: rotate kek: %w", err)
	}
	var errs []error
	seen := make(map[string]bool, len(tenantIDs))
	for _, tenantID := range tenantIDs {
		if seen[tenantID] {
			continue
		}
		seen[tenantID] = true
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		keys, err := v.keys.DataKeys(ctx, tenantID)
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: list data keys: %w", tenantID, err))
			continue
		}
		rep.Tenants++
		for _, k := range keys {
			rep.DataKeys++
			if k.TenantID != tenantID {
				errs = append(errs, fmt.Errorf("tenant %s: the key store listed data key %s of tenant %q", tenantID, k.ID, k.TenantID))
				continue
			}
			done, err := v.rewrap(ctx, k, active)
			if err != nil {
				errs = append(errs, fmt.Errorf("tenant %s: data key %s: %w", tenantID, k.ID, err))
			}
			if done {
				rep.Rewrapped++
			}
		}
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("vault: rotate kek: %w", errors.Join(errs...))
	}
	return rep, nil
}

// rewrap re-wraps one data key unless it is already wrapped by active. It
// reports whether it wrote the key.
func (v *Vault) rewrap(ctx context.Context, k governance.DataKey, active string) (bool, error) {
	for range maxRewrapAttempts {
		if k.KEKID == active {
			return false, nil
		}
		kekID, wrapped, err := v.wrapAgain(ctx, k)
		if err != nil {
			return false, err
		}
		err = v.keys.RewrapDataKey(ctx, k.TenantID, k.ID, kekID, wrapped, k.Version)
		if err == nil {
			return true, nil
		}
		if !governance.IsKind(err, governance.KindConflict) {
			return false, fmt.Errorf("store re-wrapped key: %w", err)
		}
		if k, err = v.keys.DataKey(ctx, k.TenantID, k.ID); err != nil {
			return false, fmt.Errorf("re-read after a conflict: %w", err)
		}
	}
	return false, fmt.Errorf("the key kept changing while it was re-wrapped (%d attempts)", maxRewrapAttempts)
}

// wrapAgain unwraps k with its KEK and wraps it with the active one, then
// checks that the new wrapping unwraps to the same key: the store keeps one
// copy of each data key, and a bad wrapping written over it would make every
// secret it sealed unreadable.
func (v *Vault) wrapAgain(ctx context.Context, k governance.DataKey) (string, []byte, error) {
	dek, err := v.kek.Unwrap(ctx, k.KEKID, k.Wrapped)
	if err != nil {
		return "", nil, fmt.Errorf("unwrap: %w", err)
	}
	defer clear(dek)
	kekID, wrapped, err := v.kek.Wrap(ctx, dek)
	if err != nil {
		return "", nil, fmt.Errorf("wrap: %w", err)
	}
	check, err := v.kek.Unwrap(ctx, kekID, wrapped)
	if err != nil {
		return "", nil, fmt.Errorf("verify new wrapping with KEK %s: %w", kekID, err)
	}
	same := subtle.ConstantTimeCompare(check, dek) == 1
	clear(check)
	if !same {
		return "", nil, fmt.Errorf("verify new wrapping with KEK %s: it unwraps to a different key; the stored key was left unchanged", kekID)
	}
	return kekID, wrapped, nil
}

// RotateDataKey creates a new active data key for the tenant and returns its
// id. New seals use it; the old keys stay so existing ciphertexts still open.
//
// Errors: KindInvalid for an empty tenant id; otherwise what the KeyStore or
// KEKProvider returned.
func (v *Vault) RotateDataKey(ctx context.Context, tenantID string) (newID string, err error) {
	if err := checkTenantID(tenantID); err != nil {
		return "", fmt.Errorf("vault: rotate data key: %w", err)
	}
	unlock, err := v.locks.lock(ctx, "create\x00"+tenantID)
	if err != nil {
		return "", fmt.Errorf("vault: rotate data key: %w", err)
	}
	defer unlock()
	// A conflict here can only be a random id colliding: draw another.
	for range 3 {
		id, _, err := v.createDataKey(ctx, tenantID)
		if err == nil {
			return id, nil
		}
		if !governance.IsKind(err, governance.KindConflict) {
			return "", fmt.Errorf("vault: rotate data key: %w", err)
		}
	}
	return "", fmt.Errorf("vault: rotate data key: the key store reported a conflict for three fresh random ids")
}
