package graph

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
)

func TestCreateTeamLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	e.g.AddCatalogApp("steward-app", "Steward")
	body := map[string]any{
		"template@odata.bind": standardTemplate,
		"displayName":         "Launch Team",
		"description":         "Ships the launch",
		"visibility":          "Private",
		"memberSettings":      map[string]any{"allowCreateUpdateChannels": false},
		"funSettings":         map[string]any{"allowGiphy": false, "giphyContentRating": "strict"},
		"members":             []any{owner(alice.ID), member(bob.ID)},
		"installedApps":       []any{map[string]any{"teamsApp@odata.bind": appBind("steward-app")}},
		"channels": []any{map[string]any{
			"displayName": "Announcements", "isFavoriteByDefault": true,
			"tabs": []any{map[string]any{"displayName": "Steward", "teamsApp@odata.bind": appBind("steward-app"),
				"configuration": map[string]any{"entityId": "e1", "contentUrl": "https://steward.test/tab", "websiteUrl": "https://steward.test", "removeUrl": "https://steward.test/remove"}}},
		}},
	}
	r := e.do("POST", "/v1.0/teams", "app-a", body).want(t, 202)
	if len(r.raw) != 0 {
		t.Errorf("202 body %q, want empty", r.raw)
	}
	loc, cloc := r.header.Get("Location"), r.header.Get("Content-Location")
	m := regexp.MustCompile(`^/teams\('([0-9a-f-]{36})'\)/operations\('([0-9a-f-]{36})'\)$`).FindStringSubmatch(loc)
	if m == nil || cloc != "/teams('"+m[1]+"')" {
		t.Fatalf("Location %q Content-Location %q", loc, cloc)
	}
	teamID := m[1]

	// The group exists at once; the team does not until the operation ends.
	gr := e.do("GET", "/v1.0/groups/"+teamID, "app-a", nil).want(t, 200)
	if gr.str("visibility") != "Private" || fmt.Sprint(gr.body["groupTypes"]) != "[Unified]" {
		t.Errorf("group %s", gr.raw)
	}
	e.do("GET", "/v1.0/teams/"+teamID, "app-a", nil).want(t, 404, "NotFound")
	op := e.do("GET", "/v1.0"+loc, "app-a", nil).want(t, 200)
	if op.str("status") != "notStarted" || op.str("operationType") != "createTeam" || op.str("targetResourceId") != teamID ||
		op.str("targetResourceLocation") != "/teams('"+teamID+"')" || op.body["attemptsCount"] != 1.0 {
		t.Fatalf("operation %s", op.raw)
	}
	e.clk.Advance(2 * time.Second)
	if st := e.do("GET", "/v1.0"+loc, "app-a", nil).want(t, 200).str("status"); st != "inProgress" {
		t.Fatalf("status after 2s %q", st)
	}
	e.do("GET", "/v1.0/teams/"+teamID, "app-a", nil).want(t, 404, "NotFound")
	e.clk.Advance(3 * time.Second)
	op = e.do("GET", "/v1.0/teams/"+teamID+"/operations/"+m[2], "app-a", nil).want(t, 200)
	if op.str("status") != "succeeded" {
		t.Fatalf("operation after delay %s", op.raw)
	}
	e.do("GET", "/v1.0/teams/"+teamID+"/operations/"+m[2], "app-b", nil).want(t, 404)

	tm := e.do("GET", "/v1.0/teams/"+teamID, "app-a", nil).want(t, 200)
	ms, _ := tm.body["memberSettings"].(map[string]any)
	fs, _ := tm.body["funSettings"].(map[string]any)
	if tm.str("displayName") != "Launch Team" || tm.str("visibility") != "private" || tm.body["isArchived"] != false ||
		ms["allowCreateUpdateChannels"] != false || ms["allowDeleteChannels"] != true || fs["giphyContentRating"] != "strict" ||
		!strings.HasPrefix(tm.str("internalId"), "19:") {
		t.Fatalf("team %s", tm.raw)
	}
	gr = e.do("GET", "/v1.0/groups?$filter="+url.QueryEscape("resourceProvisioningOptions/Any(x:x eq 'Team')"), "app-a", nil).want(t, 200)
	if v := gr.values(); len(v) != 1 || v[0]["id"] != teamID {
		t.Errorf("team groups %s", gr.raw)
	}
	e.do("GET", "/v1.0/teams/"+teamID, "app-b", nil).want(t, 404, "NotFound")

	chans := e.do("GET", "/v1.0/teams/"+teamID+"/channels", "app-a", nil).want(t, 200).values()
	if len(chans) != 2 || chans[0]["displayName"] != "General" || chans[1]["displayName"] != "Announcements" {
		t.Fatalf("channels %v", chans)
	}
	idRe := regexp.MustCompile(`^19:[0-9a-f]{32}@thread\.tacv2$`)
	for _, c := range chans {
		if !idRe.MatchString(c["id"].(string)) || c["membershipType"] != "standard" {
			t.Errorf("channel %v", c)
		}
	}
	primary := e.do("GET", "/v1.0/teams/"+teamID+"/primaryChannel", "app-a", nil).want(t, 200)
	if primary.str("id") != chans[0]["id"] || primary.str("id") != tm.str("internalId") {
		t.Errorf("primary %s", primary.raw)
	}
	tabs := e.do("GET", "/v1.0/teams/"+teamID+"/channels/"+chans[1]["id"].(string)+"/tabs?$expand=teamsApp", "app-a", nil).want(t, 200).values()
	if len(tabs) != 1 || tabs[0]["configuration"].(map[string]any)["contentUrl"] != "https://steward.test/tab" ||
		tabs[0]["teamsApp"].(map[string]any)["id"] != "steward-app" {
		t.Errorf("tabs %v", tabs)
	}
	apps := e.do("GET", "/v1.0/teams/"+teamID+"/installedApps?$expand=teamsApp", "app-a", nil).want(t, 200).values()
	var appIDs []string
	for _, a := range apps {
		appIDs = append(appIDs, a["teamsApp"].(map[string]any)["id"].(string))
	}
	if !slices.Contains(appIDs, "steward-app") || !slices.Contains(appIDs, "com.microsoft.teamspace.tab.web") {
		t.Errorf("installed apps %v", appIDs)
	}
	members := e.do("GET", "/v1.0/teams/"+teamID+"/members", "app-a", nil).want(t, 200).values()
	if len(members) != 2 || members[0]["userId"] != alice.ID || fmt.Sprint(members[0]["roles"]) != "[owner]" ||
		members[1]["userId"] != bob.ID || fmt.Sprint(members[1]["roles"]) != "[]" ||
		members[0]["@odata.type"] != "#microsoft.graph.aadUserConversationMember" || members[0]["email"] != "alice@a.test" {
		t.Errorf("members %v", members)
	}
}

