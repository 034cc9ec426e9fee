package graph_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/m365sim"
)

const (
	adele = "9f85c93b-f556-59b1-a786-578801649d0e" // Adele Vance, Contoso
	guest = "8b36027f-4be2-52e9-a5df-858a7f0d1e35" // pat@partner.example, a guest in Contoso
)

func contosoUsers(t *testing.T, e *simEnv, n int) []string {
	t.Helper()
	var tid string
	for _, tn := range e.sim.Dir.Tenants() {
		if tn.DisplayName == "Contoso" {
			tid = tn.ID
		}
	}
	us, err := e.sim.Dir.Users(tid)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range us {
		if u.UserType != "Guest" && len(ids) < n {
			ids = append(ids, u.ID)
		}
	}
	return ids
}

// waitOperation polls a teamsAsyncOperation to its end.
func waitOperation(t *testing.T, c *graph.Client, tenant, team, op string) graph.Operation {
	t.Helper()
	ctx := context.Background()
	for range 200 {
		o, err := c.Operation(ctx, tenant, team, op)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status == "succeeded" || o.Status == "failed" {
			return o
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("operation never finished")
	return graph.Operation{}
}

// TestCreateTeamInOneCall creates a team with channels, tabs, apps and an
// owner inline, adds members in bulk, and reads everything back.
func TestCreateTeamInOneCall(t *testing.T) {
	e := newSim(t, m365sim.Options{TeamOperationDelay: 50 * time.Millisecond}, graph.Options{})
	ctx := context.Background()
	users := contosoUsers(t, e, 11)
	team, op, err := e.client.CreateTeam(ctx, "contoso", graph.NewTeam{
		DisplayName: "Project Falcon", Description: "Falcon launch", Visibility: "private",
		Channels: []graph.NewChannel{
			{DisplayName: "Planning", Description: "Plans", Tabs: []graph.NewTab{{DisplayName: "Site", AppID: "com.microsoft.teamspace.tab.web",
				Configuration: map[string]any{"contentUrl": "https://contoso.example/falcon", "websiteUrl": "https://contoso.example/falcon"}}}},
			{DisplayName: "Design"},
		},
		Members:        []graph.NewMember{{UserID: users[0], Owner: true}},
		InstalledApps:  []string{"com.microsoft.teamspace.tab.vsts"},
		MemberSettings: map[string]any{"allowCreateUpdateChannels": false},
	})
	if err != nil {
		t.Fatal(err)
	}
	if o := waitOperation(t, e.client, "contoso", team, op); o.Status != "succeeded" || o.TargetResourceID != team {
		t.Fatalf("operation = %+v", o)
	}
	tm, err := e.client.Team(ctx, "contoso", team)
	if err != nil {
		t.Fatal(err)
	}
	if tm.DisplayName != "Project Falcon" || tm.Visibility != "private" || tm.MemberSettings["allowCreateUpdateChannels"] != false {
		t.Fatalf("team = %+v", tm)
	}
	chs, err := e.client.Channels(ctx, "contoso", team)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var planning string
	for _, ch := range chs {
		names = append(names, ch.DisplayName)
		if ch.DisplayName == "Planning" {
			planning = ch.ID
		}
	}
	sort.Strings(names)
	if !slices.Equal(names, []string{"Design", "General", "Planning"}) {
		t.Fatalf("channels = %v", names)
	}
	tabs, err := e.client.Tabs(ctx, "contoso", team, planning)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tabs, func(tb graph.Tab) bool { return tb.DisplayName == "Site" && tb.TeamsApp != nil }) {
		t.Fatalf("tabs = %+v", tabs)
	}
	apps, err := e.client.InstalledApps(ctx, "contoso", team)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(apps, func(a graph.InstalledApp) bool {
		return a.TeamsApp != nil && a.TeamsApp.ID == "com.microsoft.teamspace.tab.vsts"
	}) {
		t.Fatalf("apps = %+v", apps)
	}
	// Installing it again is a conflict Graph reports and we treat as done.
	if err := e.client.InstallApp(ctx, "contoso", team, "com.microsoft.teamspace.tab.vsts"); err != nil {
		t.Fatalf("reinstall: %v", err)
	}

	var add []graph.NewMember
	for _, u := range users[1:] {
		add = append(add, graph.NewMember{UserID: u})
	}
	add = append(add, graph.NewMember{UserID: "00000000-0000-0000-0000-000000000000"})
	failed, err := e.client.AddMembers(ctx, "contoso", team, add)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0].UserID != "00000000-0000-0000-0000-000000000000" {
		t.Fatalf("failed = %+v", failed)
	}
	// Again: already-members change nothing.
	if _, err := e.client.AddMembers(ctx, "contoso", team, add[:3]); err != nil {
		t.Fatal(err)
	}
	ms, err := e.client.Members(ctx, "contoso", team)
	if err != nil {
		t.Fatal(err)
	}
	owners := 0
	for _, m := range ms {
		if m.Owner() {
			owners++
		}
	}
	if len(ms) != 11 || owners != 1 {
		t.Fatalf("members = %d (owners %d), want 11 (1)", len(ms), owners)
	}

	// Another tenant cannot see the team: Graph scopes by the token.
	if _, err := e.client.Team(ctx, "fabrikam", team); !graph.IsNotFound(err) {
		t.Fatalf("fabrikam reads contoso's team: %v", err)
	}
	// A tenant without credentials gets a clear error, and no call leaves.
	before := e.transport.total.Load()
	_, err = e.client.Team(ctx, "northwind", team)
	var ge *governance.Error
	if !errors.As(graph.Classify(err, "read team"), &ge) || ge.Code != "graph_not_configured" {
		t.Fatalf("northwind: %v", err)
	}
	if n := e.transport.total.Load() - before; n != 0 {
		t.Fatalf("northwind: %d requests left the process", n)
	}
}

func TestDirectory(t *testing.T) {
	e := newSim(t, m365sim.Options{}, graph.Options{})
	ctx := context.Background()
	d := graph.NewDirectory(e.client)
	g, dom, err := d.IsGuest(ctx, "contoso", guest)
	if err != nil || !g || dom != "partner.example" {
		t.Fatalf("guest: %v %q %v", g, dom, err)
	}
	g, dom, err = d.IsGuest(ctx, "contoso", adele)
	if err != nil || g || dom != "contoso.onmicrosoft.com" {
		t.Fatalf("member: %v %q %v", g, dom, err)
	}
	if _, _, err := d.IsGuest(ctx, "contoso", "00000000-0000-0000-0000-000000000001"); err == nil {
		t.Fatal("unknown user: no error")
	}
	for nick, want := range map[string]bool{"sales-all": true, "SALES-ALL": true, "no-such-group": false, "o'brien": false} {
		got, err := d.MailNicknameTaken(ctx, "contoso", nick)
		if err != nil || got != want {
			t.Errorf("MailNicknameTaken(%q) = %v, %v; want %v", nick, got, err, want)
		}
	}
	attrs, err := d.Attributes(ctx, "contoso", adele)
	if err != nil || attrs["Department"] != "Sales" || attrs["Office"] != "Seattle" || attrs["CountryOrRegion"] != "US" || attrs["Company"] != "Contoso" {
		t.Fatalf("attributes = %v, %v", attrs, err)
	}
	// The same user id in another tenant is another (absent) user.
	if _, _, err := d.IsGuest(ctx, "fabrikam", adele); err == nil {
		t.Fatal("fabrikam sees contoso's user")
	}
}
