package web

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
)

// Team ids the scenarios' TeamReader knows.
const (
	teamFalcon    = "f0000000-0000-4000-8000-000000000001" // Contoso's
	teamCommas    = "f0000000-0000-4000-8000-000000000002" // Contoso's, with a channel name a template refuses
	teamFabrikam  = "f0000000-0000-4000-8000-000000000003" // Fabrikam's
	teamThrottled = "f0000000-0000-4000-8000-000000000004" // Graph answers 429
	teamGraphDown = "f0000000-0000-4000-8000-000000000005" // Graph answers 503
)

// scenarioTeams is an in-process TeamReader that answers as graph.Client
// does, errors classified by graph.Classify; the graph package tests the
// real client against the simulator.
type scenarioTeams struct{}

func (scenarioTeams) ReadTeam(_ context.Context, tenantID, teamID string) (governance.OriginalTeam, error) {
	switch teamID {
	case teamThrottled:
		return governance.OriginalTeam{}, graph.Classify(&graph.Error{Method: "POST", Path: "/$batch", Status: 429, RetryAfter: time.Second}, "read team")
	case teamGraphDown:
		return governance.OriginalTeam{}, graph.Classify(&graph.Error{Method: "POST", Path: "/$batch", Status: 503}, "read team")
	}
	teams := map[string]map[string]governance.OriginalTeam{
		"contoso": {
			teamFalcon: {ID: teamFalcon, DisplayName: "Project Falcon", Description: "Falcon launch", Visibility: "private",
				Channels: []governance.ChannelSpec{
					{Name: "Planning", MembershipType: "standard", Tabs: []governance.TabSpec{
						{Name: "Site", AppID: "com.microsoft.teamspace.tab.web", ContentURL: "https://contoso.example/falcon"},
						{Name: "Notes", AppID: "com.microsoft.teamspace.tab.wiki"},
					}},
					{Name: "Leadership", MembershipType: "private"},
					{Name: "Partners", MembershipType: "shared"},
				},
				Apps:           []string{"com.microsoft.teamspace.tab.web", "com.microsoft.teamspace.tab.vsts"},
				MemberSettings: &governance.TeamMemberSettings{AllowCreateUpdateChannels: false, AllowAddRemoveApps: true},
				FunSettings:    &governance.TeamFunSettings{GiphyContentRating: "strict"},
			},
			teamCommas: {ID: teamCommas, DisplayName: "Sales", Visibility: "public", Channels: []governance.ChannelSpec{{Name: "Sales, EMEA"}}},
		},
		"fabrikam": {teamFabrikam: {ID: teamFabrikam, DisplayName: "Fabrikam board", Visibility: "private"}},
	}
	t, ok := teams[tenantID][teamID]
	if !ok {
		return governance.OriginalTeam{}, graph.Classify(&graph.Error{Method: "POST", Path: "/$batch", Status: 404}, "read team")
	}
	return t, nil
}

