package graph

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
)

type channel struct {
	id, displayName, description, membershipType string
	createdAt                                    time.Time
	isFavoriteByDefault                          *bool    // null unless set, as Graph returns it
	owners, members                              []string // private channels only
	tabs                                         []*tab
	messages                                     []map[string]any
}

func (ch *channel) json(t *team) map[string]any {
	return map[string]any{
		"id":                  ch.id,
		"createdDateTime":     odataTime(ch.createdAt),
		"displayName":         ch.displayName,
		"description":         nullable(ch.description),
		"isFavoriteByDefault": ch.isFavoriteByDefault,
		"email":               "",
		"tenantId":            t.tid,
		"webUrl": fmt.Sprintf("https://teams.microsoft.com/l/channel/%s/%s?groupId=%s&tenantId=%s",
			url.PathEscape(ch.id), url.PathEscape(ch.displayName), t.id, t.tid),
		"membershipType": ch.membershipType,
		"isArchived":     false,
	}
}

// channel finds a channel of a ready team; g.mu must be held.
func (g *Graph) channel(c *call) (*team, *channel, error) {
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return nil, nil, err
	}
	cid := c.r.PathValue("cid")
	for _, ch := range t.channels {
		if ch.id == cid {
			return t, ch, nil
		}
	}
	return nil, nil, errf(http.StatusNotFound, "NotFound", "Channel %s not found in team %s.", cid, t.id)
}

func (g *Graph) listChannels(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	f, err := parseFilter(c.r.URL.Query(), "Channel", map[string]string{
		"eq:displayname": "displayName", "eq:membershiptype": "membershipType", "startswith:displayname": "displayName"})
	if err != nil {
		return err
	}
	items := []map[string]any{}
	for _, ch := range t.channels {
		if m := ch.json(t); f.match(m) {
			items = append(items, m)
		}
	}
	return g.collection(c, fmt.Sprintf("teams('%s')/channels", t.id), items, "")
}

func (g *Graph) getChannel(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ch, err := g.channel(c)
	if err != nil {
		return err
	}
	return g.entity(c, http.StatusOK, fmt.Sprintf("teams('%s')/channels/$entity", t.id), ch.json(t))
}

