package web

import (
	"context"
	"strings"
	"testing"
)

// TestAPITemplateScenarios covers catalog management: create, update,
// retire, export and import, each error class, and the stored versions and
// audit rows that must follow.
func TestAPITemplateScenarios(t *testing.T) {
	e := newAPIEnv(t)
	bearer := map[string]string{"WWW-Authenticate": "Bearer"}
	const create = `{"id":"board","name":"Board","description":"For boards","category":"Governance","spec":{"visibility":"private"},` +
		`"fields":[{"id":"code","label":"Code","required":true}],"policies":{"naming":{"prefix":"BRD-{code}-"}}}`
	export := ""
	runAPI(t, e, []apiScenario{
		// createTemplate
		{name: "create without credentials", method: "POST", path: "/api/v1/templates", body: create, status: 401, header: bearer},
		{name: "create as an end user", token: "alice", method: "POST", path: "/api/v1/templates", body: create, status: 403, contains: []string{"role_required"}},
		{name: "create with a key lacking templates:write", token: "apikey-write", method: "POST", path: "/api/v1/templates", body: create, status: 403, contains: []string{"scope_required"}},
		{name: "create: unknown field", token: "catalog", method: "POST", path: "/api/v1/templates", body: `{"id":"x1","name":"X","spec":{"visibility":"private"},"colour":"red"}`, status: 400,
			contains: []string{"body_unknown_field", "colour"}},
		{name: "create: unknown nested field", token: "catalog", method: "POST", path: "/api/v1/templates", body: `{"id":"x1","name":"X","spec":{"visibility":"private","color":1}}`, status: 400,
			contains: []string{"body_unknown_field", "color"}},
		{name: "create: invalid id", token: "catalog", method: "POST", path: "/api/v1/templates", body: `{"id":"Bad Id","name":"X","spec":{"visibility":"private"}}`, status: 400,
			contains: []string{"template_id_invalid"}},
		{name: "create: invalid template", token: "catalog", method: "POST", path: "/api/v1/templates", body: `{"id":"x1","name":"","spec":{"visibility":"secretive"}}`, status: 400,
			contains: []string{"template_invalid", "name must be"}},
		{name: "create: too large", token: "catalog", method: "POST", path: "/api/v1/templates", body: `{"id":"x1","name":"` + strings.Repeat("a", 70<<10) + `"}`, status: 413,
			contains: []string{"body_too_large", "64 KiB"}},
		{name: "create", token: "catalog", method: "POST", path: "/api/v1/templates", body: create, status: 201,
			header:   map[string]string{"Location": "/api/v1/catalog/board"},
			contains: []string{`"id":"board"`, `"version":1`, `"tenantId":"contoso"`, `"updatedBy":"` + idCatalog + `"`, `"prefix":"BRD-{code}-"`},
			after: func(t *testing.T, e *apiEnv) {
				if tp, err := e.db.Template(context.Background(), "contoso", "board"); err != nil || tp.Version != 1 || tp.Category != "Governance" {
					t.Fatalf("stored %+v, %v", tp, err)
				}
				e.audited(t, "template.created", "board")
			}},
		{name: "create: id taken", token: "admin", method: "POST", path: "/api/v1/templates", body: create, status: 409, contains: []string{"template_exists"}},
		{name: "the new template is in the catalog", token: "alice", method: "GET", path: "/api/v1/catalog/board", status: 200, contains: []string{`"name":"Board"`}},
		{name: "another tenant's administrator creates in its own tenant", token: "fabrikam-admin", method: "POST", path: "/api/v1/templates", body: create, status: 201,
			contains: []string{`"tenantId":"fabrikam"`}},

		// updateTemplate
		{name: "update needs a version", token: "catalog", method: "PUT", path: "/api/v1/templates/board", body: `{"name":"Board 2","spec":{"visibility":"private"}}`, status: 400,
			contains: []string{"template_version_required"}},
		{name: "update as an end user", token: "bob", method: "PUT", path: "/api/v1/templates/board", body: `{"version":1,"name":"Board 2","spec":{"visibility":"private"}}`, status: 403},
		{name: "update: absent template", token: "catalog", method: "PUT", path: "/api/v1/templates/nothing", body: `{"version":1,"name":"N","spec":{"visibility":"private"}}`, status: 404,
			contains: []string{"template_not_found"}},
		{name: "update: invalid", token: "catalog", method: "PUT", path: "/api/v1/templates/board", body: `{"version":1,"name":"Board 2","spec":{"visibility":"private"},"policies":{"naming":{"prefix":"{team}-"}}}`, status: 400,
			contains: []string{"template_invalid", "{team}"}},
		{name: "update: unknown field", token: "catalog", method: "PUT", path: "/api/v1/templates/board", body: `{"version":1,"id":"other","name":"B","spec":{"visibility":"private"}}`, status: 400,
			contains: []string{"body_unknown_field"}},
		{name: "update: too large", token: "catalog", method: "PUT", path: "/api/v1/templates/board", body: `{"version":1,"name":"` + strings.Repeat("a", 70<<10) + `"}`, status: 413,
			contains: []string{"body_too_large"}},
		{name: "update", token: "catalog", method: "PUT", path: "/api/v1/templates/board", body: `{"version":1,"name":"Board 2","spec":{"visibility":"public"}}`, status: 200,
			contains: []string{`"version":2`, `"name":"Board 2"`, `"visibility":"public"`},
			after: func(t *testing.T, e *apiEnv) {
				if tp, err := e.db.TemplateVersion(context.Background(), "contoso", "board", 1); err != nil || tp.Name != "Board" {
					t.Fatalf("version 1 is %+v, %v", tp, err)
				}
				e.audited(t, "template.updated", "board")
			}},
		{name: "update: stale version", token: "admin", method: "PUT", path: "/api/v1/templates/board", body: `{"version":1,"name":"Board 3","spec":{"visibility":"private"}}`, status: 409,
			contains: []string{"template_version_conflict"}},
		{name: "update another tenant's template", token: "fabrikam-admin", method: "PUT", path: "/api/v1/templates/open", body: `{"version":1,"name":"Mine","spec":{"visibility":"private"}}`, status: 404,
			notContain: []string{"Open community"}},

		// exportTemplate
		{name: "export without credentials", method: "GET", path: "/api/v1/templates/board/export", status: 401, header: bearer},
		{name: "export as an end user", token: "alice", method: "GET", path: "/api/v1/templates/board/export", status: 403},
		{name: "export with a key lacking templates:read", token: "apikey-read", method: "GET", path: "/api/v1/templates/board/export", status: 403, contains: []string{"scope_required"}},
		{name: "export: absent", token: "catalog", method: "GET", path: "/api/v1/templates/nothing/export", status: 404, contains: []string{"template_not_found"}},
		{name: "export another tenant's template", token: "fabrikam-admin", method: "GET", path: "/api/v1/templates/project/export", status: 404, notContain: []string{"Project code"}},
		{name: "export", token: "catalog", method: "GET", path: "/api/v1/templates/board/export", status: 200,
			header:     map[string]string{"Content-Type": "application/json", "Content-Disposition": `attachment; filename=template-board.json`},
			contains:   []string{`"format": "steward.template/v1"`, `"id": "board"`, `"name": "Board 2"`},
			notContain: []string{"tenantId", `"version"`, "updatedBy"},
			after: func(t *testing.T, e *apiEnv) {
				data, err := e.srv.opts.API.Templates.Export(context.Background(), apiPrincipals()["catalog"], "board")
				if err != nil {
					t.Fatal(err)
				}
				export = string(data)
			}},
		{name: "export with a key with templates:read", token: "apikey-write", method: "GET", path: "/api/v1/templates/board/export", status: 200},

		// importTemplate
		{name: "import without credentials", method: "POST", path: "/api/v1/templates/import?id=board-copy", body: `{}`, status: 401, header: bearer},
		{name: "import as an end user", token: "carol", method: "POST", path: "/api/v1/templates/import?id=board-copy", body: `{}`, status: 403},
		{name: "import: no body", token: "catalog", method: "POST", path: "/api/v1/templates/import?id=board-copy", status: 400, contains: []string{"body_required"}},
		{name: "import: not an export", token: "catalog", method: "POST", path: "/api/v1/templates/import?id=board-copy", body: `{"name":"X","colour":"red"}`, status: 400,
			contains: []string{"template_import_invalid"}},
		{name: "import: another format", token: "catalog", method: "POST", path: "/api/v1/templates/import?id=board-copy", body: `{"format":"other/v9","id":"x1","name":"X","spec":{"visibility":"private"}}`, status: 400,
			contains: []string{"template_import_format"}},
		{name: "import: over 1 MiB", token: "catalog", method: "POST", path: "/api/v1/templates/import?id=board-copy", body: `{"format":"` + strings.Repeat("a", 1<<20) + `"}`, status: 413,
			contains: []string{"body_too_large", "1024 KiB"}},
		{name: "import: same id is a conflict", token: "catalog", method: "POST", path: "/api/v1/templates/import", body: `{"format":"steward.template/v1","id":"board","name":"Board","spec":{"visibility":"private"},"policies":{}}`, status: 409,
			contains: []string{"template_exists"}},
		{name: "import: invalid new id", token: "catalog", method: "POST", path: "/api/v1/templates/import?id=Board%20Copy", body: `{"format":"steward.template/v1","id":"board","name":"Board","spec":{"visibility":"private"},"policies":{}}`, status: 400,
			contains: []string{"template_id_invalid"}},
	})
	runAPI(t, e, []apiScenario{
		{name: "import the export under a new id", token: "catalog", method: "POST", path: "/api/v1/templates/import?id=board-copy", body: export, status: 201,
			header:   map[string]string{"Location": "/api/v1/catalog/board-copy"},
			contains: []string{`"id":"board-copy"`, `"version":1`, `"name":"Board 2"`, `"visibility":"public"`},
			after:    func(t *testing.T, e *apiEnv) { e.audited(t, "template.created", "board-copy") }},

		// retireTemplate
		{name: "retire needs a version", token: "catalog", method: "POST", path: "/api/v1/templates/board/retire", body: `{}`, status: 400, contains: []string{"template_version_required"}},
		{name: "retire: unknown field", token: "catalog", method: "POST", path: "/api/v1/templates/board/retire", body: `{"version":2,"why":"old"}`, status: 400, contains: []string{"body_unknown_field"}},
		{name: "retire as an integration manager", token: "integrations", method: "POST", path: "/api/v1/templates/board/retire", body: `{"version":2}`, status: 403},
		{name: "retire: stale version", token: "catalog", method: "POST", path: "/api/v1/templates/board/retire", body: `{"version":1}`, status: 409, contains: []string{"template_version_conflict"}},
		{name: "retire: absent", token: "catalog", method: "POST", path: "/api/v1/templates/nothing/retire", body: `{"version":1}`, status: 404},
		{name: "retire another tenant's template", token: "fabrikam-admin", method: "POST", path: "/api/v1/templates/open/retire", body: `{"version":1}`, status: 404},
		{name: "retire: too large", token: "catalog", method: "POST", path: "/api/v1/templates/board/retire", body: `{"version":2,"x":"` + strings.Repeat("a", 70<<10) + `"}`, status: 413,
			contains: []string{"body_too_large"}},
		{name: "retire", token: "catalog", method: "POST", path: "/api/v1/templates/board/retire", body: `{"version":2}`, status: 200,
			contains: []string{`"retired":true`, `"version":3`},
			after:    func(t *testing.T, e *apiEnv) { e.audited(t, "template.retired", "board") }},
		{name: "retire twice", token: "catalog", method: "POST", path: "/api/v1/templates/board/retire", body: `{"version":3}`, status: 409, contains: []string{"template_retired"}},
		{name: "a retired template leaves the catalog", token: "alice", method: "GET", path: "/api/v1/catalog", status: 200, notContain: []string{`"id":"board"`}},
	})
}
