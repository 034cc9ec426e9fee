package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stewardhq/steward/governance"
)

// The methods in this file are the storage the vault declares (vault.KeyStore
// and vault.SecretStore). They only ever see wrapped keys and ciphertext.

const dataKeyColumns = `tenant_id, key_id, kek_id, wrapped, active, created_at, version`

func scanDataKey(row interface{ Scan(...any) error }) (governance.DataKey, error) {
	var k governance.DataKey
	err := row.Scan(&k.TenantID, &k.ID, &k.KEKID, &k.Wrapped, &k.Active, &k.CreatedAt, &k.Version)
	k.CreatedAt = k.CreatedAt.UTC()
	return k, err
}

// ActiveDataKey returns the tenant's active data key. Errors: KindNotFound.
func (db *DB) ActiveDataKey(ctx context.Context, tenantID string) (governance.DataKey, error) {
	k, err := scanDataKey(db.reader.QueryRowContext(ctx, `SELECT `+dataKeyColumns+` FROM data_keys WHERE tenant_id = $1 AND active`, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return k, notFound("data_key_not_found", "tenant %q has no active data key", tenantID)
	}
	return k, classify("get active data key", err)
}

// DataKey returns one data key of the tenant. Errors: KindNotFound.
func (db *DB) DataKey(ctx context.Context, tenantID, id string) (governance.DataKey, error) {
	k, err := scanDataKey(db.reader.QueryRowContext(ctx, `SELECT `+dataKeyColumns+` FROM data_keys WHERE tenant_id = $1 AND key_id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, notFound("data_key_not_found", "tenant %q has no data key %q", tenantID, id)
	}
	return k, classify("get data key", err)
}

// DataKeys lists the tenant's data keys, oldest first.
func (db *DB) DataKeys(ctx context.Context, tenantID string) ([]governance.DataKey, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+dataKeyColumns+` FROM data_keys WHERE tenant_id = $1 ORDER BY created_at, key_id`, tenantID)
	if err != nil {
		return nil, classify("list data keys", err)
	}
	defer rows.Close()
	var out []governance.DataKey
	for rows.Next() {
		k, err := scanDataKey(rows)
		if err != nil {
			return nil, classify("list data keys", err)
		}
		out = append(out, k)
	}
	return out, classify("list data keys", rows.Err())
}

// CreateDataKey inserts k with version 1; when k.Active it deactivates the
// tenant's other keys in the same transaction. Errors: KindConflict (id
// exists), KindNotFound (no such tenant).
func (db *DB) CreateDataKey(ctx context.Context, k governance.DataKey) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if k.Active {
			if _, err := tx.ExecContext(ctx, `UPDATE data_keys SET active = FALSE, version = version + 1 WHERE tenant_id = $1 AND active`, k.TenantID); err != nil {
				return classify("create data key", err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO data_keys (`+dataKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, 1)`,
			k.TenantID, k.ID, k.KEKID, k.Wrapped, k.Active, tx.Now)
		switch {
		case isUniqueViolation(err):
			return conflict("data_key_exists", "tenant %q already has a data key %q", k.TenantID, k.ID)
		case isForeignKeyViolation(err):
			return notFound("tenant_not_found", "tenant %q does not exist", k.TenantID)
		}
		return classify("create data key", err)
	})
}

// RewrapDataKey stores a data key re-wrapped under another KEK if its version
// is still version. Errors: KindNotFound, KindConflict.
func (db *DB) RewrapDataKey(ctx context.Context, tenantID, id, kekID string, wrapped []byte, version int64) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE data_keys SET kek_id = $4, wrapped = $5, version = version + 1
			WHERE tenant_id = $1 AND key_id = $2 AND version = $3`, tenantID, id, version, kekID, wrapped)
		if err != nil {
			return classify("rewrap data key", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return staleOrMissing(ctx, tx, "data_key", `SELECT version FROM data_keys WHERE tenant_id = $1 AND key_id = $2`, tenantID, id)
		}
		return nil
	})
}

const secretColumns = `tenant_id, name, ciphertext, updated_at, version`

func scanSecret(row interface{ Scan(...any) error }) (governance.SealedSecret, error) {
	var s governance.SealedSecret
	err := row.Scan(&s.TenantID, &s.Name, &s.Ciphertext, &s.UpdatedAt, &s.Version)
	s.UpdatedAt = s.UpdatedAt.UTC()
	return s, err
}

// PutSecret inserts or replaces a sealed secret. With s.Version > 0 it only
// replaces that version. Errors: KindConflict (stale version), KindNotFound
// (no such tenant, or no such secret to replace).
func (db *DB) PutSecret(ctx context.Context, s governance.SealedSecret) (governance.SealedSecret, error) {
	err := db.InTx(ctx, func(tx *Tx) error {
		s.UpdatedAt = tx.Now
		var row *sql.Row
		if s.Version > 0 {
			row = tx.QueryRowContext(ctx, `UPDATE secrets SET ciphertext = $4, updated_at = $5, version = version + 1
				WHERE tenant_id = $1 AND name = $2 AND version = $3 RETURNING version`,
				s.TenantID, s.Name, s.Version, s.Ciphertext, s.UpdatedAt)
		} else {
			row = tx.QueryRowContext(ctx, `INSERT INTO secrets (`+secretColumns+`) VALUES ($1, $2, $3, $4, 1)
				ON CONFLICT (tenant_id, name) DO UPDATE SET ciphertext = excluded.ciphertext,
				updated_at = excluded.updated_at, version = secrets.version + 1
				RETURNING version`, s.TenantID, s.Name, s.Ciphertext, s.UpdatedAt)
		}
		err := row.Scan(&s.Version)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return staleOrMissing(ctx, tx, "secret", `SELECT version FROM secrets WHERE tenant_id = $1 AND name = $2`, s.TenantID, s.Name)
		case isForeignKeyViolation(err):
			return notFound("tenant_not_found", "tenant %q does not exist", s.TenantID)
		}
		return classify("put secret", err)
	})
	return s, err
}

// Secret returns one sealed secret. Errors: KindNotFound.
func (db *DB) Secret(ctx context.Context, tenantID, name string) (governance.SealedSecret, error) {
	s, err := scanSecret(db.reader.QueryRowContext(ctx, `SELECT `+secretColumns+` FROM secrets WHERE tenant_id = $1 AND name = $2`, tenantID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return s, notFound("secret_not_found", "tenant %q has no secret %q", tenantID, name)
	}
	return s, classify("get secret", err)
}

// DeleteSecret removes one sealed secret. Errors: KindNotFound.
func (db *DB) DeleteSecret(ctx context.Context, tenantID, name string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM secrets WHERE tenant_id = $1 AND name = $2`, tenantID, name)
		if err != nil {
			return classify("delete secret", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("secret_not_found", "tenant %q has no secret %q", tenantID, name)
		}
		return nil
	})
}

// SecretNames lists the names of the tenant's secrets in order.
func (db *DB) SecretNames(ctx context.Context, tenantID string) ([]string, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT name FROM secrets WHERE tenant_id = $1 ORDER BY name`, tenantID)
	if err != nil {
		return nil, classify("list secrets", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, classify("list secrets", err)
		}
		out = append(out, n)
	}
	return out, classify("list secrets", rows.Err())
}
