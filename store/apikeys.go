package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stewardhq/steward/governance"
)

// API keys are stored without their secret: hash is HMAC-SHA256 of the key
// under the server's pepper (governance.HashAPIKey). Only APIKeyForAuth
// reads it back; listings select the other columns.

const apiKeyColumns = `tenant_id, key_id, name, prefix, scopes, created_by, created_at, last_used_at, expires_at, revoked_at, version`

func scanAPIKey(row interface{ Scan(...any) error }, extra ...any) (governance.APIKey, error) {
	var k governance.APIKey
	var scopes string
	var lastUsed, expires, revoked sql.NullTime
	dst := append([]any{&k.TenantID, &k.ID, &k.Name, &k.Prefix, &scopes, &k.CreatedBy, &k.CreatedAt, &lastUsed, &expires, &revoked, &k.Version}, extra...)
	if err := row.Scan(dst...); err != nil {
		return governance.APIKey{}, err
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return governance.APIKey{}, fmt.Errorf("API key %s/%s: scopes: %w", k.TenantID, k.ID, err)
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.LastUsedAt, k.ExpiresAt, k.RevokedAt = nullTimeUTC(lastUsed), nullTimeUTC(expires), nullTimeUTC(revoked)
	return k, nil
}

func nullTimeUTC(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// timeOrNull stores the zero time as NULL, at the store's precision.
func timeOrNull(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC().Truncate(time.Microsecond), Valid: true}
}

// CreateAPIKey stores k with its hash in its own transaction.
// Errors: as CreateAPIKeyTx.
func (db *DB) CreateAPIKey(ctx context.Context, k governance.APIKey, hash []byte) (governance.APIKey, error) {
	var out governance.APIKey
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		out, err = db.CreateAPIKeyTx(ctx, tx, k, hash)
		return err
	})
	if err != nil {
		return governance.APIKey{}, err
	}
	return out, nil
}

// CreateAPIKeyTx stores k with its hash (governance.HashAPIKey of the
// plaintext) at version 1 inside tx (with its audit row, say) and returns it
// as stored; k.CreatedAt is the transaction's clock. Errors: KindInvalid
// (k.Validate, an expiry not after creation), KindConflict (the tenant has a
// key with this id: make a new key and retry), KindNotFound (no such
// tenant).
func (db *DB) CreateAPIKeyTx(ctx context.Context, tx *Tx, k governance.APIKey, hash []byte) (governance.APIKey, error) {
	if err := k.Validate(); err != nil {
		return governance.APIKey{}, err
	}
	if len(hash) != sha256.Size {
		return governance.APIKey{}, fmt.Errorf("store: create API key: hash is %d bytes, want %d (governance.HashAPIKey)", len(hash), sha256.Size)
	}
	scopes, err := json.Marshal(k.Scopes)
	if err != nil {
		return governance.APIKey{}, fmt.Errorf("store: create API key: %w", err)
	}
	k.CreatedAt, k.Version = tx.Now, 1
	k.LastUsedAt, k.RevokedAt = time.Time{}, time.Time{}
	if !k.ExpiresAt.IsZero() && !k.ExpiresAt.After(k.CreatedAt) {
		return governance.APIKey{}, governance.Errorf(governance.KindInvalid, "api_key_expiry_invalid", "an API key must expire in the future")
	}
	k.ExpiresAt = timeOrNull(k.ExpiresAt).Time
	_, err = tx.ExecContext(ctx, `INSERT INTO api_keys (tenant_id, key_id, name, prefix, hash, scopes, created_by, created_at, expires_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)`,
		k.TenantID, k.ID, k.Name, k.Prefix, hash, string(scopes), k.CreatedBy, k.CreatedAt, timeOrNull(k.ExpiresAt))
	switch {
	case isUniqueViolation(err):
		return governance.APIKey{}, conflict("api_key_exists", "tenant %q already has an API key %q", k.TenantID, k.ID)
	case isForeignKeyViolation(err):
		return governance.APIKey{}, notFound("tenant_not_found", "tenant %q does not exist", k.TenantID)
	case err != nil:
		return governance.APIKey{}, classify("create API key", err)
	}
	return k, nil
}

