package botconnector

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func convPath(id string, rest ...string) string {
	return "v3/conversations/" + url.PathEscape(id) + strings.Join(rest, "")
}

func errorCode(body map[string]any) string { return path(body, "error", "code") }

func TestConnectorAuth(t *testing.T) {
	e := newEnv(t, ThreadLimits{})
	conv, err := e.conn.PersonalConversation(tenantID, botAppID, e.users[0].ID)
	must(t, err)
	msg := map[string]any{"type": "message", "text": "hi"}
	tests := []struct {
		name, token string
		wantStatus  int
		wantCode    string
	}{
		{"no token", "", http.StatusUnauthorized, ""},
		{"unknown token", "forged", http.StatusUnauthorized, ""},
		{"audience is Graph", graphToken, http.StatusUnauthorized, ""},
		{"app that is not a bot", plainToken, http.StatusUnauthorized, ""},
		{"another bot's conversation", otherToken, http.StatusForbidden, "BotNotInConversationRoster"},
		{"the conversation's bot", botToken, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body, _ := e.call("POST", convPath(conv.ID, "/activities"), tt.token, msg)
			if status != tt.wantStatus || errorCode(body) != tt.wantCode {
				t.Fatalf("status %d body %v, want %d %q", status, body, tt.wantStatus, tt.wantCode)
			}
			if status == http.StatusUnauthorized && (hdr.Get("WWW-Authenticate") == "" || body["message"] == nil) {
				t.Errorf("401 without WWW-Authenticate or message: %v %v", hdr, body)
			}
		})
	}
	calls := e.conn.Activities(conv.ID)
	if len(calls) != len(tests) {
		t.Fatalf("recorded %d calls, want %d (rejected ones too)", len(calls), len(tests))
	}
	if calls[0].Status != 401 || calls[len(calls)-1].Status != 201 || calls[len(calls)-1].AppID != botAppID {
		t.Errorf("recorded = %+v", calls)
	}
}

