package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// NewTeam is what POST /teams creates in one call: Graph accepts channels
// (with tabs), installed apps, members and settings inline, which saves a
// throttled call per object.
type NewTeam struct {
	Template          string // teamsTemplates id; "" means "standard"
	DisplayName       string
	Description       string
	Visibility        string // public or private
	Classification    string
	FirstChannelName  string
	Channels          []NewChannel
	Members           []NewMember
	InstalledApps     []string // teamsApp ids
	MemberSettings    map[string]any
	GuestSettings     map[string]any
	MessagingSettings map[string]any
	FunSettings       map[string]any
	// Retry is not sent: it says this creation is tried again after the
	// answer to an earlier try was lost and a look found no team, so it
	// goes ahead of first tries in the tenant's budget (Request.Retry).
	Retry bool
}

// NewChannel is a channel to create.
type NewChannel struct {
	DisplayName    string
	Description    string
	MembershipType string // standard (default) or private
	Favorite       bool
	Tabs           []NewTab
	Members        []NewMember // private channels: at least one owner
}

// NewTab is a tab to pin.
type NewTab struct {
	DisplayName   string
	AppID         string
	Configuration map[string]any
}

// NewMember adds a user, as owner or member.
type NewMember struct {
	UserID string
	Owner  bool
}

func (c *Client) bind(kind, id string) string {
	return c.origin.String() + "/v1.0/" + kind + "('" + id + "')"
}

func (c *Client) memberBody(m NewMember) map[string]any {
	roles := []string{}
	if m.Owner {
		roles = []string{"owner"}
	}
	return map[string]any{"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": roles,
		"user@odata.bind": c.bind("users", m.UserID)}
}

func (c *Client) tabBody(t NewTab) map[string]any {
	b := map[string]any{"displayName": t.DisplayName, "teamsApp@odata.bind": c.bind("appCatalogs/teamsApps", t.AppID)}
	if t.Configuration != nil {
		b["configuration"] = t.Configuration
	}
	return b
}

func (c *Client) channelBody(ch NewChannel) map[string]any {
	b := map[string]any{"displayName": ch.DisplayName}
	if ch.Description != "" {
		b["description"] = ch.Description
	}
	if ch.MembershipType != "" {
		b["membershipType"] = ch.MembershipType
	}
	if ch.Favorite {
		b["isFavoriteByDefault"] = true
	}
	if len(ch.Tabs) > 0 {
		tabs := make([]any, len(ch.Tabs))
		for i, t := range ch.Tabs {
			tabs[i] = c.tabBody(t)
		}
		b["tabs"] = tabs
	}
	if len(ch.Members) > 0 {
		ms := make([]any, len(ch.Members))
		for i, m := range ch.Members {
			ms[i] = c.memberBody(m)
		}
		b["members"] = ms
	}
	return b
}

func (c *Client) teamBody(t NewTeam) map[string]any {
	tmpl := t.Template
	if tmpl == "" {
		tmpl = "standard"
	}
	b := map[string]any{"template@odata.bind": c.bind("teamsTemplates", tmpl), "displayName": t.DisplayName}
	for k, v := range map[string]string{"description": t.Description, "visibility": t.Visibility,
		"classification": t.Classification, "firstChannelName": t.FirstChannelName} {
		if v != "" {
			b[k] = v
		}
	}
	if len(t.Channels) > 0 {
		chs := make([]any, len(t.Channels))
		for i, ch := range t.Channels {
			chs[i] = c.channelBody(ch)
		}
		b["channels"] = chs
	}
	if len(t.Members) > 0 {
		ms := make([]any, len(t.Members))
		for i, m := range t.Members {
			ms[i] = c.memberBody(m)
		}
		b["members"] = ms
	}
	if len(t.InstalledApps) > 0 {
		apps := make([]any, len(t.InstalledApps))
		for i, id := range t.InstalledApps {
			apps[i] = map[string]any{"teamsApp@odata.bind": c.bind("appCatalogs/teamsApps", id)}
		}
		b["installedApps"] = apps
	}
	for k, v := range map[string]map[string]any{"memberSettings": t.MemberSettings, "guestSettings": t.GuestSettings,
		"messagingSettings": t.MessagingSettings, "funSettings": t.FunSettings} {
		if len(v) > 0 {
			b[k] = v
		}
	}
	return b
}

var operationLocation = regexp.MustCompile(`/teams\('([^']+)'\)/operations\('([^']+)'\)`)