// APIKeyForAuth returns a key of the tenant with its stored hash, for the
// authenticator alone. Errors: KindNotFound.
func (db *DB) APIKeyForAuth(ctx context.Context, tenantID, keyID string) (governance.APIKey, []byte, error) {
	var hash []byte
	k, err := scanAPIKey(db.reader.QueryRowContext(ctx, `SELECT `+apiKeyColumns+`, hash FROM api_keys WHERE tenant_id = $1 AND key_id = $2`, tenantID, keyID), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return governance.APIKey{}, nil, notFound("api_key_not_found", "tenant %q has no API key %q", tenantID, keyID)
	}
	if err != nil {
		return governance.APIKey{}, nil, classify("get API key", err)
	}
	return k, hash, nil
}

// APIKey returns one key of the tenant, without its hash. Errors: KindNotFound.
func (db *DB) APIKey(ctx context.Context, tenantID, keyID string) (governance.APIKey, error) {
	return apiKeyRow(db.reader.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = $1 AND key_id = $2`, tenantID, keyID), tenantID, keyID)
}

// APIKeyTx is APIKey inside tx, so that a change's audit row records what
// it changed. Errors: KindNotFound.
func (db *DB) APIKeyTx(ctx context.Context, tx *Tx, tenantID, keyID string) (governance.APIKey, error) {
	return apiKeyRow(tx.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = $1 AND key_id = $2`, tenantID, keyID), tenantID, keyID)
}

func apiKeyRow(row *sql.Row, tenantID, keyID string) (governance.APIKey, error) {
	k, err := scanAPIKey(row)
	if errors.Is(err, sql.ErrNoRows) {
		return governance.APIKey{}, notFound("api_key_not_found", "tenant %q has no API key %q", tenantID, keyID)
	}
	return k, classify("get API key", err)
}

// APIKeys lists the tenant's keys, revoked and expired ones included, oldest
// first, without their hashes.
func (db *DB) APIKeys(ctx context.Context, tenantID string) ([]governance.APIKey, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, key_id`, tenantID)
	if err != nil {
		return nil, classify("list API keys", err)
	}
	defer rows.Close()
	var out []governance.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, classify("list API keys", err)
		}
		out = append(out, k)
	}
	return out, classify("list API keys", rows.Err())
}

// RevokeAPIKey marks a key revoked at at (the transaction's clock when at is
// zero) in its own transaction. Errors: as RevokeAPIKeyTx.
func (db *DB) RevokeAPIKey(ctx context.Context, tenantID, keyID string, at time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error { return db.RevokeAPIKeyTx(ctx, tx, tenantID, keyID, at) })
}

// RevokeAPIKeyTx marks a key revoked at at (tx.Now when at is zero) inside
// tx; from then on it no longer authenticates. Revoking a revoked key
// changes nothing and keeps the first revocation time. Errors: KindNotFound.
func (db *DB) RevokeAPIKeyTx(ctx context.Context, tx *Tx, tenantID, keyID string, at time.Time) error {
	if at.IsZero() {
		at = tx.Now
	}
	res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $3, version = version + 1
		WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL`, tenantID, keyID, timeOrNull(at))
	if err != nil {
		return classify("revoke API key", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	return apiKeyExists(ctx, tx, tenantID, keyID)
}

// TouchAPIKey records that a key was used at at. It does not change the
// key's version: a use is not an edit, and an administrator's update must
// not conflict with every API call. Callers throttle it (e.g. once a minute
// per key), since each call is a write. Errors: KindNotFound.
func (db *DB) TouchAPIKey(ctx context.Context, tenantID, keyID string, at time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND key_id = $2`, tenantID, keyID, timeOrNull(at))
		if err != nil {
			return classify("touch API key", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("api_key_not_found", "tenant %q has no API key %q", tenantID, keyID)
		}
		return nil
	})
}

// DeleteAPIKey removes a key; revoke it instead to keep it listed with its
// history. Errors: KindNotFound.
func (db *DB) DeleteAPIKey(ctx context.Context, tenantID, keyID string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE tenant_id = $1 AND key_id = $2`, tenantID, keyID)
		if err != nil {
			return classify("delete API key", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("api_key_not_found", "tenant %q has no API key %q", tenantID, keyID)
		}
		return nil
	})
}

// apiKeyExists is nil when the tenant has the key, KindNotFound otherwise.
func apiKeyExists(ctx context.Context, tx *Tx, tenantID, keyID string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM api_keys WHERE tenant_id = $1 AND key_id = $2`, tenantID, keyID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("api_key_not_found", "tenant %q has no API key %q", tenantID, keyID)
	}
	return classify("revoke API key", err)
}
