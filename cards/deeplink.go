package cards

import (
	"net/url"
	"strings"
)

// Deep links open Teams (desktop, web or mobile) at a team, a channel, a
// chat or a tab. Formats: Microsoft Teams documentation, "Deep link to
// teams and channels", "Deep link to Teams chat" and "Deep link to an
// application". Every path segment and query value is encoded like
// JavaScript's encodeURIComponent, as the documentation asks: a channel id
// "19:…@thread.tacv2" becomes "19%3A…%40thread.tacv2", a space "%20".

const teamsLinkBase = "https://teams.microsoft.com/l/"

// Steward's static tabs (entity ids in its app manifest).
const (
	TabHome      = "home"
	TabNew       = "new"
	TabRequests  = "requests"
	TabApprovals = "approvals"
	TabCatalog   = "catalog"
)

// TeamLink opens a team: threadID is its General channel's id ("19:…"),
// groupID the team's group id.
func TeamLink(threadID, groupID, tenantID string) (string, error) {
	if threadID == "" || groupID == "" || tenantID == "" {
		return "", invalid("team link needs a thread id, a group id and a tenant id").err
	}
	return teamsLinkBase + "team/" + component(threadID) + "/conversations?" +
		query("groupId", groupID, "tenantId", tenantID), nil
}

// ChannelLink opens a standard channel.
func ChannelLink(channelID, channelName, groupID, tenantID string) (string, error) {
	if channelID == "" || channelName == "" || groupID == "" || tenantID == "" {
		return "", invalid("channel link needs a channel id and name, a group id and a tenant id").err
	}
	return teamsLinkBase + "channel/" + component(channelID) + "/" + component(channelName) + "?" +
		query("groupId", groupID, "tenantId", tenantID), nil
}

// ChatLink starts (or opens) a chat with users, their user principal
// names (the only user id the link accepts). topicName names a chat of
// three or more people; message is put in the compose box. Both optional.
func ChatLink(users []string, topicName, message string) (string, error) {
	if len(users) == 0 {
		return "", invalid("chat link needs at least one user").err
	}
	enc := make([]string, len(users))
	for i, u := range users {
		if u == "" || strings.Contains(u, ",") {
			return "", invalid("chat link user %q is not a user principal name", u).err
		}
		enc[i] = component(u)
	}
	// The commas stay literal: they separate the users.
	return teamsLinkBase + "chat/0/0?users=" + strings.Join(enc, ",") + optional("&",
		"topicName", topicName, "message", message), nil
}

// TabOptions are the optional parts of a tab link.
type TabOptions struct {
	WebURL      string // fallback when the client cannot render the tab
	Label       string // shown for the link
	SubEntityID string // the item inside the tab (page.subPageId in TeamsJS)
	ChannelID   string // for a configurable tab in a channel
	TenantID    string
}

// TabLink opens an app's tab: appID is the app's manifest (or catalog)
// id, entityID the tab's entity id.
func TabLink(appID, entityID string, o TabOptions) (string, error) {
	if appID == "" || entityID == "" {
		return "", invalid("tab link needs an app id and an entity id").err
	}
	var context string
	if o.SubEntityID != "" || o.ChannelID != "" {
		b, err := marshal(struct {
			SubEntityID string `json:"subEntityId,omitempty"`
			ChannelID   string `json:"channelId,omitempty"`
		}{o.SubEntityID, o.ChannelID})
		if err != nil {
			return "", invalid("tab link context: %v", err).err
		}
		context = string(b)
	}
	link := teamsLinkBase + "entity/" + component(appID) + "/" + component(entityID)
	if q := optional("", "tenantId", o.TenantID, "webUrl", o.WebURL, "label", o.Label, "context", context); q != "" {
		link += "?" + q
	}
	return link, nil
}

// Steward makes links to Steward's own static tabs.
type Steward struct {
	AppID string // the Teams app id in Steward's manifest
	// BaseURL is Steward's public URL; the tabs' fallback web pages are
	// BaseURL/tabs/{entity} (?id={subEntityId} for an item).
	BaseURL  string
	TenantID string // optional
}

// Tab links to one of Steward's static tabs (Tab* constants), at the item
// subEntityID when not empty.
func (s Steward) Tab(entityID, subEntityID, label string) (string, error) {
	switch entityID {
	case TabHome, TabNew, TabRequests, TabApprovals, TabCatalog:
	default:
		return "", invalid("Steward has no tab %q", entityID).err
	}
	o := TabOptions{Label: label, SubEntityID: subEntityID, TenantID: s.TenantID}
	if s.BaseURL != "" {
		o.WebURL = strings.TrimRight(s.BaseURL, "/") + "/tabs/" + entityID
		if subEntityID != "" {
			o.WebURL += "?id=" + component(subEntityID)
		}
	}
	return TabLink(s.AppID, entityID, o)
}

// Request links to a request in the "My requests" tab.
func (s Steward) Request(requestID, label string) (string, error) {
	if requestID == "" {
		return "", invalid("request link needs a request id").err
	}
	return s.Tab(TabRequests, requestID, label)
}

// component encodes s like encodeURIComponent (QueryEscape writes a space
// as "+", which only form decoding reads as a space).
func component(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// query encodes name/value pairs in order.
func query(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pairs[i] + "=" + component(pairs[i+1]))
	}
	return b.String()
}

// optional is query for the pairs whose value is not empty, each preceded
// by sep or "&".
func optional(sep string, pairs ...string) string {
	var kept []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			kept = append(kept, pairs[i], pairs[i+1])
		}
	}
	if len(kept) == 0 {
		return ""
	}
	return sep + query(kept...)
}
