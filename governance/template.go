package governance

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Template is one version of a catalog entry: what a requested team looks
// like and the policies it lives under. Editing a template creates a new
// Version; a request keeps the version it was made from.
type Template struct {
	TenantID    string           `json:"tenantId"`
	ID          string           `json:"id"`
	Version     int              `json:"version"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Category    string           `json:"category,omitempty"`
	Picture     string           `json:"picture,omitempty"` // blob key of the picture
	Audience    []string         `json:"audience"`          // Entra group ids that may see and use it; empty: everyone
	Spec        TeamSpec         `json:"spec"`
	Policies    TemplatePolicies `json:"policies"`
	Fields      []RequestField   `json:"fields,omitempty"` // extra questions asked when requesting
	Retired     bool             `json:"retired"`
	UpdatedBy   string           `json:"updatedBy,omitempty"`
	CreatedAt   time.Time        `json:"createdAt"`
	UpdatedAt   time.Time        `json:"updatedAt"`
}

// TeamSpec is the team a template provisions. Settings mirror Microsoft
// Graph's team resource so provisioning maps them one to one.
type TeamSpec struct {
	Visibility        string                 `json:"visibility"` // public or private
	Channels          []ChannelSpec          `json:"channels,omitempty"`
	Apps              []string               `json:"apps,omitempty"` // Teams app catalog ids to install
	MemberSettings    *TeamMemberSettings    `json:"memberSettings,omitempty"`
	GuestSettings     *TeamGuestSettings     `json:"guestSettings,omitempty"`
	MessagingSettings *TeamMessagingSettings `json:"messagingSettings,omitempty"`
	FunSettings       *TeamFunSettings       `json:"funSettings,omitempty"`
	Files             []FileSpec             `json:"files,omitempty"`
	WelcomeMessage    string                 `json:"welcomeMessage,omitempty"` // posted in General once provisioned
}

// ChannelSpec is a channel to create (General always exists).
type ChannelSpec struct {
	Name           string    `json:"name"`
	Description    string    `json:"description,omitempty"`
	MembershipType string    `json:"membershipType,omitempty"` // standard (default) or private
	Tabs           []TabSpec `json:"tabs,omitempty"`
}

// TabSpec is a tab to pin in a channel.
type TabSpec struct {
	Name       string `json:"name"`
	AppID      string `json:"appId"` // Teams app catalog id, e.g. com.microsoft.teamspace.tab.web
	ContentURL string `json:"contentUrl"`
	WebsiteURL string `json:"websiteUrl,omitempty"`
	EntityID   string `json:"entityId,omitempty"`
}

// FileSpec copies a file (from the blob store) into a channel's files.
type FileSpec struct {
	Channel string `json:"channel"` // channel name, "General" included
	Source  string `json:"source"`  // blob key
	Path    string `json:"path"`    // folder/file.ext in the channel's folder
}

// TeamMemberSettings mirrors Graph's teamMemberSettings.
type TeamMemberSettings struct {
	AllowCreateUpdateChannels         bool `json:"allowCreateUpdateChannels"`
	AllowCreatePrivateChannels        bool `json:"allowCreatePrivateChannels"`
	AllowDeleteChannels               bool `json:"allowDeleteChannels"`
	AllowAddRemoveApps                bool `json:"allowAddRemoveApps"`
	AllowCreateUpdateRemoveTabs       bool `json:"allowCreateUpdateRemoveTabs"`
	AllowCreateUpdateRemoveConnectors bool `json:"allowCreateUpdateRemoveConnectors"`
}

// TeamGuestSettings mirrors Graph's teamGuestSettings.
type TeamGuestSettings struct {
	AllowCreateUpdateChannels bool `json:"allowCreateUpdateChannels"`
	AllowDeleteChannels       bool `json:"allowDeleteChannels"`
}

// TeamMessagingSettings mirrors Graph's teamMessagingSettings.
type TeamMessagingSettings struct {
	AllowUserEditMessages    bool `json:"allowUserEditMessages"`
	AllowUserDeleteMessages  bool `json:"allowUserDeleteMessages"`
	AllowOwnerDeleteMessages bool `json:"allowOwnerDeleteMessages"`
	AllowTeamMentions        bool `json:"allowTeamMentions"`
	AllowChannelMentions     bool `json:"allowChannelMentions"`
}

// TeamFunSettings mirrors Graph's teamFunSettings.
type TeamFunSettings struct {
	AllowGiphy            bool   `json:"allowGiphy"`
	GiphyContentRating    string `json:"giphyContentRating,omitempty"` // strict or moderate
	AllowStickersAndMemes bool   `json:"allowStickersAndMemes"`
	AllowCustomMemes      bool   `json:"allowCustomMemes"`
}

// RequestField is an extra question of a template; its answer can feed the
// naming policy as {id}.
type RequestField struct {
	ID       string   `json:"id"`
	Label    string   `json:"label"`
	Required bool     `json:"required"`
	Choices  []string `json:"choices,omitempty"` // empty: free text
}

// TemplatePolicies are the rules a template's teams are created and live
// under.
type TemplatePolicies struct {
	Naming           NamingPolicy     `json:"naming"`
	Membership       MembershipPolicy `json:"membership"`
	Guests           GuestPolicy      `json:"guests"`
	Lifecycle        LifecyclePolicy  `json:"lifecycle"`
	SensitivityLabel string           `json:"sensitivityLabel,omitempty"` // Microsoft Purview label id
	Approval         ApprovalPolicy   `json:"approval"`
	// ApplyToExistingTeams opts in to retroactive changes: when a new
	// version adds permanent owners or members, or channels, the
	// rollout reconciler adds them to the teams already created from
	// earlier versions. Nothing is ever removed from existing teams.
	ApplyToExistingTeams bool `json:"applyToExistingTeams,omitempty"`
}

// MembershipPolicy fixes who is in every team of a template.
type MembershipPolicy struct {
	// Permanent owners and members (Entra user ids) are added at creation
	// and re-added by the reconciler whenever someone removes them.
	PermanentOwners  []string `json:"permanentOwners,omitempty"`
	PermanentMembers []string `json:"permanentMembers,omitempty"`
	MinOwners        int      `json:"minOwners,omitempty"`  // in a request, permanent owners included
	MinMembers       int      `json:"minMembers,omitempty"` // owners count as members
}

// GuestPolicy says whether guests may join and from where.
type GuestPolicy struct {
	Allowed        bool     `json:"allowed"`
	AllowedDomains []string `json:"allowedDomains,omitempty"` // empty with Allowed: any domain
}

// LifecyclePolicy is how long a team lives and what ends it.
type LifecyclePolicy struct {
	ExpireAfterDays    int    `json:"expireAfterDays,omitempty"` // 0: never expires
	OnExpiry           string `json:"onExpiry,omitempty"`        // archive (default) or delete
	RenewalAttestation bool   `json:"renewalAttestation"`        // owners confirm the membership to renew
	InactivityDays     int    `json:"inactivityDays,omitempty"`  // 0: not tracked
	WarnDaysBefore     []int  `json:"warnDaysBefore,omitempty"`  // default 30, 7, 1
}

// Teams limits the checks below follow.
const (
	maxTemplateNameLen = 100
	maxChannelNameLen  = 50
	maxChannelsPerTeam = 200
)

// channelNameForbidden are the characters Teams refuses in channel names.
const channelNameForbidden = `~#%&*{}+/\:<>?|'",`

// Validate reports everything wrong with a template (KindInvalid,
// template_invalid), each problem saying what to fix.
func (t Template) Validate() error {
	var p problems
	if n := utf8.RuneCountInString(strings.TrimSpace(t.Name)); n == 0 || n > maxTemplateNameLen {
		p.add("name must be 1 to %d characters", maxTemplateNameLen)
	}
	if utf8.RuneCountInString(t.Description) > maxDescriptionLength {
		p.add("description must be at most %d characters", maxDescriptionLength)
	}
	for _, g := range t.Audience {
		if !guidPattern.MatchString(g) {
			p.add("audience %q is not an Entra group id (a GUID)", g)
		}
	}
	t.Spec.validate(&p)
	t.Policies.validate(&p)
	_, namingFields := t.Policies.Naming.Tokens()
	for _, id := range namingFields {
		if !slices.ContainsFunc(t.Fields, func(f RequestField) bool { return f.ID == id }) {
			p.add("the naming policy uses {%s}, which is not one of the template's fields", id)
		}
	}
	seen := map[string]bool{}
	for i, f := range t.Fields {
		switch {
		case !fieldIDPattern.MatchString(f.ID):
			p.add("field %d: id %q must be 1 to 40 lowercase letters, digits or underscores, starting with a letter", i+1, f.ID)
		case seen[f.ID]:
			p.add("field %q is defined twice", f.ID)
		}
		seen[f.ID] = true
		if strings.TrimSpace(f.Label) == "" {
			p.add("field %q needs a label", f.ID)
		}
	}
	return p.err("template_invalid")
}

func (s TeamSpec) validate(p *problems) {
	if s.Visibility != "public" && s.Visibility != "private" {
		p.add(`spec.visibility must be "public" or "private"`)
	}
	if len(s.Channels)+1 > maxChannelsPerTeam {
		p.add("a team has at most %d channels, General included", maxChannelsPerTeam)
	}
	names := map[string]bool{"general": true}
	installed := map[string]bool{}
	for _, a := range s.Apps {
		installed[a] = true
	}
	for i, c := range s.Channels {
		label := fmt.Sprintf("channel %d (%q)", i+1, c.Name)
		name := strings.TrimSpace(c.Name)
		switch {
		case name == "" || utf8.RuneCountInString(name) > maxChannelNameLen:
			p.add("%s: a channel name has 1 to %d characters", label, maxChannelNameLen)
		case strings.ContainsAny(name, channelNameForbidden) || strings.Contains(name, ".."):
			p.add(`%s: channel names cannot contain ~ # %% & * { } + / \ : < > ? | ' " , or ".."`, label)
		case strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "."):
			p.add("%s: a channel name cannot start with _ or . or end with .", label)
		case names[strings.ToLower(name)]:
			p.add("%s: the team already has a channel with that name (General exists in every team)", label)
		}
		names[strings.ToLower(name)] = true
		if c.MembershipType != "" && c.MembershipType != "standard" && c.MembershipType != "private" {
			p.add(`%s: membershipType must be "standard" or "private"`, label)
		}
		for j, tab := range c.Tabs {
			tl := fmt.Sprintf("%s tab %d", label, j+1)
			if strings.TrimSpace(tab.Name) == "" || tab.AppID == "" {
				p.add("%s: a tab needs a name and an appId", tl)
			}
			if u, err := url.Parse(tab.ContentURL); err != nil || u.Scheme != "https" || u.Host == "" {
				p.add("%s: contentUrl must be an https URL", tl)
			}
			if !installed[tab.AppID] && !builtInTabApps[tab.AppID] {
				p.add("%s: app %q must be listed in spec.apps before a tab can use it", tl, tab.AppID)
			}
		}
	}
	if s.FunSettings != nil && s.FunSettings.GiphyContentRating != "" && s.FunSettings.GiphyContentRating != "strict" && s.FunSettings.GiphyContentRating != "moderate" {
		p.add(`spec.funSettings.giphyContentRating must be "strict" or "moderate"`)
	}
	for i, f := range s.Files {
		if !names[strings.ToLower(f.Channel)] {
			p.add("file %d: channel %q is not part of the template", i+1, f.Channel)
		}
		if f.Source == "" || f.Path == "" || strings.Contains(f.Path, "..") {
			p.add("file %d: a file needs a source and a path inside the channel's folder", i+1)
		}
	}
	if utf8.RuneCountInString(s.WelcomeMessage) > 4000 {
		p.add("the welcome message must be at most 4000 characters")
	}
}

