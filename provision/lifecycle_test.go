package provision_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/internal/teststack"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/provision"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/work"
)

// shiftClock is real time plus an offset the test moves: Steward, the
// simulator and the Graph client all read it, so days pass at once while
// the simulator's operations and throttling windows still advance.
type shiftClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *shiftClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset).UTC()
}

func (c *shiftClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// lifeEnv is the provisioning environment (see newEnv) on a moving clock,
// with the lifecycle service and reconciler.
type lifeEnv struct {
	*env
	clock *shiftClock
	life  *governance.LifecycleService
	rec   *provision.Lifecycle
	queue *jobs.Queue
	appID string
}

func newLifeEnv(t *testing.T, dsn string, pol governance.LifecyclePolicy) *lifeEnv {
	t.Helper()
	clock := &shiftClock{}
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{TeamOperationDelay: 20 * time.Millisecond, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close(context.Background()) })
	e := &lifeEnv{env: &env{sim: sim}, clock: clock}
	creds := simCreds{}
	for _, tn := range sim.Dir.Tenants() {
		if tn.DisplayName != "Contoso" {
			continue
		}
		e.tid = tn.ID
		apps, _ := sim.Dir.Apps(tn.ID)
		for _, a := range apps {
			if a.DisplayName == "Steward" {
				creds["contoso"] = graph.Credential{EntraTenantID: tn.ID, ClientID: a.AppID, ClientSecret: a.Secrets[0]}
				e.appID = a.AppID
			}
		}
		us, _ := sim.Dir.Users(tn.ID)
		for _, u := range us {
			if u.UserType != "Guest" {
				e.users = append(e.users, u.ID)
			}
		}
	}
	e.client, err = graph.New(graph.Options{LoginURL: sim.LoginURL(), GraphURL: sim.GraphURL(), HTTPClient: &http.Client{},
		Credentials: creds, MaxBackoff: 100 * time.Millisecond, MaxRetryAfter: 300 * time.Millisecond, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	st := teststack.New(t, dsn, teststack.Options{Now: clock.Now, Register: func(s *teststack.Stack) {
		n := 0
		e.tx = work.New(s.DB, s.Queue, s.Hooks)
		e.svc = governance.NewRequestService(e.tx, graph.NewDirectory(e.client),
			func() string { n++; return fmt.Sprintf("req-%d", n) })
		provision.Register(s.Queue, provision.New(e.client, e.svc, s.DB, provision.Options{PollFirst: 20 * time.Millisecond,
			PollMax: 100 * time.Millisecond, LookupWait: 20 * time.Millisecond}))
		e.life = governance.NewLifecycleService(e.tx, s.DB, e.client)
		e.rec = provision.NewLifecycle(e.client, s.DB, e.life, provision.LifecycleOptions{Now: clock.Now})
		if err := provision.RegisterLifecycle(s.Queue, e.rec); err != nil {
			t.Fatal(err)
		}
	}})
	e.queue = st.Queue
	e.db = st.DB
	ctx := context.Background()
	if _, err := e.db.CreateTenant(ctx, governance.Tenant{ID: "contoso", Name: "Contoso", EntraTenantID: e.tid}); err != nil {
		t.Fatal(err)
	}
	err = e.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := e.db.CreateTemplate(ctx, tx, governance.Template{TenantID: "contoso", ID: "project", Name: "Project",
			Spec:     governance.TeamSpec{Visibility: "private", Channels: []governance.ChannelSpec{{Name: "Planning"}}},
			Policies: governance.TemplatePolicies{Lifecycle: pol}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// provisioned submits a request and waits for its team.
func (e *lifeEnv) provisioned(t *testing.T, name string) governance.ManagedTeam {
	t.Helper()
	r := e.submit(t, name, []string{e.users[1]})
	r = e.waitState(t, r.ID, governance.StateCompleted, governance.StateFailed)
	if r.State != governance.StateCompleted {
		t.Fatalf("provisioning: %s %s", r.State, r.FailureReason)
	}
	team, err := e.db.ManagedTeam(context.Background(), "contoso", r.TeamID)
	if err != nil {
		t.Fatal(err)
	}
	return team
}

func (e *lifeEnv) reconcile(t *testing.T) provision.LifecycleReport {
	t.Helper()
	rep, err := e.rec.Reconcile(context.Background(), "contoso")
	if err != nil {
		t.Fatalf("cycle %+v: %v", rep, err)
	}
	return rep
}

func (e *lifeEnv) actions(t *testing.T, action string) []governance.AuditEvent {
	t.Helper()
	evs, err := e.db.AuditEvents(context.Background(), "contoso", governance.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func (e *lifeEnv) user(id string, roles ...governance.Role) governance.Principal {
	return governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: id, Name: id[:4], Roles: roles}
}

// warnedDays runs a cycle a day for teamID (two, in fact: the second must do nothing)
// for days days and returns the expiry warnings sent, as days left.
func (e *lifeEnv) warnedDays(t *testing.T, teamID string, days int) []int {
	t.Helper()
	var got []int
	for range days {
		e.clock.Advance(governance.Day)
		rep := e.reconcile(t)
		if rep.Archived+rep.Deleted+rep.Gone > 0 {
			t.Fatalf("the team ended before its expiry: %+v", rep)
		}
		if again := e.reconcile(t); again.Warned != 0 {
			t.Fatalf("a second cycle warned again: %+v", again)
		}
		for range rep.Warned {
			team, err := e.db.ManagedTeam(context.Background(), "contoso", teamID)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, team.Lifecycle.WarnedDays)
		}
	}
	return got
}

// TestLifecycleWarnsRenewsAndArchives: a team of a 90-day template is
// warned at 30, 7 and 1 days before expiry, once each; a non-owner, an
// owner who does not attest and another tenant cannot renew it; its owner
// renews it, which starts the warnings over; at the new expiry it is
// archived in Teams, audited, and left alone after.
func TestLifecycleWarnsRenewsAndArchives(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.Name, func(t *testing.T) {
			e := newLifeEnv(t, eng.DSN(t), governance.LifecyclePolicy{ExpireAfterDays: 90, RenewalAttestation: true})
			team := e.provisioned(t, "Orbit")
			if !team.Lifecycle.ExpiresAt.Equal(team.CreatedAt.Add(90 * governance.Day)) {
				t.Fatalf("lifecycle %+v", team)
			}
			if rep := e.reconcile(t); rep.ExpiryDue != 0 {
				t.Fatalf("a new team is due: %+v", rep)
			}
			if got := fmt.Sprint(e.warnedDays(t, team.TeamID, 89)); got != "[30 7 1]" {
				t.Fatalf("warnings %s, want [30 7 1]", got)
			}
			warnings := e.actions(t, "team.expiring")
			if len(warnings) != 3 || warnings[0].SubjectID != team.TeamID || !bytes.Contains(warnings[0].After, []byte(e.users[0])) {
				t.Fatalf("audit %+v", warnings)
			}

			ctx := context.Background()
			owner := e.user(e.users[0]) // the requester owns the team
			fabAdmin := governance.Principal{Kind: governance.PrincipalUser, TenantID: "fabrikam", ID: e.users[2], Roles: []governance.Role{governance.RoleAdministrator}}
			for _, c := range []struct {
				name   string
				p      governance.Principal
				attest bool
				kind   governance.Kind
			}{
				{"a member", e.user(e.users[1]), true, governance.KindForbidden},
				{"the owner without attesting", owner, false, governance.KindInvalid},
				{"another tenant's administrator", fabAdmin, true, governance.KindNotFound},
			} {
				if _, err := e.life.Renew(ctx, c.p, team.TeamID, c.attest); governance.KindOf(err) != c.kind {
					t.Fatalf("%s renews: %v, want %v", c.name, err, c.kind)
				}
			}
			renewed, err := e.life.Renew(ctx, owner, team.TeamID, true)
			if err != nil {
				t.Fatal(err)
			}
			now := e.clock.Now()
			if d := renewed.Lifecycle.ExpiresAt.Sub(now.Add(90 * governance.Day)); d < -time.Minute || d > time.Minute || renewed.Lifecycle.WarnedDays != 0 {
				t.Fatalf("renewed %+v (now %s)", renewed.Lifecycle, now)
			}
			if got := e.actions(t, "team.renewed"); len(got) != 1 || got[0].Before == nil || got[0].Actor.ID != owner.ID {
				t.Fatalf("renewal audit %+v", got)
			}
			// The warnings start over; at the new expiry the team is archived.
			if got := fmt.Sprint(e.warnedDays(t, team.TeamID, 89)); got != "[30 7 1]" {
				t.Fatalf("warnings after renewal %s", got)
			}
			e.clock.Advance(governance.Day)
			if rep := e.reconcile(t); rep.Archived != 1 {
				t.Fatalf("at expiry: %+v", rep)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				tm, err := e.client.Team(ctx, "contoso", team.TeamID)
				if err != nil {
					t.Fatal(err)
				}
				if tm.IsArchived {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the team is not archived in Teams")
				}
				time.Sleep(20 * time.Millisecond)
			}
			ended, err := e.db.ManagedTeam(ctx, "contoso", team.TeamID)
			if err != nil || ended.Lifecycle.ArchivedAt.IsZero() || len(e.actions(t, "team.archived")) != 1 {
				t.Fatalf("archived team %+v, %v", ended, err)
			}
			e.clock.Advance(30 * governance.Day)
			if rep := e.reconcile(t); rep != (provision.LifecycleReport{}) {
				t.Fatalf("an archived team is still reconciled: %+v", rep)
			}
			if _, err := e.life.Renew(ctx, owner, team.TeamID, true); !governance.IsKind(err, governance.KindConflict) {
				t.Fatalf("renewing an archived team: %v", err)
			}
		})
	}
}

// TestLifecycleDeletesOnExpiry: a team whose template deletes on expiry
// is deleted in Microsoft 365 at expiry; a team deleted by someone else is
// recorded as gone.
func TestLifecycleDeletesOnExpiry(t *testing.T) {
	e := newLifeEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"),
		governance.LifecyclePolicy{ExpireAfterDays: 10, OnExpiry: "delete", WarnDaysBefore: []int{3}})
	doomed := e.provisioned(t, "Ephemeral")
	other := e.provisioned(t, "Vanishing")
	ctx := context.Background()
	if err := e.client.DeleteGroup(ctx, "contoso", other.TeamID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(8 * governance.Day)
	if rep := e.reconcile(t); rep.Warned != 1 || rep.Gone != 1 {
		t.Fatalf("3 days before expiry: %+v", rep)
	}
	e.clock.Advance(3 * governance.Day)
	if rep := e.reconcile(t); rep.Deleted != 1 {
		t.Fatalf("at expiry: %+v", rep)
	}
	if _, err := e.sim.Dir.Group(e.tid, doomed.TeamID); err == nil {
		t.Fatal("the expired team's group still exists")
	}
	deleted := e.actions(t, "team.deleted")
	if len(deleted) != 2 || !bytes.Contains(deleted[0].After, []byte(`"reason":"gone"`)) || !bytes.Contains(deleted[1].After, []byte(`"reason":"expired"`)) {
		t.Fatalf("audit %+v", deleted)
	}
	for _, id := range []string{doomed.TeamID, other.TeamID} {
		if m, err := e.db.ManagedTeam(ctx, "contoso", id); err != nil || m.Lifecycle.DeletedAt.IsZero() {
			t.Fatalf("team %s: %+v %v", id, m.Lifecycle, err)
		}
	}
}

// TestLifecycleInactivity: a team is checked when it could first become
// inactive; a channel message (read app-only) keeps it active; silence for
// InactivityDays warns its owners once per period.
func TestLifecycleInactivity(t *testing.T) {
	e := newLifeEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), governance.LifecyclePolicy{InactivityDays: 30})
	team := e.provisioned(t, "Quiet")
	ctx := context.Background()
	e.clock.Advance(10 * governance.Day)
	chs, err := e.client.Channels(ctx, "contoso", team.TeamID)
	if err != nil {
		t.Fatal(err)
	}
	// Posting needs a user's token: Graph refuses app-only posts.
	tok, err := e.sim.Entra.IssueUserToken(e.tid, e.users[1], e.appID, "https://graph.microsoft.com", []string{"ChannelMessage.Send"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.sim.GraphURL()+"/v1.0/teams/"+team.TeamID+"/channels/"+chs[len(chs)-1].ID+"/messages",
		bytes.NewReader([]byte(`{"body":{"content":"status update"}}`)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("post: %d", resp.StatusCode)
	}
	posted := e.clock.Now()

	e.clock.Advance(20*governance.Day + time.Hour) // 30 days after creation, 20 after the message
	if rep := e.reconcile(t); rep.ActivityDue != 1 || rep.Inactive != 0 {
		t.Fatalf("day 30: %+v", rep)
	}
	m, _ := e.db.ManagedTeam(ctx, "contoso", team.TeamID)
	if d := m.Lifecycle.LastActivityAt.Sub(posted); d < -time.Minute || d > time.Minute {
		t.Fatalf("last activity %s, posted %s", m.Lifecycle.LastActivityAt, posted)
	}
	e.clock.Advance(9 * governance.Day) // 29 days of silence
	if rep := e.reconcile(t); rep.ActivityDue != 0 {
		t.Fatalf("day 39: %+v", rep)
	}
	e.clock.Advance(governance.Day + time.Hour)
	if rep := e.reconcile(t); rep.Inactive != 1 {
		t.Fatalf("day 40: %+v", rep)
	}
	if rep := e.reconcile(t); rep.ActivityDue != 0 {
		t.Fatalf("a second cycle: %+v", rep)
	}
	warned := e.actions(t, "team.inactive")
	if len(warned) != 1 || !bytes.Contains(warned[0].After, []byte(e.users[0])) || !bytes.Contains(warned[0].After, []byte(`"inactivityDays":30`)) {
		t.Fatalf("audit %+v", warned)
	}
	e.clock.Advance(30 * governance.Day)
	if rep := e.reconcile(t); rep.Inactive != 1 {
		t.Fatalf("another month of silence: %+v", rep)
	}
}

// TestLifecycleJob: the per-tenant job runs a cycle: an expired team is
// archived without anyone calling Reconcile.
func TestLifecycleJob(t *testing.T) {
	e := newLifeEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), governance.LifecyclePolicy{ExpireAfterDays: 5})
	team := e.provisioned(t, "Scheduled")
	e.clock.Advance(6 * governance.Day)
	ctx := context.Background()
	if _, err := e.queue.Insert(ctx, provision.LifecycleReconcile{TenantID: "contoso"}, nil); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		m, err := e.db.ManagedTeam(ctx, "contoso", team.TeamID)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Lifecycle.ArchivedAt.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not archive the expired team")
		}
	}
}
