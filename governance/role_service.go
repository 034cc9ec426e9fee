package governance

import (
	"context"
	"encoding/json"
	"strings"
)

// RoleService lets administrators grant Steward roles to users and Entra
// groups. Administrators of the directory (Global and Teams Administrators)
// are Steward administrators without any assignment, so removing every
// assignment can never lock a tenant out.
type RoleService struct {
	tx Transactor
}

// NewRoleService wires role management.
func NewRoleService(tx Transactor) *RoleService { return &RoleService{tx: tx} }

// Assign grants a role. Assigning a role twice is not an error.
//
// Errors: KindUnauthenticated, KindForbidden (not an administrator), KindInvalid.
func (s *RoleService) Assign(ctx context.Context, p Principal, a RoleAssignment) (RoleAssignment, error) {
	if err := requireAdmin(p); err != nil {
		return RoleAssignment{}, err
	}
	a.TenantID, a.AssignedBy, a.SubjectID = p.TenantID, p.ID, strings.ToLower(a.SubjectID)
	if err := a.Validate(); err != nil {
		return RoleAssignment{}, err
	}
	err := s.tx.InTx(ctx, func(w Work) error {
		if err := w.AssignRole(ctx, a); err != nil {
			return err
		}
		return w.Audit(ctx, roleAudit(p, "role.assigned", a))
	})
	return a, err
}

// Unassign removes a role assignment.
//
// Errors: KindUnauthenticated, KindForbidden, KindNotFound.
func (s *RoleService) Unassign(ctx context.Context, p Principal, role Role, subjectType, subjectID string) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	a := RoleAssignment{TenantID: p.TenantID, Role: role, SubjectType: subjectType, SubjectID: strings.ToLower(subjectID)}
	return s.tx.InTx(ctx, func(w Work) error {
		if err := w.UnassignRole(ctx, a.TenantID, a.Role, a.SubjectType, a.SubjectID); err != nil {
			return err
		}
		return w.Audit(ctx, roleAudit(p, "role.unassigned", a))
	})
}

// List returns the tenant's role assignments, for administrators.
func (s *RoleService) List(ctx context.Context, p Principal) ([]RoleAssignment, error) {
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	var out []RoleAssignment
	err := s.tx.InTx(ctx, func(w Work) error {
		var err error
		out, err = w.RoleAssignments(ctx, p.TenantID)
		return err
	})
	return out, err
}

// requireAdmin admits signed-in administrators only: who may do what is not
// something an integration's API key decides.
func requireAdmin(p Principal) error {
	if p.Kind == PrincipalAPIKey {
		return Errorf(KindForbidden, "api_key_not_allowed", "managing roles needs a signed-in administrator; API keys cannot do it")
	}
	return p.Require(RoleAdministrator)
}

func roleAudit(p Principal, action string, a RoleAssignment) AuditEvent {
	e := AuditEvent{TenantID: p.TenantID, Action: action, SubjectType: "role_assignment",
		SubjectID: string(a.Role) + ":" + a.SubjectType + ":" + a.SubjectID,
		Actor:     AuditActor{Type: string(p.Kind), ID: p.ID, Name: p.Name}}
	body, _ := json.Marshal(a)
	if action == "role.unassigned" {
		e.Before = body
	} else {
		e.After = body
	}
	return e
}
