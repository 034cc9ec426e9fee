package trust

import (
	"slices"
	"strings"
	"testing"
)

func TestGraphPermissionsAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range GraphPermissions() {
		key := p.Type + " " + p.Name
		switch {
		case seen[key]:
			t.Errorf("%s is listed twice", key)
		case p.Type != Application && p.Type != Delegated:
			t.Errorf("%s: type", key)
		case p.Justification == "" || len(p.Features) == 0:
			t.Errorf("%s: needs a justification and the features that use it", key)
		case p.Type == Application && len(p.Calls) == 0:
			t.Errorf("%s: an application permission names the calls that need it", key)
		case strings.HasPrefix(p.Name, "Directory."):
			t.Errorf("%s: Directory.* is never the least privileged choice for Steward's calls", key)
		}
		seen[key] = true
		for _, c := range p.Calls {
			m, path, ok := strings.Cut(c, " ")
			if !ok || !slices.Contains([]string{"GET", "POST", "PATCH", "PUT", "DELETE"}, m) || !strings.HasPrefix(path, "/") {
				t.Errorf("%s: call %q is not METHOD /path", key, c)
			}
		}
	}
	for _, name := range []string{"openid", "profile", "offline_access", "User.Read"} {
		if !seen["Delegated "+name] {
			t.Errorf("the sign-in scope %s is missing", name)
		}
	}
	apps := ApplicationPermissionNames()
	if !slices.IsSorted(apps) || len(apps) != 11 {
		t.Fatalf("application permissions %v", apps)
	}
}

func TestCoveringPermissions(t *testing.T) {
	tests := []struct {
		method, path string
		want         []string
	}{
		{"POST", "/teams", []string{"Team.Create"}},
		{"GET", "/teams/abc", []string{"TeamSettings.ReadWrite.All"}},
		{"GET", "/teams/abc/operations/op%201?x=1", []string{"TeamSettings.ReadWrite.All"}},
		{"POST", "/teams/abc/members/add", []string{"TeamMember.ReadWrite.All"}},
		{"get", "/users/u1/transitiveMemberOf", []string{"User.Read.All", "RoleManagement.Read.Directory"}},
		{"GET", "/groups", []string{"Group.ReadWrite.All"}},
		{"GET", "/groups/delta", []string{"Group.ReadWrite.All"}},
		{"PUT", "/groups/g1/photo/$value", []string{"Group.ReadWrite.All"}},
		{"DELETE", "/teams/abc/channels/c1", nil},
		{"POST", "/teams/abc/channels/c1/messages", nil},
		{"GET", "/teams//channels", nil},
		{"GET", "/users", nil},
	}
	for _, tt := range tests {
		if got := CoveringPermissions(tt.method, tt.path); !slices.Equal(got, tt.want) {
			t.Errorf("CoveringPermissions(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestDataInventory(t *testing.T) {
	inv := DataInventory([]StoredTable{
		{Table: "template_versions", Category: "templates"},
		{Table: "templates", Category: "templates"},
		{Table: "mystery", Category: "new-kind"},
	})
	keys := map[string]DataCategory{}
	for _, c := range inv {
		keys[c.Key] = c
		if c.Title == "" || c.Accessed == "" || c.Cached == "" || c.Stored == nil {
			t.Errorf("category %s is incomplete: %+v", c.Key, c)
		}
	}
	if tpl := keys["templates"].Stored; len(tpl) != 2 || tpl[0].Table != "template_versions" || tpl[1].Table != "templates" {
		t.Fatalf("templates: %+v", tpl)
	}
	if m := keys["new-kind"]; len(m.Stored) != 1 || m.Title != "new-kind" {
		t.Fatalf("a table of an unknown category was dropped: %+v", m)
	}
	for _, k := range []string{"team-requests", "templates", "audit-trail", "managed-teams", "directory", "bot-conversations",
		"crm-records", "api-keys", "webhooks", "app-credentials", "sessions", "tenants", "roles", "provisioning-state"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("category %s is missing", k)
		}
	}
}