func TestCreateTeamErrors(t *testing.T) {
	e := newEnv(t, nil)
	base := func(mod func(map[string]any)) map[string]any {
		b := map[string]any{"template@odata.bind": standardTemplate, "displayName": "X", "members": []any{owner(alice.ID)}}
		mod(b)
		return b
	}
	tests := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		code   string
	}{
		{"no template", "app-a", base(func(b map[string]any) { delete(b, "template@odata.bind") }), 400, "BadRequest"},
		{"unknown template", "app-a", base(func(b map[string]any) {
			b["template@odata.bind"] = "https://graph.microsoft.com/v1.0/teamsTemplates('nope')"
		}), 400, "BadRequest"},
		{"app-only without owner", "app-a", base(func(b map[string]any) { b["members"] = []any{member(bob.ID)} }), 400, "BadRequest"},
		{"unknown user", "app-a", base(func(b map[string]any) { b["members"] = []any{owner(zed.ID)} }), 404, "NotFound"},
		{"unknown setting", "app-a", base(func(b map[string]any) { b["memberSettings"] = map[string]any{"allowNothing": true} }), 400, "BadRequest"},
		{"tab of app not installed", "app-a", base(func(b map[string]any) {
			b["channels"] = []any{map[string]any{"displayName": "C", "tabs": []any{map[string]any{"displayName": "T", "teamsApp@odata.bind": appBind("missing")}}}}
		}), 400, "BadRequest"},
		{"no permission", "app-weak", base(func(map[string]any) {}), 403, "Forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.do("POST", "/v1.0/teams", tc.token, tc.body).want(t, tc.status, tc.code)
		})
	}
	// No failed request left a group behind.
	if v := e.do("GET", "/v1.0/groups", "app-a", nil).want(t, 200).values(); len(v) != 0 {
		t.Errorf("groups left behind: %v", v)
	}
}

