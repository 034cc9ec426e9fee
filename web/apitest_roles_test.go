package web

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stewardhq/steward/governance"
)

// TestAPIRoleScenarios covers role management: only signed-in
// administrators list, grant and remove roles, each in their own tenant.
func TestAPIRoleScenarios(t *testing.T) {
	e := newAPIEnv(t)
	bearer := map[string]string{"WWW-Authenticate": "Bearer"}
	const grant = `{"role":"approver","subjectType":"user","subjectId":"` + idCarol + `"}`
	assigned := func(tenant string, role governance.Role, subject string) func(t *testing.T) bool {
		return func(t *testing.T) bool {
			t.Helper()
			as, err := e.db.RoleAssignments(context.Background(), tenant)
			if err != nil {
				t.Fatal(err)
			}
			return slices.ContainsFunc(as, func(a governance.RoleAssignment) bool { return a.Role == role && a.SubjectID == subject })
		}
	}
	runAPI(t, e, []apiScenario{
		// listRoles
		{name: "list without credentials", method: "GET", path: "/api/v1/roles", status: 401, header: bearer},
		{name: "list as a catalog manager", token: "catalog", method: "GET", path: "/api/v1/roles", status: 403, contains: []string{"role_required"}},
		{name: "list with an API key", token: "apikey-write", method: "GET", path: "/api/v1/roles", status: 403, contains: []string{"api_key_not_allowed"}},
		{name: "list", token: "admin", method: "GET", path: "/api/v1/roles", status: 200,
			contains: []string{`"role":"catalog_manager"`, `"subjectType":"user"`, `"subjectId":"` + idCatalog + `"`, `"assignedBy":"` + idAdmin + `"`}},
		{name: "another tenant's list", token: "fabrikam-admin", method: "GET", path: "/api/v1/roles", status: 200, contains: []string{`"items":[]`}, notContain: []string{idCatalog}},

		// assignRole
		{name: "assign without credentials", method: "POST", path: "/api/v1/roles", body: grant, status: 401, header: bearer},
		{name: "assign as an end user", token: "alice", method: "POST", path: "/api/v1/roles", body: grant, status: 403},
		{name: "assign with an API key", token: "apikey-write", method: "POST", path: "/api/v1/roles", body: grant, status: 403, contains: []string{"api_key_not_allowed"}},
		{name: "assign: unknown role", token: "admin", method: "POST", path: "/api/v1/roles", body: `{"role":"king","subjectType":"user","subjectId":"` + idCarol + `"}`, status: 400,
			contains: []string{"role_invalid"}},
		{name: "assign: end user is implicit", token: "admin", method: "POST", path: "/api/v1/roles", body: `{"role":"end_user","subjectType":"user","subjectId":"` + idCarol + `"}`, status: 400,
			contains: []string{"role_implicit"}},
		{name: "assign: bad subject", token: "admin", method: "POST", path: "/api/v1/roles", body: `{"role":"approver","subjectType":"robot","subjectId":"` + idCarol + `"}`, status: 400,
			contains: []string{"role_subject_invalid"}},
		{name: "assign: subject not a GUID", token: "admin", method: "POST", path: "/api/v1/roles", body: `{"role":"approver","subjectType":"user","subjectId":"carol"}`, status: 400,
			contains: []string{"role_subject_invalid"}},
		{name: "assign: unknown field", token: "admin", method: "POST", path: "/api/v1/roles", body: `{"role":"approver","subjectType":"user","subjectId":"` + idCarol + `","until":"2030"}`, status: 400,
			contains: []string{"body_unknown_field", "until"}},
		{name: "assign: too large", token: "admin", method: "POST", path: "/api/v1/roles", body: `{"role":"` + strings.Repeat("a", 70<<10) + `"}`, status: 413,
			contains: []string{"body_too_large"}},
		{name: "assign", token: "admin", method: "POST", path: "/api/v1/roles", body: grant, status: 201,
			header:   map[string]string{"Location": "/api/v1/roles/approver/user/" + idCarol},
			contains: []string{`"role":"approver"`, `"subjectId":"` + idCarol + `"`},
			after: func(t *testing.T, e *apiEnv) {
				if !assigned("contoso", governance.RoleApprover, idCarol)(t) {
					t.Fatal("not stored")
				}
				e.audited(t, "role.assigned", "approver:user:"+idCarol)
			}},
		{name: "assign again", token: "admin", method: "POST", path: "/api/v1/roles", body: grant, status: 201},
		{name: "another tenant assigns in its own tenant", token: "fabrikam-admin", method: "POST", path: "/api/v1/roles",
			body: `{"role":"catalog_manager","subjectType":"group","subjectId":"` + idSecretGrp + `"}`, status: 201,
			after: func(t *testing.T, e *apiEnv) {
				if assigned("contoso", governance.RoleCatalogManager, idSecretGrp)(t) || !assigned("fabrikam", governance.RoleCatalogManager, idSecretGrp)(t) {
					t.Fatal("assigned in the wrong tenant")
				}
			}},

		// unassignRole
		{name: "unassign without credentials", method: "DELETE", path: "/api/v1/roles/approver/user/" + idCarol, status: 401, header: bearer},
		{name: "unassign as an integration manager", token: "integrations", method: "DELETE", path: "/api/v1/roles/approver/user/" + idCarol, status: 403},
		{name: "unassign with an API key", token: "apikey-read", method: "DELETE", path: "/api/v1/roles/approver/user/" + idCarol, status: 403},
		{name: "unassign another tenant's assignment", token: "fabrikam-admin", method: "DELETE", path: "/api/v1/roles/approver/user/" + idCarol, status: 404,
			contains: []string{"role_assignment_not_found"}},
		{name: "unassign", token: "admin", method: "DELETE", path: "/api/v1/roles/approver/user/" + idCarol, status: 204,
			after: func(t *testing.T, e *apiEnv) {
				if assigned("contoso", governance.RoleApprover, idCarol)(t) {
					t.Fatal("still assigned")
				}
				e.audited(t, "role.unassigned", "approver:user:"+idCarol)
			}},
		{name: "unassign twice", token: "admin", method: "DELETE", path: "/api/v1/roles/approver/user/" + idCarol, status: 404, contains: []string{"role_assignment_not_found"}},
	})
}
