package graph_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/m365sim"
	simgraph "github.com/stewardhq/steward/m365sim/graph"
)

// createReadyTeam creates t in Contoso and waits until it is ready.
func createReadyTeam(t *testing.T, e *simEnv, nt graph.NewTeam) string {
	t.Helper()
	team, op, err := e.client.CreateTeam(context.Background(), "contoso", nt)
	if err != nil {
		t.Fatal(err)
	}
	if o := waitOperation(t, e.client, "contoso", team, op); o.Status != "succeeded" {
		t.Fatalf("operation = %+v", o)
	}
	return team
}

// TestReadTeam creates a team with channels, tabs, apps and settings, then
// reads it back as a template would see it, in two round trips.
func TestReadTeam(t *testing.T) {
	e := newSim(t, m365sim.Options{TeamOperationDelay: 20 * time.Millisecond}, graph.Options{})
	ctx := context.Background()
	owner := contosoUsers(t, e, 1)[0]
	site := graph.NewTab{DisplayName: "Site", AppID: "com.microsoft.teamspace.tab.web",
		Configuration: map[string]any{"contentUrl": "https://contoso.example/falcon", "websiteUrl": "https://contoso.example/falcon/site", "entityId": "falcon-site"}}
	board := graph.NewTab{DisplayName: "Board", AppID: "com.microsoft.teamspace.tab.vsts",
		Configuration: map[string]any{"contentUrl": "https://dev.azure.com/contoso/falcon"}}
	team := createReadyTeam(t, e, graph.NewTeam{
		DisplayName: "Project Falcon", Description: "Falcon launch", Visibility: "private",
		Channels: []graph.NewChannel{
			{DisplayName: "Planning", Description: "Plans", Tabs: []graph.NewTab{site, board}},
			{DisplayName: "Design"},
			{DisplayName: "Leadership", MembershipType: "private", Members: []graph.NewMember{{UserID: owner, Owner: true}}},
		},
		Members:           []graph.NewMember{{UserID: owner, Owner: true}},
		InstalledApps:     []string{"com.microsoft.teamspace.tab.vsts"},
		MemberSettings:    map[string]any{"allowCreateUpdateChannels": false, "allowDeleteChannels": false},
		GuestSettings:     map[string]any{"allowCreateUpdateChannels": true},
		MessagingSettings: map[string]any{"allowUserDeleteMessages": false},
		FunSettings:       map[string]any{"allowGiphy": false, "giphyContentRating": "strict"},
	})

	before := e.transport.total.Load()
	got, err := e.client.ReadTeam(ctx, "contoso", team)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.transport.total.Load() - before; n != 2 {
		t.Errorf("ReadTeam made %d requests, want 2 (one $batch for the team, one for the tabs)", n)
	}
	if got.ID != team || got.DisplayName != "Project Falcon" || got.Description != "Falcon launch" || got.Visibility != "private" {
		t.Fatalf("team = %+v", got)
	}
	want := []governance.ChannelSpec{
		{Name: "Planning", Description: "Plans", MembershipType: "standard", Tabs: []governance.TabSpec{
			{Name: "Site", AppID: "com.microsoft.teamspace.tab.web", ContentURL: "https://contoso.example/falcon",
				WebsiteURL: "https://contoso.example/falcon/site", EntityID: "falcon-site"},
			{Name: "Board", AppID: "com.microsoft.teamspace.tab.vsts", ContentURL: "https://dev.azure.com/contoso/falcon"},
		}},
		{Name: "Design", MembershipType: "standard"},
		{Name: "Leadership", MembershipType: "private"},
	}
	if fmt.Sprint(got.Channels) != fmt.Sprint(want) {
		t.Fatalf("channels (General left out)\n got %+v\nwant %+v", got.Channels, want)
	}
	if !slices.Contains(got.Apps, "com.microsoft.teamspace.tab.vsts") || !slices.Contains(got.Apps, "com.microsoft.teamspace.tab.web") {
		t.Fatalf("apps = %v, want the installed app and the built-ins", got.Apps)
	}
	ms, gs, msg, fun := got.MemberSettings, got.GuestSettings, got.MessagingSettings, got.FunSettings
	if ms == nil || ms.AllowCreateUpdateChannels || ms.AllowDeleteChannels || !ms.AllowAddRemoveApps ||
		gs == nil || !gs.AllowCreateUpdateChannels || msg == nil || msg.AllowUserDeleteMessages || !msg.AllowUserEditMessages ||
		fun == nil || fun.AllowGiphy || fun.GiphyContentRating != "strict" || !fun.AllowStickersAndMemes {
		t.Fatalf("settings = %+v %+v %+v %+v", ms, gs, msg, fun)
	}

	// The team read back makes a valid template.
	tpl := governance.Template{Name: "Launch", Spec: governance.TeamSpec{Visibility: got.Visibility, Channels: got.Channels,
		Apps: []string{"com.microsoft.teamspace.tab.vsts"}, MemberSettings: ms, GuestSettings: gs, MessagingSettings: msg, FunSettings: fun}}
	if err := tpl.Validate(); err != nil {
		t.Fatalf("the team read back is no valid spec: %v", err)
	}

	// Graph scopes the call by the tenant's token: Fabrikam has no such
	// team, and neither has Contoso an unknown one.
	for tenant, id := range map[string]string{"fabrikam": team, "contoso": "00000000-0000-4000-8000-0000000000ff"} {
		if _, err := e.client.ReadTeam(ctx, tenant, id); !governance.IsKind(err, governance.KindNotFound) {
			t.Errorf("%s reads team %s: %v", tenant, id, err)
		}
	}
	// A tenant without credentials is told so, and no call leaves.
	before = e.transport.total.Load()
	var ge *governance.Error
	if _, err := e.client.ReadTeam(ctx, "northwind", team); !errors.As(err, &ge) || ge.Code != "graph_not_configured" {
		t.Fatalf("northwind: %v", err)
	}
	if n := e.transport.total.Load() - before; n != 0 {
		t.Fatalf("northwind: %d requests left the process", n)
	}
}

