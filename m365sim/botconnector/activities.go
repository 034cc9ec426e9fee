package botconnector

import (
	"strings"

	"github.com/stewardhq/steward/m365sim/directory"
)

// Invoke names Teams sends (activity.name of type "invoke").
const (
	InvokeAdaptiveCardAction         = "adaptiveCard/action"
	InvokeComposeExtensionQuery      = "composeExtension/query"
	InvokeComposeExtensionFetchTask  = "composeExtension/fetchTask"
	InvokeComposeExtensionSubmitActn = "composeExtension/submitAction"
	InvokeTaskFetch                  = "task/fetch"
	InvokeTaskSubmit                 = "task/submit"
)

// The activity helpers build the activities Teams sends, with the fields
// Microsoft documents for each: from (the user's "29:" id, name and
// aadObjectId), recipient ("28:{appId}"), conversation (conversationType,
// tenantId, isGroup for channels), channelData (tenant, and team/channel
// for channel conversations). Deliver stamps id, timestamp and serviceUrl.

func (c *Connector) teamsActivity(typ string, from directory.User, conv Conversation) map[string]any {
	botName := ""
	if app, err := c.dir.App(conv.TenantID, conv.BotAppID); err == nil {
		botName = app.DisplayName
	}
	a := map[string]any{
		"type":       typ,
		"channelId":  ChannelID,
		"serviceUrl": c.ServiceURL(),
		"from": map[string]any{
			"id":          MemberID(conv.TenantID, from.ID),
			"name":        from.DisplayName,
			"aadObjectId": from.ID,
		},
		"recipient": map[string]any{"id": BotID(conv.BotAppID), "name": botName},
		"locale":    firstNonEmpty(from.PreferredLanguage, "en-US"),
		"entities": []any{map[string]any{
			"type":     "clientInfo",
			"locale":   firstNonEmpty(from.PreferredLanguage, "en-US"),
			"country":  firstNonEmpty(from.UsageLocation, "US"),
			"platform": "Web",
		}},
	}
	conversation := map[string]any{
		"id":               conv.ID,
		"conversationType": conv.Type,
		"tenantId":         conv.TenantID,
	}
	channelData := map[string]any{"tenant": map[string]any{"id": conv.TenantID}}
	if conv.Type == Channel {
		conversation["isGroup"] = true
		channelData["teamsChannelId"] = conv.ID
		channelData["teamsTeamId"] = conv.TeamID
		channelData["channel"] = map[string]any{"id": conv.ID}
		channelData["team"] = map[string]any{"id": conv.TeamID, "name": conv.TeamName, "aadGroupId": conv.GroupID}
	}
	if conv.Type == GroupChat {
		conversation["isGroup"] = true
	}
	a["conversation"] = conversation
	a["channelData"] = channelData
	return a
}

// Message is a user's message to the bot. In a channel the user
// @mentions the bot (Teams only delivers channel posts that do), and the
// post starts a thread: conversation.id is "{channel};messageid={id}".
func (c *Connector) Message(from directory.User, text string, conv Conversation) map[string]any {
	a := c.teamsActivity("message", from, conv)
	a["textFormat"] = "plain"
	a["text"] = text
	if conv.Type == Channel || conv.Type == GroupChat {
		bot := a["recipient"].(map[string]any)
		mention := "<at>" + bot["name"].(string) + "</at>"
		a["text"] = mention + " " + text
		a["entities"] = append(a["entities"].([]any), map[string]any{
			"type":      "mention",
			"text":      mention,
			"mentioned": map[string]any{"id": bot["id"], "name": bot["name"]},
		})
	}
	if conv.Type == Channel {
		c.mu.Lock()
		id := c.nextActivityID()
		c.mu.Unlock()
		a["id"] = id
		a["conversation"].(map[string]any)["id"] = conv.ID + ";messageid=" + id
	}
	return a
}

// ConversationUpdate is what Teams sends when the bot is added to a
// conversation (installed in a team or for a user): membersAdded holds the
// bot and then any users in added. by is who added it.
func (c *Connector) ConversationUpdate(conv Conversation, by directory.User, added ...directory.User) map[string]any {
	a := c.teamsActivity("conversationUpdate", by, conv)
	members := []any{map[string]any{"id": BotID(conv.BotAppID)}}
	for _, u := range added {
		members = append(members, map[string]any{"id": MemberID(conv.TenantID, u.ID), "aadObjectId": u.ID})
	}
	a["membersAdded"] = members
	if conv.Type == Channel {
		a["channelData"].(map[string]any)["eventType"] = "teamMemberAdded"
	}
	return a
}

// InstallationUpdate is sent when the app is installed ("add") or removed
// ("remove") in a conversation.
func (c *Connector) InstallationUpdate(conv Conversation, by directory.User, action string) map[string]any {
	a := c.teamsActivity("installationUpdate", by, conv)
	a["action"] = action
	return a
}

// Invoke is an invoke activity (see the Invoke* names) carrying value. The
// bot's HTTP answer is the invoke's response.
func (c *Connector) Invoke(from directory.User, conv Conversation, name string, value any) map[string]any {
	a := c.teamsActivity("invoke", from, conv)
	a["name"] = name
	a["value"] = value
	if strings.HasPrefix(name, "composeExtension/") {
		a["channelData"].(map[string]any)["source"] = map[string]any{"name": "compose"}
	}
	return a
}

// CardActionValue is the value of an adaptiveCard/action invoke for an
// Action.Execute with verb and data.
func CardActionValue(verb string, data any) map[string]any {
	return map[string]any{
		"action":  map[string]any{"type": "Action.Execute", "verb": verb, "data": data},
		"trigger": "manual",
	}
}

// QueryValue is the value of a composeExtension/query invoke: the command,
// one parameter and the paging options Teams sends.
func QueryValue(commandID, parameter, text string) map[string]any {
	return map[string]any{
		"commandId":    commandID,
		"parameters":   []any{map[string]any{"name": parameter, "value": text}},
		"queryOptions": map[string]any{"skip": 0, "count": 25},
	}
}

// ActionValue is the value of a composeExtension/fetchTask or
// composeExtension/submitAction invoke from the compose box (data is nil
// for fetchTask).
func ActionValue(commandID string, data any) map[string]any {
	v := map[string]any{"commandId": commandID, "commandContext": "compose", "context": map[string]any{"theme": "default"}}
	if data != nil {
		v["data"] = data
	}
	return v
}

// TaskValue is the value of a task/fetch or task/submit invoke.
func TaskValue(data any) map[string]any {
	return map[string]any{"data": data, "context": map[string]any{"theme": "default"}}
}
