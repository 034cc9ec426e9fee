package botconnector

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stewardhq/steward/m365sim/directory"
)

// Conversation types, as conversation.conversationType carries them.
const (
	Personal  = "personal"
	Channel   = "channel"
	GroupChat = "groupChat"
)

// Conversation is a thread the simulated Teams knows: a bot's 1:1 chat with
// a user, or a team channel (whose id is the channel's thread id; a post in
// it is "{id};messageid={rootId}").
type Conversation struct {
	ID       string `json:"id"`
	Type     string `json:"conversationType"`
	TenantID string `json:"tenantId"`
	BotAppID string `json:"botAppId"`
	Name     string `json:"name,omitempty"`
	// Channel conversations: the team's thread id (also its General
	// channel's id), its name and its Microsoft 365 group.
	TeamID   string `json:"teamId,omitempty"`
	TeamName string `json:"teamName,omitempty"`
	GroupID  string `json:"aadGroupId,omitempty"`
	// Members are the directory user ids in the conversation (the bot
	// excluded), in roster order.
	Members []string `json:"members"`
	// Uninstalled is set once an installationUpdate "remove" was delivered
	// (and cleared by an "add"): the connector then refuses the bot's calls
	// with 403 BotNotInConversationRoster, as Teams does after removal.
	Uninstalled bool `json:"uninstalled,omitempty"`
}

// conversation is a Conversation and what the bot posted into it.
type conversation struct {
	Conversation
	activities map[string]*storedActivity
}

type storedActivity struct {
	activity map[string]any
	deleted  bool
}

func sortConversations(cs []Conversation) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
}

// baseConversationID strips Teams' ";messageid=..." thread suffix.
func baseConversationID(id string) string {
	base, _, _ := strings.Cut(id, ";messageid=")
	return base
}

func digest(parts ...string) []byte {
	sum := sha256.Sum256([]byte("m365sim/botconnector:" + strings.Join(parts, "/")))
	return sum[:]
}

// personalConversationID is the same for every call with the same tenant,
// bot and user, as Teams answers creating a 1:1 chat that exists with the
// existing id.
func personalConversationID(tenantID, botAppID, userID string) string {
	return "a:1" + base64.RawURLEncoding.EncodeToString(digest("personal", tenantID, botAppID, userID))
}

// teamThreadID is a team's (and its General channel's) thread id.
func teamThreadID(tenantID, groupID, channel string) string {
	return "19:" + hex.EncodeToString(digest("channel", tenantID, groupID, channel)[:16]) + "@thread.tacv2"
}

// MemberID is the Teams user id ("29:1...") the channel gives a user in
// a bot's conversations. Real ids are opaque; these are stable per tenant
// and user.
func MemberID(tenantID, userID string) string {
	return "29:1" + base64.RawURLEncoding.EncodeToString(digest("member", tenantID, userID)[:24])
}

// BotID is the bot's channel account id, "28:{appId}".
func BotID(botAppID string) string { return "28:" + botAppID }

// PersonalConversation registers (or returns) the 1:1 chat between a user
// and a bot.
func (c *Connector) PersonalConversation(tenantID, botAppID, userID string) (Conversation, error) {
	if _, err := c.bot(tenantID, botAppID); err != nil {
		return Conversation{}, err
	}
	if _, err := c.dir.User(tenantID, userID); err != nil {
		return Conversation{}, fmt.Errorf("botconnector: personal conversation: %w", err)
	}
	cv := Conversation{
		ID:       personalConversationID(tenantID, botAppID, userID),
		Type:     Personal,
		TenantID: tenantID,
		BotAppID: botAppID,
		Members:  []string{userID},
	}
	return c.register(cv), nil
}