func TestPutGroupTeamReplicationDelay(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("POST", "/v1.0/groups", "app-a", map[string]any{
		"displayName": "Ops", "mailNickname": "ops", "mailEnabled": true, "securityEnabled": false,
		"groupTypes": []string{"Unified"}, "owners@odata.bind": []string{userBind(alice.ID)},
	}).want(t, 201)
	gid := r.str("id")
	settings := map[string]any{"memberSettings": map[string]any{"allowCreatePrivateChannels": false}}
	e.do("PUT", "/v1.0/groups/"+gid+"/team", "app-a", settings).want(t, 404, "NotFound")
	e.clk.Advance(29 * time.Second)
	e.do("PUT", "/v1.0/groups/"+gid+"/team", "app-a", settings).want(t, 404, "NotFound")
	e.clk.Advance(time.Second)
	tm := e.do("PUT", "/v1.0/groups/"+gid+"/team", "app-a", settings).want(t, 201)
	if tm.str("id") != gid || tm.body["memberSettings"].(map[string]any)["allowCreatePrivateChannels"] != false {
		t.Fatalf("team %s", tm.raw)
	}
	e.do("GET", "/v1.0/teams/"+gid, "app-a", nil).want(t, 200)
	e.do("PUT", "/v1.0/groups/"+gid+"/team", "app-a", settings).want(t, 409)
	e.do("PUT", "/v1.0/groups/"+gid+"/team", "app-b", settings).want(t, 404, "Request_ResourceNotFound")
}

