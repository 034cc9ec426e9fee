package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stewardhq/steward/governance"
)

const managedTeamColumns = `tenant_id, team_id, request_id, template_id, template_version, created_at, ` +
	`expires_at, warned_days, renewed_at, renewed_by, attested, archived_at, deleted_at, last_activity_at, inactive_warned_at, ` +
	`expiry_due_at, activity_due_at, version`

// managedTeamArgs are t's values in managedTeamColumns order.
func managedTeamArgs(t governance.ManagedTeam) []any {
	l := t.Lifecycle
	return []any{t.TenantID, t.TeamID, t.RequestID, t.TemplateID, t.TemplateVersion, t.CreatedAt.UTC().Truncate(time.Microsecond),
		timeOrNull(l.ExpiresAt), l.WarnedDays, timeOrNull(l.RenewedAt), l.RenewedBy, l.Attested, timeOrNull(l.ArchivedAt),
		timeOrNull(l.DeletedAt), timeOrNull(l.LastActivityAt), timeOrNull(l.InactiveWarnedAt), timeOrNull(l.ExpiryDueAt),
		timeOrNull(l.ActivityDueAt), t.Version}
}

// scanManagedTeam reads a row of managedTeamColumns.
func scanManagedTeam(row interface{ Scan(...any) error }) (governance.ManagedTeam, error) {
	var (
		t                                                             governance.ManagedTeam
		expires, renewed, archived, deleted, activity, warned, expDue sql.NullTime
		actDue                                                        sql.NullTime
	)
	l := &t.Lifecycle
	err := row.Scan(&t.TenantID, &t.TeamID, &t.RequestID, &t.TemplateID, &t.TemplateVersion, &t.CreatedAt,
		&expires, &l.WarnedDays, &renewed, &l.RenewedBy, &l.Attested, &archived, &deleted, &activity, &warned, &expDue, &actDue, &t.Version)
	if err != nil {
		return t, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	l.ExpiresAt, l.RenewedAt, l.ArchivedAt, l.DeletedAt = nullTimeUTC(expires), nullTimeUTC(renewed), nullTimeUTC(archived), nullTimeUTC(deleted)
	l.LastActivityAt, l.InactiveWarnedAt, l.ExpiryDueAt, l.ActivityDueAt = nullTimeUTC(activity), nullTimeUTC(warned), nullTimeUTC(expDue), nullTimeUTC(actDue)
	return t, nil
}

// CreateManagedTeamTx records a team Steward provisioned, inside tx, with
// its lifecycle at version 1.
// Errors: KindConflict (recorded already), KindNotFound (no such tenant).
func (db *DB) CreateManagedTeamTx(ctx context.Context, tx *Tx, t governance.ManagedTeam) error {
	t.Version = 1
	_, err := tx.ExecContext(ctx, `INSERT INTO managed_teams (`+managedTeamColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		managedTeamArgs(t)...)
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
	t, err := scanManagedTeam(db.reader.QueryRowContext(ctx, `SELECT `+managedTeamColumns+` FROM managed_teams WHERE tenant_id = $1 AND team_id = $2`,
		tenantID, teamID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("managed_team_not_found", "team %q is not managed by Steward", teamID)
	}
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

// ManagedTeamsBehind lists the tenant's live (neither archived nor
// deleted) teams made from an earlier version of the template than
// version, at most limit after the team id after (keyset paging; ""
// starts).
func (db *DB) ManagedTeamsBehind(ctx context.Context, tenantID, templateID string, version int, after string, limit int) ([]governance.ManagedTeam, error) {
	return scanManagedTeams(db.reader.QueryContext(ctx, `SELECT `+managedTeamColumns+` FROM managed_teams
WHERE tenant_id = $1 AND template_id = $2 AND template_version < $3 AND team_id > $4 AND archived_at IS NULL AND deleted_at IS NULL
ORDER BY team_id LIMIT $5`, tenantID, templateID, version, after, limit))
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
