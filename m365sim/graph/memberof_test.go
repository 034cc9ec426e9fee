package graph

import (
	"net/url"
	"slices"
	"testing"

	"github.com/stewardhq/steward/m365sim/directory"
)

func TestTransitiveMemberOf(t *testing.T) {
	e := newEnv(t, nil)
	admin := directory.User{ID: directory.GUID("dana"), DisplayName: "Dana Admin", UserPrincipalName: "dana@a.test", AccountEnabled: true,
		Roles: []string{"Teams Administrator", "Global Administrator", "Some Custom Role"}}
	must(t, e.dir.AddUser(tenantA, admin))
	sales, err := e.dir.CreateGroup(tenantA, directory.Group{ID: "aaaa0001-0000-4000-a000-000000000001", DisplayName: "Sales", MailNickname: "sales",
		SecurityEnabled: true, Members: []string{alice.ID, admin.ID}, Owners: []string{bob.ID}})
	must(t, err)
	eng, err := e.dir.CreateGroup(tenantA, directory.Group{ID: "aaaa0002-0000-4000-a000-000000000002", DisplayName: "Engineering", MailNickname: "eng",
		Members: []string{alice.ID}})
	must(t, err)
	sel := "?$select=" + url.QueryEscape("id,roleTemplateId")

	type entry struct{ typ, id, roleTemplateID string }
	tests := []struct {
		name   string
		token  string
		path   string
		status int
		code   string
		want   []entry
	}{
		{"member of two groups", "app-a", "/v1.0/users/" + alice.ID + "/transitiveMemberOf" + sel, 200, "",
			[]entry{{"#microsoft.graph.group", sales.ID, ""}, {"#microsoft.graph.group", eng.ID, ""}}},
		{"owner is not a member", "app-a", "/v1.0/users/" + bob.ID + "/transitiveMemberOf" + sel, 200, "", []entry{}},
		{"directory roles with template ids", "app-a", "/v1.0/users/" + admin.ID + "/transitiveMemberOf" + sel, 200, "", []entry{
			{"#microsoft.graph.group", sales.ID, ""},
			{"#microsoft.graph.directoryRole", "", "62e90394-69f5-4237-9190-012177145e10"},
			{"#microsoft.graph.directoryRole", "", "69091246-20e8-4a56-aa4d-066075b2a7a8"},
		}},
		{"by user principal name", "app-a", "/v1.0/users/alice@a.test/transitiveMemberOf" + sel, 200, "",
			[]entry{{"#microsoft.graph.group", sales.ID, ""}, {"#microsoft.graph.group", eng.ID, ""}}},
		{"unknown user", "app-a", "/v1.0/users/nobody@a.test/transitiveMemberOf", 404, "Request_ResourceNotFound", nil},
		{"another tenant's user", "app-b", "/v1.0/users/" + alice.ID + "/transitiveMemberOf", 404, "Request_ResourceNotFound", nil},
		{"without a group permission", "app-weak", "/v1.0/users/" + alice.ID + "/transitiveMemberOf", 403, "Authorization_RequestDenied", nil},
		{"unknown select", "app-a", "/v1.0/users/" + alice.ID + "/transitiveMemberOf?$select=nope", 400, "Request_BadRequest", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.path, tc.token, nil).want(t, tc.status, tc.code)
			if tc.status != 200 {
				return
			}
			got := []entry{}
			for _, v := range r.values() {
				typ, _ := v["@odata.type"].(string)
				id, _ := v["id"].(string)
				tpl, _ := v["roleTemplateId"].(string)
				if typ == "#microsoft.graph.directoryRole" {
					if id == "" || id == tpl {
						t.Errorf("directory role object id %q: want the tenant's own id", id)
					}
					id = ""
				}
				if _, has := v["displayName"]; has {
					t.Errorf("$select=id,roleTemplateId returned displayName: %v", v)
				}
				got = append(got, entry{typ, id, tpl})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("paged", func(t *testing.T) {
		r := e.do("GET", "/v1.0/users/"+admin.ID+"/transitiveMemberOf?$top=2", "app-a", nil).want(t, 200)
		if len(r.values()) != 2 || r.values()[0]["displayName"] != "Sales" {
			t.Fatalf("page 1 %s", r.raw)
		}
		next := r.str("@odata.nextLink")
		if next == "" {
			t.Fatalf("no nextLink: %s", r.raw)
		}
		r = e.do("GET", next, "app-a", nil).want(t, 200)
		if len(r.values()) != 1 || r.str("@odata.nextLink") != "" {
			t.Fatalf("page 2 %s", r.raw)
		}
	})
}
