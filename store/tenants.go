package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stewardhq/steward/governance"
)

const tenantColumns = `tenant_id, name, entra_tenant_id, created_at, updated_at, version`

func scanTenant(row interface{ Scan(...any) error }) (governance.Tenant, error) {
	var t governance.Tenant
	err := row.Scan(&t.ID, &t.Name, &t.EntraTenantID, &t.CreatedAt, &t.UpdatedAt, &t.Version)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, err
}

// CreateTenant inserts t with version 1 and returns it as stored.
// Errors: KindInvalid (t.Validate), KindConflict (id or Entra tenant id taken).
func (db *DB) CreateTenant(ctx context.Context, t governance.Tenant) (governance.Tenant, error) {
	if err := t.Validate(); err != nil {
		return governance.Tenant{}, err
	}
	err := db.InTx(ctx, func(tx *Tx) error {
		t.CreatedAt, t.UpdatedAt, t.Version = tx.Now, tx.Now, 1
		_, err := tx.ExecContext(ctx, `INSERT INTO tenants (`+tenantColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			t.ID, t.Name, t.EntraTenantID, t.CreatedAt, t.UpdatedAt, t.Version)
		if isUniqueViolation(err) {
			return conflict("tenant_exists", "a tenant with id %q or Entra tenant id %q already exists", t.ID, t.EntraTenantID)
		}
		return classify("create tenant", err)
	})
	return t, err
}

// Tenant returns one tenant. Errors: KindNotFound.
func (db *DB) Tenant(ctx context.Context, tenantID string) (governance.Tenant, error) {
	t, err := scanTenant(db.reader.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE tenant_id = $1`, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("tenant_not_found", "tenant %q does not exist", tenantID)
	}
	return t, classify("get tenant", err)
}

// TenantByEntraID finds the tenant of a Microsoft Entra directory, the lookup
// behind every signed-in request. Errors: KindNotFound.
func (db *DB) TenantByEntraID(ctx context.Context, entraTenantID string) (governance.Tenant, error) {
	if entraTenantID == "" {
		return governance.Tenant{}, notFound("tenant_not_found", "no tenant is registered for an empty Entra tenant id")
	}
	t, err := scanTenant(db.reader.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE entra_tenant_id = $1`, entraTenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("tenant_not_found", "no tenant is registered for Entra tenant %q", entraTenantID)
	}
	return t, classify("get tenant by entra id", err)
}

// TenantIDs lists every tenant id in order. It is the one cross-tenant read,
// for operator tasks that visit each tenant in turn (key rotation,
// reconcilers); everything they then do is scoped to one tenant id.
func (db *DB) TenantIDs(ctx context.Context) ([]string, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT tenant_id FROM tenants ORDER BY tenant_id`)
	if err != nil {
		return nil, classify("list tenants", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, classify("list tenants", err)
		}
		ids = append(ids, id)
	}
	return ids, classify("list tenants", rows.Err())
}

// UpdateTenant saves t if t.Version is still the stored version, and returns
// it with the next version. Errors: KindInvalid, KindNotFound, KindConflict
// (stale version: re-read and apply the change again).
func (db *DB) UpdateTenant(ctx context.Context, t governance.Tenant) (governance.Tenant, error) {
	if err := t.Validate(); err != nil {
		return governance.Tenant{}, err
	}
	err := db.InTx(ctx, func(tx *Tx) error {
		var created = t.CreatedAt
		row := tx.QueryRowContext(ctx, `UPDATE tenants SET name = $3, entra_tenant_id = $4, updated_at = $5, version = version + 1
			WHERE tenant_id = $1 AND version = $2 RETURNING created_at, version`,
			t.ID, t.Version, t.Name, t.EntraTenantID, tx.Now)
		err := row.Scan(&created, &t.Version)
		if isUniqueViolation(err) {
			return conflict("tenant_exists", "Entra tenant %q is already registered to another tenant", t.EntraTenantID)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return staleOrMissing(ctx, tx, "tenant", `SELECT version FROM tenants WHERE tenant_id = $1`, t.ID)
		}
		if err != nil {
			return classify("update tenant", err)
		}
		t.CreatedAt, t.UpdatedAt = created.UTC(), tx.Now
		return nil
	})
	return t, err
}

// DeleteTenant removes a tenant and, by cascade, every row it owns.
// Errors: KindNotFound.
func (db *DB) DeleteTenant(ctx context.Context, tenantID string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE tenant_id = $1`, tenantID)
		if err != nil {
			return classify("delete tenant", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("tenant_not_found", "tenant %q does not exist", tenantID)
		}
		return nil
	})
}

// staleOrMissing explains why a versioned update touched no row: the row is
// gone (KindNotFound) or someone else updated it first (KindConflict). what
// names the kind of row; its messages name it in their format, so that
// they translate whole.
func staleOrMissing(ctx context.Context, tx *Tx, what, query string, args ...any) error {
	var v int64
	err := tx.QueryRowContext(ctx, query, args...).Scan(&v)
	id := args[len(args)-1]
	if errors.Is(err, sql.ErrNoRows) {
		return missingRow(what, id)
	}
	if err != nil {
		return classify("update "+what, err)
	}
	return staleRow(what, id, v)
}

// missingRow is the not-found error of a row of kind what.
func missingRow(what string, id any) error {
	code := what + "_not_found"
	switch what {
	case "tenant":
		return notFound(code, "tenant %q does not exist", id)
	case "template":
		return notFound(code, "there is no template %q", id)
	case "request":
		return notFound(code, "there is no request %q", id)
	case "webhook":
		return notFound(code, "webhook %q does not exist", id)
	case "secret":
		return notFound(code, "secret %q does not exist", id)
	case "data_key":
		return notFound(code, "data key %q does not exist", id)
	}
	return fmt.Errorf("store: no message for a missing %s", what)
}

// staleRow is the conflict of an update of a row of kind what that another
// writer updated first, to version v.
func staleRow(what string, id any, v int64) error {
	code := what + "_version_conflict"
	switch what {
	case "tenant":
		return conflict(code, "tenant %q was changed by someone else (now at version %d): reload it and apply your change again", id, v)
	case "template":
		return conflict(code, "template %q was changed by someone else (now at version %d): reload it and apply your change again", id, v)
	case "request":
		return conflict(code, "request %q was changed by someone else (now at version %d): reload it and apply your change again", id, v)
	case "webhook":
		return conflict(code, "webhook %q was changed by someone else (now at version %d): reload it and apply your change again", id, v)
	case "secret":
		return conflict(code, "secret %q was changed by someone else (now at version %d): reload it and apply your change again", id, v)
	case "data_key":
		return conflict(code, "data key %q was changed by someone else (now at version %d): reload it and apply your change again", id, v)
	}
	return fmt.Errorf("store: no message for a stale %s", what)
}