func TestConnectorEndpoints(t *testing.T) {
	e := newEnv(t, ThreadLimits{Unlimited: true})
	personal, err := e.conn.PersonalConversation(tenantID, botAppID, e.users[0].ID)
	must(t, err)
	channel, err := e.conn.ChannelConversation(tenantID, botAppID, e.group.ID, "")
	must(t, err)
	if !strings.HasPrefix(personal.ID, "a:1") || !strings.HasPrefix(channel.ID, "19:") || !strings.HasSuffix(channel.ID, "@thread.tacv2") || channel.ID != channel.TeamID {
		t.Fatalf("ids: personal %s channel %s team %s", personal.ID, channel.ID, channel.TeamID)
	}
	card := map[string]any{"type": "message", "attachments": []any{map[string]any{"contentType": "application/vnd.microsoft.card.adaptive", "content": map[string]any{"type": "AdaptiveCard", "version": "1.5"}}}}

	// Send, reply, update, delete in the personal chat.
	status, _, body, _ := e.call("POST", convPath(personal.ID, "/activities"), botToken, card)
	sent, _ := body["id"].(string)
	if status != http.StatusCreated || sent == "" {
		t.Fatalf("send: %d %v", status, body)
	}
	e.clock.Advance(time.Second)
	status, _, body, _ = e.call("POST", convPath(personal.ID, "/activities/", sent), botToken, map[string]any{"type": "message", "text": "reply"})
	reply, _ := body["id"].(string)
	if status != http.StatusCreated || reply == "" || reply == sent {
		t.Fatalf("reply: %d %v", status, body)
	}
	if n1, _ := strconv.ParseInt(sent, 10, 64); n1 != e.clock.Now().Add(-time.Second).UnixMilli() {
		t.Errorf("activity id %s is not the send time in Unix ms", sent)
	}

	tests := []struct {
		name, method, rel string
		body              any
		wantStatus        int
		wantCode          string
		check             func(t *testing.T, body map[string]any, arr []any)
	}{
		{"update", "PUT", convPath(personal.ID, "/activities/", sent), map[string]any{"type": "message", "text": "edited"}, 200, "", func(t *testing.T, b map[string]any, _ []any) {
			if b["id"] != sent {
				t.Errorf("update answer %v", b)
			}
		}},
		{"update unknown activity", "PUT", convPath(personal.ID, "/activities/42"), map[string]any{"type": "message"}, 404, "ActivityNotFoundInConversation", nil},
		{"delete", "DELETE", convPath(personal.ID, "/activities/", reply), nil, 200, "", nil},
		{"update deleted activity", "PUT", convPath(personal.ID, "/activities/", reply), map[string]any{"type": "message"}, 404, "ActivityNotFoundInConversation", nil},
		{"delete again", "DELETE", convPath(personal.ID, "/activities/", reply), nil, 404, "ActivityNotFoundInConversation", nil},
		{"send without type", "POST", convPath(personal.ID, "/activities"), map[string]any{"text": "x"}, 400, "BadArgument", nil},
		{"send to unknown conversation", "POST", convPath("a:1nope", "/activities"), map[string]any{"type": "message"}, 404, "ConversationNotFound", nil},
		{"members of personal chat", "GET", convPath(personal.ID, "/members"), nil, 200, "", func(t *testing.T, _ map[string]any, arr []any) {
			if len(arr) != 1 {
				t.Fatalf("members = %v", arr)
			}
			m := arr[0].(map[string]any)
			if m["id"] != MemberID(tenantID, e.users[0].ID) || m["aadObjectId"] != e.users[0].ID || m["name"] != e.users[0].DisplayName ||
				m["userPrincipalName"] != e.users[0].UserPrincipalName || m["email"] != e.users[0].Mail || m["tenantId"] != tenantID || m["userRole"] != "user" {
				t.Errorf("member = %v", m)
			}
			if !strings.HasPrefix(m["id"].(string), "29:") {
				t.Errorf("member id %v", m["id"])
			}
		}},
		{"members of channel", "GET", convPath(channel.ID, "/members"), nil, 200, "", func(t *testing.T, _ map[string]any, arr []any) {
			if len(arr) != 4 || arr[3].(map[string]any)["userRole"] != "guest" {
				t.Errorf("members = %v", arr)
			}
		}},
		{"member by 29 id", "GET", convPath(channel.ID, "/members/", MemberID(tenantID, e.users[1].ID)), nil, 200, "", func(t *testing.T, b map[string]any, _ []any) {
			if b["aadObjectId"] != e.users[1].ID {
				t.Errorf("member = %v", b)
			}
		}},
		{"member by aad object id", "GET", convPath(channel.ID, "/members/", e.users[2].ID), nil, 200, "", func(t *testing.T, b map[string]any, _ []any) {
			if b["name"] != e.users[2].DisplayName {
				t.Errorf("member = %v", b)
			}
		}},
		{"member not in conversation", "GET", convPath(channel.ID, "/members/", e.users[3].ID), nil, 404, "MemberNotFoundInConversation", nil},
		{"paged members bad size", "GET", convPath(channel.ID, "/pagedmembers?pageSize=x"), nil, 400, "BadArgument", nil},
		{"paged members bad token", "GET", convPath(channel.ID, "/pagedmembers?continuationToken=zzz"), nil, 400, "BadArgument", nil},
		{"reply in a channel thread", "POST", convPath(channel.ID+";messageid=1772442000000", "/activities/1772442000000"), map[string]any{"type": "message", "text": "in thread"}, 201, "", nil},
		{"create personal conversation by aad id", "POST", "v3/conversations", map[string]any{
			"bot": map[string]any{"id": BotID(botAppID)}, "isGroup": false, "tenantId": tenantID,
			"members": []any{map[string]any{"id": e.users[0].ID}},
		}, 201, "", func(t *testing.T, b map[string]any, _ []any) {
			if b["id"] != personal.ID || b["serviceUrl"] != e.conn.ServiceURL() {
				t.Errorf("create = %v, want the existing chat %s", b, personal.ID)
			}
		}},
		{"create personal conversation with activity", "POST", "v3/conversations", map[string]any{
			"bot": map[string]any{"id": BotID(botAppID)}, "channelData": map[string]any{"tenant": map[string]any{"id": tenantID}},
			"members":  []any{map[string]any{"id": MemberID(tenantID, e.users[3].ID)}},
			"activity": map[string]any{"type": "message", "text": "proactive"},
		}, 201, "", func(t *testing.T, b map[string]any, _ []any) {
			if !strings.HasPrefix(path(b, "id"), "a:1") || path(b, "activityId") == "" {
				t.Errorf("create = %v", b)
			}
		}},
		{"create channel thread", "POST", "v3/conversations", map[string]any{
			"bot": map[string]any{"id": BotID(botAppID)}, "isGroup": true,
			"channelData": map[string]any{"tenant": map[string]any{"id": tenantID}, "channel": map[string]any{"id": channel.ID}},
			"activity":    map[string]any{"type": "message", "text": "new thread"},
		}, 201, "", func(t *testing.T, b map[string]any, _ []any) {
			if path(b, "id") != channel.ID+";messageid="+path(b, "activityId") {
				t.Errorf("create = %v", b)
			}
		}},
		{"create group chat refused", "POST", "v3/conversations", map[string]any{
			"isGroup": true, "tenantId": tenantID, "members": []any{map[string]any{"id": e.users[0].ID}, map[string]any{"id": e.users[1].ID}},
		}, 400, "BadArgument", nil},
		{"create without tenant", "POST", "v3/conversations", map[string]any{"members": []any{map[string]any{"id": e.users[0].ID}}}, 400, "BadArgument", nil},
		{"create with unknown user", "POST", "v3/conversations", map[string]any{"tenantId": tenantID, "members": []any{map[string]any{"id": "29:1nobody"}}}, 400, "BadArgument", nil},
		{"create in unknown channel", "POST", "v3/conversations", map[string]any{
			"channelData": map[string]any{"tenant": map[string]any{"id": tenantID}, "channel": map[string]any{"id": "19:none@thread.tacv2"}},
			"activity":    map[string]any{"type": "message"},
		}, 404, "ConversationNotFound", nil},
		{"unknown connector path", "GET", "v3/attachments/x", nil, 404, "NotFound", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body, arr := e.call(tt.method, tt.rel, botToken, tt.body)
			if status != tt.wantStatus || errorCode(body) != tt.wantCode {
				t.Fatalf("%s %s: status %d body %v, want %d %q", tt.method, tt.rel, status, body, tt.wantStatus, tt.wantCode)
			}
			if tt.check != nil {
				tt.check(t, body, arr)
			}
		})
	}

	// The update and delete landed on the stored activities.
	e.conn.mu.Lock()
	stored := e.conn.convs[personal.ID].activities
	updated, deleted := stored[sent], stored[reply]
	e.conn.mu.Unlock()
	if path(updated.activity, "text") != "edited" || path(updated.activity, "from", "id") != BotID(botAppID) || !deleted.deleted {
		t.Errorf("stored: updated %v deleted %v", updated.activity, deleted.deleted)
	}
}

