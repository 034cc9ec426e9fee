package web

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

// TestAPIKeyScenarios covers API key management: list (never a secret),
// create (the key shown once, and usable), get and revoke, each error
// class, the audit rows, and that nobody mints a key reaching further than
// they do themselves.
func TestAPIKeyScenarios(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	bearer := map[string]string{"WWW-Authenticate": "Bearer"}
	key := "/api/v1/apikeys/" + e.keyID
	future := time.Now().Add(90 * 24 * time.Hour).UTC().Format(time.RFC3339)
	var plaintext, createdID string
	keysNamed := func(t *testing.T, tenant, name string) []governance.APIKey {
		t.Helper()
		all, err := e.db.APIKeys(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		var out []governance.APIKey
		for _, k := range all {
			if k.Name == name {
				out = append(out, k)
			}
		}
		return out
	}
	refused := func(name string) func(t *testing.T, e *apiEnv) {
		return func(t *testing.T, e *apiEnv) {
			if got := keysNamed(t, "contoso", name); len(got) != 0 {
				t.Fatalf("a refused create stored %+v", got)
			}
		}
	}
	runAPI(t, e, []apiScenario{
		// listAPIKeys
		{name: "list without credentials", method: "GET", path: "/api/v1/apikeys", status: 401, header: bearer},
		{name: "list as an end user", token: "alice", method: "GET", path: "/api/v1/apikeys", status: 403, contains: []string{"role_required"}},
		{name: "list as a catalog manager", token: "catalog", method: "GET", path: "/api/v1/apikeys", status: 403, contains: []string{"role_required"}},
		{name: "list with an API key", token: "apikey-hooks", method: "GET", path: "/api/v1/apikeys", status: 403, contains: []string{"api_key_not_allowed"}},
		{name: "list", token: "integrations", method: "GET", path: "/api/v1/apikeys", status: 200,
			contains:   []string{`"id":"` + e.keyID + `"`, `"prefix":"stw_contoso_` + e.keyID + `"`, `"state":"active"`, `"scopes":["webhooks:manage"]`, `"lastUsedAt":null`, `"expiresAt":null`},
			notContain: []string{"hash", `"key":`}},
		{name: "another tenant's list", token: "fabrikam-admin", method: "GET", path: "/api/v1/apikeys", status: 200, contains: []string{`"items":[]`}, notContain: []string{e.keyID}},

		// createAPIKey
		{name: "create without credentials", method: "POST", path: "/api/v1/apikeys", body: `{"name":"x","scopes":["webhooks:manage"]}`, status: 401, header: bearer},
		{name: "create as an approver", token: "approver", method: "POST", path: "/api/v1/apikeys", body: `{"name":"Approver key","scopes":["requests:write"]}`, status: 403,
			contains: []string{"role_required"}, after: refused("Approver key")},
		{name: "create with an API key", token: "apikey-hooks", method: "POST", path: "/api/v1/apikeys", body: `{"name":"Key key","scopes":["webhooks:manage"]}`, status: 403,
			contains: []string{"api_key_not_allowed"}, after: refused("Key key")},
		{name: "an integration manager cannot mint audit:read", token: "integrations", method: "POST", path: "/api/v1/apikeys",
			body: `{"name":"Escalation","scopes":["webhooks:manage","audit:read"]}`, status: 403,
			contains: []string{"api_key_scope_not_grantable", "audit:read", "administrator"}, after: refused("Escalation")},
		{name: "an integration manager cannot mint requests:read", token: "integrations", method: "POST", path: "/api/v1/apikeys",
			body: `{"name":"Escalation","scopes":["requests:read"]}`, status: 403, contains: []string{"api_key_scope_not_grantable"}},
		{name: "an integration manager cannot mint templates:write", token: "integrations", method: "POST", path: "/api/v1/apikeys",
			body: `{"name":"Escalation","scopes":["templates:write"]}`, status: 403, contains: []string{"api_key_scope_not_grantable", "catalog_manager"}},
		{name: "create: not grantable, in French", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":"Escalation","scopes":["audit:read"]}`,
			reqHeader: map[string]string{"Accept-Language": "fr"}, status: 403, contains: []string{"api_key_scope_not_grantable", "vous ne pouvez pas"}},
		{name: "create: no scopes", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":"x"}`, status: 400, contains: []string{"api_key_scopes_invalid", "at least one scope"}},
		{name: "create: unknown scope", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":"x","scopes":["admin"]}`, status: 400,
			contains: []string{"api_key_scopes_invalid", `\"admin\"`}},
		{name: "create: a scope twice", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":"x","scopes":["webhooks:manage","webhooks:manage"]}`, status: 400,
			contains: []string{"api_key_scopes_invalid", "twice"}},
		{name: "create: name not a string", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":7,"scopes":["webhooks:manage"]}`, status: 400,
			contains: []string{"body_field_invalid", `\"name\" must be a JSON string`}},
		{name: "create: no name", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":"","scopes":["webhooks:manage"]}`, status: 400,
			contains: []string{"api_key_name_invalid"}},
		{name: "create: expired already", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":"Old","scopes":["webhooks:manage"],"expiresAt":"2020-01-01T00:00:00Z"}`, status: 400,
			contains: []string{"api_key_expiry_invalid"}, after: refused("Old")},
		{name: "create: expiry not a date", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":"x","scopes":["webhooks:manage"],"expiresAt":"in 90 days"}`, status: 400,
			contains: []string{"body_field_invalid", "RFC 3339"}},
		{name: "create: expiry not a string", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":"x","scopes":["webhooks:manage"],"expiresAt":90}`, status: 400,
			contains: []string{"body_field_invalid", "RFC 3339"}},
		{name: "create: unknown field", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":"x","scopes":["webhooks:manage"],"tenantId":"fabrikam"}`, status: 400,
			contains: []string{"body_unknown_field", "tenantId"}},
		{name: "create: too large", token: "integrations", method: "POST", path: "/api/v1/apikeys", body: `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, status: 413,
			contains: []string{"body_too_large"}},
		{name: "create", token: "integrations", method: "POST", path: "/api/v1/apikeys",
			body: `{"name":"Zapier: new requests","scopes":["webhooks:manage","requests:write"],"expiresAt":"` + future + `"}`, status: 201,
			header:   map[string]string{"Location": "/api/v1/apikeys/"},
			contains: []string{`"key":"stw_contoso_`, `"state":"active"`, `"createdBy":"` + idIntegr + `"`, `"expiresAt":"` + future + `"`},
			check: func(t *testing.T, e *apiEnv, body string) {
				var v CreatedAPIKey
				if err := json.Unmarshal([]byte(body), &v); err != nil {
					t.Fatal(err)
				}
				plaintext, createdID = v.Key, v.ID
				if !strings.HasPrefix(v.Key, v.Prefix+"_") {
					t.Fatalf("key %q does not start with its prefix %q", v.Key, v.Prefix)
				}
				// The key shown is the key that works, with the scopes asked for.
				p, err := e.db.AuthenticateAPIKey(ctx, e.pepper, v.Key, time.Now())
				if err != nil || p.TenantID != "contoso" || p.ID != v.ID || !slices.Equal(p.Scopes, []string{governance.ScopeWebhooksManage, governance.ScopeRequestsWrite}) {
					t.Fatalf("the new key authenticates as %+v, %v", p, err)
				}
				e.audited(t, "api_key.created", v.ID)
			}},
		{name: "an administrator may mint audit:read", token: "admin", method: "POST", path: "/api/v1/apikeys", body: `{"name":"SIEM","scopes":["audit:read","requests:read"]}`, status: 201,
			contains: []string{`"scopes":["audit:read","requests:read"]`, `"expiresAt":null`}},
		{name: "another tenant creates in its own tenant", token: "fabrikam-admin", method: "POST", path: "/api/v1/apikeys", body: `{"name":"Fabrikam","scopes":["audit:read"]}`, status: 201,
			contains: []string{`"key":"stw_fabrikam_`}},
	})

	runAPI(t, e, []apiScenario{
		{name: "the list never shows a key again", token: "integrations", method: "GET", path: "/api/v1/apikeys", status: 200,
			contains: []string{createdID, "Zapier: new requests", "SIEM"}, notContain: []string{plaintext[len(plaintext)-43:], `"key":`, "Fabrikam"}},

		// getAPIKey
		{name: "get", token: "integrations", method: "GET", path: "/api/v1/apikeys/" + createdID, status: 200,
			contains: []string{`"name":"Zapier: new requests"`, `"state":"active"`}, notContain: []string{plaintext[len(plaintext)-43:]}},
		{name: "get as an end user", token: "carol", method: "GET", path: key, status: 403},
		{name: "get with an API key", token: "apikey-write", method: "GET", path: key, status: 403, contains: []string{"api_key_not_allowed"}},
		{name: "get another tenant's", token: "fabrikam-admin", method: "GET", path: key, status: 404, contains: []string{"api_key_not_found"}, notContain: []string{"stw_contoso"}},
		{name: "get an absent key", token: "integrations", method: "GET", path: "/api/v1/apikeys/Zz9Zz9Zz", status: 404, contains: []string{"api_key_not_found"}},

		// revokeAPIKey
		{name: "revoke without credentials", method: "POST", path: key + "/revoke", status: 401, header: bearer},
		{name: "revoke as an approver", token: "approver", method: "POST", path: key + "/revoke", status: 403},
		{name: "a key cannot revoke keys", token: "apikey-hooks", method: "POST", path: key + "/revoke", status: 403, contains: []string{"api_key_not_allowed"}},
		{name: "revoke another tenant's", token: "fabrikam-admin", method: "POST", path: key + "/revoke", status: 404,
			after: func(t *testing.T, e *apiEnv) {
				if k, err := e.db.APIKey(ctx, "contoso", e.keyID); err != nil || !k.RevokedAt.IsZero() {
					t.Fatalf("another tenant revoked it: %+v, %v", k, err)
				}
			}},
		{name: "revoke an absent key", token: "integrations", method: "POST", path: "/api/v1/apikeys/Zz9Zz9Zz/revoke", status: 404, contains: []string{"api_key_not_found"}},
		{name: "revoke", token: "integrations", method: "POST", path: "/api/v1/apikeys/" + createdID + "/revoke", status: 200,
			contains: []string{`"state":"revoked"`, `"revokedAt":"`},
			after: func(t *testing.T, e *apiEnv) {
				_, err := e.db.AuthenticateAPIKey(ctx, e.pepper, plaintext, time.Now())
				if code, _ := governance.Public(err); code != "api_key_revoked" {
					t.Fatalf("the revoked key: %v", err)
				}
				e.audited(t, "api_key.revoked", createdID)
			}},
		{name: "revoke twice", token: "admin", method: "POST", path: "/api/v1/apikeys/" + createdID + "/revoke", status: 200, contains: []string{`"state":"revoked"`}},
	})

	// Every change is audited once, by who made it, without a secret.
	chain, err := e.db.AuditChain(ctx, "contoso", 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range chain {
		if strings.HasPrefix(a.Action, "api_key.") && a.SubjectID == createdID {
			actions = append(actions, a.Action)
			if a.Actor.ID != idIntegr || strings.Contains(string(a.Before)+string(a.After), plaintext[len(plaintext)-43:]) {
				t.Fatalf("audit event %+v", a)
			}
		}
	}
	if !slices.Equal(actions, []string{"api_key.created", "api_key.revoked"}) {
		t.Fatalf("audit actions of the key: %v", actions)
	}
}