// CreateTeam starts creating a team (POST /teams) and returns the new
// team's id and the async operation to wait for. An error wrapping
// ErrUncertain means the team may exist: look for it before trying again.
func (c *Client) CreateTeam(ctx context.Context, tenantID string, t NewTeam) (teamID, operationID string, err error) {
	resp, err := c.Do(ctx, tenantID, Request{Method: http.MethodPost, Path: "/teams", Body: c.teamBody(t), Retry: t.Retry})
	if err != nil {
		return "", "", err
	}
	m := operationLocation.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		return "", "", fmt.Errorf("graph: create team: 202 without an operation Location (%q)", resp.Header.Get("Location"))
	}
	return m[1], m[2], nil
}

// Operation reads a teamsAsyncOperation.
func (c *Client) Operation(ctx context.Context, tenantID, teamID, operationID string) (Operation, error) {
	var op Operation
	err := c.get(ctx, tenantID, "/teams/"+esc(teamID)+"/operations/"+esc(operationID), nil, &op)
	return op, err
}

// Team reads a team. A team whose creation has not finished is a 404.
func (c *Client) Team(ctx context.Context, tenantID, teamID string) (Team, error) {
	var t Team
	err := c.get(ctx, tenantID, "/teams/"+esc(teamID), nil, &t)
	return t, err
}

// UpdateTeam patches a team's settings (memberSettings, guestSettings, ...).
func (c *Client) UpdateTeam(ctx context.Context, tenantID, teamID string, patch map[string]any) error {
	_, err := c.Do(ctx, tenantID, Request{Method: http.MethodPatch, Path: "/teams/" + esc(teamID), Body: patch})
	return err
}

// ArchiveTeam archives (or unarchives) a team. Graph answers 202 and
// archives asynchronously.
func (c *Client) ArchiveTeam(ctx context.Context, tenantID, teamID string, archive bool) error {
	verb := "archive"
	if !archive {
		verb = "unarchive"
	}
	_, err := c.Do(ctx, tenantID, Request{Method: http.MethodPost, Path: "/teams/" + esc(teamID) + "/" + verb, Idempotent: true})
	return err
}

// Channels lists a team's channels.
func (c *Client) Channels(ctx context.Context, tenantID, teamID string) ([]Channel, error) {
	return List[Channel](ctx, c, tenantID, "/teams/"+esc(teamID)+"/channels", nil)
}

// CreateChannel adds a channel. Not idempotent: list the channels first.
func (c *Client) CreateChannel(ctx context.Context, tenantID, teamID string, ch NewChannel) (Channel, error) {
	resp, err := c.Do(ctx, tenantID, Request{Method: http.MethodPost, Path: "/teams/" + esc(teamID) + "/channels", Body: c.channelBody(ch)})
	if err != nil {
		return Channel{}, err
	}
	var out Channel
	return out, resp.Decode(&out)
}

// Tabs lists a channel's tabs with their apps.
func (c *Client) Tabs(ctx context.Context, tenantID, teamID, channelID string) ([]Tab, error) {
	return List[Tab](ctx, c, tenantID, "/teams/"+esc(teamID)+"/channels/"+esc(channelID)+"/tabs", url.Values{"$expand": {"teamsApp"}})
}

// CreateTab pins a tab. Not idempotent: list the tabs first.
func (c *Client) CreateTab(ctx context.Context, tenantID, teamID, channelID string, t NewTab) (Tab, error) {
	resp, err := c.Do(ctx, tenantID, Request{Method: http.MethodPost, Path: "/teams/" + esc(teamID) + "/channels/" + esc(channelID) + "/tabs", Body: c.tabBody(t)})
	if err != nil {
		return Tab{}, err
	}
	var out Tab
	return out, resp.Decode(&out)
}

// InstalledApps lists the apps installed in a team.
func (c *Client) InstalledApps(ctx context.Context, tenantID, teamID string) ([]InstalledApp, error) {
	return List[InstalledApp](ctx, c, tenantID, "/teams/"+esc(teamID)+"/installedApps", url.Values{"$expand": {"teamsApp"}})
}

// InstallApp installs a catalog app in a team. Installing an app twice is
// a 409, which callers treat as done.
func (c *Client) InstallApp(ctx context.Context, tenantID, teamID, appID string) error {
	_, err := c.Do(ctx, tenantID, Request{Method: http.MethodPost, Path: "/teams/" + esc(teamID) + "/installedApps",
		Body: map[string]any{"teamsApp@odata.bind": c.bind("appCatalogs/teamsApps", appID)}, Idempotent: true})
	if IsConflict(err) {
		return nil
	}
	return err
}

// Members lists a team's members.
func (c *Client) Members(ctx context.Context, tenantID, teamID string) ([]Member, error) {
	return List[Member](ctx, c, tenantID, "/teams/"+esc(teamID)+"/members", nil)
}

// MaxBulkMembers is Graph's limit for one members/add request.
const MaxBulkMembers = 200

