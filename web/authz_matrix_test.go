package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// matrixPrincipals are the columns of the authorization matrix: nobody,
// each role of the tenant (alice made req-1, bob approves it, carol has no
// part in it), another tenant's administrator, and API keys with read and
// write scopes.
var matrixPrincipals = []string{"", "alice", "bob", "carol", "catalog", "integrations", "admin", "fabrikam-admin", "apikey-read", "apikey-write"}

// matrixRow is one route with the status each principal must get.
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
	return []matrixRow{
		{"GET", "GET /api/v1/openapi.json", "/api/v1/openapi.json", "", false, expect(200, map[string]int{"": 200})},
		{"GET", "GET /api/v1/catalog", "/api/v1/catalog", "", false, expect(200, map[string]int{"apikey-read": 403})},
		{"GET", "GET /api/v1/catalog/{templateId}", "/api/v1/catalog/project", "", false,
			expect(200, map[string]int{"fabrikam-admin": 404, "apikey-read": 403})},
		{"POST", "POST /api/v1/catalog/{templateId}/name-preview", "/api/v1/catalog/project/name-preview", `{"name":"Matrix"}`, false,
			expect(200, map[string]int{"fabrikam-admin": 404, "apikey-read": 403})},
		{"POST", "POST /api/v1/requests", "/api/v1/requests", submit, true,
			expect(201, map[string]int{"fabrikam-admin": 404, "apikey-read": 403})},
		{"GET", "GET /api/v1/requests", "/api/v1/requests?scope=mine", "", false, expect(200, nil)},
		{"GET", "GET /api/v1/requests/{requestId}", "/api/v1/requests/req-1", "", false,
			expect(404, map[string]int{"alice": 200, "bob": 200, "admin": 200, "apikey-read": 200, "apikey-write": 200})},
		{"POST", "POST /api/v1/requests/{requestId}/decision", "/api/v1/requests/req-1/decision", `{"approve":true,"version":1}`, true,
			expect(404, map[string]int{"alice": 403, "bob": 200, "admin": 403, "apikey-read": 403, "apikey-write": 403})},
		{"POST", "POST /api/v1/requests/{requestId}/cancel", "/api/v1/requests/req-1/cancel", `{}`, true,
			expect(404, map[string]int{"alice": 200, "bob": 403, "admin": 200, "apikey-read": 403, "apikey-write": 403})},
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
					e = newAPIEnv(t)
				}
				var body *strings.Reader
				if row.body != "" {
					body = strings.NewReader(row.body)
				} else {
					body = strings.NewReader("")
				}
				req := httptest.NewRequest(row.method, row.path, body)
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
					for _, leak := range []string{"Apollo", "Zephyr", "Project code", "Open community"} { // the request id they sent may be echoed
						if strings.Contains(resp, leak) && row.pattern != "GET /api/v1/openapi.json" {
							t.Fatalf("another tenant sees %q: %s", leak, resp)
						}
					}
				}
			})
		}
	}
}