// ChannelConversation registers (or returns) a team channel the bot is
// installed in. The team is the Microsoft 365 group groupID; its owners and
// members are the roster. channel "" or "General" is the team's General
// channel, whose id is the team's id.
func (c *Connector) ChannelConversation(tenantID, botAppID, groupID, channel string) (Conversation, error) {
	if _, err := c.bot(tenantID, botAppID); err != nil {
		return Conversation{}, err
	}
	g, err := c.dir.Group(tenantID, groupID)
	if err != nil {
		return Conversation{}, fmt.Errorf("botconnector: channel conversation: %w", err)
	}
	if channel == "" {
		channel = "General"
	}
	teamID := teamThreadID(tenantID, groupID, "General")
	id := teamID
	if channel != "General" {
		id = teamThreadID(tenantID, groupID, channel)
	}
	members := slices.Clone(g.Owners)
	for _, m := range g.Members {
		if !slices.Contains(members, m) {
			members = append(members, m)
		}
	}
	cv := Conversation{
		ID:       id,
		Type:     Channel,
		TenantID: tenantID,
		BotAppID: botAppID,
		Name:     channel,
		TeamID:   teamID,
		TeamName: g.DisplayName,
		GroupID:  groupID,
		Members:  members,
	}
	return c.register(cv), nil
}

// register stores cv unless a conversation with its id exists, and returns
// the stored one.
func (c *Connector) register(cv Conversation) Conversation {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.convs[cv.ID]; ok {
		return cloneConversation(old.Conversation)
	}
	cv = cloneConversation(cv)
	c.convs[cv.ID] = &conversation{Conversation: cv, activities: map[string]*storedActivity{}}
	return cloneConversation(cv)
}

func cloneConversation(cv Conversation) Conversation {
	cv.Members = slices.Clone(cv.Members)
	return cv
}

// bot returns the bot registered in tenantID under botAppID.
func (c *Connector) bot(tenantID, botAppID string) (directory.App, error) {
	app, err := c.dir.App(tenantID, botAppID)
	if err != nil {
		return directory.App{}, fmt.Errorf("botconnector: bot: %w", err)
	}
	if app.BotEndpoint == "" {
		return directory.App{}, fmt.Errorf("botconnector: app %s has no bot endpoint: %w", botAppID, directory.ErrNotFound)
	}
	return app, nil
}

// registeredBot reports whether appID is a bot in any tenant, and its name.
func (c *Connector) registeredBot(appID string) (string, bool) {
	for _, t := range c.dir.Tenants() {
		if app, err := c.dir.App(t.ID, appID); err == nil && app.BotEndpoint != "" {
			return app.DisplayName, true
		}
	}
	return "", false
}

// TeamsChannelAccount is a conversation member as the Teams channel
// returns it.
type TeamsChannelAccount struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	AADObjectID       string `json:"aadObjectId"`
	GivenName         string `json:"givenName,omitempty"`
	Surname           string `json:"surname,omitempty"`
	Email             string `json:"email,omitempty"`
	UserPrincipalName string `json:"userPrincipalName"`
	TenantID          string `json:"tenantId"`
	UserRole          string `json:"userRole"`
}

func (c *Connector) account(tenantID string, u directory.User) TeamsChannelAccount {
	role := "user"
	if strings.EqualFold(u.UserType, "Guest") {
		role = "guest"
	}
	return TeamsChannelAccount{
		ID:                MemberID(tenantID, u.ID),
		Name:              u.DisplayName,
		AADObjectID:       u.ID,
		GivenName:         u.GivenName,
		Surname:           u.Surname,
		Email:             u.Mail,
		UserPrincipalName: u.UserPrincipalName,
		TenantID:          tenantID,
		UserRole:          role,
	}
}

// memberAccounts resolves a conversation's roster; users deleted from the
// directory since are left out.
func (c *Connector) memberAccounts(cv Conversation) []TeamsChannelAccount {
	out := []TeamsChannelAccount{}
	for _, id := range cv.Members {
		if u, err := c.dir.User(cv.TenantID, id); err == nil {
			out = append(out, c.account(cv.TenantID, u))
		}
	}
	return out
}

// resolveUser maps a member id ("29:..." or an AAD object id) of tenantID
// to a directory user.
func (c *Connector) resolveUser(tenantID, memberID string) (directory.User, error) {
	if strings.HasPrefix(memberID, "29:") {
		users, err := c.dir.Users(tenantID)
		if err != nil {
			return directory.User{}, err
		}
		for _, u := range users {
			if MemberID(tenantID, u.ID) == memberID {
				return u, nil
			}
		}
		return directory.User{}, fmt.Errorf("%w: member %s", directory.ErrNotFound, memberID)
	}
	return c.dir.User(tenantID, memberID)
}