func TestPagedMembers(t *testing.T) {
	e := newEnv(t, ThreadLimits{Unlimited: true})
	channel, err := e.conn.ChannelConversation(tenantID, botAppID, e.group.ID, "General")
	must(t, err)
	var ids []string
	token := ""
	for page := 0; ; page++ {
		rel := convPath(channel.ID, "/pagedmembers?pageSize=3")
		if token != "" {
			rel += "&continuationToken=" + url.QueryEscape(token)
		}
		status, _, body, _ := e.call("GET", rel, botToken, nil)
		if status != 200 {
			t.Fatalf("page %d: %d %v", page, status, body)
		}
		for _, m := range body["members"].([]any) {
			ids = append(ids, m.(map[string]any)["aadObjectId"].(string))
		}
		token, _ = body["continuationToken"].(string)
		if token == "" {
			break
		}
		if page > 3 {
			t.Fatal("paging does not end")
		}
	}
	want := []string{e.users[0].ID, e.users[1].ID, e.users[2].ID, e.users[4].ID}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("paged ids = %v, want %v", ids, want)
	}
}

func TestRecording(t *testing.T) {
	e := newEnv(t, ThreadLimits{})
	a, err := e.conn.PersonalConversation(tenantID, botAppID, e.users[0].ID)
	must(t, err)
	b, err := e.conn.PersonalConversation(tenantID, botAppID, e.users[1].ID)
	must(t, err)
	e.call("POST", convPath(a.ID, "/activities"), botToken, map[string]any{"type": "message", "text": "one"})
	e.clock.Advance(time.Second)
	e.call("POST", convPath(b.ID, "/activities"), botToken, map[string]any{"type": "message", "text": "other"})
	e.call("GET", convPath(a.ID, "/members"), botToken, nil)
	e.call("POST", convPath(a.ID, "/activities"), botToken, map[string]any{"type": "typing"})

	got := e.conn.Activities(a.ID)
	if len(got) != 3 {
		t.Fatalf("Activities = %+v", got)
	}
	if got[0].Method != "POST" || got[0].Path != "v3/conversations/"+a.ID+"/activities" || path(got[0].Activity, "text") != "one" ||
		got[0].ActivityID == "" || got[0].Status != 201 || !got[0].Time.Equal(e.clock.Now().Add(-time.Second)) {
		t.Errorf("first = %+v", got[0])
	}
	if got[1].Method != "GET" || got[1].Activity != nil || got[2].Activity["type"] != "typing" {
		t.Errorf("rest = %+v", got[1:])
	}
	got[0].Activity["text"] = "mutated"
	if path(e.conn.Activities(a.ID)[0].Activity, "text") != "one" {
		t.Error("Activities returns shared maps")
	}
	if len(e.conn.Calls()) != 4 {
		t.Errorf("Calls = %d", len(e.conn.Calls()))
	}
	snap := e.conn.Inspect().(Snapshot)
	if len(snap.Conversations) != 2 || len(snap.Calls) != 4 || snap.ServiceURL != e.conn.ServiceURL() {
		t.Errorf("Inspect = %+v", snap)
	}
}

