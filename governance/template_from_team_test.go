package governance

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

const (
	falconTeam = "f0000000-0000-4000-8000-000000000001"
	fabTeam    = "f0000000-0000-4000-8000-000000000002"
	busyTeam   = "f0000000-0000-4000-8000-000000000003"
	badTeam    = "f0000000-0000-4000-8000-000000000004"
)

// fakeTeams is an in-process TeamReader: teams by tenant, and the calls
// made.
type fakeTeams struct {
	teams map[string]map[string]OriginalTeam
	calls []string
}

func (f *fakeTeams) ReadTeam(_ context.Context, tenantID, teamID string) (OriginalTeam, error) {
	f.calls = append(f.calls, tenantID+"/"+teamID)
	if teamID == busyTeam {
		return OriginalTeam{}, Wrap(KindTooManyRequests, "graph_throttled", "Microsoft Graph is busy; try again in a minute", errors.New("429"))
	}
	t, ok := f.teams[tenantID][teamID]
	if !ok {
		return OriginalTeam{}, Wrap(KindNotFound, "graph_not_found", "Microsoft Graph has no such object", errors.New("404"))
	}
	return t, nil
}

func falcon() OriginalTeam {
	return OriginalTeam{
		ID: falconTeam, DisplayName: "Project Falcon", Description: "Falcon launch", Visibility: "HiddenMembership",
		Channels: []ChannelSpec{
			{Name: "Planning", Description: "Plans", MembershipType: "standard", Tabs: []TabSpec{
				{Name: "Site", AppID: "com.microsoft.teamspace.tab.web", ContentURL: "https://contoso.example/falcon", WebsiteURL: "https://contoso.example/falcon"},
				{Name: "Notes", AppID: "com.microsoft.teamspace.tab.wiki"}, // no content URL: left out
				{Name: "Board", AppID: "com.example.board", ContentURL: "https://board.example/b/1", EntityID: "b1"},
			}},
			{Name: "Leadership", MembershipType: "private"},
			{Name: "Partners", MembershipType: "shared"}, // left out
		},
		Apps:           []string{"com.microsoft.teamspace.tab.web", "com.microsoft.teamspace.tab.wiki", "com.microsoft.teamspace.tab.vsts"},
		MemberSettings: &TeamMemberSettings{AllowCreateUpdateChannels: false, AllowAddRemoveApps: true},
		GuestSettings:  &TeamGuestSettings{AllowCreateUpdateChannels: true},
		FunSettings:    &TeamFunSettings{AllowGiphy: true, GiphyContentRating: "Strict"},
	}
}

