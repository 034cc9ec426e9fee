package graph_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/m365sim"
)

// postAs posts a channel message with a delegated token of userID:
// Graph refuses app-only posts.
func postAs(t *testing.T, e *simEnv, userID, team, channel string) {
	t.Helper()
	cred := e.creds["contoso"]
	tok, err := e.sim.Entra.IssueUserToken(cred.EntraTenantID, userID, cred.ClientID, "https://graph.microsoft.com", []string{"ChannelMessage.Send"})
	if err != nil {
		t.Fatal(err)
	}
	// The team's other calls just spent its 4 requests a second: a 429
	// here is Graph's limit, and a client waits as Retry-After says.
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequest(http.MethodPost, e.sim.GraphURL()+"/v1.0/teams/"+team+"/channels/"+channel+"/messages",
			bytes.NewReader([]byte(`{"body":{"content":"still here"}}`)))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 3 {
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(wait, 1)) * time.Second)
			continue
		}
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("post message: %d", resp.StatusCode)
		}
		return
	}
}

// TestTeamOwnersAndActivity: the owners of a team, and its newest channel
// message read app-only, in any channel; a team of another tenant, or one
// that does not exist, is not found.
func TestTeamOwnersAndActivity(t *testing.T) {
	e := newSim(t, m365sim.Options{TeamOperationDelay: 10 * time.Millisecond}, graph.Options{})
	ctx := context.Background()
	users := contosoUsers(t, e, 2)
	team := createReadyTeam(t, e, graph.NewTeam{DisplayName: "Lifecycle", Visibility: "private",
		Channels: []graph.NewChannel{{DisplayName: "Planning"}},
		Members:  []graph.NewMember{{UserID: users[0], Owner: true}, {UserID: users[1]}}})

	owners, err := e.client.TeamOwnerIDs(ctx, "contoso", team)
	if err != nil || !slices.Equal(owners, []string{users[0]}) {
		t.Fatalf("owners = %v, %v", owners, err)
	}
	for _, c := range []struct{ tenant, team string }{{"fabrikam", team}, {"contoso", "00000000-0000-4000-8000-000000000404"}} {
		if _, err := e.client.TeamOwnerIDs(ctx, c.tenant, c.team); !governance.IsKind(err, governance.KindNotFound) {
			t.Fatalf("owners of %s in %s: %v", c.team, c.tenant, err)
		}
	}

	last, err := e.client.LastChannelMessage(ctx, "contoso", team)
	if err != nil || !last.IsZero() {
		t.Fatalf("a new team's last message = %v, %v", last, err)
	}
	chs, err := e.client.Channels(ctx, "contoso", team)
	if err != nil {
		t.Fatal(err)
	}
	var planning string
	for _, ch := range chs {
		if ch.DisplayName == "Planning" {
			planning = ch.ID
		}
	}
	before := time.Now().Add(-time.Second)
	postAs(t, e, users[1], team, planning)
	after := time.Now().Add(time.Second)
	last, err = e.client.LastChannelMessage(ctx, "contoso", team)
	if err != nil || last.Before(before) || last.After(after) {
		t.Fatalf("last message = %v, want between %v and %v (%v)", last, before, after, err)
	}
	if _, err := e.client.LastChannelMessage(ctx, "contoso", "00000000-0000-4000-8000-000000000404"); !graph.IsNotFound(err) {
		t.Fatalf("a missing team: %v", err)
	}
}
