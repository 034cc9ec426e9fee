package store

import (
	"context"
	"errors"
	"time"

	"github.com/stewardhq/steward/governance"
)

// dummyAPIKeyHash stands in for the stored hash of a key that does not
// exist, so that a miss costs the same HMAC and comparison as a hit.
var dummyAPIKeyHash = make([]byte, 32)

// AuthenticateAPIKey resolves a presented API key to the principal it acts
// as: it checks the format, finds the row by the tenant and id the key
// names, compares the HMAC of the whole key under pepper with the stored
// hash in constant time, then checks that the key is neither revoked nor
// expired at now.
//
// Every failure before the hash matched (malformed, unknown tenant or id,
// wrong secret, a key edited to name another tenant) is the same
// governance.ErrAPIKeyInvalid, so a caller cannot probe which part was
// wrong. Only a caller who proved they hold the key learns that it is
// revoked or expired. It does not record the use: callers call TouchAPIKey,
// throttled. Errors: KindUnauthenticated (api_key_invalid, api_key_revoked,
// api_key_expired), KindUnavailable; an internal error for a pepper of the
// wrong size (a server misconfiguration, never the client's fault).
func (db *DB) AuthenticateAPIKey(ctx context.Context, pepper []byte, key string, now time.Time) (governance.Principal, error) {
	if len(pepper) != governance.APIKeyPepperSize {
		return governance.Principal{}, errors.New("store: authenticate API key: the pepper is not 32 bytes")
	}
	tenantID, keyID, ok := governance.ParseAPIKey(key)
	if !ok {
		return governance.Principal{}, governance.ErrAPIKeyInvalid()
	}
	k, stored, err := db.APIKeyForAuth(ctx, tenantID, keyID)
	found := err == nil
	if err != nil && !governance.IsKind(err, governance.KindNotFound) {
		// The database failing is not the client's fault: it must not look
		// like a bad key (and it says nothing about this one).
		return governance.Principal{}, err
	}
	if !found {
		stored = dummyAPIKeyHash
	}
	if !governance.VerifyAPIKeyHash(pepper, key, stored) || !found {
		return governance.Principal{}, governance.ErrAPIKeyInvalid()
	}
	// Belt and braces: the hash covers the tenant and id, so a match means
	// the row is this key's; the store filtered by both anyway.
	if k.TenantID != tenantID || k.ID != keyID {
		return governance.Principal{}, governance.ErrAPIKeyInvalid()
	}
	if err := k.Usable(now); err != nil {
		return governance.Principal{}, err
	}
	return k.Principal(), nil
}