func TestChannelsTabsApps(t *testing.T) {
	e := newEnv(t, nil)
	e.g.AddCatalogApp("steward-app", "Steward")
	id := e.createTeam("Channels", nil)
	base := "/v1.0/teams/" + id
	r := e.do("POST", base+"/channels", "app-a", map[string]any{"displayName": "Design", "description": "d", "membershipType": "standard"}).want(t, 201)
	cid := r.str("id")
	tabBody := map[string]any{"displayName": "Steward", "teamsApp@odata.bind": appBind("steward-app"),
		"configuration": map[string]any{"entityId": "x", "contentUrl": "https://s.test/c", "websiteUrl": "https://s.test/w", "removeUrl": "https://s.test/r"}}
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
		{"duplicate channel", "POST", "app-a", base + "/channels", map[string]any{"displayName": "design"}, 400, "NameAlreadyExists", "Channel name already existed"},
		{"private without owner", "POST", "app-a", base + "/channels", map[string]any{"displayName": "Secret", "membershipType": "private", "members": []any{member(bob.ID)}}, 400, "BadRequest", ""},
		{"private with owner", "POST", "app-a", base + "/channels", map[string]any{"displayName": "Secret", "membershipType": "private", "members": []any{owner(alice.ID)}}, 201, "", ""},
		{"channel without permission", "POST", "app-weak", base + "/channels", map[string]any{"displayName": "Nope"}, 403, "Forbidden", "Channel.Create"},
		{"get channel", "GET", "app-a", base + "/channels/" + cid, nil, 200, "", ""},
		{"get unknown channel", "GET", "app-a", base + "/channels/19:nope@thread.tacv2", nil, 404, "NotFound", ""},
		{"tab before install", "POST", "app-a", base + "/channels/" + cid + "/tabs", tabBody, 400, "BadRequest", "needs to be installed to the team"},
		{"install unknown app", "POST", "app-a", base + "/installedApps", map[string]any{"teamsApp@odata.bind": appBind("nope")}, 404, "NotFound", ""},
		{"install app", "POST", "app-a", base + "/installedApps", map[string]any{"teamsApp@odata.bind": appBind("steward-app")}, 200, "", ""},
		{"install app twice", "POST", "app-a", base + "/installedApps", map[string]any{"teamsApp@odata.bind": appBind("steward-app")}, 409, "Conflict", ""},
		{"tab after install", "POST", "app-a", base + "/channels/" + cid + "/tabs", tabBody, 201, "", ""},
		{"website tab (built-in)", "POST", "app-a", base + "/channels/" + cid + "/tabs", map[string]any{"displayName": "Site", "teamsApp@odata.bind": appBind("com.microsoft.teamspace.tab.web"),
			"configuration": map[string]any{"contentUrl": "https://x.test", "websiteUrl": "https://x.test"}}, 201, "", ""},
		{"other tenant", "GET", "app-b", base + "/channels", nil, 404, "NotFound", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.token, tc.body).want(t, tc.status, tc.code)
			if tc.msg != "" && !strings.Contains(r.errMessage(), tc.msg) {
				t.Errorf("message %q, want %q", r.errMessage(), tc.msg)
			}
		})
	}
	tabs := e.do("GET", base+"/channels/"+cid+"/tabs", "app-a", nil).want(t, 200).values()
	if len(tabs) != 2 || tabs[0]["displayName"] != "Steward" || tabs[0]["webUrl"] != "https://s.test/w" {
		t.Errorf("tabs %v", tabs)
	}
}

func TestPatchArchiveClone(t *testing.T) {
	e := newEnv(t, nil)
	id := e.createTeam("Source", map[string]any{"members": []any{owner(alice.ID), member(bob.ID)}})
	base := "/v1.0/teams/" + id
	e.do("PATCH", base, "app-a", map[string]any{"funSettings": map[string]any{"allowGiphy": false}, "displayName": "Renamed"}).want(t, 204)
	e.do("PATCH", base, "app-a", map[string]any{"bogus": 1}).want(t, 400, "BadRequest")
	tm := e.do("GET", base, "app-a", nil).want(t, 200)
	if tm.str("displayName") != "Renamed" || tm.body["funSettings"].(map[string]any)["allowGiphy"] != false {
		t.Fatalf("patched %s", tm.raw)
	}
	e.do("POST", base+"/channels", "app-a", map[string]any{"displayName": "Extra"}).want(t, 201)

	r := e.do("POST", base+"/archive", "app-a", map[string]any{"shouldSetSpoSiteReadOnlyForMembers": true}).want(t, 202)
	opLoc := r.header.Get("Location")
	if !strings.HasPrefix(opLoc, "/teams('"+id+"')/operations('") {
		t.Fatalf("archive Location %q", opLoc)
	}
	if e.do("GET", base, "app-a", nil).want(t, 200).body["isArchived"] != false {
		t.Error("archived before the operation finished")
	}
	e.clk.Advance(5 * time.Second)
	if op := e.do("GET", "/v1.0"+opLoc, "app-a", nil).want(t, 200); op.str("operationType") != "archiveTeam" || op.str("status") != "succeeded" {
		t.Errorf("archive op %s", op.raw)
	}
	if e.do("GET", base, "app-a", nil).want(t, 200).body["isArchived"] != true {
		t.Error("not archived after the operation")
	}
	e.do("POST", base+"/unarchive", "app-a", nil).want(t, 202)
	e.clk.Advance(5 * time.Second)
	if e.do("GET", base, "app-a", nil).want(t, 200).body["isArchived"] != false {
		t.Error("still archived after unarchive")
	}

	e.do("POST", base+"/clone", "app-a", map[string]any{"displayName": "Copy"}).want(t, 400, "BadRequest")
	r = e.do("POST", base+"/clone", "app-a", map[string]any{"displayName": "Copy", "mailNickname": "copy", "partsToClone": "apps,tabs,settings,channels,members", "visibility": "public"}).want(t, 202)
	newID := between(r.header.Get("Content-Location"), "/teams('", "')")
	if newID == "" || newID == id {
		t.Fatalf("clone Content-Location %q", r.header.Get("Content-Location"))
	}
	e.do("GET", "/v1.0/teams/"+newID, "app-a", nil).want(t, 404)
	e.clk.Advance(5 * time.Second)
	cl := e.do("GET", "/v1.0/teams/"+newID, "app-a", nil).want(t, 200)
	if cl.str("displayName") != "Copy" || cl.body["funSettings"].(map[string]any)["allowGiphy"] != false {
		t.Errorf("clone %s", cl.raw)
	}
	if ch := e.do("GET", "/v1.0/teams/"+newID+"/channels", "app-a", nil).want(t, 200).values(); len(ch) != 2 {
		t.Errorf("clone channels %v", ch)
	}
	if m := e.do("GET", "/v1.0/teams/"+newID+"/members", "app-a", nil).want(t, 200).values(); len(m) != 2 {
		t.Errorf("clone members %v", m)
	}
}

