package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stewardhq/steward/governance"
)

// ManagedTeamTx reads a managed team inside tx, for a read-modify-write.
// Errors: KindNotFound.
func (db *DB) ManagedTeamTx(ctx context.Context, tx *Tx, tenantID, teamID string) (governance.ManagedTeam, error) {
	t, err := scanManagedTeam(tx.QueryRowContext(ctx, `SELECT `+managedTeamColumns+` FROM managed_teams WHERE tenant_id = $1 AND team_id = $2`,
		tenantID, teamID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("managed_team_not_found", "team %q is not managed by Steward", teamID)
	}
	return t, classify("get managed team", err)
}

// SaveManagedTeamTx stores t's lifecycle and template version inside tx
// if t.Version is still the stored version, and returns t at the next
// version. The team's identity (request, template, creation) never
// changes; its template version only moves forward, by a rollout.
// Errors: KindNotFound; KindConflict (managed_team_version_conflict).
func (db *DB) SaveManagedTeamTx(ctx context.Context, tx *Tx, t governance.ManagedTeam) (governance.ManagedTeam, error) {
	l := t.Lifecycle
	res, err := tx.ExecContext(ctx, `UPDATE managed_teams SET expires_at = $4, warned_days = $5, renewed_at = $6, renewed_by = $7, attested = $8,
archived_at = $9, deleted_at = $10, last_activity_at = $11, inactive_warned_at = $12, expiry_due_at = $13, activity_due_at = $14,
template_version = CASE WHEN $15 > template_version THEN $15 ELSE template_version END, version = $3 + 1
WHERE tenant_id = $1 AND team_id = $2 AND version = $3`,
		t.TenantID, t.TeamID, t.Version, timeOrNull(l.ExpiresAt), l.WarnedDays, timeOrNull(l.RenewedAt), l.RenewedBy, l.Attested,
		timeOrNull(l.ArchivedAt), timeOrNull(l.DeletedAt), timeOrNull(l.LastActivityAt), timeOrNull(l.InactiveWarnedAt),
		timeOrNull(l.ExpiryDueAt), timeOrNull(l.ActivityDueAt), t.TemplateVersion)
	if err != nil {
		return t, classify("save managed team", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t, classify("save managed team", err)
	}
	if n == 1 {
		return db.ManagedTeamTx(ctx, tx, t.TenantID, t.TeamID)
	}
	cur, err := db.ManagedTeamTx(ctx, tx, t.TenantID, t.TeamID)
	if err != nil {
		return t, err
	}
	return t, conflict("managed_team_version_conflict",
		"team %q was changed by someone else (now at version %d): read it again and apply your change again", t.TeamID, cur.Version)
}

// ManagedTeamDueMax bounds the teams a due query returns.
const ManagedTeamDueMax = 1000

// ExpiryDue lists the tenant's managed teams whose next expiry step (a
// warning or the expiry) is due at now, the longest due first, at most
// limit (1 to ManagedTeamDueMax). The partial index on (tenant_id,
// expiry_due_at) makes the cost the teams due, not the teams managed.
func (db *DB) ExpiryDue(ctx context.Context, tenantID string, now time.Time, limit int) ([]governance.ManagedTeam, error) {
	if err := checkDueLimit(limit); err != nil {
		return nil, err
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT `+managedTeamColumns+` FROM managed_teams
WHERE tenant_id = $1 AND expiry_due_at IS NOT NULL AND expiry_due_at <= $2 ORDER BY expiry_due_at, team_id LIMIT $3`,
		tenantID, now.UTC().Truncate(time.Microsecond), limit)
	return scanManagedTeams(rows, err)
}

// ActivityDue lists the tenant's managed teams whose inactivity check is
// due at now, the longest due first, at most limit (1 to
// ManagedTeamDueMax), through the partial index on (tenant_id,
// activity_due_at).
func (db *DB) ActivityDue(ctx context.Context, tenantID string, now time.Time, limit int) ([]governance.ManagedTeam, error) {
	if err := checkDueLimit(limit); err != nil {
		return nil, err
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT `+managedTeamColumns+` FROM managed_teams
WHERE tenant_id = $1 AND activity_due_at IS NOT NULL AND activity_due_at <= $2 ORDER BY activity_due_at, team_id LIMIT $3`,
		tenantID, now.UTC().Truncate(time.Microsecond), limit)
	return scanManagedTeams(rows, err)
}

func checkDueLimit(limit int) error {
	if limit < 1 || limit > ManagedTeamDueMax {
		return governance.Errorf(governance.KindInvalid, "limit_invalid", "limit must be 1 to %d", ManagedTeamDueMax)
	}
	return nil
}

func scanManagedTeams(rows *sql.Rows, err error) ([]governance.ManagedTeam, error) {
	if err != nil {
		return nil, classify("list due managed teams", err)
	}
	defer rows.Close()
	var out []governance.ManagedTeam
	for rows.Next() {
		t, err := scanManagedTeam(rows)
		if err != nil {
			return nil, classify("list due managed teams", err)
		}
		out = append(out, t)
	}
	return out, classify("list due managed teams", rows.Err())
}
