package provision_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/blob"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/internal/teststack"
	"github.com/stewardhq/steward/m365sim"
	simgraph "github.com/stewardhq/steward/m365sim/graph"
	"github.com/stewardhq/steward/provision"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/work"
)

type simCreds map[string]graph.Credential

func (s simCreds) Credential(_ context.Context, tenantID string) (graph.Credential, error) {
	c, ok := s[tenantID]
	if !ok {
		return graph.Credential{}, graph.ErrNoCredential(tenantID)
	}
	return c, nil
}

type env struct {
	sim    *m365sim.Server
	tid    string // the simulated (Entra) tenant id of Contoso
	users  []string
	client *graph.Client
	db     *store.DB
	svc    *governance.RequestService
	tx     *work.Transactor
	creds  simCreds // Contoso's credential, for extra clients
	blobs  *blob.Local
}

func newEnv(t *testing.T, dsn string, simOpts m365sim.Options) *env {
	t.Helper()
	return newEnvWith(t, dsn, simOpts, false)
}

// newEnvWith can give the provisioning engine a Graph client without any
// credential (noEngineCredential), while the request service keeps one.
func newEnvWith(t *testing.T, dsn string, simOpts m365sim.Options, noEngineCredential bool) *env {
	t.Helper()
	sim, err := m365sim.Listen("127.0.0.1:0", simOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close(context.Background()) })
	e := &env{sim: sim}
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
			}
		}
		us, _ := sim.Dir.Users(tn.ID)
		for _, u := range us {
			if u.UserType != "Guest" {
				e.users = append(e.users, u.ID)
			}
		}
	}
	e.creds = creds
	e.client, err = graph.New(graph.Options{LoginURL: sim.LoginURL(), GraphURL: sim.GraphURL(), HTTPClient: &http.Client{},
		Credentials: creds, MaxBackoff: 100 * time.Millisecond, MaxRetryAfter: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	engineClient := e.client
	if noEngineCredential {
		engineClient, err = graph.New(graph.Options{LoginURL: sim.LoginURL(), GraphURL: sim.GraphURL(), HTTPClient: &http.Client{},
			Credentials: simCreds{}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if e.blobs, err = blob.NewLocal(t.TempDir(), blob.LocalOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.blobs.Close() })
	st := teststack.New(t, dsn, teststack.Options{Register: func(s *teststack.Stack) {
		n := 0
		e.tx = work.New(s.DB, s.Queue, s.Hooks)
		e.svc = governance.NewRequestService(e.tx, graph.NewDirectory(e.client),
			func() string { n++; return fmt.Sprintf("req-%d", n) })
		eng := provision.New(engineClient, e.svc, s.DB, provision.Options{PollFirst: 20 * time.Millisecond, PollMax: 100 * time.Millisecond,
			LookupWait: 20 * time.Millisecond, Pictures: e.blobs})
		provision.Register(s.Queue, eng)
	}})
	e.db = st.DB
	if _, err := e.db.CreateTenant(context.Background(), governance.Tenant{ID: "contoso", Name: "Contoso", EntraTenantID: e.tid}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) template(t *testing.T, spec governance.TeamSpec, perm governance.MembershipPolicy) {
	t.Helper()
	err := e.db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := e.db.CreateTemplate(context.Background(), tx, governance.Template{
			TenantID: "contoso", ID: "project", Name: "Project", Spec: spec,
			Policies: governance.TemplatePolicies{Membership: perm},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fullSpec() governance.TeamSpec {
	tab := func(n int) governance.TabSpec {
		return governance.TabSpec{Name: fmt.Sprintf("Site %d", n), AppID: "com.microsoft.teamspace.tab.web",
			ContentURL: fmt.Sprintf("https://contoso.example/%d", n), WebsiteURL: fmt.Sprintf("https://contoso.example/%d", n)}
	}
	return governance.TeamSpec{
		Visibility: "private",
		Channels: []governance.ChannelSpec{
			{Name: "Planning", Description: "Plans", Tabs: []governance.TabSpec{tab(1), tab(2)}},
			{Name: "Design", Tabs: []governance.TabSpec{tab(3)}},
			{Name: "Budget", MembershipType: "private"},
			{Name: "Launch"}, {Name: "Retro"},
		},
		Apps:           []string{"com.microsoft.teamspace.tab.vsts", "com.microsoft.teamspace.tab.planner"},
		MemberSettings: &governance.TeamMemberSettings{AllowCreateUpdateChannels: false, AllowAddRemoveApps: false},
	}
}

func (e *env) requester() governance.Principal {
	return governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: e.users[0], Name: "Requester"}
}

func (e *env) submit(t *testing.T, name string, members []string) governance.Request {
	t.Helper()
	r, err := e.svc.Submit(context.Background(), e.requester(), governance.NewRequest{TemplateID: "project", Name: name, Members: members})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != governance.StateApproved {
		t.Fatalf("state = %s (no approval stages: approved at once)", r.State)
	}
	return r
}

func (e *env) waitState(t *testing.T, id string, states ...governance.RequestState) governance.Request {
	t.Helper()
	var r governance.Request
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		var err error
		if r, err = e.db.Request(context.Background(), "contoso", id); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(states, r.State) {
			return r
		}
	}
	t.Fatalf("request %s is %s, want %v", id, r.State, states)
	return r
}

// groupsNamed counts the simulated tenant's groups with a display name.
func (e *env) groupsNamed(t *testing.T, name string) []string {
	t.Helper()
	gs, err := e.sim.Dir.Groups(e.tid)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range gs {
		if g.DisplayName == name {
			ids = append(ids, g.ID)
		}
	}
	return ids
}

func engines() []testenv.Engine { return testenv.Engines() }

// TestProvisionCreatesTheTeam: an approved request becomes a team with the
// template's channels, tabs, apps and settings, its owners and members
// (more than fit inline), and the mail alias the naming policy chose; the
// request completes with its audit trail.
func TestProvisionCreatesTheTeam(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.Name, func(t *testing.T) {
			e := newEnv(t, eng.DSN(t), m365sim.Options{TeamOperationDelay: 50 * time.Millisecond})
			permanent := e.users[len(e.users)-1]
			e.template(t, fullSpec(), governance.MembershipPolicy{PermanentOwners: []string{permanent}})
			members := e.users[1:25] // 24 members + requester + permanent owner: 26 people, 20 inline
			r := e.submit(t, "Falcon", members)
			r = e.waitState(t, r.ID, governance.StateCompleted, governance.StateFailed)
			if r.State != governance.StateCompleted || r.TeamID == "" {
				t.Fatalf("request = %s (%s)", r.State, r.FailureReason)
			}
			if !strings.HasPrefix(r.TeamWebURL, "https://teams.microsoft.com/l/team/") || !strings.Contains(r.TeamWebURL, r.TeamID) {
				t.Errorf("team web URL %q", r.TeamWebURL)
			}
			ctx := context.Background()
			if ids := e.groupsNamed(t, r.DisplayName); len(ids) != 1 || ids[0] != r.TeamID {
				t.Fatalf("groups named %q = %v, want [%s]", r.DisplayName, ids, r.TeamID)
			}
			g, err := e.sim.Dir.Group(e.tid, r.TeamID)
			if err != nil || !strings.EqualFold(g.MailNickname, r.MailNickname) {
				t.Fatalf("mailNickname = %q, want %q (%v)", g.MailNickname, r.MailNickname, err)
			}
			chs, err := e.client.Channels(ctx, "contoso", r.TeamID)
			if err != nil || len(chs) != 6 {
				t.Fatalf("channels = %d, %v", len(chs), err)
			}
			tabs := 0
			for _, ch := range chs {
				ts, err := e.client.Tabs(ctx, "contoso", r.TeamID, ch.ID)
				if err != nil {
					t.Fatal(err)
				}
				tabs += len(ts)
			}
			if tabs != 3 {
				t.Fatalf("tabs = %d, want 3", tabs)
			}
			apps, err := e.client.InstalledApps(ctx, "contoso", r.TeamID)
			if err != nil || !slices.ContainsFunc(apps, func(a graph.InstalledApp) bool {
				return a.TeamsApp != nil && a.TeamsApp.ID == "com.microsoft.teamspace.tab.planner"
			}) {
				t.Fatalf("apps = %+v, %v", apps, err)
			}
			ms, err := e.client.Members(ctx, "contoso", r.TeamID)
			if err != nil || len(ms) != 26 {
				t.Fatalf("members = %d, %v", len(ms), err)
			}
			owners := map[string]bool{}
			for _, m := range ms {
				if m.Owner() {
					owners[m.UserID] = true
				}
			}
			if !owners[permanent] || !owners[e.users[0]] || len(owners) != 2 {
				t.Fatalf("owners = %v", owners)
			}
			tm, err := e.client.Team(ctx, "contoso", r.TeamID)
			if err != nil || tm.MemberSettings["allowAddRemoveApps"] != false || tm.Visibility != "private" {
				t.Fatalf("team = %+v, %v", tm, err)
			}
			page, err := e.db.AuditEvents(ctx, "contoso", governance.AuditFilter{SubjectType: "request", SubjectID: r.ID})
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, ev := range page {
				actions = append(actions, ev.Action)
			}
			for _, want := range []string{"request.created", "request.approved", "request.provisioning_started", "team.provisioned"} {
				if !slices.Contains(actions, want) {
					t.Fatalf("audit = %v, missing %s", actions, want)
				}
			}
		})
	}
}

// TestProvisionUnderFaults: with throttling on and a quarter of Graph's
// answers failing transiently (429, 503, 504, dropped connections) and a
// tenth of Teams operations failing, every request completes, each with
// exactly one team.
func TestProvisionUnderFaults(t *testing.T) {
	lim := simgraph.DefaultLimits()
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), m365sim.Options{
		TeamOperationDelay: 30 * time.Millisecond, GraphLimits: &lim, Seed: 7,
		Faults: simgraph.FaultConfig{Rate429: 0.08, Rate503: 0.06, Rate504: 0.06, ResetRate: 0.05, OperationFailRate: 0.1},
	})
	e.template(t, fullSpec(), governance.MembershipPolicy{})
	var ids []string
	for i := range 12 {
		ids = append(ids, e.submit(t, fmt.Sprintf("Storm %02d", i), e.users[1:4]).ID)
	}
	for _, id := range ids {
		r := e.waitState(t, id, governance.StateCompleted, governance.StateFailed)
		if r.State != governance.StateCompleted {
			t.Fatalf("%s: %s (%s)", id, r.State, r.FailureReason)
		}
		if got := e.groupsNamed(t, r.DisplayName); len(got) != 1 || got[0] != r.TeamID {
			t.Fatalf("%s: groups named %q = %v, want exactly [%s]", id, r.DisplayName, got, r.TeamID)
		}
	}
	if s := e.client.Stats(); s.Retries == 0 {
		t.Fatalf("no retries under faults: %+v", s)
	}
}

// TestLostAnswerIsNotADuplicate: a run created the team and died before
// recording it (the checkpoint says creation started). The next run finds
// the team instead of creating a second one.
func TestLostAnswerIsNotADuplicate(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), m365sim.Options{TeamOperationDelay: 20 * time.Millisecond})
	e.template(t, fullSpec(), governance.MembershipPolicy{})
	ctx := context.Background()
	tpl, _ := e.db.Template(ctx, "contoso", "project")
	r := governance.Request{TenantID: "contoso", ID: "req-crash", TemplateID: "project", TemplateVersion: tpl.Version,
		State: governance.StateProvisioning, RequesterID: e.users[0], Requested: "Orphan", DisplayName: "Orphan",
		MailNickname: "orphan", Owners: []string{e.users[0]}, Members: []string{}, ProvisioningAttempt: 1}
	if err := e.db.InTx(ctx, func(tx *store.Tx) error { _, err := e.db.CreateRequest(ctx, tx, r, nil); return err }); err != nil {
		t.Fatal(err)
	}
	// The dead run: checkpoint saved, team created, answer never recorded.
	if err := e.db.SaveCheckpoint(ctx, "contoso", r.ID, []byte(fmt.Sprintf(`{"attempt":1,"createStartedAt":%q}`, time.Now().UTC().Format(time.RFC3339Nano)))); err != nil {
		t.Fatal(err)
	}
	team, _, err := e.client.CreateTeam(ctx, "contoso", graph.NewTeam{DisplayName: "Orphan", Members: []graph.NewMember{{UserID: e.users[0], Owner: true}}})
	if err != nil {
		t.Fatal(err)
	}
	// The job runs again (as River would after the crash).
	if err := e.tx.InTx(ctx, func(w governance.Work) error {
		return w.EnqueueProvisioning(ctx, "contoso", r.ID, 1)
	}); err != nil {
		t.Fatal(err)
	}
	got := e.waitState(t, r.ID, governance.StateCompleted, governance.StateFailed)
	if got.State != governance.StateCompleted || got.TeamID != team {
		t.Fatalf("request = %s team %s (%s); want completed with the orphan %s", got.State, got.TeamID, got.FailureReason, team)
	}
	if ids := e.groupsNamed(t, "Orphan"); len(ids) != 1 {
		t.Fatalf("groups named Orphan = %v: a duplicate was created", ids)
	}
}