func (g *Graph) deleteChannel(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ch, err := g.channel(c)
	if err != nil {
		return err
	}
	if ch == t.channels[0] {
		return errBadRequest("The General channel of a team cannot be deleted.")
	}
	t.channels = slices.DeleteFunc(t.channels, func(x *channel) bool { return x == ch })
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (g *Graph) getPrimaryChannel(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	return g.entity(c, http.StatusOK, fmt.Sprintf("teams('%s')/primaryChannel/$entity", t.id), t.channels[0].json(t))
}

func (g *Graph) createChannel(c *call) error {
	var b channelBody
	if err := decodeBody(c.r, &b); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	ch, err := g.addChannel(c, t, b, g.now().UTC())
	if err != nil {
		return err
	}
	return g.entity(c, http.StatusCreated, fmt.Sprintf("teams('%s')/channels/$entity", t.id), ch.json(t))
}

// maxChannels is Teams' limit of channels per team.
const maxChannels = 200

// Characters Teams refuses in channel names.
const badChannelChars = `~#%&*{}+/\:<>?|'".`

// addChannel validates and appends a channel with its tabs; g.mu must be
// held.
func (g *Graph) addChannel(c *call, t *team, b channelBody, now time.Time) (*channel, error) {
	name := strings.TrimSpace(b.DisplayName)
	if name == "" {
		return nil, errBadRequest("Channel displayName is required.")
	}
	if len(name) > 50 {
		return nil, errBadRequest("Channel name length must be less than 50 characters.")
	}
	if strings.ContainsAny(name, badChannelChars) || strings.HasPrefix(name, "_") {
		return nil, errBadRequest("Channel name contains invalid characters.")
	}
	for _, ch := range t.channels {
		if strings.EqualFold(ch.displayName, name) {
			return nil, errf(http.StatusBadRequest, "NameAlreadyExists", "Channel name already existed, please use other name.")
		}
	}
	if len(t.channels) >= maxChannels {
		return nil, errf(http.StatusForbidden, "Forbidden", "This team has exceeded the Max allowed channels")
	}
	mt := b.MembershipType
	if mt == "" {
		mt = "standard"
	}
	ch := &channel{id: threadID("channel", t.tid, t.id, name, g.nextID()), displayName: name,
		description: b.Description, membershipType: mt, createdAt: now}
	if b.IsFavoriteByDefault != nil {
		v := *b.IsFavoriteByDefault
		ch.isFavoriteByDefault = &v
	}
	switch mt {
	case "standard":
	case "private", "shared":
		if len(b.Tabs) > 0 {
			return nil, errBadRequest("Tabs cannot be created with a %s channel.", mt)
		}
		for _, m := range b.Members {
			rm, err := g.resolveMember(c, m)
			if err != nil {
				return nil, err
			}
			ch.members = append(ch.members, rm.user.ID)
			if rm.owner {
				ch.owners = append(ch.owners, rm.user.ID)
			}
		}
		if len(ch.owners) == 0 && !c.claims.Delegated() {
			return nil, errBadRequest("A %s channel created with application permissions needs a member with the owner role.", mt)
		}
		if c.claims.Delegated() {
			ch.owners = append(ch.owners, c.claims.ObjectID)
		}
	default:
		return nil, errBadRequest("Invalid membershipType '%s'.", mt)
	}
	for _, tb := range b.Tabs {
		tab, err := g.newTab(t, ch, tb)
		if err != nil {
			return nil, err
		}
		ch.tabs = append(ch.tabs, tab)
	}
	t.channels = append(t.channels, ch)
	return ch, nil
}

// Channel messages.

// postMessage answers app-only tokens as Graph does: application
// permissions may post only while importing (migration mode), which the
// simulator does not model.
func (g *Graph) postMessage(c *call) error {
	if !c.claims.Delegated() {
		return errf(http.StatusUnauthorized, "Unauthorized",
			"Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details.")
	}
	if err := permMsgSend.check(c.claims); err != nil {
		return err
	}
	var b struct {
		Subject string `json:"subject"`
		Body    struct {
			ContentType string `json:"contentType"`
			Content     string `json:"content"`
		} `json:"body"`
		Importance string `json:"importance"`
	}
	if err := decodeBody(c.r, &b); err != nil {
		return err
	}
	if b.Body.Content == "" {
		return errBadRequest("Message body content is required.")
	}
	ct := strings.ToLower(b.Body.ContentType)
	if ct == "" {
		ct = "text"
	}
	if ct != "text" && ct != "html" {
		return errBadRequest("Invalid body contentType '%s'.", b.Body.ContentType)
	}
	imp := b.Importance
	if imp == "" {
		imp = "normal"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ch, err := g.channel(c)
	if err != nil {
		return err
	}
	now := g.now().UTC()
	id := fmt.Sprint(now.UnixMilli()*1000 + g.nextID()%1000)
	name := c.claims.Name
	if u, err := g.dir.User(c.tid, c.claims.ObjectID); err == nil {
		name = u.DisplayName
	}
	var from map[string]any = map[string]any{"application": nil, "device": nil, "user": map[string]any{
		"@odata.type": "#microsoft.graph.teamworkUserIdentity", "id": c.claims.ObjectID, "displayName": name,
		"userIdentityType": "aadUser", "tenantId": c.tid,
	}}
	m := map[string]any{
		"id": id, "replyToId": nil, "etag": id, "messageType": "message",
		"createdDateTime": odataTime(now), "lastModifiedDateTime": odataTime(now),
		"lastEditedDateTime": nil, "deletedDateTime": nil, "subject": nullable(b.Subject), "summary": nil,
		"chatId": nil, "importance": imp, "locale": "en-us",
		"webUrl":          fmt.Sprintf("https://teams.microsoft.com/l/message/%s/%s?groupId=%s&tenantId=%s", url.PathEscape(ch.id), id, t.id, t.tid),
		"policyViolation": nil, "eventDetail": nil, "from": from,
		"body":            map[string]any{"contentType": ct, "content": b.Body.Content},
		"channelIdentity": map[string]any{"teamId": t.id, "channelId": ch.id},
		"attachments":     []any{}, "mentions": []any{}, "reactions": []any{},
	}
	ch.messages = append(ch.messages, m)
	return g.entity(c, http.StatusCreated, fmt.Sprintf("teams('%s')/channels('%s')/messages/$entity", t.id, url.PathEscape(ch.id)), m)
}

func (g *Graph) listMessages(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ch, err := g.channel(c)
	if err != nil {
		return err
	}
	items := make([]map[string]any, 0, len(ch.messages))
	for i := len(ch.messages) - 1; i >= 0; i-- { // newest first, as Graph lists them
		items = append(items, ch.messages[i])
	}
	items, next, err := g.page(c.r, items, 20, 50)
	if err != nil {
		return err
	}
	return g.collection(c, fmt.Sprintf("teams('%s')/channels('%s')/messages", t.id, url.PathEscape(ch.id)), items, next)
}

// conversationMember ids encode team and user, so DELETE can find the user.
func memberID(teamID, userID string) string {
	return encodeB64("0#" + teamID + "##" + userID)
}

func memberUserID(mid string) (string, bool) {
	s, ok := decodeB64(mid)
	if !ok {
		return "", false
	}
	i := strings.LastIndex(s, "##")
	if i < 0 {
		return "", false
	}
	return s[i+2:], true
}

func (g *Graph) memberJSON(t *team, u directory.User, owner bool) map[string]any {
	roles := []string{}
	if owner {
		roles = append(roles, "owner")
	} else if u.UserType == "Guest" {
		roles = append(roles, "guest")
	}
	return map[string]any{
		"@odata.type":                 "#microsoft.graph.aadUserConversationMember",
		"id":                          memberID(t.id, u.ID),
		"roles":                       roles,
		"displayName":                 u.DisplayName,
		"visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
		"userId":                      u.ID,
		"email":                       nullable(u.Mail),
		"tenantId":                    t.tid,
	}
}
