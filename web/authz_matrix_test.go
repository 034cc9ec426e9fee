package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// matrixPrincipals are the columns of the authorization matrix: nobody,
// each role of the tenant (alice made req-1, bob approves it, carol has no
// part in it, approver holds the approver role and approves nothing here),
// another tenant's administrator, and API keys with read and
// write scopes and with webhooks:manage alone.
var matrixPrincipals = []string{"", "alice", "bob", "carol", "approver", "catalog", "integrations", "admin", "fabrikam-admin", "apikey-read", "apikey-write", "apikey-hooks"}

// matrixRow is one route with the status each principal must get. In path,
// {hook}, {delivery} and {key} stand for the environment's webhook, its
// failed delivery and its API key, whose ids are random.
type matrixRow struct {
	method, pattern, path, body string
	mutates                     bool // a fresh environment per principal
	want                        map[string]int
}

// expect expands a row's expectations: every principal gets def, except
// those listed.
func expect(def int, except map[string]int) map[string]int {
	m := map[string]int{}
	for _, p := range matrixPrincipals {
		m[p] = def
	}
	m[""] = http.StatusUnauthorized
	for k, v := range except {
		m[k] = v
	}
	return m
}

func matrixRows() []matrixRow {
	const submit = `{"templateId":"project","name":"Matrix","owners":["11111111-1111-4111-8111-111111111111"]}`
	const template = `{"id":"matrix","name":"Matrix","spec":{"visibility":"private"}}`
	const export = `{"format":"steward.template/v1","id":"matrix","name":"Matrix","spec":{"visibility":"private"},"policies":{}}`
	const fromTeam = `{"teamId":"` + teamFalcon + `","id":"matrix","name":"Matrix"}`
	// Catalog changes need a catalog manager (administrators hold every
	// role) or an API key with templates:write, which neither key has.
	// Another tenant's administrator manages its own catalog: it creates
	// there, and Contoso's templates do not exist for it.
	catalogOnly := func(ok int, foreign int) map[string]int {
		return expect(403, map[string]int{"catalog": ok, "admin": ok, "fabrikam-admin": foreign})
	}
	hooksOnly := func(ok int, foreign int) map[string]int {
		return expect(403, map[string]int{"integrations": ok, "admin": ok, "apikey-hooks": ok, "fabrikam-admin": foreign})
	}
	keysOnly := func(ok int, foreign int) map[string]int {
		return expect(403, map[string]int{"integrations": ok, "admin": ok, "fabrikam-admin": foreign})
	}
	return []matrixRow{
		{"GET", "GET /api/v1/openapi.json", "/api/v1/openapi.json", "", false, expect(200, map[string]int{"": 200})},
		// A key with webhooks:manage alone reads and writes nothing else.
		{"GET", "GET /api/v1/catalog", "/api/v1/catalog", "", false, expect(200, map[string]int{"apikey-read": 403, "apikey-hooks": 403})},
		{"GET", "GET /api/v1/catalog/{templateId}", "/api/v1/catalog/project", "", false,
			expect(200, map[string]int{"fabrikam-admin": 404, "apikey-read": 403, "apikey-hooks": 403})},
		{"POST", "POST /api/v1/catalog/{templateId}/name-preview", "/api/v1/catalog/project/name-preview", `{"name":"Matrix"}`, false,
			expect(200, map[string]int{"fabrikam-admin": 404, "apikey-read": 403, "apikey-hooks": 403})},
		{"POST", "POST /api/v1/requests", "/api/v1/requests", submit, true,
			expect(201, map[string]int{"fabrikam-admin": 404, "apikey-read": 403, "apikey-hooks": 403})},
		{"GET", "GET /api/v1/requests", "/api/v1/requests?scope=mine", "", false, expect(200, map[string]int{"apikey-hooks": 403})},
		{"GET", "GET /api/v1/requests/{requestId}", "/api/v1/requests/req-1", "", false,
			expect(404, map[string]int{"alice": 200, "bob": 200, "admin": 200, "apikey-read": 200, "apikey-write": 200, "apikey-hooks": 403})},
		{"POST", "POST /api/v1/requests/{requestId}/decision", "/api/v1/requests/req-1/decision", `{"approve":true,"version":1}`, true,
			expect(404, map[string]int{"alice": 403, "bob": 200, "admin": 403, "apikey-read": 403, "apikey-write": 403, "apikey-hooks": 403})},
		{"POST", "POST /api/v1/requests/{requestId}/cancel", "/api/v1/requests/req-1/cancel", `{}`, true,
			expect(404, map[string]int{"alice": 200, "bob": 403, "admin": 200, "apikey-read": 403, "apikey-write": 403, "apikey-hooks": 403})},
		{"POST", "POST /api/v1/templates", "/api/v1/templates", template, true, catalogOnly(201, 201)},
		// A template from a team is a catalog change too. Another tenant's
		// administrator reads teams of its own tenant only: Contoso's team
		// does not exist for it.
		{"POST", "POST /api/v1/templates/from-team", "/api/v1/templates/from-team", fromTeam, true, catalogOnly(201, 404)},
		{"PUT", "PUT /api/v1/templates/{templateId}", "/api/v1/templates/open", `{"version":1,"name":"Open","spec":{"visibility":"public"}}`, true,
			catalogOnly(200, 404)},
		{"POST", "POST /api/v1/templates/{templateId}/retire", "/api/v1/templates/open/retire", `{"version":1}`, true, catalogOnly(200, 404)},
		// Export is a read: templates:read is enough for a key (apikey-write has it).
		{"GET", "GET /api/v1/templates/{templateId}/export", "/api/v1/templates/project/export", "", false,
			expect(403, map[string]int{"catalog": 200, "admin": 200, "fabrikam-admin": 404, "apikey-write": 200})},
		{"POST", "POST /api/v1/templates/import", "/api/v1/templates/import?id=matrix-copy", export, true, catalogOnly(201, 201)},
		// A template whole is the catalog manager's view (templates:read for
		// a key, as export). A stored version is also readable by the
		// approvers it names: bob approves project's requests. To anyone else
		// the version does not exist.
		{"GET", "GET /api/v1/templates/{templateId}", "/api/v1/templates/project", "", false,
			expect(403, map[string]int{"catalog": 200, "admin": 200, "fabrikam-admin": 404, "apikey-write": 200})},
		{"GET", "GET /api/v1/templates/{templateId}/versions/{version}", "/api/v1/templates/project/versions/1", "", false,
			expect(404, map[string]int{"bob": 200, "catalog": 200, "admin": 200, "apikey-write": 200, "apikey-read": 403, "apikey-hooks": 403})},
		// Webhooks are integration managers' (administrators hold every role)
		// and keys' with webhooks:manage. Another tenant's administrator
		// manages its own: Contoso's webhook does not exist for it.
		{"GET", "GET /api/v1/webhooks", "/api/v1/webhooks", "", false, hooksOnly(200, 200)},
		{"POST", "POST /api/v1/webhooks", "/api/v1/webhooks", `{"url":"https://hooks.example.com/matrix","events":["*"]}`, true, hooksOnly(201, 201)},
		{"GET", "GET /api/v1/webhooks/{webhookId}", "/api/v1/webhooks/{hook}", "", false, hooksOnly(200, 404)},
		{"PATCH", "PATCH /api/v1/webhooks/{webhookId}", "/api/v1/webhooks/{hook}", `{"version":1,"enabled":false}`, true, hooksOnly(200, 404)},
		{"DELETE", "DELETE /api/v1/webhooks/{webhookId}", "/api/v1/webhooks/{hook}", "", true, hooksOnly(204, 404)},
		{"GET", "GET /api/v1/webhooks/{webhookId}/deliveries", "/api/v1/webhooks/{hook}/deliveries", "", false, hooksOnly(200, 404)},
		{"POST", "POST /api/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", "/api/v1/webhooks/{hook}/deliveries/{delivery}/redeliver", "", true,
			hooksOnly(202, 404)},
		// API keys are signed-in integration managers' only: no key manages
		// keys, whatever its scopes.
		{"GET", "GET /api/v1/apikeys", "/api/v1/apikeys", "", false, keysOnly(200, 200)},
		{"POST", "POST /api/v1/apikeys", "/api/v1/apikeys", `{"name":"Matrix","scopes":["webhooks:manage"]}`, true, keysOnly(201, 201)},
		{"GET", "GET /api/v1/apikeys/{keyId}", "/api/v1/apikeys/{key}", "", false, keysOnly(200, 404)},
		{"POST", "POST /api/v1/apikeys/{keyId}/revoke", "/api/v1/apikeys/{key}/revoke", "", true, keysOnly(200, 404)},
		// A managed team's lifecycle is its owners' (alice owns it, as Graph
		// says), administrators' and, to read, keys' with requests:read.
		// Renewing attests the membership: people only, never a key. To
		// another tenant the team does not exist.
		{"GET", "GET /api/v1/teams/{teamId}/lifecycle", "/api/v1/teams/" + teamExpiring + "/lifecycle", "", false,
			expect(403, map[string]int{"alice": 200, "admin": 200, "apikey-read": 200, "apikey-write": 200, "fabrikam-admin": 404})},
		{"POST", "POST /api/v1/teams/{teamId}/renew", "/api/v1/teams/" + teamExpiring + "/renew", `{"attest":true}`, true,
			expect(403, map[string]int{"alice": 200, "admin": 200, "fabrikam-admin": 404})},
		// Roles are for signed-in administrators only; API keys never
		// manage them, whatever their scopes. Another tenant's administrator
		// manages its own tenant's roles: Cathy's assignment is not there.
		{"GET", "GET /api/v1/roles", "/api/v1/roles", "", false, expect(403, map[string]int{"admin": 200, "fabrikam-admin": 200})},
		{"POST", "POST /api/v1/roles", "/api/v1/roles", `{"role":"approver","subjectType":"user","subjectId":"33333333-3333-4333-8333-333333333333"}`, true,
			expect(403, map[string]int{"admin": 201, "fabrikam-admin": 201})},
		{"DELETE", "DELETE /api/v1/roles/{role}/{subjectType}/{subjectId}", "/api/v1/roles/catalog_manager/user/77777777-7777-4777-8777-777777777777", "", true,
			expect(403, map[string]int{"admin": 204, "fabrikam-admin": 404})},
		// The company's trail is for administrators (each of their own
		// tenant) and keys with audit:read, which neither key has. Everyone
		// signed in reads their own; a key needs audit:read even for that,
		// so a key without it reads no trail at all.
		{"GET", "GET /api/v1/audit", "/api/v1/audit", "", false, expect(403, map[string]int{"admin": 200, "fabrikam-admin": 200})},
		{"GET", "GET /api/v1/audit/mine", "/api/v1/audit/mine", "", false, expect(200, map[string]int{"apikey-read": 403, "apikey-write": 403, "apikey-hooks": 403})},
		{"GET", "GET /api/v1/audit/export", "/api/v1/audit/export?format=csv", "", false, expect(403, map[string]int{"admin": 200, "fabrikam-admin": 200})},
	}
}