func TestTeamMembers(t *testing.T) {
	e := newEnv(t, nil)
	id := e.createTeam("Members", nil)
	base := "/v1.0/teams/" + id + "/members"
	r := e.do("POST", base, "app-a", member(bob.ID)).want(t, 201)
	if r.str("userId") != bob.ID || r.str("displayName") != bob.DisplayName || fmt.Sprint(r.body["roles"]) != "[]" {
		t.Fatalf("added %s", r.raw)
	}
	bobMember := r.str("id")
	if got := e.do("GET", base+"/"+bobMember, "app-a", nil).want(t, 200); got.str("userId") != bob.ID {
		t.Errorf("get member %s", got.raw)
	}
	e.do("GET", base+"/bm9wZQ==", "app-a", nil).want(t, 404)
	// Team and group membership are the same data.
	if m := e.do("GET", "/v1.0/groups/"+id+"/members", "app-a", nil).want(t, 200).values(); len(m) != 2 {
		t.Errorf("group members %v", m)
	}
	e.do("POST", base, "app-weak", member(carol.ID)).want(t, 403, "Forbidden")

	t.Run("bulk add", func(t *testing.T) {
		r := e.do("POST", base+"/add", "app-a", map[string]any{"values": []any{member(carol.ID), owner(guest.ID)}}).want(t, 200)
		for _, v := range r.values() {
			if v["@odata.type"] != "#microsoft.graph.aadUserConversationMemberResult" || v["error"] != nil {
				t.Errorf("result %v", v)
			}
		}
	})
	t.Run("bulk partial failure", func(t *testing.T) {
		r := e.do("POST", base+"/add", "app-a", map[string]any{"values": []any{member(zed.ID), member(carol.ID)}}).want(t, 207)
		v := r.values()
		if len(v) != 2 || v[0]["userId"] != zed.ID || v[0]["error"].(map[string]any)["code"] != "NotFound" || v[1]["error"] != nil {
			t.Errorf("results %s", r.raw)
		}
	})
	t.Run("bulk over 200", func(t *testing.T) {
		var vals []any
		for range 201 {
			vals = append(vals, member(carol.ID))
		}
		e.do("POST", base+"/add", "app-a", map[string]any{"values": vals}).want(t, 400, "BadRequest")
	})
	t.Run("remove", func(t *testing.T) {
		e.do("DELETE", base+"/"+bobMember, "app-a", nil).want(t, 204)
		e.do("DELETE", base+"/"+bobMember, "app-a", nil).want(t, 404)
		members := e.do("GET", base, "app-a", nil).want(t, 200).values()
		var aliceMember string
		for _, m := range members {
			if m["userId"] == bob.ID {
				t.Errorf("bob still a member")
			}
			if m["userId"] == alice.ID {
				aliceMember = m["id"].(string)
			}
		}
		// Demote the guest owner so alice is the last owner.
		e.do("DELETE", "/v1.0/groups/"+id+"/owners/"+guest.ID+"/$ref", "app-a", nil).want(t, 204)
		e.do("DELETE", base+"/"+aliceMember, "app-a", nil).want(t, 400, "BadRequest")
	})
}