// TestPermanentFailureThenRetry: a template naming an app the tenant's
// catalog lacks fails with a readable reason; once an administrator adds
// the app, a retry completes with the same request.
func TestPermanentFailureThenRetry(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), m365sim.Options{TeamOperationDelay: 20 * time.Millisecond})
	spec := fullSpec()
	spec.Apps = append(spec.Apps, "contoso.crm.app")
	e.template(t, spec, governance.MembershipPolicy{})
	r := e.submit(t, "Blocked", e.users[1:3])
	r = e.waitState(t, r.ID, governance.StateFailed, governance.StateCompleted)
	if r.State != governance.StateFailed || !strings.Contains(r.FailureReason, "contoso.crm.app") {
		t.Fatalf("request = %s, reason %q", r.State, r.FailureReason)
	}
	e.sim.Graph.AddCatalogApp("contoso.crm.app", "Contoso CRM")
	admin := e.requester()
	admin.Roles = []governance.Role{governance.RoleAdministrator}
	if _, err := e.svc.RetryProvisioning(context.Background(), admin, r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	r = e.waitState(t, r.ID, governance.StateCompleted, governance.StateFailed)
	if r.State != governance.StateCompleted {
		t.Fatalf("after retry: %s (%s)", r.State, r.FailureReason)
	}
	if ids := e.groupsNamed(t, r.DisplayName); len(ids) != 1 {
		t.Fatalf("groups = %v", ids)
	}
}

