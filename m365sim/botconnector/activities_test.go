package botconnector

import (
	"strings"
	"testing"
)

func TestActivityHelpers(t *testing.T) {
	e := newEnv(t, ThreadLimits{})
	personal, err := e.conn.PersonalConversation(tenantID, botAppID, e.users[0].ID)
	must(t, err)
	channel, err := e.conn.ChannelConversation(tenantID, botAppID, e.group.ID, "Announcements")
	must(t, err)
	u := e.users[0]
	tests := []struct {
		name     string
		activity map[string]any
		want     map[string]string // dotted path → value
		check    func(t *testing.T, a map[string]any)
	}{
		{"personal message", e.conn.Message(u, "hello", personal), map[string]string{
			"type": "message", "text": "hello", "conversation.conversationType": "personal", "conversation.id": personal.ID,
		}, nil},
		{"channel message mentions the bot", e.conn.Message(u, "hello", channel), map[string]string{
			"type": "message", "text": "<at>Steward</at> hello", "conversation.conversationType": "channel",
			"channelData.channel.id": channel.ID, "channelData.team.id": channel.TeamID, "channelData.team.aadGroupId": e.group.ID,
			"channelData.teamsChannelId": channel.ID, "channelData.teamsTeamId": channel.TeamID,
		}, func(t *testing.T, a map[string]any) {
			if a["conversation"].(map[string]any)["isGroup"] != true || path(a, "conversation", "id") != channel.ID+";messageid="+path(a, "id") {
				t.Errorf("conversation = %v id %v", a["conversation"], a["id"])
			}
			ents := a["entities"].([]any)
			m := ents[len(ents)-1].(map[string]any)
			if m["type"] != "mention" || path(m, "mentioned", "id") != "28:"+botAppID {
				t.Errorf("mention = %v", m)
			}
		}},
		{"conversationUpdate adds the bot", e.conn.ConversationUpdate(channel, u), map[string]string{
			"type": "conversationUpdate", "channelData.eventType": "teamMemberAdded",
		}, func(t *testing.T, a map[string]any) {
			added := a["membersAdded"].([]any)
			if len(added) != 1 || path(added[0].(map[string]any), "id") != "28:"+botAppID {
				t.Errorf("membersAdded = %v", added)
			}
		}},
		{"conversationUpdate personal with user", e.conn.ConversationUpdate(personal, u, u), map[string]string{"type": "conversationUpdate"}, func(t *testing.T, a map[string]any) {
			if len(a["membersAdded"].([]any)) != 2 {
				t.Errorf("membersAdded = %v", a["membersAdded"])
			}
		}},
		{"installationUpdate add", e.conn.InstallationUpdate(personal, u, "add"), map[string]string{"type": "installationUpdate", "action": "add"}, nil},
		{"installationUpdate remove", e.conn.InstallationUpdate(channel, u, "remove"), map[string]string{"type": "installationUpdate", "action": "remove"}, nil},
		{"adaptiveCard/action", e.conn.Invoke(u, personal, InvokeAdaptiveCardAction, CardActionValue("approve", map[string]any{"requestId": "r1"})), map[string]string{
			"type": "invoke", "name": "adaptiveCard/action", "value.action.type": "Action.Execute", "value.action.verb": "approve",
			"value.action.data.requestId": "r1", "value.trigger": "manual",
		}, nil},
		{"composeExtension/query", e.conn.Invoke(u, channel, InvokeComposeExtensionQuery, QueryValue("searchCrm", "query", "contoso")), map[string]string{
			"type": "invoke", "name": "composeExtension/query", "value.commandId": "searchCrm", "channelData.source.name": "compose",
		}, func(t *testing.T, a map[string]any) {
			p := a["value"].(map[string]any)["parameters"].([]any)[0].(map[string]any)
			if p["name"] != "query" || p["value"] != "contoso" {
				t.Errorf("parameters = %v", p)
			}
		}},
		{"composeExtension/fetchTask", e.conn.Invoke(u, personal, InvokeComposeExtensionFetchTask, ActionValue("newRequest", nil)), map[string]string{
			"name": "composeExtension/fetchTask", "value.commandId": "newRequest", "value.commandContext": "compose",
		}, nil},
		{"composeExtension/submitAction", e.conn.Invoke(u, personal, InvokeComposeExtensionSubmitActn, ActionValue("newRequest", map[string]any{"title": "x"})), map[string]string{
			"name": "composeExtension/submitAction", "value.data.title": "x",
		}, nil},
		{"task/fetch", e.conn.Invoke(u, personal, InvokeTaskFetch, TaskValue(map[string]any{"kind": "form"})), map[string]string{"name": "task/fetch", "value.data.kind": "form"}, nil},
		{"task/submit", e.conn.Invoke(u, personal, InvokeTaskSubmit, TaskValue(map[string]any{"kind": "form"})), map[string]string{"name": "task/submit", "value.data.kind": "form"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.activity
			common := map[string]string{
				"channelId": "msteams", "serviceUrl": e.conn.ServiceURL(),
				"from.id": MemberID(tenantID, u.ID), "from.aadObjectId": u.ID, "from.name": u.DisplayName,
				"recipient.id": "28:" + botAppID, "recipient.name": "Steward",
				"conversation.tenantId": tenantID, "channelData.tenant.id": tenantID,
			}
			for _, want := range []map[string]string{common, tt.want} {
				for k, v := range want {
					if got := path(a, strings.Split(k, ".")...); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
			}
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}
