package web

import (
	"testing"
)

// TestAPITemplateVersionScenarios covers reading templates whole: the
// latest version for catalog managers, and stored versions, which requests
// keep and which the approvers of those requests read. The catalog's
// filtered view for end users stays as it is.
func TestAPITemplateVersionScenarios(t *testing.T) {
	e := newAPIEnv(t)
	bearer := map[string]string{"WWW-Authenticate": "Bearer"}
	runAPI(t, e, []apiScenario{
		// getManagedTemplate
		{name: "template whole without credentials", method: "GET", path: "/api/v1/templates/project", status: 401, header: bearer},
		{name: "template whole", token: "catalog", method: "GET", path: "/api/v1/templates/project", status: 200,
			contains: []string{`"tenantId":"contoso"`, `"version":1`, `"policies":{`, `"stages":[{"name":"Manager","approvers":[{"type":"user","id":"` + idBob + `"}]`,
				`"fields":[{"id":"code","label":"Project code"`}},
		{name: "an audience-restricted template whole", token: "catalog", method: "GET", path: "/api/v1/templates/secret", status: 200,
			contains: []string{`"audience":["` + idSecretGrp + `"]`}},
		{name: "a retired template whole", token: "admin", method: "GET", path: "/api/v1/templates/legacy", status: 200, contains: []string{`"retired":true`}},
		{name: "template whole with templates:read", token: "apikey-write", method: "GET", path: "/api/v1/templates/project", status: 200, contains: []string{`"policies":{`}},
		{name: "template whole with a key lacking templates:read", token: "apikey-read", method: "GET", path: "/api/v1/templates/project", status: 403, contains: []string{"scope_required"}},
		{name: "template whole as an end user", token: "alice", method: "GET", path: "/api/v1/templates/project", status: 403, contains: []string{"role_required"}, notContain: []string{"policies"}},
		{name: "template whole as its approver", token: "bob", method: "GET", path: "/api/v1/templates/project", status: 403},
		{name: "template whole of another tenant", token: "fabrikam-admin", method: "GET", path: "/api/v1/templates/project", status: 404,
			contains: []string{"template_not_found"}, notContain: []string{"Project code"}},
		{name: "template whole: absent", token: "catalog", method: "GET", path: "/api/v1/templates/nothing", status: 404, contains: []string{"template_not_found"}},
		// The catalog keeps its filtered view.
		{name: "the catalog still shows a summary", token: "alice", method: "GET", path: "/api/v1/catalog/project", status: 200,
			contains: []string{`"approvalRequired":true`}, notContain: []string{"policies", "stages", idBob, "tenantId"}},
		{name: "the catalog still hides restricted templates", token: "alice", method: "GET", path: "/api/v1/catalog/secret", status: 404},

		// A new version: req-1 keeps version 1 and its approval stage.
		{name: "publish version 2 without approval", token: "catalog", method: "PUT", path: "/api/v1/templates/project",
			body: `{"version":1,"name":"Project","spec":{"visibility":"private"},"fields":[{"id":"code","label":"Project code"}]}`, status: 200,
			contains: []string{`"version":2`}},
		{name: "the request keeps version 1", token: "bob", method: "GET", path: "/api/v1/requests/req-1", status: 200, contains: []string{`"templateVersion":1`}},

		// getTemplateVersion
		{name: "version without credentials", method: "GET", path: "/api/v1/templates/project/versions/1", status: 401, header: bearer},
		{name: "the approver reads the version the request is under", token: "bob", method: "GET", path: "/api/v1/templates/project/versions/1", status: 200,
			contains: []string{`"version":1`, `"stages":[{"name":"Manager"`}},
		{name: "the approver of version 1 does not read version 2", token: "bob", method: "GET", path: "/api/v1/templates/project/versions/2", status: 404,
			contains: []string{"template_version_not_found"}},
		{name: "the catalog manager reads version 2", token: "catalog", method: "GET", path: "/api/v1/templates/project/versions/2", status: 200,
			contains: []string{`"version":2`}, notContain: []string{"Manager"}},
		{name: "an administrator reads version 1", token: "admin", method: "GET", path: "/api/v1/templates/project/versions/1", status: 200, contains: []string{"Manager"}},
		{name: "the requester does not read versions", token: "alice", method: "GET", path: "/api/v1/templates/project/versions/1", status: 404,
			notContain: []string{"Manager"}},
		{name: "the approver role alone reads no version", token: "approver", method: "GET", path: "/api/v1/templates/project/versions/1", status: 404},
		{name: "version with templates:read", token: "apikey-write", method: "GET", path: "/api/v1/templates/project/versions/1", status: 200},
		{name: "version with a key lacking templates:read", token: "apikey-hooks", method: "GET", path: "/api/v1/templates/project/versions/1", status: 403, contains: []string{"scope_required"}},
		{name: "version of another tenant", token: "fabrikam-admin", method: "GET", path: "/api/v1/templates/project/versions/1", status: 404, notContain: []string{"Project code"}},
		{name: "version that does not exist", token: "catalog", method: "GET", path: "/api/v1/templates/project/versions/9", status: 404, contains: []string{"template_version_not_found"}},
		{name: "version 0", token: "catalog", method: "GET", path: "/api/v1/templates/project/versions/0", status: 400, contains: []string{"template_version_invalid"}},
		{name: "version not a number", token: "catalog", method: "GET", path: "/api/v1/templates/project/versions/latest", status: 400, contains: []string{"template_version_invalid"}},
		{name: "version not a number, in French", token: "catalog", method: "GET", path: "/api/v1/templates/project/versions/latest", status: 400,
			reqHeader: map[string]string{"Accept-Language": "fr-CA, en;q=0.5"}, contains: []string{"template_version_invalid", "nombre entier"}},
	})
}