func TestTemplateCreateFromTeam(t *testing.T) {
	ctx := context.Background()
	m := newMemStore()
	bad := falcon()
	bad.Channels = []ChannelSpec{{Name: "Sales, EMEA"}}
	teams := &fakeTeams{teams: map[string]map[string]OriginalTeam{
		"contoso":  {falconTeam: falcon(), badTeam: bad},
		"fabrikam": {fabTeam: {ID: fabTeam, DisplayName: "Fabrikam board", Visibility: "private"}},
	}}
	svc := NewTemplateService(m, WithTeamReader(teams))
	in := FromTeam{TeamID: falconTeam, ID: "launch", Name: "Product launch", Category: "Projects"}
	code := func(err error) string {
		var e *Error
		if errors.As(err, &e) {
			return e.Code
		}
		return ""
	}

	tests := []struct {
		name string
		p    Principal
		mod  func(*FromTeam)
		code string
		read bool // the reader was called
	}{
		{"an end user", user(alice), nil, "role_required", false},
		{"a key without templates:write", Principal{Kind: PrincipalAPIKey, TenantID: "contoso", ID: "key-1", Scopes: []string{ScopeTemplatesRead}}, nil, "scope_required", false},
		{"a bad template id", catalogManager(carol), func(f *FromTeam) { f.ID = "Launch Team" }, "template_id_invalid", false},
		{"a team id that is no GUID", catalogManager(carol), func(f *FromTeam) { f.TeamID = "../users" }, "team_id_invalid", false},
		{"no name", catalogManager(carol), func(f *FromTeam) { f.Name = " " }, "template_invalid", false},
		{"a bad policy", catalogManager(carol), func(f *FromTeam) { f.Policies.Guests.AllowedDomains = []string{"partner.example"} }, "template_invalid", false},
		{"an unknown team", catalogManager(carol), func(f *FromTeam) { f.TeamID = "f0000000-0000-4000-8000-0000000000ff" }, "team_not_found", true},
		{"another tenant's team", catalogManager(carol), func(f *FromTeam) { f.TeamID = fabTeam }, "team_not_found", true},
		{"Graph busy", catalogManager(carol), func(f *FromTeam) { f.TeamID = busyTeam }, "graph_throttled", true},
		{"a team a template cannot express", catalogManager(carol), func(f *FromTeam) { f.TeamID = badTeam }, "template_invalid", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			teams.calls = nil
			x := in
			if tt.mod != nil {
				tt.mod(&x)
			}
			_, err := svc.CreateFromTeam(ctx, tt.p, x)
			if code(err) != tt.code {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
			if (len(teams.calls) > 0) != tt.read {
				t.Fatalf("reader calls %v, want called %v", teams.calls, tt.read)
			}
			// The reader is asked about the caller's tenant only.
			for _, c := range teams.calls {
				if c != "contoso/"+x.TeamID {
					t.Fatalf("read %s for a contoso principal", c)
				}
			}
		})
	}
	if len(m.templates) != 0 || len(m.audit) != 0 {
		t.Fatalf("a refused creation stored something: %v %v", m.templates, m.audit)
	}

	got, err := svc.CreateFromTeam(ctx, catalogManager(carol), in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.TenantID != "contoso" || got.UpdatedBy != carol || got.Name != "Product launch" ||
		got.Category != "Projects" || got.Description != "Falcon launch" {
		t.Fatalf("template %+v", got)
	}
	s := got.Spec
	if s.Visibility != "private" {
		t.Fatalf("a hidden-membership team must become private: %q", s.Visibility)
	}
	if !slices.Equal(s.Apps, []string{"com.microsoft.teamspace.tab.vsts", "com.example.board"}) {
		t.Fatalf("apps %v: built-ins left out, the tab's app added", s.Apps)
	}
	if len(s.Channels) != 2 || s.Channels[0].Name != "Planning" || s.Channels[1].MembershipType != "private" {
		t.Fatalf("channels %+v: the shared one left out", s.Channels)
	}
	if tabs := s.Channels[0].Tabs; len(tabs) != 2 || tabs[0].WebsiteURL != "https://contoso.example/falcon" || tabs[1].EntityID != "b1" {
		t.Fatalf("tabs %+v: the wiki tab left out", tabs)
	}
	if s.MemberSettings == nil || !s.MemberSettings.AllowAddRemoveApps || s.GuestSettings == nil || !s.GuestSettings.AllowCreateUpdateChannels ||
		s.MessagingSettings != nil || s.FunSettings == nil || s.FunSettings.GiphyContentRating != "strict" {
		t.Fatalf("settings %+v %+v %+v %+v", s.MemberSettings, s.GuestSettings, s.MessagingSettings, s.FunSettings)
	}
	if len(m.audit) != 1 || m.audit[0].Action != "template.created" || m.audit[0].SubjectID != "launch" {
		t.Fatalf("audit %+v", m.audit)
	}
	var after struct {
		ID           string `json:"id"`
		SourceTeamID string `json:"sourceTeamId"`
	}
	if err := json.Unmarshal(m.audit[0].After, &after); err != nil || after.ID != "launch" || after.SourceTeamID != falconTeam {
		t.Fatalf("audit after %s: %v", m.audit[0].After, err)
	}
	if len(m.emitted) != 1 || m.emitted[0] != EventTemplateUpdated {
		t.Fatalf("webhooks %v", m.emitted)
	}
	// The id is taken now.
	if _, err := svc.CreateFromTeam(ctx, catalogManager(carol), in); KindOf(err) != KindConflict {
		t.Fatalf("a taken id: %v", err)
	}
	// An explicit description wins over the team's; an API key with
	// templates:write may do it too.
	key := Principal{Kind: PrincipalAPIKey, TenantID: "contoso", ID: "key-2", Scopes: []string{ScopeTemplatesWrite}}
	x := in
	x.ID, x.Description = "launch-2", "For launches"
	if got, err := svc.CreateFromTeam(ctx, key, x); err != nil || got.Description != "For launches" {
		t.Fatalf("%+v %v", got, err)
	}

	// Without a reader, the service says so.
	if _, err := NewTemplateService(m).CreateFromTeam(ctx, catalogManager(carol), FromTeam{TeamID: falconTeam, ID: "launch-3", Name: "L"}); code(err) != "teams_not_configured" || KindOf(err) != KindUnavailable {
		t.Fatalf("no reader: %v", err)
	}
}
