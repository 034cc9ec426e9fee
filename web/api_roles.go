package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/stewardhq/steward/governance"
)

// RoleManager grants and removes Steward roles (*governance.RoleService).
type RoleManager interface {
	List(ctx context.Context, p governance.Principal) ([]governance.RoleAssignment, error)
	Assign(ctx context.Context, p governance.Principal, a governance.RoleAssignment) (governance.RoleAssignment, error)
	Unassign(ctx context.Context, p governance.Principal, role governance.Role, subjectType, subjectID string) error
}

// RoleAssignment is a role granted to a user or to every member of an
// Entra group.
type RoleAssignment struct {
	Role        governance.Role `json:"role"`
	SubjectType string          `json:"subjectType"`
	SubjectID   string          `json:"subjectId"`
	AssignedBy  string          `json:"assignedBy,omitempty"`
}

// RoleList is the tenant's role assignments. Directory administrators
// (Global and Teams Administrators) are Steward administrators without one.
type RoleList struct {
	Items []RoleAssignment `json:"items"`
}

// AssignRoleBody grants a role.
type AssignRoleBody struct {
	Role        governance.Role `json:"role"`
	SubjectType string          `json:"subjectType"`
	SubjectID   string          `json:"subjectId"`
}

func roleView(a governance.RoleAssignment) RoleAssignment {
	return RoleAssignment{Role: a.Role, SubjectType: a.SubjectType, SubjectID: a.SubjectID, AssignedBy: a.AssignedBy}
}

func (a *API) listRoles(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	as, err := a.Roles.List(r.Context(), p)
	if err != nil {
		return err
	}
	out := RoleList{Items: make([]RoleAssignment, 0, len(as))}
	for _, x := range as {
		out.Items = append(out.Items, roleView(x))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) assignRole(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in AssignRoleBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	out, err := a.Roles.Assign(r.Context(), p, governance.RoleAssignment{Role: in.Role, SubjectType: in.SubjectType, SubjectID: in.SubjectID})
	if err != nil {
		return err
	}
	w.Header().Set("Location", apiPrefix+"/roles/"+url.PathEscape(string(out.Role))+"/"+url.PathEscape(out.SubjectType)+"/"+url.PathEscape(out.SubjectID))
	writeJSON(w, http.StatusCreated, roleView(out))
	return nil
}

func (a *API) unassignRole(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	err := a.Roles.Unassign(r.Context(), p, governance.Role(r.PathValue("role")), r.PathValue("subjectType"), r.PathValue("subjectId"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