func TestChannelMessages(t *testing.T) {
	e := newEnv(t, nil)
	id := e.createTeam("Chat", nil)
	ch := e.do("GET", "/v1.0/teams/"+id+"/primaryChannel", "app-a", nil).want(t, 200).str("id")
	path := "/v1.0/teams/" + id + "/channels/" + ch + "/messages"
	msg := map[string]any{"body": map[string]any{"contentType": "html", "content": "<b>Hello</b>"}}
	r := e.do("POST", path, "app-a", msg)
	r.want(t, 401, "Unauthorized")
	if !strings.Contains(r.errMessage(), "import purposes") {
		t.Errorf("message %q", r.errMessage())
	}
	r = e.do("POST", path, "user-a", msg).want(t, 201)
	from := r.body["from"].(map[string]any)["user"].(map[string]any)
	if from["id"] != alice.ID || r.body["body"].(map[string]any)["content"] != "<b>Hello</b>" || r.str("messageType") != "message" {
		t.Errorf("message %s", r.raw)
	}
	e.do("POST", path, "user-a", map[string]any{"body": map[string]any{"content": ""}}).want(t, 400)
	if v := e.do("GET", path, "app-a", nil).want(t, 200).values(); len(v) != 1 {
		t.Errorf("messages %v", v)
	}
}

