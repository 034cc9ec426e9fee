package provision_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/internal/teststack"
	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/provision"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/work"
)

// TestPermanentMembershipIsRepaired: a provisioned team loses a permanent
// member and sees a permanent owner demoted; the next cycle puts both back,
// audits membership.repaired, and touches nothing else. A removal of an
// ordinary member is left alone.
func TestPermanentMembershipIsRepaired(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), m365sim.Options{TeamOperationDelay: 20 * time.Millisecond})
	permOwner, permMember, ordinary := e.users[30], e.users[31], e.users[2]
	e.template(t, governance.TeamSpec{Visibility: "private"}, governance.MembershipPolicy{
		PermanentOwners: []string{permOwner}, PermanentMembers: []string{permMember}})
	r := e.submit(t, "Keel", []string{ordinary})
	r = e.waitState(t, r.ID, governance.StateCompleted, governance.StateFailed)
	if r.State != governance.StateCompleted {
		t.Fatalf("provisioning: %s %s", r.State, r.FailureReason)
	}
	ctx := context.Background()
	m := provision.NewMembership(e.client, e.db, e.svc, nil)
	first, err := m.Reconcile(ctx, "contoso")
	if err != nil || !first.Initial || first.DriftedTeams != 0 || first.ChangedGroups == 0 {
		t.Fatalf("first cycle = %+v, %v", first, err)
	}
	for _, c := range []struct {
		uid   string
		owner bool
	}{{permMember, false}, {permOwner, true}, {ordinary, false}} {
		if err := e.sim.Dir.RemoveMember(e.tid, r.TeamID, c.uid, c.owner); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := m.Reconcile(ctx, "contoso")
	if err != nil || rep.Initial || rep.DriftedTeams != 1 || rep.Repaired != 2 || rep.ChangedGroups != 1 {
		t.Fatalf("cycle after drift = %+v, %v", rep, err)
	}
	g, _ := e.sim.Dir.Group(e.tid, r.TeamID)
	if !slices.Contains(g.Owners, permOwner) || !slices.Contains(g.Members, permMember) || slices.Contains(g.Members, ordinary) {
		t.Fatalf("owners %v, members %v", g.Owners, g.Members)
	}
	evs, err := e.db.AuditEvents(ctx, "contoso", governance.AuditFilter{Action: "membership.repaired"})
	if err != nil || len(evs) != 1 || evs[0].SubjectID != r.TeamID {
		t.Fatalf("audit = %+v, %v", evs, err)
	}
	// Nothing changed since: a quiet cycle.
	quiet, err := m.Reconcile(ctx, "contoso")
	if err != nil || quiet.DriftedTeams != 0 {
		t.Fatalf("quiet cycle = %+v, %v", quiet, err)
	}
}