// builtInTabApps are Teams apps available in every team without
// installation (the website tab, Planner, OneNote, Wiki, document library).
var builtInTabApps = map[string]bool{
	"com.microsoft.teamspace.tab.web":              true,
	"com.microsoft.teamspace.tab.planner":          true,
	"0d820ecd-def2-4297-adad-78056cde7c78":         true, // OneNote
	"com.microsoft.teamspace.tab.wiki":             true,
	"com.microsoft.teamspace.tab.files.sharepoint": true,
}

func (tp TemplatePolicies) validate(p *problems) {
	if err := tp.Naming.Validate(); err != nil {
		_, msg := Public(err)
		p.add("naming policy: %s", msg)
	}
	m := tp.Membership
	for _, id := range append(slices.Clone(m.PermanentOwners), m.PermanentMembers...) {
		if !guidPattern.MatchString(id) {
			p.add("permanent owner or member %q is not an Entra user id (a GUID)", id)
		}
	}
	if m.MinOwners < 0 || m.MinMembers < 0 || m.MinOwners > 100 || m.MinMembers > 10000 {
		p.add("minimum owners (0 to 100) and members (0 to 10000) are out of range")
	}
	for _, d := range tp.Guests.AllowedDomains {
		if !domainPattern.MatchString(d) {
			p.add("guest domain %q is not a domain name such as partner.example", d)
		}
	}
	if len(tp.Guests.AllowedDomains) > 0 && !tp.Guests.Allowed {
		p.add("guest domains are listed but guests are not allowed")
	}
	l := tp.Lifecycle
	if l.ExpireAfterDays < 0 || l.ExpireAfterDays > 3650 || l.InactivityDays < 0 || l.InactivityDays > 3650 {
		p.add("lifecycle days must be 0 (off) to 3650")
	}
	if l.OnExpiry != "" && l.OnExpiry != "archive" && l.OnExpiry != "delete" {
		p.add(`lifecycle.onExpiry must be "archive" or "delete"`)
	}
	for _, d := range l.WarnDaysBefore {
		if d <= 0 || (l.ExpireAfterDays > 0 && d >= l.ExpireAfterDays) {
			p.add("expiry warning %d days before must be positive and less than the lifetime", d)
		}
	}
	if tp.SensitivityLabel != "" && !guidPattern.MatchString(tp.SensitivityLabel) {
		p.add("the sensitivity label must be a Microsoft Purview label id (a GUID)")
	}
	tp.Approval.validate(p)
}

// VisibleTo reports whether p may see and use the template: it is not
// retired, and p is in its audience (or it has none). Catalog managers see
// every template in the catalog views, but requesting still follows this.
func (t Template) VisibleTo(p Principal) bool {
	if t.Retired || p.TenantID != t.TenantID {
		return false
	}
	if len(t.Audience) == 0 {
		return true
	}
	return slices.ContainsFunc(t.Audience, p.InGroup)
}
