package cards

import (
	"slices"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// MembershipRepaired tells a team's owners that Steward put back the
// permanent owners and members someone removed, and whom it could not.
// The people are as rep names them (the caller may resolve ids to names).
func MembershipRepaired(locale string, team TeamView, rep governance.MembershipRepair) Card {
	l := lang(locale)
	if team.Name == "" {
		return invalid("membership repair of a team without a name")
	}
	if len(rep.Owners)+len(rep.Members)+len(rep.Failed) == 0 {
		return invalid("membership repair of team %s names nobody", team.Name)
	}
	body := []Element{heading(t(l, "repaired_heading", team.Name)), text(t(l, "repaired_intro"))}
	var f []Fact
	if len(rep.Owners) > 0 {
		f = append(f, Fact{t(l, "owners_readded"), strings.Join(sorted(rep.Owners), ", ")})
	}
	if len(rep.Members) > 0 {
		f = append(f, Fact{t(l, "members_readded"), strings.Join(sorted(rep.Members), ", ")})
	}
	if len(f) > 0 {
		body = append(body, factSet(f...))
	}
	if len(rep.Failed) > 0 {
		var failed []Fact
		for _, who := range sorted(keys(rep.Failed)) {
			failed = append(failed, Fact{who, rep.Failed[who]})
		}
		body = append(body, container("attention", colored(t(l, "repair_failed"), "attention"), factSet(failed...)))
	}
	c := newCard(l, body...)
	if team.Link != "" {
		c.Actions = []Action{openURL(t(l, "open_team"), team.Link)}
	}
	return Card{card: c}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