// countingTransport counts the requests that reach Graph (token requests
// excluded).
type countingTransport struct {
	graph atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if filepath.Base(r.URL.Path) != "token" {
		c.graph.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestMembershipCostFollowsChanges is issue 5's target: with 10,000
// managed teams of which 10 drifted, a cycle costs Graph calls for the
// changes (one delta call and one bulk add per drifted team), not for the
// teams.
func TestMembershipCostFollowsChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 teams; skipped with -short")
	}
	const teams, drifted = 10000, 10
	fx := directory.DemoFixture()
	var ct *directory.FixtureTenant
	for i := range fx.Tenants {
		if fx.Tenants[i].DisplayName == "Contoso" {
			ct = &fx.Tenants[i]
		}
	}
	owner, member := ct.Users[1].UserPrincipalName, ct.Users[2].UserPrincipalName
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range teams {
		ct.Groups = append(ct.Groups, directory.FixtureGroup{
			Group: directory.Group{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), DisplayName: fmt.Sprintf("Managed %05d", i),
				MailNickname: fmt.Sprintf("managed%05d", i), MailEnabled: true, GroupTypes: []string{"Unified"}, Visibility: "Private",
				CreatedDateTime: created, ResourceProvisioningOptions: []string{"Team"}},
			Owners: []string{owner}, Members: []string{owner, member}})
	}
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{Fixture: &fx})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close(context.Background())
	tn, _ := sim.Dir.ResolveTenant("contoso.onmicrosoft.com")
	ownerID, memberID := ct.Users[1].ID, ct.Users[2].ID
	apps, _ := sim.Dir.Apps(tn.ID)
	var cred graph.Credential
	for _, a := range apps {
		if a.DisplayName == "Steward" {
			cred = graph.Credential{EntraTenantID: tn.ID, ClientID: a.AppID, ClientSecret: a.Secrets[0]}
		}
	}
	ctr := &countingTransport{}
	client, err := graph.New(graph.Options{LoginURL: sim.LoginURL(), GraphURL: sim.GraphURL(), HTTPClient: &http.Client{Transport: ctr},
		Credentials: simCreds{"contoso": cred}})
	if err != nil {
		t.Fatal(err)
	}
	st := teststack.New(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), teststack.Options{})
	ctx := context.Background()
	if _, err := st.DB.CreateTenant(ctx, governance.Tenant{ID: "contoso", Name: "Contoso", EntraTenantID: tn.ID}); err != nil {
		t.Fatal(err)
	}
	tx := work.New(st.DB, st.Queue, st.Hooks)
	svc := governance.NewRequestService(tx, graph.NewDirectory(client), nil)
	err = st.DB.InTx(ctx, func(stx *store.Tx) error {
		if _, err := st.DB.CreateTemplate(ctx, stx, governance.Template{TenantID: "contoso", ID: "project", Name: "Project",
			Spec:     governance.TeamSpec{Visibility: "private"},
			Policies: governance.TemplatePolicies{Membership: governance.MembershipPolicy{PermanentOwners: []string{ownerID}, PermanentMembers: []string{memberID}}}}); err != nil {
			return err
		}
		for i := range teams {
			if err := st.DB.CreateManagedTeamTx(ctx, stx, governance.ManagedTeam{TenantID: "contoso", TeamID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
				RequestID: fmt.Sprintf("req-%d", i), TemplateID: "project", TemplateVersion: 1, CreatedAt: created}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := provision.NewMembership(client, st.DB, svc, nil)
	before := ctr.graph.Load()
	first, err := m.Reconcile(ctx, "contoso")
	if err != nil || !first.Initial || first.DriftedTeams != 0 {
		t.Fatalf("first cycle = %+v, %v", first, err)
	}
	initialCalls := ctr.graph.Load() - before
	for i := range drifted {
		gid := fmt.Sprintf("00000000-0000-4000-8000-%012d", i*997)
		if err := sim.Dir.RemoveMember(tn.ID, gid, memberID, false); err != nil {
			t.Fatal(err)
		}
	}
	before = ctr.graph.Load()
	rep, err := m.Reconcile(ctx, "contoso")
	if err != nil || rep.DriftedTeams != drifted || rep.Repaired != drifted {
		t.Fatalf("cycle = %+v, %v", rep, err)
	}
	calls := ctr.graph.Load() - before
	t.Logf("%d managed teams: first (full) cycle %d Graph calls; cycle with %d drifted teams: %d Graph calls", teams, initialCalls, drifted, calls)
	if calls != 1+drifted {
		t.Fatalf("a cycle with %d drifted teams made %d Graph calls, want %d (one delta call, one bulk add per team)", drifted, calls, 1+drifted)
	}
	// The repairs themselves come back as changes: the next cycle reads
	// them (still one delta call) and finds nothing to do; so does the
	// one after.
	for i := range 2 {
		before = ctr.graph.Load()
		quiet, err := m.Reconcile(ctx, "contoso")
		if err != nil || quiet.DriftedTeams != 0 {
			t.Fatalf("quiet cycle %d = %+v, %v", i, quiet, err)
		}
		if n := ctr.graph.Load() - before; n != 1 {
			t.Fatalf("quiet cycle %d made %d Graph calls, want 1", i, n)
		}
	}
}
