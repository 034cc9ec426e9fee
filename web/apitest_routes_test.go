package web

import (
	"strings"
	"testing"

	"github.com/stewardhq/steward/governance"
)

// TestAPIScenarios covers every /api/v1 route through the real services on
// SQLite: happy paths, each error class, and the side effects (stored state,
// audit rows, webhook deliveries, provisioning jobs) that must follow.
func TestAPIScenarios(t *testing.T) {
	e := newAPIEnv(t)
	big := `{"name":"` + strings.Repeat("a", 70<<10) + `"}`
	bearer := map[string]string{"WWW-Authenticate": "Bearer"}
	runAPI(t, e, []apiScenario{
		// The document is public.
		{name: "openapi document", method: "GET", path: "/api/v1/openapi.json", status: 200,
			contains: []string{`"openapi": "3.1.0"`, `"operationId": "submitRequest"`}},

		// listCatalog
		{name: "catalog without credentials", method: "GET", path: "/api/v1/catalog", status: 401, header: bearer, contains: []string{`"code":"token_invalid"`}},
		{name: "catalog with a bad token", token: "forged", method: "GET", path: "/api/v1/catalog", status: 401, header: bearer},
		{name: "catalog", token: "alice", method: "GET", path: "/api/v1/catalog", status: 200,
			contains: []string{`"id":"project"`, `"approvalRequired":true`, `"id":"open"`}, notContain: []string{`"secret"`, `"legacy"`, "Fabrikam", "policies"}},
		{name: "catalog: retired needs a catalog manager", token: "alice", method: "GET", path: "/api/v1/catalog?includeRetired=true", status: 403, contains: []string{"role_required"}},
		{name: "catalog: includeRetired must be a bool", token: "alice", method: "GET", path: "/api/v1/catalog?includeRetired=perhaps", status: 400, contains: []string{"query_invalid"}},
		{name: "catalog: administrator sees retired and restricted", token: "admin", method: "GET", path: "/api/v1/catalog?includeRetired=true", status: 200,
			contains: []string{`"id":"legacy"`, `"retired":true`, `"id":"secret"`}},
		{name: "catalog: key without templates:read", token: "apikey-read", method: "GET", path: "/api/v1/catalog", status: 403, contains: []string{"scope_required"}},
		{name: "catalog of another tenant", token: "fabrikam-user", method: "GET", path: "/api/v1/catalog", status: 200,
			contains: []string{`"id":"fab"`}, notContain: []string{`"project"`, "Open community"}},

		// getTemplate
		{name: "template", token: "alice", method: "GET", path: "/api/v1/catalog/project", status: 200, contains: []string{`"fields":[{"id":"code"`, `"visibility":"private"`}},
		{name: "template outside the audience looks absent", token: "alice", method: "GET", path: "/api/v1/catalog/secret", status: 404, contains: []string{"template_not_found"}, notContain: []string{"Secret board"}},
		{name: "template of another tenant", token: "fabrikam-user", method: "GET", path: "/api/v1/catalog/open", status: 404, notContain: []string{"Open community"}},
		{name: "template without credentials", method: "GET", path: "/api/v1/catalog/project", status: 401, header: bearer},

		// previewName
		{name: "name preview", token: "alice", method: "POST", path: "/api/v1/catalog/named/name-preview", body: `{"name":" Apollo "}`, status: 200,
			contains: []string{`"displayName":"Sales-Apollo"`, `"violations":[]`}},
		{name: "name preview reports violations", token: "alice", method: "POST", path: "/api/v1/catalog/named/name-preview", body: `{"name":""}`, status: 200,
			contains: []string{`"code":"name_empty"`}},
		{name: "name preview: unknown field", token: "alice", method: "POST", path: "/api/v1/catalog/named/name-preview", body: `{"name":"x","colour":"red"}`, status: 400,
			contains: []string{"body_unknown_field", "colour"}},
		{name: "name preview: not JSON", token: "alice", method: "POST", path: "/api/v1/catalog/named/name-preview", body: `{"name":`, status: 400, contains: []string{"body_invalid"}},
		{name: "name preview: no body", token: "alice", method: "POST", path: "/api/v1/catalog/named/name-preview", status: 400, contains: []string{"body_required"}},
		{name: "name preview: wrong type", token: "alice", method: "POST", path: "/api/v1/catalog/named/name-preview", body: `{"name":5}`, status: 400, contains: []string{"body_field_invalid", "name"}},
		{name: "name preview: two objects", token: "alice", method: "POST", path: "/api/v1/catalog/named/name-preview", body: `{"name":"a"}{}`, status: 400, contains: []string{"body_invalid"}},
		{name: "name preview: too large", token: "alice", method: "POST", path: "/api/v1/catalog/named/name-preview", body: big, status: 413, contains: []string{"body_too_large", `"request_id":"`}},
		{name: "name preview: hidden template", token: "alice", method: "POST", path: "/api/v1/catalog/secret/name-preview", body: `{"name":"x"}`, status: 404},

		// submitRequest
		{name: "submit", token: "alice", method: "POST", path: "/api/v1/requests", body: `{"templateId":"project","name":"Gemini","fields":{"code":"G-1"}}`, status: 201,
			header: map[string]string{"Location": "/api/v1/requests/req-4"}, contains: []string{`"state":"pending"`, `"displayName":"Gemini"`},
			after: func(t *testing.T, e *apiEnv) {
				r := e.named(t, "Gemini")
				if r.State != governance.StatePending || r.RequesterID != idAlice {
					t.Fatalf("stored %+v", r)
				}
				e.audited(t, "request.created", r.ID)
				e.delivered(t, governance.EventRequestCreated, r.ID)
			}},
		{name: "submit: duplicate name", token: "alice", method: "POST", path: "/api/v1/requests", body: `{"templateId":"project","name":"gemini"}`, status: 409, contains: []string{"request_name_duplicate"}},
		{name: "submit: invalid fields", token: "alice", method: "POST", path: "/api/v1/requests", body: `{"templateId":"project","name":"Vega","fields":{"nope":"x"}}`, status: 400, contains: []string{"request_invalid"}},
		{name: "submit: hidden template", token: "alice", method: "POST", path: "/api/v1/requests", body: `{"templateId":"secret","name":"Orion"}`, status: 404, contains: []string{"template_not_found"}},
		{name: "submit: another tenant's template", token: "alice", method: "POST", path: "/api/v1/requests", body: `{"templateId":"fab","name":"Orion"}`, status: 404},
		{name: "submit: unknown field", token: "alice", method: "POST", path: "/api/v1/requests", body: `{"templateId":"project","name":"Orion","owner":"x"}`, status: 400, contains: []string{`\"owner\"`}},
		{name: "submit: key without requests:write", token: "apikey-read", method: "POST", path: "/api/v1/requests", body: `{"templateId":"open","name":"Orion"}`, status: 403, contains: []string{"scope_required"}},
		{name: "submit without credentials", method: "POST", path: "/api/v1/requests", body: `{"templateId":"open","name":"Orion"}`, status: 401, header: bearer},
		{name: "submit without approval is approved and queued", token: "alice", method: "POST", path: "/api/v1/requests", body: `{"templateId":"open","name":"Hermes"}`, status: 201,
			contains: []string{`"state":"approved"`},
			after: func(t *testing.T, e *apiEnv) {
				r := e.named(t, "Hermes")
				e.audited(t, "request.approved", r.ID)
				e.delivered(t, governance.EventRequestApproved, r.ID)
				e.provisioned(t, r.ID)
			}},

		// listRequests
		{name: "my requests", token: "alice", method: "GET", path: "/api/v1/requests", status: 200,
			contains: []string{"Apollo", "Zephyr", "Gemini", "Hermes", `"next":null`}, notContain: []string{"Fabrikam secret plan"}},
		{name: "my requests, paged", token: "alice", method: "GET", path: "/api/v1/requests?scope=mine&limit=1", status: 200, contains: []string{`"next":{"before":"`, `"beforeId":"req-`}},
		{name: "page cursor must be whole", token: "alice", method: "GET", path: "/api/v1/requests?beforeId=req-1", status: 400, contains: []string{"page_cursor_invalid"}},
		{name: "bad before", token: "alice", method: "GET", path: "/api/v1/requests?before=yesterday&beforeId=req-1", status: 400, contains: []string{"page_cursor_invalid"}},
		{name: "limit 0", token: "alice", method: "GET", path: "/api/v1/requests?limit=0", status: 400, contains: []string{"page_limit_invalid"}},
		{name: "limit 101", token: "alice", method: "GET", path: "/api/v1/requests?limit=101", status: 400, contains: []string{"page_limit_invalid"}},
		{name: "limit not a number", token: "alice", method: "GET", path: "/api/v1/requests?limit=ten", status: 400, contains: []string{"page_limit_invalid"}},
		{name: "unknown scope", token: "alice", method: "GET", path: "/api/v1/requests?scope=everything", status: 400, contains: []string{"scope_invalid"}},
		{name: "state filter needs scope all", token: "alice", method: "GET", path: "/api/v1/requests?state=pending", status: 400, contains: []string{"state_filter_invalid"}},
		{name: "approvals waiting for bob", token: "bob", method: "GET", path: "/api/v1/requests?scope=approvals", status: 200,
			contains: []string{"Apollo", "Zephyr", "Gemini"}, notContain: []string{"Hermes"}},
		{name: "no approvals for carol", token: "carol", method: "GET", path: "/api/v1/requests?scope=approvals", status: 200, contains: []string{`"items":[]`}},
		{name: "all requests need an administrator", token: "alice", method: "GET", path: "/api/v1/requests?scope=all", status: 403, contains: []string{"role_required"}},
		{name: "all approved requests", token: "admin", method: "GET", path: "/api/v1/requests?scope=all&state=approved", status: 200,
			contains: []string{"Hermes"}, notContain: []string{"Apollo", "Fabrikam"}},
		{name: "all requests in two states", token: "admin", method: "GET", path: "/api/v1/requests?scope=all&state=approved&state=pending", status: 200,
			contains: []string{"Hermes", "Apollo"}, notContain: []string{"Fabrikam"}},
		{name: "unknown state", token: "admin", method: "GET", path: "/api/v1/requests?scope=all&state=lost", status: 400, contains: []string{"request_state_invalid"}},
		{name: "key with requests:read lists all", token: "apikey-read", method: "GET", path: "/api/v1/requests?scope=all", status: 200, contains: []string{"Apollo"}, notContain: []string{"Fabrikam"}},
		{name: "another tenant's requests", token: "fabrikam-user", method: "GET", path: "/api/v1/requests", status: 200,
			contains: []string{"Fabrikam secret plan"}, notContain: []string{"Apollo", "Zephyr"}},
		{name: "list without credentials", method: "GET", path: "/api/v1/requests", status: 401, header: bearer},

		// getRequest
		{name: "requester reads", token: "alice", method: "GET", path: "/api/v1/requests/req-1", status: 200, contains: []string{`"displayName":"Apollo"`, `"version":1`}},
		{name: "approver reads", token: "bob", method: "GET", path: "/api/v1/requests/req-1", status: 200, contains: []string{"Apollo"}},
		{name: "administrator reads", token: "admin", method: "GET", path: "/api/v1/requests/req-1", status: 200, contains: []string{"Apollo"}},
		{name: "key reads", token: "apikey-read", method: "GET", path: "/api/v1/requests/req-1", status: 200, contains: []string{"Apollo"}},
		{name: "stranger gets 404", token: "carol", method: "GET", path: "/api/v1/requests/req-1", status: 404, contains: []string{"request_not_found"}, notContain: []string{"Apollo"}},
		{name: "other tenant gets 404", token: "fabrikam-user", method: "GET", path: "/api/v1/requests/req-1", status: 404, contains: []string{"request_not_found"}, notContain: []string{"Apollo"}},
		{name: "absent request", token: "alice", method: "GET", path: "/api/v1/requests/req-999", status: 404, contains: []string{"request_not_found"}},
		{name: "read without credentials", method: "GET", path: "/api/v1/requests/req-1", status: 401, header: bearer, notContain: []string{"Apollo"}},

		// decideRequest
		{name: "decision needs a version", token: "bob", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"approve":true}`, status: 400, contains: []string{"decision_invalid"}},
		{name: "decision needs a verdict", token: "bob", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"version":1}`, status: 400, contains: []string{"decision_invalid"}},
		{name: "stale version", token: "bob", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"approve":true,"version":7}`, status: 409, contains: []string{"request_version_conflict"}},
		{name: "own request", token: "alice", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"approve":true,"version":1}`, status: 403, contains: []string{"approval_own_request"}},
		{name: "a stranger cannot see it to decide", token: "carol", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"approve":true,"version":1}`, status: 404, contains: []string{"request_not_found"}, notContain: []string{"Apollo"}},
		{name: "other tenant decides", token: "fabrikam-user", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"approve":true,"version":1}`, status: 404, notContain: []string{"Apollo"}},
		{name: "key cannot decide", token: "apikey-read", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"approve":true,"version":1}`, status: 403},
		{name: "decision: unknown field", token: "bob", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"approve":true,"version":1,"stage":0}`, status: 400, contains: []string{"stage"}},
		{name: "approve", token: "bob", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"approve":true,"version":1,"comment":"go"}`, status: 200,
			contains: []string{`"state":"approved"`, `"comment":"go"`, `"version":2`},
			after: func(t *testing.T, e *apiEnv) {
				if r := e.request(t, "req-1"); r.State != governance.StateApproved || len(r.Decisions) != 1 {
					t.Fatalf("stored %+v", r)
				}
				e.audited(t, "request.stage_approved", "req-1")
				e.delivered(t, governance.EventRequestApproved, "req-1")
				e.provisioned(t, "req-1")
			}},
		{name: "decide twice", token: "bob", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"approve":false,"version":2}`, status: 409, contains: []string{"request_not_pending"}},
		{name: "reject", token: "bob", method: "POST", path: "/api/v1/requests/req-2/decision", body: `{"approve":false,"version":1,"comment":"no budget"}`, status: 200,
			contains: []string{`"state":"rejected"`},
			after:    func(t *testing.T, e *apiEnv) { e.delivered(t, governance.EventRequestRejected, "req-2") }},
		{name: "decide without credentials", method: "POST", path: "/api/v1/requests/req-1/decision", body: `{"approve":true,"version":2}`, status: 401, header: bearer},

		// cancelRequest
		{name: "cancel someone else's", token: "bob", method: "POST", path: "/api/v1/requests/req-4/cancel", body: `{}`, status: 403, contains: []string{"request_not_yours"}},
		{name: "cancel another tenant's", token: "fabrikam-user", method: "POST", path: "/api/v1/requests/req-4/cancel", body: `{}`, status: 404, notContain: []string{"Gemini"}},
		{name: "cancel: unknown field", token: "alice", method: "POST", path: "/api/v1/requests/req-4/cancel", body: `{"why":"x"}`, status: 400, contains: []string{"why"}},
		{name: "cancel", token: "alice", method: "POST", path: "/api/v1/requests/req-4/cancel", body: `{"reason":"merged with Apollo"}`, status: 200,
			contains: []string{`"state":"cancelled"`, "merged with Apollo"},
			after: func(t *testing.T, e *apiEnv) {
				r := e.request(t, "req-4")
				if r.State != governance.StateCancelled || len(r.Comments) != 1 {
					t.Fatalf("stored %+v", r)
				}
				e.audited(t, "request.cancelled", "req-4")
				e.delivered(t, governance.EventRequestCancelled, "req-4")
			}},
		{name: "cancel a final request", token: "alice", method: "POST", path: "/api/v1/requests/req-2/cancel", body: `{}`, status: 409, contains: []string{"request_state_conflict"}},
		{name: "cancel without credentials", method: "POST", path: "/api/v1/requests/req-2/cancel", body: `{}`, status: 401, header: bearer},

		// Outside the table of routes.
		{name: "unknown API route", token: "alice", method: "GET", path: "/api/v1/teams", status: 404, contains: []string{"route_not_found"}},
		{name: "unknown method", token: "alice", method: "DELETE", path: "/api/v1/requests/req-1", status: 404, contains: []string{"route_not_found"}},
	})
}
