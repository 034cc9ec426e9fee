package governance

import (
	"context"
	"net/url"
	"strings"
)

// TeamReader reads an existing team (Microsoft Graph in production), so a
// catalog manager can turn a team that works well into a template.
type TeamReader interface {
	// ReadTeam reads team teamID (its group id) of tenantID, and only of
	// tenantID: a team of another tenant does not exist for it.
	//
	// Errors: KindNotFound when the tenant has no such team;
	// KindUnavailable or KindTooManyRequests when the reader's service
	// fails or is busy.
	ReadTeam(ctx context.Context, tenantID, teamID string) (OriginalTeam, error)
}

// OriginalTeam is an existing team as a TeamReader reads it, in the terms
// of a template's spec.
type OriginalTeam struct {
	ID          string
	DisplayName string
	Description string
	Visibility  string // as Microsoft Graph says: public, private or hiddenMembership
	// Channels are the team's channels but General (the primary channel,
	// which every team has), in Graph's order. MembershipType is standard,
	// private or shared.
	Channels []ChannelSpec
	// Apps are the Teams app catalog ids of every app installed in the
	// team, the ones Teams installs in every team included.
	Apps              []string
	MemberSettings    *TeamMemberSettings
	GuestSettings     *TeamGuestSettings
	MessagingSettings *TeamMessagingSettings
	FunSettings       *TeamFunSettings
}

// FromTeam is what a catalog manager gives to make a template from an
// existing team: the team, and the catalog entry's own fields.
type FromTeam struct {
	TeamID      string // the team's group id
	ID          string // the new template's id
	Name        string
	Description string // empty: the team's description
	Category    string
	Audience    []string
	Policies    TemplatePolicies
	Fields      []RequestField
}

// fromTeamAudit is the after state of the audit row of a template made
// from a team: the template, and the team it was read from.
type fromTeamAudit struct {
	Template
	SourceTeamID string `json:"sourceTeamId"`
}

// CreateFromTeam adds a template at version 1 whose spec is read from an
// existing team of the caller's tenant: its visibility, channels with their
// tabs, installed apps, and member, guest, messaging and fun settings. The
// policies, audience and questions are in's (none when empty).
//
// What a template cannot recreate is left out: the General channel (every
// team has one; its tabs too), shared channels (a template creates standard
// and private ones), tabs without an https content URL (such as the retired
// Wiki tab), and the apps Teams installs in every team. A hidden-membership
// team (a class team) becomes private. The audit row (template.created)
// records the source team's id.
//
// Errors: KindUnauthenticated; KindForbidden; KindInvalid (template_id_invalid,
// team_id_invalid, template_invalid); KindNotFound (team_not_found: the
// caller's tenant has no such team, whichever other tenant may have it);
// KindConflict (template_exists); KindUnavailable (teams_not_configured, or
// Microsoft Graph failing); KindTooManyRequests (Microsoft Graph is busy).
func (s *TemplateService) CreateFromTeam(ctx context.Context, p Principal, in FromTeam) (Template, error) {
	if err := requireCatalog(p); err != nil {
		return Template{}, err
	}
	if err := checkTemplateID(in.ID); err != nil {
		return Template{}, err
	}
	if !guidPattern.MatchString(in.TeamID) {
		return Template{}, Errorf(KindInvalid, "team_id_invalid",
			"team id %q is not a team id: use the team's group id, a GUID (the groupId in the team's link in Teams)", in.TeamID)
	}
	t := Template{TenantID: p.TenantID, ID: in.ID, Name: in.Name, Description: in.Description, Category: in.Category,
		Audience: in.Audience, Policies: in.Policies, Fields: in.Fields, UpdatedBy: p.ID,
		Spec: TeamSpec{Visibility: "private"}}
	// Everything but the spec is known before Graph is called: a mistake in
	// it is reported without spending the tenant's Graph budget.
	if err := t.Validate(); err != nil {
		return Template{}, err
	}
	if s.teams == nil {
		return Template{}, Errorf(KindUnavailable, "teams_not_configured",
			"this Steward server cannot read teams: Microsoft Graph is not configured for it")
	}
	team, err := s.teams.ReadTeam(ctx, p.TenantID, in.TeamID)
	if IsKind(err, KindNotFound) {
		return Template{}, Errorf(KindNotFound, "team_not_found",
			"there is no team %q in your organisation: check the team id (the groupId in the team's link in Teams)", in.TeamID)
	}
	if err != nil {
		return Template{}, err
	}
	t.Spec = specFromTeam(team)
	if t.Description == "" {
		t.Description = team.Description
	}
	if err := t.Validate(); err != nil {
		return Template{}, err
	}
	return s.create(ctx, p, t, func(out Template) any { return fromTeamAudit{out, in.TeamID} })
}

// specFromTeam is what a template can recreate of a team (see
// CreateFromTeam).
func specFromTeam(o OriginalTeam) TeamSpec {
	spec := TeamSpec{Visibility: strings.ToLower(o.Visibility), MemberSettings: o.MemberSettings, GuestSettings: o.GuestSettings,
		MessagingSettings: o.MessagingSettings, FunSettings: o.FunSettings}
	if spec.Visibility == "hiddenmembership" {
		spec.Visibility = "private"
	}
	listed := map[string]bool{}
	addApp := func(id string) {
		if id != "" && !builtInTabApps[id] && !listed[id] {
			listed[id] = true
			spec.Apps = append(spec.Apps, id)
		}
	}
	for _, a := range o.Apps {
		addApp(a)
	}
	for _, ch := range o.Channels {
		if strings.EqualFold(ch.MembershipType, "shared") {
			continue
		}
		c := ChannelSpec{Name: ch.Name, Description: ch.Description, MembershipType: strings.ToLower(ch.MembershipType)}
		for _, tab := range ch.Tabs {
			if u, err := url.Parse(tab.ContentURL); tab.AppID == "" || err != nil || u.Scheme != "https" || u.Host == "" {
				continue
			}
			// A tab's app is installed in its team; listing it keeps the
			// template valid should the reader have missed the installation.
			addApp(tab.AppID)
			c.Tabs = append(c.Tabs, tab)
		}
		spec.Channels = append(spec.Channels, c)
	}
	if o.FunSettings != nil {
		f := *o.FunSettings
		f.GiphyContentRating = strings.ToLower(f.GiphyContentRating)
		spec.FunSettings = &f
	}
	return spec
}