// MemberError is one user members/add could not add.
type MemberError struct {
	UserID, Code, Message string
}

// AddMembers adds users in bulk (members/add, up to 200 per request; more
// are split). Adding a user who is already a member changes nothing, so
// the call is retried safely. It returns the users Graph refused.
func (c *Client) AddMembers(ctx context.Context, tenantID, teamID string, ms []NewMember) ([]MemberError, error) {
	var failed []MemberError
	for start := 0; start < len(ms); start += MaxBulkMembers {
		chunk := ms[start:min(start+MaxBulkMembers, len(ms))]
		vals := make([]any, len(chunk))
		for i, m := range chunk {
			vals[i] = c.memberBody(m)
		}
		resp, err := c.Do(ctx, tenantID, Request{Method: http.MethodPost, Path: "/teams/" + esc(teamID) + "/members/add",
			Body: map[string]any{"values": vals}, Idempotent: true})
		if err != nil {
			return failed, err
		}
		var out struct {
			Value []struct {
				UserID string `json:"userId"`
				Error  *struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			} `json:"value"`
		}
		if err := resp.Decode(&out); err != nil {
			return failed, err
		}
		for _, v := range out.Value {
			if v.Error != nil {
				failed = append(failed, MemberError{UserID: v.UserID, Code: v.Error.Code, Message: v.Error.Message})
			}
		}
	}
	return failed, nil
}

// User reads a directory user with the properties naming policies use.
func (c *Client) User(ctx context.Context, tenantID, userID string) (User, error) {
	var u User
	err := c.get(ctx, tenantID, "/users/"+esc(userID), url.Values{"$select": {userSelect}}, &u)
	return u, err
}

// GroupsWhere lists groups matching an OData filter (e.g.
// "mailNickname eq 'sales'").
func (c *Client) GroupsWhere(ctx context.Context, tenantID, filter string) ([]Group, error) {
	return List[Group](ctx, c, tenantID, "/groups", url.Values{"$filter": {filter},
		"$select": {"id,displayName,description,mailNickname,visibility,groupTypes,resourceProvisioningOptions,createdDateTime"}})
}

// GroupMemberIDs lists the user ids of a group's members (or owners).
func (c *Client) GroupMemberIDs(ctx context.Context, tenantID, groupID string, owners bool) ([]string, error) {
	rel := "members"
	if owners {
		rel = "owners"
	}
	type ref struct {
		ID string `json:"id"`
	}
	refs, err := List[ref](ctx, c, tenantID, "/groups/"+esc(groupID)+"/"+rel, url.Values{"$select": {"id"}})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	return ids, nil
}

// Quote makes s an OData string literal (” escapes a quote).
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func esc(s string) string { return url.PathEscape(s) }

func (c *Client) get(ctx context.Context, tenantID, path string, q url.Values, v any) error {
	resp, err := c.Do(ctx, tenantID, Request{Method: http.MethodGet, Path: path, Query: q})
	if err != nil {
		return err
	}
	return resp.Decode(v)
}

// ErrOperationFailed is a teamsAsyncOperation that ended "failed".
var ErrOperationFailed = errors.New("graph: the Teams operation failed")

// UpdateGroup patches a group (displayName, description, mailNickname,
// visibility).
func (c *Client) UpdateGroup(ctx context.Context, tenantID, groupID string, patch map[string]any) error {
	_, err := c.Do(ctx, tenantID, Request{Method: http.MethodPatch, Path: "/groups/" + esc(groupID), Body: patch})
	return err
}

// SetGroupPhoto uploads a group's (and so its team's) picture: JPEG or
// PNG, at most 4 MB (PUT /groups/{id}/photo/$value).
func (c *Client) SetGroupPhoto(ctx context.Context, tenantID, groupID, contentType string, data []byte) error {
	if contentType != "image/jpeg" && contentType != "image/png" {
		return fmt.Errorf("graph: set group photo: content type %q: Graph takes image/jpeg or image/png", contentType)
	}
	if len(data) == 0 || len(data) > 4<<20 {
		return fmt.Errorf("graph: set group photo: %d bytes: Graph takes 1 byte to 4 MB", len(data))
	}
	_, err := c.Do(ctx, tenantID, Request{Method: http.MethodPut, Path: "/groups/" + url.PathEscape(groupID) + "/photo/$value",
		RawBody: data, ContentType: contentType})
	return err
}

// DeleteGroup deletes a group and its team. Deleting one already gone
// succeeds.
func (c *Client) DeleteGroup(ctx context.Context, tenantID, groupID string) error {
	_, err := c.Do(ctx, tenantID, Request{Method: http.MethodDelete, Path: "/groups/" + esc(groupID)})
	if IsNotFound(err) {
		return nil
	}
	return err
}
