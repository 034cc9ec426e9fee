package graph_test

import (
	"context"
	"testing"

	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/m365sim"
)

// TestOnBehalfOf exchanges a user's token for Steward (as Teams SSO gives
// the tabs) for a delegated Graph token, cached per user and scopes; a
// token issued to another audience is refused.
func TestOnBehalfOf(t *testing.T) {
	e := newSim(t, m365sim.Options{}, graph.Options{})
	ctx := context.Background()
	cred := e.creds["contoso"]
	user, err := e.sim.Entra.IssueUserToken(cred.EntraTenantID, adele, cred.ClientID, "api://"+cred.ClientID, []string{"access_as_user"})
	if err != nil {
		t.Fatal(err)
	}
	before := e.transport.tokens.Load()
	tok, err := e.client.OnBehalfOf(ctx, "contoso", user, "https://graph.microsoft.com/User.Read")
	if err != nil || tok == "" {
		t.Fatalf("OBO: %q, %v", tok, err)
	}
	again, err := e.client.OnBehalfOf(ctx, "contoso", user, "https://graph.microsoft.com/User.Read")
	if err != nil || again != tok {
		t.Fatalf("second OBO: %v (same token: %v)", err, again == tok)
	}
	if n := e.transport.tokens.Load() - before; n != 1 {
		t.Fatalf("token requests = %d, want 1 (cached)", n)
	}
	other, err := e.sim.Entra.IssueUserToken(cred.EntraTenantID, adele, cred.ClientID, "api://another-app", []string{"access_as_user"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.OnBehalfOf(ctx, "contoso", other, "https://graph.microsoft.com/User.Read"); err == nil {
		t.Fatal("a token for another audience was exchanged")
	}
}