func TestTeamFromGroupAndDeletes(t *testing.T) {
	e := newEnv(t, nil)
	gid := e.do("POST", "/v1.0/groups", "app-a", map[string]any{
		"displayName": "From Group", "mailNickname": "fromgroup", "mailEnabled": true, "securityEnabled": false,
		"groupTypes": []string{"Unified"}, "visibility": "Private", "owners@odata.bind": []string{userBind(alice.ID)},
	}).want(t, 201).str("id")
	body := map[string]any{"template@odata.bind": standardTemplate, "group@odata.bind": "https://graph.microsoft.com/v1.0/groups('" + gid + "')",
		"channels": []any{map[string]any{"displayName": "Training 🏋️", "tabs": []any{map[string]any{
			"displayName": "Site", "teamsApp@odata.bind": "https://graph.microsoft.com/v1.0/appCatalogs/teamsApps('com.microsoft.teamspace.tab.web')",
			"configuration": map[string]any{"contentUrl": "https://docs.example/"}}}}},
		"installedApps": []any{map[string]any{"teamsApp@odata.bind": "https://graph.microsoft.com/v1.0/appCatalogs/teamsApps('com.microsoft.teamspace.tab.vsts')"}},
	}
	e.do("POST", "/v1.0/teams", "app-a", body).want(t, 404, "NotFound") // replication delay
	e.clk.Advance(30 * time.Second)
	withName := map[string]any{"displayName": "nope"}
	for k, v := range body {
		withName[k] = v
	}
	e.do("POST", "/v1.0/teams", "app-a", withName).want(t, 400, "BadRequest")
	r := e.do("POST", "/v1.0/teams", "app-a", body).want(t, 202)
	if r.header.Get("Content-Location") != "/teams('"+gid+"')" {
		t.Fatalf("Content-Location %q", r.header.Get("Content-Location"))
	}
	e.clk.Advance(5 * time.Second)
	tm := e.do("GET", "/v1.0/groups/"+gid+"/team", "app-a", nil).want(t, 200)
	if tm.str("visibility") != "private" || tm.str("displayName") != "From Group" {
		t.Fatalf("team %s", tm.raw)
	}
	base := "/v1.0/teams/" + gid
	chans := e.do("GET", base+"/channels?$filter="+url.QueryEscape("displayName eq 'Training 🏋️'"), "app-a", nil).want(t, 200).values()
	if len(chans) != 1 {
		t.Fatalf("filtered channels %v", chans)
	}
	cid := chans[0]["id"].(string)
	tabs := e.do("GET", base+"/channels/"+cid+"/tabs", "app-a", nil).want(t, 200).values()
	if len(tabs) != 1 {
		t.Fatalf("tabs %v", tabs)
	}
	tabID := tabs[0]["id"].(string)
	e.do("GET", base+"/channels/"+cid+"/tabs/"+tabID, "app-a", nil).want(t, 200)
	e.do("DELETE", base+"/channels/"+cid+"/tabs/"+tabID, "app-a", nil).want(t, 204)
	e.do("GET", base+"/channels/"+cid+"/tabs/"+tabID, "app-a", nil).want(t, 404)
	apps := e.do("GET", base+"/installedApps?$expand=teamsApp", "app-a", nil).want(t, 200).values()
	var vsts, web string
	for _, a := range apps {
		switch a["teamsApp"].(map[string]any)["id"] {
		case "com.microsoft.teamspace.tab.vsts":
			vsts = a["id"].(string)
		case "com.microsoft.teamspace.tab.web":
			web = a["id"].(string)
		}
	}
	e.do("DELETE", base+"/installedApps/"+web, "app-a", nil).want(t, 400)
	e.do("DELETE", base+"/installedApps/"+vsts, "app-a", nil).want(t, 204)
	e.do("DELETE", base+"/installedApps/"+vsts, "app-a", nil).want(t, 404)
	general := e.do("GET", base+"/primaryChannel", "app-a", nil).want(t, 200).str("id")
	e.do("DELETE", base+"/channels/"+general, "app-a", nil).want(t, 400)
	e.do("DELETE", base+"/channels/"+cid, "app-a", nil).want(t, 204)
	if n := len(e.do("GET", base+"/channels", "app-a", nil).want(t, 200).values()); n != 1 {
		t.Errorf("%d channels after delete", n)
	}
}

func TestInspect(t *testing.T) {
	e := newEnv(t, nil)
	id := e.createTeam("Inspected", nil)
	ch := e.do("GET", "/v1.0/teams/"+id+"/primaryChannel", "app-a", nil).want(t, 200).str("id")
	e.do("POST", "/v1.0/teams/"+id+"/channels/"+ch+"/messages", "user-a", map[string]any{"body": map[string]any{"content": "hi"}}).want(t, 201)
	st := e.g.Inspect().(State)
	teams := st.Tenants[tenantA].Teams
	if len(teams) != 1 || !teams[0].Ready || teams[0].DisplayName != "Inspected" || teams[0].Channels[0].Messages != 1 ||
		len(teams[0].Owners) != 1 || len(st.Operations) != 1 || st.Operations[0]["status"] != "succeeded" {
		t.Errorf("state %+v", st)
	}
	if len(st.Tenants[tenantB].Teams) != 0 {
		t.Errorf("tenant B sees teams: %+v", st.Tenants[tenantB])
	}
}

