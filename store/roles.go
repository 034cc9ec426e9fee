package store

import (
	"context"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// Role assignments grant a role to a user or to every member of an Entra
// group. Subject ids are stored lowercased: Entra object ids are
// case-insensitive, and one subject must be one row.

// AssignRole grants a.Role to a.Subject inside tx. Assigning a role the
// subject already has is not an error and keeps the first assignment.
// Errors: KindInvalid (a.Validate), KindNotFound tenant_not_found.
func (db *DB) AssignRole(ctx context.Context, tx *Tx, a governance.RoleAssignment) error {
	if err := a.Validate(); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO role_assignments (tenant_id, role, subject_type, subject_id, assigned_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, role, subject_type, subject_id) DO NOTHING`,
		a.TenantID, string(a.Role), a.SubjectType, strings.ToLower(a.SubjectID), a.AssignedBy, tx.Now)
	if isForeignKeyViolation(err) {
		return notFound("tenant_not_found", "tenant %q does not exist", a.TenantID)
	}
	return classify("assign role", err)
}

// UnassignRole withdraws a role from a subject inside tx.
// Errors: KindNotFound role_assignment_not_found.
func (db *DB) UnassignRole(ctx context.Context, tx *Tx, tenantID string, role governance.Role, subjectType, subjectID string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM role_assignments WHERE tenant_id = $1 AND role = $2 AND subject_type = $3 AND subject_id = $4`,
		tenantID, string(role), subjectType, strings.ToLower(subjectID))
	if err != nil {
		return classify("unassign role", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// The subject's type is in the format, not an argument: the words
		// translate with the rest of the message.
		if subjectType == "group" {
			return notFound("role_assignment_not_found", "group %s does not have the role %s", subjectID, role)
		}
		return notFound("role_assignment_not_found", "user %s does not have the role %s", subjectID, role)
	}
	return nil
}

// RoleAssignments lists the tenant's role assignments by role, subject type
// and subject id.
func (db *DB) RoleAssignments(ctx context.Context, tenantID string) ([]governance.RoleAssignment, error) {
	return roleAssignments(ctx, db.reader, tenantID)
}

// RoleAssignmentsTx is RoleAssignments inside tx (see TemplateVersionTx).
func (db *DB) RoleAssignmentsTx(ctx context.Context, tx *Tx, tenantID string) ([]governance.RoleAssignment, error) {
	return roleAssignments(ctx, tx, tenantID)
}

func roleAssignments(ctx context.Context, q querier, tenantID string) ([]governance.RoleAssignment, error) {
	rows, err := q.QueryContext(ctx, `SELECT tenant_id, role, subject_type, subject_id, assigned_by FROM role_assignments WHERE tenant_id = $1
		ORDER BY role, subject_type, subject_id`, tenantID)
	if err != nil {
		return nil, classify("list role assignments", err)
	}
	defer rows.Close()
	var out []governance.RoleAssignment
	for rows.Next() {
		var a governance.RoleAssignment
		var role string
		if err := rows.Scan(&a.TenantID, &role, &a.SubjectType, &a.SubjectID, &a.AssignedBy); err != nil {
			return nil, classify("list role assignments", err)
		}
		a.Role = governance.Role(role)
		out = append(out, a)
	}
	return out, classify("list role assignments", rows.Err())
}
