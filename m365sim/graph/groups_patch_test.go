package graph

import (
	"strings"
	"testing"
)

// TestPatchGroup: PATCH /groups/{id} updates a group's names and
// visibility with 204, refuses a mailNickname another group holds (as on
// creation), read-only or unknown properties, and other tenants' groups.
func TestPatchGroup(t *testing.T) {
	e := newEnv(t, nil)
	mk := func(nick string) string {
		return e.do("POST", "/v1.0/groups", "app-a", map[string]any{"displayName": nick, "mailNickname": nick, "mailEnabled": true,
			"securityEnabled": false, "groupTypes": []string{"Unified"}, "owners@odata.bind": []string{userBind(alice.ID)}}).want(t, 201).str("id")
	}
	gid, other := mk("alpha"), mk("beta")
	tests := []struct {
		name, token string
		body        any
		status      int
		code, msg   string
	}{
		{"rename and alias", "app-a", map[string]any{"displayName": "Alpha Team", "mailNickname": "alpha-team", "visibility": "Private"}, 204, "", ""},
		{"alias taken", "app-a", map[string]any{"mailNickname": "beta"}, 400, "Request_BadRequest", "mailNickname already exists"},
		{"alias invalid", "app-a", map[string]any{"mailNickname": "a b"}, 400, "Request_BadRequest", "mailNickname"},
		{"read-only property", "app-a", map[string]any{"id": "x"}, 400, "Request_BadRequest", "'id'"},
		{"empty display name", "app-a", map[string]any{"displayName": " "}, 400, "Request_BadRequest", "displayName"},
		{"other tenant", "app-b", map[string]any{"displayName": "Mine now"}, 404, "Request_ResourceNotFound", ""},
		{"without permission", "app-weak", map[string]any{"displayName": "x"}, 403, "Authorization_RequestDenied", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PATCH", "/v1.0/groups/"+gid, tc.token, tc.body).want(t, tc.status, tc.code)
			if tc.msg != "" && !strings.Contains(r.errMessage(), tc.msg) {
				t.Errorf("message %q, want %q", r.errMessage(), tc.msg)
			}
		})
	}
	g := e.do("GET", "/v1.0/groups/"+gid, "app-a", nil).want(t, 200)
	if g.str("displayName") != "Alpha Team" || g.str("mailNickname") != "alpha-team" || g.str("visibility") != "Private" {
		t.Fatalf("after PATCH: %s", g.raw)
	}
	if e.do("GET", "/v1.0/groups/"+other, "app-a", nil).want(t, 200).str("mailNickname") != "beta" {
		t.Fatal("the other group changed")
	}
}