func TestDeliverFillsAndReturnsInvokeAnswer(t *testing.T) {
	e := newEnv(t, ThreadLimits{})
	e.answer = func(a map[string]any) (int, any) {
		return 200, map[string]any{"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": map[string]any{"type": "AdaptiveCard"}}
	}
	// A bare activity: the channel fills the rest.
	a := map[string]any{"type": "invoke", "name": InvokeAdaptiveCardAction, "value": CardActionValue("approve", map[string]any{"id": 7}),
		"from": map[string]any{"id": MemberID(tenantID, e.users[0].ID), "name": e.users[0].DisplayName}}
	status, body, err := e.conn.Deliver(context.Background(), tenantID, botAppID, a)
	must(t, err)
	if status != 200 || !strings.Contains(string(body), "application/vnd.microsoft.card.adaptive") {
		t.Fatalf("answer %d %s", status, body)
	}
	got := e.received()[0].Activity
	for _, f := range [][]string{{"id"}, {"timestamp"}, {"conversation", "id"}} {
		if path(got, f...) == "" {
			t.Errorf("%v not filled: %v", f, got)
		}
	}
	checks := map[string][2]string{
		"serviceUrl":          {path(got, "serviceUrl"), e.conn.ServiceURL()},
		"channelId":           {path(got, "channelId"), "msteams"},
		"recipient.id":        {path(got, "recipient", "id"), "28:" + botAppID},
		"recipient.name":      {path(got, "recipient", "name"), "Steward"},
		"conversation.tenant": {path(got, "conversation", "tenantId"), tenantID},
		"channelData.tenant":  {path(got, "channelData", "tenant", "id"), tenantID},
		"from.aadObjectId":    {path(got, "from", "aadObjectId"), e.users[0].ID},
		"conversation.id":     {path(got, "conversation", "id"), personalConversationID(tenantID, botAppID, e.users[0].ID)},
	}
	for k, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", k, v[0], v[1])
		}
	}
	if e.received()[0].Header.Get("Content-Type") == "" {
		t.Error("no Content-Type")
	}

	if _, _, err := e.conn.Deliver(context.Background(), tenantID, plainAppID, map[string]any{"type": "message"}); err == nil {
		t.Error("delivering to an app without a bot endpoint succeeded")
	}
	if _, _, err := e.conn.Deliver(context.Background(), tenantID, botAppID, map[string]any{"type": "message"}); err == nil {
		t.Error("delivering without conversation or sender succeeded")
	}
}

func TestUninstalledBotIsRefused(t *testing.T) {
	e := newEnv(t, ThreadLimits{Unlimited: true})
	conv, err := e.conn.PersonalConversation(tenantID, botAppID, e.users[0].ID)
	must(t, err)
	send := func() (int, string) {
		status, _, body, _ := e.call("POST", convPath(conv.ID, "/activities"), botToken, map[string]any{"type": "message"})
		return status, errorCode(body)
	}
	create := func() int {
		status, _, _, _ := e.call("POST", "v3/conversations", botToken, map[string]any{"tenantId": tenantID, "members": []any{map[string]any{"id": e.users[0].ID}}})
		return status
	}
	for _, step := range []struct {
		action     string
		wantSend   int
		wantCode   string
		wantCreate int
	}{
		{"remove", 403, "BotNotInConversationRoster", 403},
		{"add", 201, "", 201},
	} {
		_, _, err := e.conn.Deliver(context.Background(), tenantID, botAppID, e.conn.InstallationUpdate(conv, e.users[0], step.action))
		must(t, err)
		if status, code := send(); status != step.wantSend || code != step.wantCode {
			t.Errorf("after %s: send %d %s", step.action, status, code)
		}
		if status := create(); status != step.wantCreate {
			t.Errorf("after %s: create %d", step.action, status)
		}
	}
}
