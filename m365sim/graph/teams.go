package graph

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
)

// teamKey scopes every team to its tenant: one tenant can never reach
// another's team, even by id.
type teamKey struct{ tid, id string }

// team is the Teams side of a team-enabled group. Display name, description
// and membership live on the group in the directory.
type team struct {
	id, tid        string
	createdAt      time.Time
	readyAt        time.Time // GET /teams/{id} answers 404 before this
	failed         bool      // its creation operation failed: never ready
	archived       bool
	visibility     string // public or private
	classification string
	specialization string
	settings       map[string]map[string]any // memberSettings, guestSettings, ...
	channels       []*channel
	apps           []string // installed catalog app ids beyond the built-ins
}

// Default settings of a new team, from the team resource documentation.
func defaultSettings() map[string]map[string]any {
	return map[string]map[string]any{
		"memberSettings": {
			"allowCreateUpdateChannels": true, "allowCreatePrivateChannels": true, "allowDeleteChannels": true,
			"allowAddRemoveApps": true, "allowCreateUpdateRemoveTabs": true, "allowCreateUpdateRemoveConnectors": true,
		},
		"guestSettings":     {"allowCreateUpdateChannels": false, "allowDeleteChannels": false},
		"messagingSettings": {"allowUserEditMessages": true, "allowUserDeleteMessages": true, "allowOwnerDeleteMessages": true, "allowTeamMentions": true, "allowChannelMentions": true},
		"funSettings":       {"allowGiphy": true, "giphyContentRating": "moderate", "allowStickersAndMemes": true, "allowCustomMemes": true},
		"discoverySettings": {"showInTeamsSearchAndSuggestions": true},
	}
}

func cloneSettings(s map[string]map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for k, v := range s {
		out[k] = maps.Clone(v)
	}
	return out
}

// applySettings merges settings blocks from a request body; an unknown
// block property is a 400 because Graph rejects unknown properties.
func applySettings(dst map[string]map[string]any, body map[string]map[string]any) error {
	for block, vals := range body {
		cur, ok := dst[block]
		if !ok {
			return errBadRequest("Invalid property '%s'.", block)
		}
		for k, v := range vals {
			old, ok := cur[k]
			if !ok {
				return errBadRequest("Invalid property '%s' on '%s'.", k, block)
			}
			if fmt.Sprintf("%T", old) != fmt.Sprintf("%T", v) {
				return errBadRequest("Invalid value for property '%s' on '%s'.", k, block)
			}
			if k == "giphyContentRating" {
				r := strings.ToLower(v.(string))
				if r != "moderate" && r != "strict" {
					return errBadRequest("Invalid value '%s' for giphyContentRating.", v)
				}
				v = r
			}
			cur[k] = v
		}
	}
	return nil
}

// hexID derives a stable 32-hex id from parts.
func hexID(parts ...any) string {
	sum := sha1.Sum([]byte(fmt.Sprint(parts...)))
	return hex.EncodeToString(sum[:16])
}

// threadID is a channel id in Teams' format.
func threadID(parts ...any) string { return "19:" + hexID(parts...) + "@thread.tacv2" }

// readyTeam returns the caller's team if it exists and its creation has
// finished; it must be called with g.mu held.
func (g *Graph) readyTeam(c *call, id string) (*team, error) {
	t, ok := g.teams[teamKey{c.tid, id}]
	if !ok || t.failed || g.now().Before(t.readyAt) {
		return nil, errTeamNotFound(id)
	}
	if _, err := g.dir.Group(c.tid, id); err != nil {
		return nil, errTeamNotFound(id)
	}
	return t, nil
}

