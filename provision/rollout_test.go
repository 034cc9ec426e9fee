package provision_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/provision"
	"github.com/stewardhq/steward/store"
)

// publish saves the template's next version, changed by edit.
func (e *env) publish(t *testing.T, edit func(*governance.Template)) governance.Template {
	t.Helper()
	ctx := context.Background()
	cur, err := e.db.Template(ctx, "contoso", "project")
	if err != nil {
		t.Fatal(err)
	}
	edit(&cur)
	var out governance.Template
	err = e.db.InTx(ctx, func(tx *store.Tx) error {
		out, err = e.db.SaveTemplate(ctx, tx, cur)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTemplateRollout: a template's new version adds a permanent owner, a
// permanent member and a channel with a tab, and opts in to existing
// teams. One cycle brings every live team made from the earlier version
// up to it (a channel an owner already made is not made twice), audits
// team.template_applied per team, and moves the teams to the new version;
// the next cycle makes no Graph call. Teams of a template that did not opt
// in are left alone.
func TestTemplateRollout(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, eng.DSN(t), m365sim.Options{TeamOperationDelay: 20 * time.Millisecond})
			ctx := context.Background()
			firstOwner, newOwner, newMember := e.users[30], e.users[31], e.users[32]
			e.template(t, governance.TeamSpec{Visibility: "private", Channels: []governance.ChannelSpec{{Name: "Planning"}}},
				governance.MembershipPolicy{PermanentOwners: []string{firstOwner}})
			var teams []string
			for _, name := range []string{"Orca", "Puffin", "Quokka"} {
				r := e.waitState(t, e.submit(t, name, e.users[1:3]).ID, governance.StateCompleted, governance.StateFailed)
				if r.State != governance.StateCompleted {
					t.Fatalf("%s: %s %s", name, r.State, r.FailureReason)
				}
				teams = append(teams, r.TeamID)
			}
			// An owner made the new channel by hand in one team already.
			if _, err := e.client.CreateChannel(ctx, "contoso", teams[0], graph.NewChannel{DisplayName: "compliance"}); err != nil {
				t.Fatal(err)
			}

			life := governance.NewLifecycleService(e.tx, e.db, e.client)
			ctr := &countingTransport{}
			counted, err := graph.New(graph.Options{LoginURL: e.sim.LoginURL(), GraphURL: e.sim.GraphURL(),
				HTTPClient: &http.Client{Transport: ctr}, Credentials: e.creds})
			if err != nil {
				t.Fatal(err)
			}
			ro := provision.NewRollout(counted, e.db, life, provision.RolloutOptions{})

			// A new version that does not opt in changes nothing.
			e.publish(t, func(tp *governance.Template) { tp.Description = "v2" })
			if rep, err := ro.Reconcile(ctx, "contoso"); err != nil || rep.Teams != 0 || ctr.graph.Load() != 0 {
				t.Fatalf("without opt-in: %+v, %v, %d Graph calls", rep, err, ctr.graph.Load())
			}

			v3 := e.publish(t, func(tp *governance.Template) {
				tp.Policies.ApplyToExistingTeams = true
				tp.Policies.Membership.PermanentOwners = append(tp.Policies.Membership.PermanentOwners, newOwner)
				tp.Policies.Membership.PermanentMembers = []string{newMember}
				tp.Spec.Channels = append(tp.Spec.Channels, governance.ChannelSpec{Name: "Compliance", Tabs: []governance.TabSpec{{
					Name: "Policies", AppID: "com.microsoft.teamspace.tab.web", ContentURL: "https://contoso.example/policies"}}})
			})
			rep, err := ro.Reconcile(ctx, "contoso")
			if err != nil || rep.Teams != 3 || rep.Added != 6 || rep.Channels != 2 || rep.Failed != 0 {
				t.Fatalf("rollout = %+v, %v", rep, err)
			}
			for _, id := range teams {
				g, err := e.sim.Dir.Group(e.tid, id)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(g.Owners, newOwner) || !slices.Contains(g.Members, newMember) {
					t.Errorf("team %s: owners %v, members %v", id, g.Owners, g.Members)
				}
				chs, err := e.client.Channels(ctx, "contoso", id)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, c := range chs {
					if strings.EqualFold(c.DisplayName, "Compliance") {
						n++
					}
				}
				if n != 1 {
					t.Errorf("team %s has %d Compliance channels, want 1", id, n)
				}
				mt, err := e.db.ManagedTeam(ctx, "contoso", id)
				if err != nil || mt.TemplateVersion != v3.Version {
					t.Errorf("team %s at version %d (%v), want %d", id, mt.TemplateVersion, err, v3.Version)
				}
			}
			evs, err := e.db.AuditEvents(ctx, "contoso", governance.AuditFilter{Action: "team.template_applied"})
			if err != nil || len(evs) != 3 {
				t.Fatalf("audit = %d events, %v", len(evs), err)
			}

			// Done: the next cycle reads the store only.
			before := ctr.graph.Load()
			if rep, err := ro.Reconcile(ctx, "contoso"); err != nil || rep.Teams != 0 || ctr.graph.Load() != before {
				t.Fatalf("quiet cycle: %+v, %v, %d Graph calls", rep, err, ctr.graph.Load()-before)
			}

			// A team recorded at v3 already cannot be moved "back" by a
			// stale rollout.
			p := governance.Principal{Kind: governance.PrincipalSystem, TenantID: "contoso", ID: "template-rollout"}
			_, err = life.RecordTemplateApplied(ctx, p, governance.TemplateApplied{TeamID: teams[0], TemplateID: "project",
				Delta: governance.TemplateDelta{FromVersion: 1, ToVersion: v3.Version}})
			if !governance.IsKind(err, governance.KindConflict) {
				t.Fatalf("stale rollout: %v", err)
			}
		})
	}
}

func TestTemplateChanges(t *testing.T) {
	from := governance.Template{Version: 1, Spec: governance.TeamSpec{Channels: []governance.ChannelSpec{{Name: "Planning"}}},
		Policies: governance.TemplatePolicies{Membership: governance.MembershipPolicy{PermanentOwners: []string{"a"}, PermanentMembers: []string{"m"}}}}
	to := governance.Template{Version: 2, Spec: governance.TeamSpec{Channels: []governance.ChannelSpec{{Name: "planning"}, {Name: "Launch"}}},
		Policies: governance.TemplatePolicies{Membership: governance.MembershipPolicy{PermanentOwners: []string{"a", "m", "b"}, PermanentMembers: []string{"c", "b"}}}}
	d := governance.TemplateChanges(from, to)
	if !slices.Equal(d.Owners, []string{"m", "b"}) || !slices.Equal(d.Members, []string{"c"}) ||
		len(d.Channels) != 1 || d.Channels[0].Name != "Launch" || d.FromVersion != 1 || d.ToVersion != 2 {
		t.Fatalf("delta = %+v", d)
	}
	if !governance.TemplateChanges(to, to).Empty() {
		t.Fatal("a version compared with itself adds something")
	}
}