// TestReadTeamBatchesTabs reads a team of 25 channels: the tabs of its 24
// channels besides General take two $batch envelopes (20 + 4).
func TestReadTeamBatchesTabs(t *testing.T) {
	big := graph.Limits{CreateTeam: 1000, TeamWrite: 1000, Read: 1000, Write: 1000, Delete: 1000, List: 1000, PerTeam: 1000}
	simBig := simgraph.Limits(big)
	e := newSim(t, m365sim.Options{TeamOperationDelay: -1, GraphLimits: &simBig}, graph.Options{Limits: big})
	owner := contosoUsers(t, e, 1)[0]
	var chs []graph.NewChannel
	for i := range 24 {
		ch := graph.NewChannel{DisplayName: fmt.Sprintf("Channel %02d", i)}
		if i%5 == 0 {
			ch.Tabs = []graph.NewTab{{DisplayName: "Site", AppID: "com.microsoft.teamspace.tab.web",
				Configuration: map[string]any{"contentUrl": fmt.Sprintf("https://contoso.example/%d", i)}}}
		}
		chs = append(chs, ch)
	}
	team := createReadyTeam(t, e, graph.NewTeam{DisplayName: "Big", Visibility: "public", Channels: chs,
		Members: []graph.NewMember{{UserID: owner, Owner: true}}})
	before := e.transport.total.Load()
	got, err := e.client.ReadTeam(context.Background(), "contoso", team)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.transport.total.Load() - before; n != 3 {
		t.Errorf("ReadTeam made %d requests, want 3", n)
	}
	if len(got.Channels) != 24 || got.Channels[23].Name != "Channel 23" {
		t.Fatalf("channels = %+v", got.Channels)
	}
	for i, ch := range got.Channels {
		if wantTabs := map[bool]int{true: 1, false: 0}[i%5 == 0]; len(ch.Tabs) != wantTabs {
			t.Fatalf("channel %d has %d tabs, want %d", i, len(ch.Tabs), wantTabs)
		}
	}
}

// TestReadTeamThrottled: a Graph that keeps answering 429 is
// KindTooManyRequests, so the API answers 429 too.
func TestReadTeamThrottled(t *testing.T) {
	e := newSim(t, m365sim.Options{TeamOperationDelay: -1}, graph.Options{})
	owner := contosoUsers(t, e, 1)[0]
	team := createReadyTeam(t, e, graph.NewTeam{DisplayName: "Busy", Visibility: "public", Members: []graph.NewMember{{UserID: owner, Owner: true}}})
	c, err := graph.New(graph.Options{LoginURL: e.sim.LoginURL(), GraphURL: e.sim.GraphURL(), Credentials: e.creds,
		MaxAttempts: 1, MaxRetryAfter: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.sim.Graph.SetFaults(simgraph.FaultConfig{Rate429: 1})
	if _, err := c.ReadTeam(context.Background(), "contoso", team); !governance.IsKind(err, governance.KindTooManyRequests) {
		t.Fatalf("throttled: %v", err)
	}
}

// TestBatchKeepsATeamsLimit: ten reads of one team in one Batch go in
// envelopes of at most four (Teams allows 4 requests a second on one
// team, and an envelope's parts arrive together), a window apart, and
// Graph throttles none of them.
func TestBatchKeepsATeamsLimit(t *testing.T) {
	lim := simgraph.DefaultLimits()
	e := newSim(t, m365sim.Options{TeamOperationDelay: -1, GraphLimits: &lim}, graph.Options{})
	owner := contosoUsers(t, e, 1)[0]
	team := createReadyTeam(t, e, graph.NewTeam{DisplayName: "Busy", Visibility: "public", Members: []graph.NewMember{{UserID: owner, Owner: true}}})
	time.Sleep(1100 * time.Millisecond) // the creation's calls leave the team's window
	var reqs []graph.Request
	for range 10 {
		reqs = append(reqs, graph.Request{Method: "GET", Path: "/teams/" + team})
	}
	before, start := e.transport.total.Load(), time.Now()
	res, err := e.client.Batch(context.Background(), "contoso", reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("part %d: %v", i, r.Err)
		}
	}
	if n := e.transport.total.Load() - before; n != 3 {
		t.Errorf("%d envelopes, want 3 (4 + 4 + 2)", n)
	}
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("three envelopes of one team's reads took %v, want two windows at least", d)
	}
	if s := e.client.Stats(); s.Throttled != 0 {
		t.Errorf("Graph throttled %d parts", s.Throttled)
	}
}
