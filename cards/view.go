package cards

import (
	"time"

	"github.com/stewardhq/steward/governance"
)

// RequestView is what the cards show of a team request.
type RequestView struct {
	ID            string
	TeamName      string
	TemplateName  string
	RequesterName string
	State         governance.RequestState
	Owners        int
	Members       int
	CreatedAt     time.Time
	// Link opens the request in Steward (Steward.Request makes it).
	Link string
}

// NewRequestView is the view of r. templateName is the catalog name of
// r's template, link the deep link to the request.
func NewRequestView(r governance.Request, templateName, link string) RequestView {
	name := r.DisplayName
	if name == "" {
		name = r.Requested
	}
	requester := r.RequesterName
	if requester == "" {
		requester = r.RequesterID
	}
	return RequestView{
		ID: r.ID, TeamName: name, TemplateName: templateName, RequesterName: requester, State: r.State,
		Owners: len(r.Owners), Members: len(r.Members), CreatedAt: r.CreatedAt, Link: link,
	}
}

// TeamView is what the cards show of a team.
type TeamView struct {
	ID   string // the team's (group's) id
	Name string
	Link string // TeamLink of the team
}

// check reports what a request view misses to make a card.
func (v RequestView) check() error {
	switch {
	case v.ID == "":
		return invalid("request view has no id").err
	case v.TeamName == "":
		return invalid("request %s has no team name", v.ID).err
	case !v.State.Valid():
		return invalid("request %s has unknown state %q", v.ID, v.State).err
	case v.Link == "":
		return invalid("request %s has no link", v.ID).err
	}
	return nil
}

// facts are the summary rows of a request.
func (v RequestView) facts(lang string) []Fact {
	f := []Fact{
		{t(lang, "team"), v.TeamName},
		{t(lang, "template"), v.TemplateName},
		{t(lang, "requested_by"), v.RequesterName},
		{t(lang, "state"), stateName(lang, v.State)},
		{t(lang, "owners"), itoa(v.Owners)},
		{t(lang, "members"), itoa(v.Members)},
	}
	if !v.CreatedAt.IsZero() {
		f = append(f, Fact{t(lang, "created"), when(lang, v.CreatedAt)})
	}
	return append(f, Fact{t(lang, "request_id"), v.ID})
}
