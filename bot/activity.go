// Package bot is Steward's Microsoft Teams bot: it authenticates the
// activities the Bot Connector delivers to POST /api/messages, answers
// messages and invokes (Adaptive Card Universal Actions, messaging
// extensions, task modules), and sends replies, card updates and
// proactive notifications through the Bot Connector REST API v3.
//
// The Bot Framework SDK for Go is unmaintained and skips the endorsements
// check (see ARCHITECTURE.md), so the protocol is written here on
// net/http, against Microsoft's documented activity schema.
package bot

import (
	"encoding/json"
	"strings"
)

// Activity types and the invoke names Steward answers.
const (
	TypeMessage            = "message"
	TypeInvoke             = "invoke"
	TypeInvokeResponse     = "invokeResponse"
	TypeConversationUpdate = "conversationUpdate"
	TypeInstallationUpdate = "installationUpdate"
	TypeTyping             = "typing"

	InvokeAdaptiveCardAction      = "adaptiveCard/action"
	InvokeComposeExtensionQuery   = "composeExtension/query"
	InvokeComposeExtensionFetch   = "composeExtension/fetchTask"
	InvokeComposeExtensionSubmit  = "composeExtension/submitAction"
	InvokeComposeExtensionSetting = "composeExtension/querySettingUrl"
	InvokeTaskFetch               = "task/fetch"
	InvokeTaskSubmit              = "task/submit"

	// ChannelTeams is the channelId of activities from Microsoft Teams.
	ChannelTeams = "msteams"
)

// Activity is the subset of the Bot Framework activity schema Steward
// reads and writes. Unknown fields are ignored on input and omitted on
// output.
type Activity struct {
	Type           string               `json:"type"`
	ID             string               `json:"id,omitempty"`
	Name           string               `json:"name,omitempty"` // invoke and event name
	Timestamp      string               `json:"timestamp,omitempty"`
	ServiceURL     string               `json:"serviceUrl,omitempty"`
	ChannelID      string               `json:"channelId,omitempty"`
	From           *ChannelAccount      `json:"from,omitempty"`
	Recipient      *ChannelAccount      `json:"recipient,omitempty"`
	Conversation   *ConversationAccount `json:"conversation,omitempty"`
	ReplyToID      string               `json:"replyToId,omitempty"`
	Locale         string               `json:"locale,omitempty"`
	Text           string               `json:"text,omitempty"`
	TextFormat     string               `json:"textFormat,omitempty"` // plain, markdown or xml
	Summary        string               `json:"summary,omitempty"`
	Action         string               `json:"action,omitempty"` // installationUpdate: add, remove, add-upgrade, remove-upgrade
	Attachments    []Attachment         `json:"attachments,omitempty"`
	Entities       []json.RawMessage    `json:"entities,omitempty"`
	ChannelData    *ChannelData         `json:"channelData,omitempty"`
	Value          json.RawMessage      `json:"value,omitempty"`
	MembersAdded   []ChannelAccount     `json:"membersAdded,omitempty"`
	MembersRemoved []ChannelAccount     `json:"membersRemoved,omitempty"`
}

// ChannelAccount is a user or bot in a conversation. In Teams, user ids
// start with "29:" and bot ids with "28:"; AADObjectID is the Entra user id.
type ChannelAccount struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	AADObjectID string `json:"aadObjectId,omitempty"`
	Role        string `json:"role,omitempty"`
}

// ConversationAccount is the conversation an activity belongs to:
// personal, groupChat or channel (a channel thread's id carries
// ";messageid=...").
type ConversationAccount struct {
	ID               string `json:"id"`
	ConversationType string `json:"conversationType,omitempty"`
	TenantID         string `json:"tenantId,omitempty"`
	IsGroup          bool   `json:"isGroup,omitempty"`
	Name             string `json:"name,omitempty"`
}

// ChannelData is Teams' channelData: the tenant and, in channels, the team
// and channel.
type ChannelData struct {
	Tenant         *TeamsRef `json:"tenant,omitempty"`
	Team           *TeamsRef `json:"team,omitempty"`
	Channel        *TeamsRef `json:"channel,omitempty"`
	TeamsTeamID    string    `json:"teamsTeamId,omitempty"`
	TeamsChannelID string    `json:"teamsChannelId,omitempty"`
	// Notification asks Teams to alert the recipient (outbound only).
	Notification *Notification `json:"notification,omitempty"`
}

// TeamsRef names a tenant, team or channel in channelData.
type TeamsRef struct {
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	AADGroupID string `json:"aadGroupId,omitempty"`
}

// Notification is channelData.notification.
type Notification struct {
	Alert bool `json:"alert"`
}

// Attachment carries a card. ContentType is e.g. ContentTypeAdaptiveCard.
type Attachment struct {
	ContentType string          `json:"contentType"`
	Content     json.RawMessage `json:"content,omitempty"`
	Preview     *Attachment     `json:"preview,omitempty"` // messaging-extension results
}

// ContentTypeAdaptiveCard is the attachment and invoke-response type of an
// Adaptive Card.
const ContentTypeAdaptiveCard = "application/vnd.microsoft.card.adaptive"

// TenantID is the Entra tenant the activity comes from: channelData.tenant
// first (Teams always sets it), then conversation.tenantId.
func (a *Activity) TenantID() string {
	if a.ChannelData != nil && a.ChannelData.Tenant != nil && a.ChannelData.Tenant.ID != "" {
		return a.ChannelData.Tenant.ID
	}
	if a.Conversation != nil {
		return a.Conversation.TenantID
	}
	return ""
}

// UserObjectID is the sender's Entra object id ("" for bots and
// anonymous senders).
func (a *Activity) UserObjectID() string {
	if a.From == nil {
		return ""
	}
	return a.From.AADObjectID
}

// ConversationReference is what a bot keeps to message a conversation
// later (proactively): the service URL and conversation plus the bot and,
// for personal chats, the user.
type ConversationReference struct {
	ActivityID   string              `json:"activityId,omitempty"`
	User         *ChannelAccount     `json:"user,omitempty"`
	Bot          *ChannelAccount     `json:"bot,omitempty"`
	Conversation ConversationAccount `json:"conversation"`
	ChannelID    string              `json:"channelId"`
	ServiceURL   string              `json:"serviceUrl"`
	Locale       string              `json:"locale,omitempty"`
}

// Reference captures a's conversation reference (from the bot's side: the
// activity's recipient is the bot). Thread suffixes are kept: a reply in a
// channel thread goes to that thread.
func (a *Activity) Reference() ConversationReference {
	ref := ConversationReference{ActivityID: a.ID, ChannelID: a.ChannelID, ServiceURL: a.ServiceURL, Locale: a.Locale}
	if a.From != nil {
		u := *a.From
		ref.User = &u
	}
	if a.Recipient != nil {
		b := *a.Recipient
		ref.Bot = &b
	}
	if a.Conversation != nil {
		ref.Conversation = *a.Conversation
	}
	return ref
}

// BaseConversationID drops a channel thread's ";messageid=..." suffix.
func BaseConversationID(id string) string {
	if i := strings.Index(id, ";messageid="); i >= 0 {
		return id[:i]
	}
	return id
}

// InvokeResponse is the HTTP body a bot answers an invoke with; Status is
// the HTTP status Teams expects.
type InvokeResponse struct {
	Status int
	Body   any
}