// TestAuthorizationMatrix calls every /api/v1 route as every principal and
// checks the declared status. Beyond the table: another tenant never sees
// Contoso's data, nobody unauthenticated gets anything but the public
// document, and nothing answers 5xx.
func TestAuthorizationMatrix(t *testing.T) {
	rows := matrixRows()
	// Every registered route has a row: a new route must declare its matrix.
	registered := New(Options{API: &API{}}).apiPatterns
	covered := map[string]bool{}
	for _, r := range rows {
		covered[r.pattern] = true
	}
	for _, p := range registered {
		if !covered[p] {
			t.Errorf("route %s has no row in the authorization matrix", p)
		}
	}
	if len(rows) != len(registered) {
		t.Errorf("%d matrix rows for %d routes", len(rows), len(registered))
	}

	shared := newAPIEnv(t)
	for _, row := range rows {
		for _, who := range matrixPrincipals {
			name := row.pattern + " as " + map[bool]string{true: who, false: "nobody"}[who != ""]
			t.Run(name, func(t *testing.T) {
				e := shared
				if row.mutates {
					// Each of these has a stack of its own: they can run
					// side by side (the slow part is building the stacks).
					t.Parallel()
					e = newAPIEnv(t)
				}
				var body *strings.Reader
				if row.body != "" {
					body = strings.NewReader(row.body)
				} else {
					body = strings.NewReader("")
				}
				path := strings.NewReplacer("{hook}", e.hookSub, "{delivery}", e.hookDelivery, "{key}", e.keyID).Replace(row.path)
				req := httptest.NewRequest(row.method, path, body)
				if row.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				if who != "" {
					req.Header.Set("Authorization", "Bearer "+who)
				}
				rec := httptest.NewRecorder()
				e.h.ServeHTTP(rec, req)
				got, resp := rec.Code, rec.Body.String()
				if want := row.want[who]; got != want {
					t.Fatalf("status %d, want %d: %s", got, want, resp)
				}
				if got >= 500 {
					t.Fatalf("server error: %s", resp)
				}
				if who == "" && got < 300 && row.pattern != "GET /api/v1/openapi.json" {
					t.Fatalf("an unauthenticated call succeeded: %s", resp)
				}
				if strings.HasPrefix(who, "fabrikam") {
					// The request id they sent may be echoed; Contoso's webhook
					// URL, its API key's prefix and its delivery payload may not.
					for _, leak := range []string{"Apollo", "Zephyr", "Project code", "Open community", "127.0.0.1:1", "stw_contoso", "t-1"} {
						if strings.Contains(resp, leak) && row.pattern != "GET /api/v1/openapi.json" {
							t.Fatalf("another tenant sees %q: %s", leak, resp)
						}
					}
				}
			})
		}
	}
}
