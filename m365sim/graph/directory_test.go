package graph

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
)

func TestFramework(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name   string
		token  string
		path   string
		status int
		code   string
		msg    string
	}{
		{"no token", "", "/v1.0/users", 401, "InvalidAuthenticationToken", "Access token is empty."},
		{"unknown token", "forged", "/v1.0/users", 401, "InvalidAuthenticationToken", ""},
		{"wrong audience", "other", "/v1.0/users", 401, "InvalidAuthenticationToken", "Invalid audience"},
		{"missing permission", "app-weak", "/v1.0/groups", 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		{"unknown segment", "app-a", "/v1.0/nosuch", 400, "BadRequest", "nosuch"},
		{"method not allowed", "app-a", "/v1.0/users/x/$ref", 400, "BadRequest", ""},
		{"ok", "app-a", "/v1.0/users", 200, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.path, tc.token, nil, "client-request-id", "crid-"+tc.name)
			r.want(t, tc.status)
			if r.header.Get("request-id") == "" || r.header.Get("client-request-id") != "crid-"+tc.name {
				t.Errorf("headers request-id=%q client-request-id=%q", r.header.Get("request-id"), r.header.Get("client-request-id"))
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false") {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.code == "" {
				return
			}
			if r.errCode() != tc.code || !strings.Contains(r.errMessage(), tc.msg) {
				t.Errorf("error %s %q, want %s %q", r.errCode(), r.errMessage(), tc.code, tc.msg)
			}
			inner, _ := r.body["error"].(map[string]any)["innerError"].(map[string]any)
			if inner["request-id"] != r.header.Get("request-id") || inner["client-request-id"] != "crid-"+tc.name || inner["date"] == "" {
				t.Errorf("innerError %v", inner)
			}
		})
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name   string
		token  string
		path   string
		status int
		code   string
		ids    []string // expected value ids (list) or id (entity)
	}{
		{"list", "app-a", "/v1.0/users", 200, "", []string{alice.ID, bob.ID, carol.ID, guest.ID}},
		{"filter mail", "app-a", "/v1.0/users?$filter=" + url.QueryEscape("mail eq 'BOB@a.test'"), 200, "", []string{bob.ID}},
		{"filter upn", "app-a", "/v1.0/users?$filter=" + url.QueryEscape("userPrincipalName eq 'carol@a.test'"), 200, "", []string{carol.ID}},
		{"filter startswith", "app-a", "/v1.0/users?$filter=" + url.QueryEscape("startswith(displayName,'al')"), 200, "", []string{alice.ID}},
		{"unsupported filter", "app-a", "/v1.0/users?$filter=" + url.QueryEscape("jobTitle eq 'x'"), 400, "Request_UnsupportedQuery", nil},
		{"garbage filter", "app-a", "/v1.0/users?$filter=" + url.QueryEscape("a or b"), 400, "Request_UnsupportedQuery", nil},
		{"unknown select", "app-a", "/v1.0/users?$select=nope", 400, "Request_BadRequest", nil},
		{"top too big", "app-a", "/v1.0/users?$top=1000", 400, "Request_BadRequest", nil},
		{"get by id", "app-a", "/v1.0/users/" + bob.ID, 200, "", []string{bob.ID}},
		{"get by upn", "app-a", "/v1.0/users/Carol@a.test", 200, "", []string{carol.ID}},
		{"not found", "app-a", "/v1.0/users/nobody@a.test", 404, "Request_ResourceNotFound", nil},
		{"other tenant's user", "app-b", "/v1.0/users/" + alice.ID, 404, "Request_ResourceNotFound", nil},
		{"tenant B lists its own", "app-b", "/v1.0/users", 200, "", []string{zed.ID}},
		{"delegated without scope", "user-a", "/v1.0/users", 403, "Authorization_RequestDenied", nil},
		{"me, delegated", "user-a", "/v1.0/me", 200, "", []string{alice.ID}},
		{"me, app-only", "app-a", "/v1.0/me", 400, "BadRequest", nil},
		{"me, without User.Read", "app-weak", "/v1.0/me", 400, "BadRequest", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.path, tc.token, nil).want(t, tc.status, tc.code)
			if tc.status != 200 {
				return
			}
			if _, isList := r.body["value"]; isList {
				if !strings.HasSuffix(r.str("@odata.context"), "/v1.0/$metadata#users") {
					t.Errorf("@odata.context %q", r.str("@odata.context"))
				}
				var got []string
				for _, v := range r.values() {
					got = append(got, v["id"].(string))
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.ids) {
					t.Errorf("ids %v, want %v", got, tc.ids)
				}
			} else if r.str("id") != tc.ids[0] || r.str("userPrincipalName") == "" {
				t.Errorf("entity %s", r.raw)
			}
		})
	}
	t.Run("select and paging", func(t *testing.T) {
		r := e.do("GET", "/v1.0/users?$select=displayName,mail&$top=3", "app-a", nil).want(t, 200)
		vals := r.values()
		if len(vals) != 3 || len(vals[0]) != 3 || vals[0]["mail"] != "alice@a.test" {
			t.Fatalf("page 1 %s", r.raw)
		}
		next := r.str("@odata.nextLink")
		if !strings.Contains(next, "$skiptoken=") || !strings.Contains(next, "$select=") {
			t.Fatalf("nextLink %q", next)
		}
		r = e.do("GET", next, "app-a", nil).want(t, 200)
		if vals := r.values(); len(vals) != 1 || vals[0]["id"] != guest.ID || r.str("@odata.nextLink") != "" {
			t.Fatalf("page 2 %s", r.raw)
		}
	})
}

