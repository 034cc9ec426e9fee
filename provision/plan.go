package provision

import (
	"encoding/json"
	"slices"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
)

// maxInline is how many owners and members go inline in POST /teams;
// the rest are added in bulk once the team exists. Graph documents 20
// directory objects per create request for groups; the same bound keeps
// team creation requests small.
const maxInline = 20

// people is who the team gets: the request's owners, members and guests
// plus the template's permanent owners and members, each once, owners
// first.
type people struct {
	owners, members []string
}

func peopleOf(r governance.Request, tpl governance.Template) people {
	var p people
	seen := map[string]bool{}
	for _, id := range slices.Concat(tpl.Policies.Membership.PermanentOwners, r.Owners) {
		if id != "" && !seen[id] {
			seen[id] = true
			p.owners = append(p.owners, id)
		}
	}
	for _, id := range slices.Concat(tpl.Policies.Membership.PermanentMembers, r.Members, r.Guests) {
		if id != "" && !seen[id] {
			seen[id] = true
			p.members = append(p.members, id)
		}
	}
	return p
}

// inline splits people into those sent with POST /teams and the rest.
func (p people) split() (inline, rest []graph.NewMember) {
	all := make([]graph.NewMember, 0, len(p.owners)+len(p.members))
	for _, id := range p.owners {
		all = append(all, graph.NewMember{UserID: id, Owner: true})
	}
	for _, id := range p.members {
		all = append(all, graph.NewMember{UserID: id})
	}
	n := min(maxInline, len(all))
	return all[:n], all[n:]
}

// settingsMap turns one of the template's typed settings into Graph's
// JSON object (nil stays nil: Teams' defaults apply).
func settingsMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// newTeam is the POST /teams body for a request made from tpl.
func newTeam(r governance.Request, tpl governance.Template) graph.NewTeam {
	spec := tpl.Spec
	inline, _ := peopleOf(r, tpl).split()
	firstOwner := ""
	if len(inline) > 0 && inline[0].Owner {
		firstOwner = inline[0].UserID
	}
	t := graph.NewTeam{
		DisplayName: r.DisplayName, Description: r.Description, Visibility: spec.Visibility,
		Members: inline, InstalledApps: spec.Apps,
	}
	if spec.MemberSettings != nil {
		t.MemberSettings = settingsMap(spec.MemberSettings)
	}
	if spec.GuestSettings != nil {
		t.GuestSettings = settingsMap(spec.GuestSettings)
	}
	if spec.MessagingSettings != nil {
		t.MessagingSettings = settingsMap(spec.MessagingSettings)
	}
	if spec.FunSettings != nil {
		t.FunSettings = settingsMap(spec.FunSettings)
	}
	for _, ch := range spec.Channels {
		t.Channels = append(t.Channels, newChannel(ch, firstOwner))
	}
	return t
}

// newChannel is the Graph body of a template channel with its tabs; a
// private channel gets owner as its owner (Graph requires one).
func newChannel(ch governance.ChannelSpec, owner string) graph.NewChannel {
	nc := graph.NewChannel{DisplayName: ch.Name, Description: ch.Description, MembershipType: ch.MembershipType}
	if ch.MembershipType == "private" && owner != "" {
		nc.Members = []graph.NewMember{{UserID: owner, Owner: true}}
	}
	for _, tab := range ch.Tabs {
		cfg := map[string]any{"contentUrl": tab.ContentURL}
		if tab.WebsiteURL != "" {
			cfg["websiteUrl"] = tab.WebsiteURL
		}
		if tab.EntityID != "" {
			cfg["entityId"] = tab.EntityID
		}
		nc.Tabs = append(nc.Tabs, graph.NewTab{DisplayName: tab.Name, AppID: tab.AppID, Configuration: cfg})
	}
	return nc
}