// TestAPITemplateFromTeamScenarios covers POST /api/v1/templates/from-team:
// who may, each error class (Microsoft Graph's included), and the stored
// template and audit row that must follow.
func TestAPITemplateFromTeamScenarios(t *testing.T) {
	e := newAPIEnv(t)
	const path = "/api/v1/templates/from-team"
	body := func(teamID, id string) string {
		return `{"teamId":"` + teamID + `","id":"` + id + `","name":"Product launch","category":"Projects"}`
	}
	ok := body(teamFalcon, "launch")
	runAPI(t, e, []apiScenario{
		{name: "without credentials", method: "POST", path: path, body: ok, status: 401, header: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "as an end user", token: "alice", method: "POST", path: path, body: ok, status: 403, contains: []string{"role_required"}},
		{name: "with a key lacking templates:write", token: "apikey-write", method: "POST", path: path, body: ok, status: 403, contains: []string{"scope_required"}},
		{name: "unknown field", token: "catalog", method: "POST", path: path, body: `{"teamId":"` + teamFalcon + `","id":"launch","name":"L","spec":{}}`, status: 400,
			contains: []string{"body_unknown_field", "spec"}},
		{name: "no body", token: "catalog", method: "POST", path: path, status: 400, contains: []string{"body_required"}},
		{name: "invalid template id", token: "catalog", method: "POST", path: path, body: body(teamFalcon, "Launch Team"), status: 400,
			contains: []string{"template_id_invalid", "lowercase letters"}},
		{name: "team id that is no GUID", token: "catalog", method: "POST", path: path, body: body("Project Falcon", "launch"), status: 400,
			contains: []string{"team_id_invalid", "groupId"}},
		{name: "no name", token: "catalog", method: "POST", path: path, body: `{"teamId":"` + teamFalcon + `","id":"launch"}`, status: 400,
			contains: []string{"template_invalid", "name must be 1 to 100 characters"}},
		{name: "unknown team", token: "catalog", method: "POST", path: path, body: body("f0000000-0000-4000-8000-0000000000ff", "launch"), status: 404,
			contains: []string{"team_not_found", "check the team id"}},
		{name: "unknown team, in French", token: "catalog", method: "POST", path: path, body: body("f0000000-0000-4000-8000-0000000000ff", "launch"),
			reqHeader: map[string]string{"Accept-Language": "fr-FR"}, status: 404,
			header: map[string]string{"Content-Language": "fr"}, contains: []string{"team_not_found", "n’existe pas dans votre organisation"}},
		{name: "another tenant's administrator names Contoso's team", token: "fabrikam-admin", method: "POST", path: path, body: ok, status: 404,
			contains: []string{"team_not_found"}, notContain: []string{"Project Falcon", "Planning"}},
		{name: "Microsoft Graph is busy", token: "catalog", method: "POST", path: path, body: body(teamThrottled, "launch"), status: 429,
			header: map[string]string{"Retry-After": "5"}, contains: []string{"graph_throttled", "try again in a minute"}},
		{name: "Microsoft Graph is busy, in French", token: "catalog", method: "POST", path: path, body: body(teamThrottled, "launch"),
			reqHeader: map[string]string{"Accept-Language": "fr"}, status: 429, contains: []string{"graph_throttled", "Microsoft Graph est surchargé"}},
		{name: "Microsoft Graph is down", token: "catalog", method: "POST", path: path, body: body(teamGraphDown, "launch"), status: 503,
			contains: []string{"graph_unavailable"}},
		{name: "a team a template cannot express", token: "catalog", method: "POST", path: path, body: body(teamCommas, "sales"), status: 400,
			contains: []string{"template_invalid", "Sales, EMEA", "channel names cannot contain"}},
		{name: "create", token: "catalog", method: "POST", path: path, body: ok, status: 201,
			header: map[string]string{"Location": "/api/v1/catalog/launch"},
			contains: []string{`"id":"launch"`, `"version":1`, `"tenantId":"contoso"`, `"name":"Product launch"`, `"description":"Falcon launch"`,
				`"category":"Projects"`, `"updatedBy":"` + idCatalog + `"`, `"name":"Planning"`, `"membershipType":"private"`,
				`"apps":["com.microsoft.teamspace.tab.vsts"]`, `"giphyContentRating":"strict"`},
			notContain: []string{"Partners", "Notes", "sourceTeamId"},
			after: func(t *testing.T, e *apiEnv) {
				tp, err := e.db.Template(context.Background(), "contoso", "launch")
				if err != nil || tp.Version != 1 || tp.Spec.Visibility != "private" || len(tp.Spec.Channels) != 2 || len(tp.Spec.Channels[0].Tabs) != 1 {
					t.Fatalf("stored %+v, %v", tp, err)
				}
				e.audited(t, "template.created", "launch")
				chain, err := e.db.AuditChain(context.Background(), "contoso", 1, 1000)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range chain {
					if a.Action != "template.created" || a.SubjectID != "launch" {
						continue
					}
					var after struct {
						SourceTeamID string `json:"sourceTeamId"`
						Version      int    `json:"version"`
					}
					if err := json.Unmarshal(a.After, &after); err != nil || after.SourceTeamID != teamFalcon || after.Version != 1 {
						t.Fatalf("audit after %s: %v", a.After, err)
					}
					return
				}
				t.Fatal("no template.created audit row for launch")
			}},
		{name: "id taken", token: "admin", method: "POST", path: path, body: ok, status: 409, contains: []string{"template_exists"}},
		{name: "the new template is in the catalog", token: "alice", method: "GET", path: "/api/v1/catalog/launch", status: 200,
			contains: []string{`"name":"Product launch"`, `"visibility":"private"`}},
		{name: "create with policies, questions and a description of its own", token: "catalog", method: "POST", path: path,
			body: `{"teamId":"` + teamFalcon + `","id":"launch-coded","name":"Coded launch","description":"For coded launches",` +
				`"fields":[{"id":"code","label":"Code","required":true}],"policies":{"naming":{"prefix":"LCH-{code}-"}}}`, status: 201,
			contains: []string{`"description":"For coded launches"`, `"prefix":"LCH-{code}-"`, `"id":"code"`}},
		{name: "another tenant's administrator copies its own team", token: "fabrikam-admin", method: "POST", path: path, body: body(teamFabrikam, "board"), status: 201,
			contains: []string{`"tenantId":"fabrikam"`, `"id":"board"`}},
	})
}