func (g *Graph) teamJSON(t *team, gr directory.Group) map[string]any {
	general := t.channels[0]
	m := map[string]any{
		"id":                          t.id,
		"createdDateTime":             odataTime(t.createdAt),
		"displayName":                 gr.DisplayName,
		"description":                 nullable(gr.Description),
		"internalId":                  general.id,
		"classification":              nullable(t.classification),
		"specialization":              t.specialization,
		"visibility":                  t.visibility,
		"webUrl":                      fmt.Sprintf("https://teams.microsoft.com/l/team/%s/conversations?groupId=%s&tenantId=%s", general.id, t.id, t.tid),
		"isArchived":                  t.archived,
		"tenantId":                    t.tid,
		"isMembershipLimitedToOwners": nil,
	}
	for k, v := range t.settings {
		m[k] = maps.Clone(v)
	}
	return m
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Request bodies.
type memberBody struct {
	Type   string   `json:"@odata.type"`
	User   string   `json:"user@odata.bind"`
	UserID string   `json:"userId"`
	Roles  []string `json:"roles"`
}

type tabBody struct {
	DisplayName   string     `json:"displayName"`
	TeamsApp      string     `json:"teamsApp@odata.bind"`
	Configuration *tabConfig `json:"configuration"`
}

type channelBody struct {
	DisplayName         string       `json:"displayName"`
	Description         string       `json:"description"`
	MembershipType      string       `json:"membershipType"`
	IsFavoriteByDefault *bool        `json:"isFavoriteByDefault"`
	Members             []memberBody `json:"members"`
	Tabs                []tabBody    `json:"tabs"`
}

type teamBody struct {
	Template         string        `json:"template@odata.bind"`
	Group            string        `json:"group@odata.bind"`
	DisplayName      string        `json:"displayName"`
	Description      string        `json:"description"`
	Visibility       string        `json:"visibility"`
	Classification   string        `json:"classification"`
	Specialization   string        `json:"specialization"`
	FirstChannelName string        `json:"firstChannelName"`
	Channels         []channelBody `json:"channels"`
	Members          []memberBody  `json:"members"`
	InstalledApps    []struct {
		TeamsApp string `json:"teamsApp@odata.bind"`
	} `json:"installedApps"`
	MemberSettings    map[string]any `json:"memberSettings"`
	GuestSettings     map[string]any `json:"guestSettings"`
	MessagingSettings map[string]any `json:"messagingSettings"`
	FunSettings       map[string]any `json:"funSettings"`
	DiscoverySettings map[string]any `json:"discoverySettings"`
}

func (b *teamBody) settings() map[string]map[string]any {
	out := map[string]map[string]any{}
	for k, v := range map[string]map[string]any{"memberSettings": b.MemberSettings, "guestSettings": b.GuestSettings,
		"messagingSettings": b.MessagingSettings, "funSettings": b.FunSettings, "discoverySettings": b.DiscoverySettings} {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// Templates a team can be created from (teamsTemplates('...')).
var templates = []string{"standard", "educationClass", "educationStaff", "educationProfessionalLearningCommunity",
	"retailStore", "retailManagerCollaboration", "healthcareWard", "healthcareHospital"}

// resolvedMember is a member of a request body, resolved to a user.
type resolvedMember struct {
	user  directory.User
	owner bool
}

func (g *Graph) resolveMember(c *call, m memberBody) (resolvedMember, error) {
	if m.Type != "" && !strings.HasSuffix(m.Type, "aadUserConversationMember") {
		return resolvedMember{}, errBadRequest("Unsupported member type '%s'.", m.Type)
	}
	id := m.UserID
	if m.User != "" {
		var ok bool
		if id, ok = bindID(m.User, "users"); !ok {
			return resolvedMember{}, errBadRequest("Invalid user@odata.bind value '%s'.", m.User)
		}
	}
	if id == "" {
		return resolvedMember{}, errBadRequest("user@odata.bind or userId is required.")
	}
	u, err := g.dir.User(c.tid, id)
	if err != nil {
		return resolvedMember{}, errf(http.StatusNotFound, "NotFound", "User '%s' not found.", id)
	}
	owner := false
	for _, r := range m.Roles {
		switch strings.ToLower(r) {
		case "owner":
			owner = true
		case "member", "guest":
		default:
			return resolvedMember{}, errBadRequest("Invalid role '%s'.", r)
		}
	}
	return resolvedMember{user: u, owner: owner}, nil
}

// mailNickname derives a free nickname from a display name, as Teams does
// when it creates the team's group.
func (g *Graph) mailNickname(tid, displayName string) string {
	var b strings.Builder
	for _, r := range displayName {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	base := b.String()
	if base == "" {
		base = "team"
	}
	if len(base) > 50 {
		base = base[:50]
	}
	groups, _ := g.dir.Groups(tid)
	taken := map[string]bool{}
	for _, gr := range groups {
		taken[strings.ToLower(gr.MailNickname)] = true
	}
	nick := base
	for i := 2; taken[strings.ToLower(nick)]; i++ {
		nick = fmt.Sprintf("%s%d", base, i)
	}
	return nick
}

func (g *Graph) createTeam(c *call) error {
	var b teamBody
	if err := decodeBody(c.r, &b); err != nil {
		return err
	}
	tmpl, ok := bindID(b.Template, "teamsTemplates")
	if b.Template == "" {
		return errBadRequest("A template is required: set template@odata.bind.")
	}
	if !ok || !slices.Contains(templates, tmpl) {
		return errBadRequest("Template '%s' is not supported.", b.Template)
	}
	if b.Group == "" && b.DisplayName == "" {
		return errBadRequest("displayName is required.")
	}
	vis := strings.ToLower(b.Visibility)
	if vis == "" {
		vis = "public"
	}
	if vis != "public" && vis != "private" {
		return errBadRequest("Invalid visibility '%s'.", b.Visibility)
	}
	var members []resolvedMember
	for _, m := range b.Members {
		rm, err := g.resolveMember(c, m)
		if err != nil {
			return err
		}
		members = append(members, rm)
	}
	if c.claims.Delegated() {
		// The signed-in user becomes an owner of the team they create.
		if u, err := g.dir.User(c.tid, c.claims.ObjectID); err == nil {
			members = append(members, resolvedMember{user: u, owner: true})
		}
	}
	hasOwner := slices.ContainsFunc(members, func(m resolvedMember) bool { return m.owner })
	if b.Group == "" && !hasOwner {
		return errBadRequest("A team created with application permissions needs at least one owner: add a member with roles [\"owner\"].")
	}
	settings := defaultSettings()
	if err := applySettings(settings, b.settings()); err != nil {
		return err
	}
	var appIDs []string
	for _, a := range b.InstalledApps {
		id, ok := bindID(a.TeamsApp, "teamsApps")
		if !ok {
			return errBadRequest("Invalid teamsApp@odata.bind value '%s'.", a.TeamsApp)
		}
		g.mu.Lock()
		_, found := g.catalogApp(id)
		g.mu.Unlock()
		if !found {
			return errf(http.StatusNotFound, "NotFound", "App '%s' was not found in the app catalog.", id)
		}
		if !slices.Contains(appIDs, id) {
			appIDs = append(appIDs, id)
		}
	}

	now := g.now().UTC()
	var gr directory.Group
	if b.Group != "" {
		// Team from an existing group.
		gid, ok := bindID(b.Group, "groups")
		if !ok {
			return errBadRequest("Invalid group@odata.bind value '%s'.", b.Group)
		}
		if b.DisplayName != "" || b.Visibility != "" || b.Specialization != "" || len(b.Members) > 0 {
			return errBadRequest("A team created from a group inherits its displayName, visibility, specialization and members; remove them from the request.")
		}
		var err error
		if gr, err = g.group(c, gid); err != nil {
			return err
		}
		if now.Before(gr.CreatedDateTime.Add(g.repDelay)) {
			return replicationNotFound(gid)
		}
		if len(gr.Owners) == 0 {
			return errBadRequest("Group %s has no owner; a team needs at least one owner.", gid)
		}
		if !slices.Contains(gr.GroupTypes, "Unified") {
			return errBadRequest("Group %s is not a Microsoft 365 group; only Unified groups can have a team.", gid)
		}
		vis = strings.ToLower(gr.Visibility)
		if vis != "private" {
			vis = "public"
		}
		g.mu.Lock()
		_, exists := g.teams[teamKey{c.tid, gid}]
		g.mu.Unlock()
		if exists {
			return errf(http.StatusConflict, "Conflict", "Team already exists for group %s.", gid)
		}
	} else {
		var owners, ids []string
		for _, m := range members {
			ids = append(ids, m.user.ID)
			if m.owner {
				owners = append(owners, m.user.ID)
			}
		}
		var err error
		for range 5 { // a concurrent request may take the derived nickname first
			gr, err = g.dir.CreateGroup(c.tid, directory.Group{
				DisplayName: b.DisplayName, Description: b.Description, MailNickname: g.mailNickname(c.tid, b.DisplayName),
				MailEnabled: true, GroupTypes: []string{"Unified"}, Visibility: capitalise(vis),
				Owners: owners, Members: ids,
			})
			if !errors.Is(err, directory.ErrConflict) {
				break
			}
		}
		if err != nil {
			return fmt.Errorf("graph: create team group: %w", err)
		}
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	if _, exists := g.teams[teamKey{c.tid, gr.ID}]; exists {
		return errf(http.StatusConflict, "Conflict", "Team already exists for group %s.", gr.ID)
	}
	t := g.newTeam(c.tid, gr.ID, now, b.FirstChannelName)
	t.readyAt = now.Add(g.opDelay)
	t.visibility = vis
	t.classification = b.Classification
	if b.Specialization != "" {
		t.specialization = b.Specialization
	}
	t.settings = settings
	t.apps = appIDs
	for _, cb := range b.Channels {
		if _, err := g.addChannel(c, t, cb, now); err != nil {
			if b.Group == "" {
				_ = g.dir.DeleteGroup(c.tid, gr.ID) // the request failed as a whole
			}
			return err
		}
	}
	g.teams[teamKey{c.tid, gr.ID}] = t
	op := g.startOperation(c.tid, gr.ID, "createTeam", now, func() {
		_, _ = g.dir.UpdateGroup(c.tid, gr.ID, func(gg *directory.Group) error {
			if !slices.Contains(gg.ResourceProvisioningOptions, "Team") {
				gg.ResourceProvisioningOptions = append(gg.ResourceProvisioningOptions, "Team")
			}
			return nil
		})
	})
	t.failed = op.failed
	accepted(c, gr.ID, op.id)
	return nil
}

// replicationNotFound is what Teams answers while a new group has not yet
// replicated to it.
func replicationNotFound(gid string) *apiError {
	return errf(http.StatusNotFound, "NotFound",
		"Failed to execute Templates backend request CreateTeamFromGroupWithTemplateRequest. Request Url: https://teams.microsoft.com/fabric/templates/api/groups/%s/team, Request Method: PUT, Response Status Code: NotFound, ErrorMessage : {\"errors\":[{\"message\":\"Group %s not found.\"}]}", gid, gid)
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// accepted answers 202 with the operation to poll, as Teams' async
// operations do.
func accepted(c *call, teamID, opID string) {
	h := c.w.Header()
	h.Set("Location", fmt.Sprintf("/teams('%s')/operations('%s')", teamID, opID))
	h.Set("Content-Location", fmt.Sprintf("/teams('%s')", teamID))
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", "0")
	c.w.WriteHeader(http.StatusAccepted)
}

// newTeam builds a team with its General channel; g.mu must be held.
func (g *Graph) newTeam(tid, id string, now time.Time, firstChannel string) *team {
	if firstChannel == "" {
		firstChannel = "General"
	}
	t := &team{id: id, tid: tid, createdAt: now, readyAt: now, visibility: "public", specialization: "none", settings: defaultSettings()}
	t.channels = []*channel{{
		id: threadID("general", tid, id, g.nextID()), displayName: firstChannel, membershipType: "standard",
		createdAt: now,
	}}
	return t
}

func (g *Graph) getTeam(c *call) error {
	id := c.r.PathValue("teamId")
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, id)
	if err != nil {
		return err
	}
	gr, err := g.dir.Group(c.tid, id)
	if err != nil {
		return errTeamNotFound(id)
	}
	return g.entity(c, http.StatusOK, "teams/$entity", g.teamJSON(t, gr))
}

func (g *Graph) patchTeam(c *call) error {
	id := c.r.PathValue("teamId")
	var body map[string]any
	if err := decodeBody(c.r, &body); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, id)
	if err != nil {
		return err
	}
	settings := cloneSettings(t.settings)
	blocks := map[string]map[string]any{}
	var name, desc *string
	vis, class := t.visibility, t.classification
	for k, v := range body {
		switch k {
		case "displayName", "description", "classification", "visibility":
			s, ok := v.(string)
			if !ok {
				return errBadRequest("Invalid value for property '%s'.", k)
			}
			switch k {
			case "displayName":
				name = &s
			case "description":
				desc = &s
			case "classification":
				class = s
			case "visibility":
				vis = strings.ToLower(s)
				if vis != "public" && vis != "private" {
					return errBadRequest("Invalid visibility '%s'.", s)
				}
			}
		default:
			m, ok := v.(map[string]any)
			if _, known := settings[k]; !known || !ok {
				return errBadRequest("Invalid property '%s'.", k)
			}
			blocks[k] = m
		}
	}
	if err := applySettings(settings, blocks); err != nil {
		return err
	}
	if _, err := g.dir.UpdateGroup(c.tid, id, func(gr *directory.Group) error {
		if name != nil {
			gr.DisplayName = *name
		}
		if desc != nil {
			gr.Description = *desc
		}
		gr.Visibility = capitalise(vis)
		return nil
	}); err != nil {
		return errTeamNotFound(id)
	}
	t.settings, t.visibility, t.classification = settings, vis, class
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// putGroupTeam creates a team from an existing group (PUT
// /groups/{id}/team). It answers 404 during the replication delay after the
// group's creation, as Microsoft does for up to 15 minutes.
func (g *Graph) putGroupTeam(c *call) error {
	gid := c.r.PathValue("teamId")
	var b teamBody
	if c.r.ContentLength != 0 {
		if err := decodeBody(c.r, &b); err != nil {
			return err
		}
	}
	gr, err := g.group(c, gid)
	if err != nil {
		return err
	}
	now := g.now().UTC()
	if now.Before(gr.CreatedDateTime.Add(g.repDelay)) {
		return replicationNotFound(gid)
	}
	if !slices.Contains(gr.GroupTypes, "Unified") {
		return errBadRequest("Group %s is not a Microsoft 365 group; only Unified groups can have a team.", gid)
	}
	if len(gr.Owners) == 0 {
		return errBadRequest("Group %s has no owner; a team needs at least one owner.", gid)
	}
	settings := defaultSettings()
	if err := applySettings(settings, b.settings()); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, exists := g.teams[teamKey{c.tid, gid}]; exists {
		return errf(http.StatusConflict, "Conflict", "Team already exists for group %s.", gid)
	}
	t := g.newTeam(c.tid, gid, now, "")
	t.settings = settings
	t.visibility = strings.ToLower(gr.Visibility)
	if t.visibility != "private" {
		t.visibility = "public"
	}
	g.teams[teamKey{c.tid, gid}] = t
	gr, _ = g.dir.UpdateGroup(c.tid, gid, func(gg *directory.Group) error {
		if !slices.Contains(gg.ResourceProvisioningOptions, "Team") {
			gg.ResourceProvisioningOptions = append(gg.ResourceProvisioningOptions, "Team")
		}
		return nil
	})
	return g.entity(c, http.StatusCreated, "teams/$entity", g.teamJSON(t, gr))
}

func (g *Graph) archiveTeam(archive bool) handler {
	return func(c *call) error {
		id := c.r.PathValue("teamId")
		if archive && c.r.ContentLength > 0 {
			var b struct {
				ShouldSetSpoSiteReadOnlyForMembers *bool `json:"shouldSetSpoSiteReadOnlyForMembers"`
			}
			if err := decodeBody(c.r, &b); err != nil {
				return err
			}
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		t, err := g.readyTeam(c, id)
		if err != nil {
			return err
		}
		kind := "archiveTeam"
		if !archive {
			kind = "unarchiveTeam"
		}
		op := g.startOperation(c.tid, id, kind, g.now().UTC(), func() { t.archived = archive })
		accepted(c, id, op.id)
		return nil
	}
}

type cloneBody struct {
	DisplayName    string `json:"displayName"`
	Description    string `json:"description"`
	MailNickname   string `json:"mailNickname"`
	Classification string `json:"classification"`
	Visibility     string `json:"visibility"`
	PartsToClone   string `json:"partsToClone"`
}

func (g *Graph) cloneTeam(c *call) error {
	id := c.r.PathValue("teamId")
	var b cloneBody
	if err := decodeBody(c.r, &b); err != nil {
		return err
	}
	if b.DisplayName == "" || b.MailNickname == "" || b.PartsToClone == "" {
		return errBadRequest("displayName, mailNickname and partsToClone are required.")
	}
	parts := map[string]bool{}
	for _, p := range strings.Split(b.PartsToClone, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains([]string{"apps", "tabs", "settings", "channels", "members"}, p) {
			return errBadRequest("Invalid value '%s' for partsToClone.", p)
		}
		parts[p] = true
	}
	g.mu.Lock()
	src, err := g.readyTeam(c, id)
	srcVis := ""
	if err == nil {
		srcVis = src.visibility
	}
	g.mu.Unlock()
	if err != nil {
		return err
	}
	srcGroup, err := g.dir.Group(c.tid, id)
	if err != nil {
		return errTeamNotFound(id)
	}
	vis := strings.ToLower(b.Visibility)
	if vis == "" {
		vis = srcVis
	}
	ng := directory.Group{
		DisplayName: b.DisplayName, Description: b.Description, MailNickname: b.MailNickname,
		MailEnabled: true, GroupTypes: []string{"Unified"}, Visibility: capitalise(vis),
		Owners: srcGroup.Owners,
	}
	if parts["members"] {
		ng.Members = srcGroup.Members
	} else {
		ng.Members = srcGroup.Owners
	}
	gr, err := g.dir.CreateGroup(c.tid, ng)
	if errors.Is(err, directory.ErrConflict) {
		return mailNicknameConflict()
	}
	if err != nil {
		return fmt.Errorf("graph: clone team: %w", err)
	}
	now := g.now().UTC()
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.newTeam(c.tid, gr.ID, now, src.channels[0].displayName)
	t.readyAt = now.Add(g.opDelay)
	t.visibility, t.classification = vis, b.Classification
	if parts["settings"] {
		t.settings = cloneSettings(src.settings)
	}
	if parts["apps"] {
		t.apps = slices.Clone(src.apps)
	}
	if parts["channels"] {
		for i, ch := range src.channels {
			dst := t.channels[0]
			if i > 0 {
				if ch.membershipType != "standard" {
					continue // private and shared channels are not cloned
				}
				dst = &channel{id: threadID("clone", c.tid, gr.ID, g.nextID()), displayName: ch.displayName,
					description: ch.description, membershipType: ch.membershipType, createdAt: now}
				t.channels = append(t.channels, dst)
			}
			if parts["tabs"] {
				for _, tb := range ch.tabs {
					cp := *tb
					cp.id = directory.GUID(fmt.Sprintf("tab/%s/%d", gr.ID, g.nextID()))
					dst.tabs = append(dst.tabs, &cp)
				}
			}
		}
	}
	g.teams[teamKey{c.tid, gr.ID}] = t
	op := g.startOperation(c.tid, gr.ID, "cloneTeam", now, func() {
		_, _ = g.dir.UpdateGroup(c.tid, gr.ID, func(gg *directory.Group) error {
			gg.ResourceProvisioningOptions = append(gg.ResourceProvisioningOptions, "Team")
			return nil
		})
	})
	t.failed = op.failed
	accepted(c, gr.ID, op.id)
	return nil
}
