package web

import (
	"net/http"
	"strings"

	"github.com/stewardhq/steward/governance"
)

type roleOption struct {
	Role  governance.Role
	Label string
}

type roleRow struct {
	governance.RoleAssignment
	Label string
}

type adminRolesData struct {
	adminChrome
	Items   []roleRow
	Options []roleOption
	Form    governance.RoleAssignment
}

// roleLabel is the English name of a role.
func roleLabel(r governance.Role) string {
	switch r {
	case governance.RoleEndUser:
		return "End user"
	case governance.RoleApprover:
		return "Approver"
	case governance.RoleCatalogManager:
		return "Catalog manager"
	case governance.RoleIntegrationManager:
		return "Integration manager"
	case governance.RoleAdministrator:
		return "Administrator"
	}
	return string(r)
}

func (x *ui) adminRoles(w http.ResponseWriter, r *http.Request) error {
	return x.renderRoles(w, r, governance.RoleAssignment{SubjectType: "user"}, "", http.StatusOK)
}

func (x *ui) renderRoles(w http.ResponseWriter, r *http.Request, form governance.RoleAssignment, errMsg string, status int) error {
	v := visitorFrom(r.Context())
	as, err := x.api.Roles.List(r.Context(), v.p)
	if err != nil {
		return err
	}
	p, chrome := x.adminPage(r, "Roles", "roles")
	chrome.Error = errMsg
	d := adminRolesData{adminChrome: chrome, Form: form}
	for _, a := range as {
		d.Items = append(d.Items, roleRow{RoleAssignment: a, Label: p.T(roleLabel(a.Role))})
	}
	for _, role := range governance.Roles {
		if role != governance.RoleEndUser { // everyone signed in has it
			d.Options = append(d.Options, roleOption{Role: role, Label: p.T(roleLabel(role))})
		}
	}
	p.Data = d
	p.Status = status
	return x.render(w, "adminroles", p)
}

func roleForm(r *http.Request) governance.RoleAssignment {
	return governance.RoleAssignment{Role: governance.Role(r.PostFormValue("role")),
		SubjectType: r.PostFormValue("subjectType"), SubjectID: strings.TrimSpace(r.PostFormValue("subjectId"))}
}

func (x *ui) adminAssignRole(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	form := roleForm(r)
	if _, err := x.api.Roles.Assign(r.Context(), v.p, form); err != nil {
		if msg, status, ok := x.formRefusal(r, err); ok {
			return x.renderRoles(w, r, form, msg, status)
		}
		return err
	}
	http.Redirect(w, r, "/admin/roles?done=role-assigned", http.StatusSeeOther)
	return nil
}

func (x *ui) adminRemoveRole(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	a := roleForm(r)
	if err := x.api.Roles.Unassign(r.Context(), v.p, a.Role, a.SubjectType, a.SubjectID); err != nil {
		if msg, status, ok := x.formRefusal(r, err); ok {
			return x.renderRoles(w, r, governance.RoleAssignment{SubjectType: "user"}, msg, status)
		}
		return err
	}
	http.Redirect(w, r, "/admin/roles?done=role-removed", http.StatusSeeOther)
	return nil
}