// TestMissingCredentialFailsAtOnce: no retry can supply a Graph
// credential, so the request fails on the first run with a reason that
// says what to do, instead of spending the queue's retries (whose backoff
// would outlast waitState by hours).
func TestMissingCredentialFailsAtOnce(t *testing.T) {
	e := newEnvWith(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), m365sim.Options{}, true)
	e.template(t, fullSpec(), governance.MembershipPolicy{})
	r := e.submit(t, "No credential", e.users[1:3])
	r = e.waitState(t, r.ID, governance.StateFailed, governance.StateCompleted)
	if r.State != governance.StateFailed || !strings.Contains(r.FailureReason, "graph_not_configured") {
		t.Fatalf("request = %s, reason %q", r.State, r.FailureReason)
	}
	if ids := e.groupsNamed(t, r.DisplayName); len(ids) != 0 {
		t.Fatalf("groups = %v", ids)
	}
}

// TestTemplatePicture: the template's picture becomes the team's photo; a
// picture missing from the store is a note, not a failure.
func TestTemplatePicture(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), m365sim.Options{TeamOperationDelay: 20 * time.Millisecond})
	ctx := context.Background()
	png := []byte("\x89PNG\r\n\x1a\n steward test picture")
	if _, err := e.blobs.Put(ctx, "contoso", "templates/project.png", bytes.NewReader(png), "image/png", ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key  string
		want []byte
	}{{"templates/project.png", png}, {"templates/gone.png", nil}} {
		err := e.db.InTx(ctx, func(tx *store.Tx) error {
			cur, err := e.db.Template(ctx, "contoso", "project")
			if governance.IsKind(err, governance.KindNotFound) {
				_, err = e.db.CreateTemplate(ctx, tx, governance.Template{TenantID: "contoso", ID: "project", Name: "Project",
					Picture: c.key, Spec: governance.TeamSpec{Visibility: "private"}})
				return err
			}
			cur.Picture = c.key
			_, err = e.db.SaveTemplate(ctx, tx, cur)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		r := e.waitState(t, e.submit(t, "Pictured "+path.Base(c.key), e.users[1:2]).ID, governance.StateCompleted, governance.StateFailed)
		if r.State != governance.StateCompleted {
			t.Fatalf("%s: %s %s", c.key, r.State, r.FailureReason)
		}
		ct, got, ok := e.sim.Graph.GroupPhoto(e.tid, r.TeamID)
		switch {
		case c.want != nil && (!ok || ct != "image/png" || !bytes.Equal(got, c.want)):
			t.Errorf("%s: photo %q %q %v", c.key, ct, got, ok)
		case c.want == nil && (ok || len(r.ProvisioningNotes) != 1 || !strings.Contains(r.ProvisioningNotes[0], "missing from the store")):
			t.Errorf("%s: photo set %v, notes %q", c.key, ok, r.ProvisioningNotes)
		}
	}
}

// TestQueueNamesAgree: work inserts provisioning jobs into the queue this
// package works (work cannot import it, so the name is repeated there).
func TestQueueNamesAgree(t *testing.T) {
	if work.ProvisionQueue != provision.Queue {
		t.Fatalf("work.ProvisionQueue = %q, provision.Queue = %q", work.ProvisionQueue, provision.Queue)
	}
}
