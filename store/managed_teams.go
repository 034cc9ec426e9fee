package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stewardhq/steward/governance"
)

const managedTeamColumns = `tenant_id, team_id, request_id, template_id, template_version, created_at`

// CreateManagedTeamTx records a team Steward provisioned, inside tx.
// Errors: KindConflict (recorded already), KindNotFound (no such tenant).
func (db *DB) CreateManagedTeamTx(ctx context.Context, tx *Tx, t governance.ManagedTeam) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO managed_teams (`+managedTeamColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.TenantID, t.TeamID, t.RequestID, t.TemplateID, t.TemplateVersion, t.CreatedAt.UTC())
	switch {
	case isUniqueViolation(err):
		return conflict("managed_team_exists", "team %q is already managed", t.TeamID)
	case isForeignKeyViolation(err):
		return notFound("tenant_not_found", "tenant %q does not exist", t.TenantID)
	}
	return classify("create managed team", err)
}

// ManagedTeam returns one managed team. Errors: KindNotFound.
func (db *DB) ManagedTeam(ctx context.Context, tenantID, teamID string) (governance.ManagedTeam, error) {
	var t governance.ManagedTeam
	err := db.reader.QueryRowContext(ctx, `SELECT `+managedTeamColumns+` FROM managed_teams WHERE tenant_id = $1 AND team_id = $2`,
		tenantID, teamID).Scan(&t.TenantID, &t.TeamID, &t.RequestID, &t.TemplateID, &t.TemplateVersion, &t.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("managed_team_not_found", "team %q is not managed by Steward", teamID)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return t, classify("get managed team", err)
}

// ManagedTeamIDs lists the tenant's managed teams, at most limit after
// the team id after (keyset paging; "" starts).
func (db *DB) ManagedTeamIDs(ctx context.Context, tenantID, after string, limit int) ([]string, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT team_id FROM managed_teams WHERE tenant_id = $1 AND team_id > $2 ORDER BY team_id LIMIT $3`,
		tenantID, after, limit)
	if err != nil {
		return nil, classify("list managed teams", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, classify("list managed teams", err)
		}
		out = append(out, id)
	}
	return out, classify("list managed teams", rows.Err())
}

// ReconcilerState reads a reconciler's saved value for the tenant ("" when
// none was saved).
func (db *DB) ReconcilerState(ctx context.Context, tenantID, name string) (string, error) {
	var v string
	err := db.reader.QueryRowContext(ctx, `SELECT value FROM reconciler_state WHERE tenant_id = $1 AND name = $2`, tenantID, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, classify("get reconciler state", err)
}

// SetReconcilerState saves a reconciler's value for the tenant.
// Errors: KindNotFound (no such tenant).
func (db *DB) SetReconcilerState(ctx context.Context, tenantID, name, value string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO reconciler_state (tenant_id, name, value, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, tenantID, name, value, tx.Now)
		if isForeignKeyViolation(err) {
			return notFound("tenant_not_found", "tenant %q does not exist", tenantID)
		}
		return classify("set reconciler state", err)
	})
}