func TestGroups(t *testing.T) {
	e := newEnv(t, nil)
	create := map[string]any{
		"displayName": "Finance", "mailNickname": "finance", "mailEnabled": true, "securityEnabled": false,
		"groupTypes": []string{"Unified"}, "owners@odata.bind": []string{userBind(alice.ID)},
		"members@odata.bind": []string{"https://graph.microsoft.com/v1.0/directoryObjects/" + bob.ID},
	}
	r := e.do("POST", "/v1.0/groups", "app-a", create).want(t, 201)
	gid := r.str("id")
	if r.str("mailNickname") != "finance" || r.str("visibility") != "Public" || r.str("mail") != "finance@a.test" {
		t.Fatalf("created %s", r.raw)
	}
	ref := func(id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}
	}
	tests := []struct {
		name   string
		method string
		token  string
		path   string
		body   any
		status int
		code   string
		msg    string
	}{
		{"duplicate nickname", "POST", "app-a", "/v1.0/groups", create, 400, "Request_BadRequest", "Another object with the same value for property mailNickname already exists."},
		{"missing mailEnabled", "POST", "app-a", "/v1.0/groups", map[string]any{"displayName": "x", "mailNickname": "x", "securityEnabled": false}, 400, "Request_BadRequest", "mailEnabled"},
		{"create without permission", "POST", "app-weak", "/v1.0/groups", create, 403, "Authorization_RequestDenied", ""},
		{"get", "GET", "app-a", "/v1.0/groups/" + gid, nil, 200, "", ""},
		{"get from other tenant", "GET", "app-b", "/v1.0/groups/" + gid, nil, 404, "Request_ResourceNotFound", gid},
		{"filter nickname", "GET", "app-a", "/v1.0/groups?$filter=" + url.QueryEscape("mailNickname eq 'finance'"), nil, 200, "", ""},
		{"filter unsupported", "GET", "app-a", "/v1.0/groups?$filter=" + url.QueryEscape("classification eq 'x'"), nil, 400, "Request_UnsupportedQuery", ""},
		{"add member", "POST", "app-a", "/v1.0/groups/" + gid + "/members/$ref", ref(carol.ID), 204, "", ""},
		{"add member again", "POST", "app-a", "/v1.0/groups/" + gid + "/members/$ref", ref(carol.ID), 400, "Request_BadRequest",
			"One or more added object references already exist for the following modified properties: 'members'."},
		{"add owner", "POST", "app-a", "/v1.0/groups/" + gid + "/owners/$ref", ref(bob.ID), 204, "", ""},
		{"add other tenant's user", "POST", "app-a", "/v1.0/groups/" + gid + "/members/$ref", ref(zed.ID), 404, "Request_ResourceNotFound", ""},
		{"add to other tenant's group", "POST", "app-b", "/v1.0/groups/" + gid + "/members/$ref", ref(zed.ID), 404, "Request_ResourceNotFound", ""},
		{"remove member", "DELETE", "app-a", "/v1.0/groups/" + gid + "/members/" + carol.ID + "/$ref", nil, 204, "", ""},
		{"remove absent member", "DELETE", "app-a", "/v1.0/groups/" + gid + "/members/" + carol.ID + "/$ref", nil, 404, "Request_ResourceNotFound", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.token, tc.body).want(t, tc.status, tc.code)
			if tc.msg != "" && !strings.Contains(r.errMessage(), tc.msg) {
				t.Errorf("message %q, want %q", r.errMessage(), tc.msg)
			}
		})
	}
	t.Run("members and owners", func(t *testing.T) {
		members := e.do("GET", "/v1.0/groups/"+gid+"/members", "app-a", nil).want(t, 200).values()
		owners := e.do("GET", "/v1.0/groups/"+gid+"/owners", "app-a", nil).want(t, 200).values()
		if len(members) != 1 || members[0]["id"] != bob.ID || members[0]["@odata.type"] != "#microsoft.graph.user" {
			t.Errorf("members %v", members)
		}
		if len(owners) != 2 {
			t.Errorf("owners %v", owners)
		}
	})
	t.Run("delete", func(t *testing.T) {
		e.do("DELETE", "/v1.0/groups/"+gid, "app-b", nil).want(t, 404, "Request_ResourceNotFound")
		e.do("DELETE", "/v1.0/groups/"+gid, "app-a", nil).want(t, 204)
		e.do("GET", "/v1.0/groups/"+gid, "app-a", nil).want(t, 404, "Request_ResourceNotFound")
	})
}