func TestOperationFailure(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Faults = FaultConfig{OperationFailRate: 1} })
	r := e.do("POST", "/v1.0/teams", "app-a", map[string]any{"template@odata.bind": standardTemplate, "displayName": "Doomed", "members": []any{owner(alice.ID)}}).want(t, 202)
	e.clk.Advance(10 * time.Second)
	op := e.do("GET", "/v1.0"+r.header.Get("Location"), "app-a", nil).want(t, 200)
	if op.str("status") != "failed" || op.body["error"] == nil {
		t.Fatalf("operation %s", op.raw)
	}
	id := between(r.header.Get("Content-Location"), "/teams('", "')")
	e.do("GET", "/v1.0/teams/"+id, "app-a", nil).want(t, 404)
	if e.g.Inspect().(State).Faults["operationFailed"] != 1 {
		t.Error("failure not counted")
	}
}

func TestFixtureTeamsAreAdopted(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		_, err := o.Dir.CreateGroup(tenantA, directory.Group{ID: directory.GUID("fixture-team"), DisplayName: "Fixture Team", MailNickname: "fixtureteam",
			MailEnabled: true, GroupTypes: []string{"Unified"}, ResourceProvisioningOptions: []string{"Team"}, Owners: []string{alice.ID}})
		must(t, err)
	})
	tm := e.do("GET", "/v1.0/teams/"+directory.GUID("fixture-team"), "app-a", nil).want(t, 200)
	if tm.str("displayName") != "Fixture Team" {
		t.Errorf("team %s", tm.raw)
	}
	e.do("GET", "/v1.0/teams/"+directory.GUID("fixture-team"), "app-b", nil).want(t, 404)
}

func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t, nil)
	id := e.createTeam("Shared", nil)
	var wg sync.WaitGroup
	ids := make([]string, 16)
	for i := range ids {
		wg.Add(2)
		go func() {
			defer wg.Done()
			body := map[string]any{"template@odata.bind": standardTemplate, "displayName": "Same Name", "members": []any{owner(alice.ID)}}
			r := e.do("POST", "/v1.0/teams", "app-a", body)
			if r.status != 202 {
				t.Errorf("status %d %s", r.status, r.raw)
				return
			}
			ids[i] = r.header.Get("Content-Location")
		}()
		go func() {
			defer wg.Done()
			e.do("POST", "/v1.0/teams/"+id+"/channels", "app-a", map[string]any{"displayName": fmt.Sprint("C", i)})
			e.do("GET", "/v1.0/teams/"+id+"/channels", "app-a", nil)
		}()
	}
	wg.Wait()
	slices.Sort(ids)
	if len(slices.Compact(ids)) != len(ids) {
		t.Errorf("duplicate team ids %v", ids)
	}
	if n := len(e.do("GET", "/v1.0/teams/"+id+"/channels", "app-a", nil).want(t, 200).values()); n != 17 {
		t.Errorf("%d channels, want 17", n)
	}
}

func TestNoDelays(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.TeamOperationDelay, o.ReplicationDelay = -1, -1 })
	r := e.do("POST", "/v1.0/teams", "app-a", map[string]any{"template@odata.bind": standardTemplate, "displayName": "Now", "members": []any{owner(alice.ID)}}).want(t, 202)
	if st := e.do("GET", "/v1.0"+r.header.Get("Location"), "app-a", nil).want(t, 200).str("status"); st != "succeeded" {
		t.Errorf("status %q", st)
	}
	e.do("GET", "/v1.0/teams/"+between(r.header.Get("Content-Location"), "/teams('", "')"), "app-a", nil).want(t, 200)
	gid := e.do("POST", "/v1.0/groups", "app-a", map[string]any{"displayName": "G", "mailNickname": "g", "mailEnabled": true, "securityEnabled": false,
		"groupTypes": []string{"Unified"}, "owners@odata.bind": []string{userBind(alice.ID)}}).want(t, 201).str("id")
	e.do("PUT", "/v1.0/groups/"+gid+"/team", "app-a", map[string]any{}).want(t, 201)
}