func TestGroupsDelta(t *testing.T) {
	e := newEnv(t, nil)
	g1, err := e.dir.CreateGroup(tenantA, directory.Group{DisplayName: "One", MailNickname: "one", MailEnabled: true, GroupTypes: []string{"Unified"}, Members: []string{alice.ID}})
	must(t, err)
	e.clk.Advance(time.Second)
	g2, err := e.dir.CreateGroup(tenantA, directory.Group{DisplayName: "Two", MailNickname: "two", MailEnabled: true, GroupTypes: []string{"Unified"}})
	must(t, err)
	r := e.do("GET", "/v1.0/groups/delta?$select=displayName,members", "app-a", nil).want(t, 200)
	vals := r.values()
	if len(vals) != 2 || vals[0]["displayName"] != "One" || vals[0]["mailNickname"] != nil {
		t.Fatalf("initial round %s", r.raw)
	}
	if md, _ := vals[0]["members@delta"].([]any); len(md) != 1 {
		t.Fatalf("initial members@delta %v", vals[0])
	}
	delta := r.str("@odata.deltaLink")
	if !strings.Contains(delta, "$deltatoken=") {
		t.Fatalf("deltaLink %q", delta)
	}
	// Nothing changed: an empty round.
	r = e.do("GET", delta, "app-a", nil).want(t, 200)
	if len(r.values()) != 0 {
		t.Fatalf("empty round %s", r.raw)
	}
	delta = r.str("@odata.deltaLink")
	must(t, e.dir.AddMember(tenantA, g2.ID, bob.ID, false))
	must(t, e.dir.RemoveMember(tenantA, g1.ID, alice.ID, false))
	must(t, e.dir.DeleteGroup(tenantA, g1.ID))
	_, err = e.dir.CreateGroup(tenantB, directory.Group{DisplayName: "B", MailNickname: "b", MailEnabled: true})
	must(t, err)
	r = e.do("GET", delta, "app-a", nil).want(t, 200)
	vals = r.values()
	if len(vals) != 2 {
		t.Fatalf("changes round %s", r.raw)
	}
	byID := map[any]map[string]any{vals[0]["id"]: vals[0], vals[1]["id"]: vals[1]}
	if rm, _ := byID[g1.ID]["@removed"].(map[string]any); rm["reason"] != "changed" {
		t.Errorf("deleted group %v", byID[g1.ID])
	}
	md, _ := byID[g2.ID]["members@delta"].([]any)
	if len(md) != 1 || md[0].(map[string]any)["id"] != bob.ID || md[0].(map[string]any)["@removed"] != nil {
		t.Errorf("added member %v", byID[g2.ID])
	}
	// A removal is reported with @removed.
	must(t, e.dir.RemoveMember(tenantA, g2.ID, bob.ID, false))
	r = e.do("GET", r.str("@odata.deltaLink"), "app-a", nil).want(t, 200)
	md, _ = r.values()[0]["members@delta"].([]any)
	if len(md) != 1 || md[0].(map[string]any)["@removed"] == nil {
		t.Errorf("removed member %s", r.raw)
	}
	e.do("GET", "/v1.0/groups/delta?$deltatoken=garbage!", "app-a", nil).want(t, 400)
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("DELETE", "/v1.0/users", "app-a", nil).want(t, 405, "Request_BadRequest")
	if r.errMessage() != "Specified HTTP method is not allowed for the request target." {
		t.Errorf("message %q", r.errMessage())
	}
}
