package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/crm"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/internal/teststack"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/m365sim/botconnector"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/work"
)

// surfaceApprovers is the Entra group whose members approve the "project"
// template's requests: group membership reaches the bot through its
// MemberOfSource.
const surfaceApprovers = "0a0a0a0a-0000-4000-a000-00000000a001"

// surface is the bot's conversation surface over the real governance
// services (SQLite store, job queue) and the simulated Bot Connector:
// Contoso's users[0] requests, users[1] approves (through the approvers
// group), users[2] is neither.
type surface struct {
	bs       *botSim
	h        *Handler
	srv      *httptest.Server
	db       *store.DB
	requests *governance.RequestService
	members  *fakeMemberOf
	crm      *fakeCRM
	renew    *fakeRenewer
	convs    map[int]string // user index → personal conversation id
	next     int
	pending  governance.Request // Contoso's pending request, by users[0]
	foreign  governance.Request // Fabrikam's pending request
}

func newSurface(t *testing.T, mod func(s *surface, o *HandlerOptions)) *surface {
	t.Helper()
	ctx := context.Background()
	s := &surface{bs: newBotSim(t, nil), members: &fakeMemberOf{m: map[string]Membership{}}, crm: &fakeCRM{},
		renew: &fakeRenewer{}, convs: map[int]string{}}
	st := teststack.New(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), teststack.Options{
		Register: func(st *teststack.Stack) { jobs.Register(st.Queue, &teststack.Provisioner{}) },
	})
	s.db = st.DB
	for _, tn := range []governance.Tenant{{ID: "contoso", Name: "Contoso", EntraTenantID: s.bs.tenant}, {ID: "fabrikam", Name: "Fabrikam", EntraTenantID: simFabrikam}} {
		if _, err := s.db.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	approval := governance.ApprovalPolicy{Stages: []governance.ApprovalStage{{Name: "Approvers",
		Approvers: []governance.ApproverRef{{Type: "group", ID: surfaceApprovers}}}}}
	for _, tp := range []governance.Template{
		{TenantID: "contoso", ID: "project", Name: "Project", Description: "A team for a project", Policies: governance.TemplatePolicies{Approval: approval}},
		{TenantID: "contoso", ID: "open", Name: "Open community"},
		{TenantID: "fabrikam", ID: "fab", Name: "Fabrikam programme", Policies: governance.TemplatePolicies{Approval: approval}},
	} {
		tp.Spec.Visibility = "private"
		if err := s.db.InTx(ctx, func(tx *store.Tx) error { _, err := s.db.CreateTemplate(ctx, tx, tp); return err }); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	tx := work.New(s.db, st.Queue, st.Hooks)
	s.requests = governance.NewRequestService(tx, teststack.NoGuests{}, func() string { n++; return fmt.Sprintf("req-%d", n) })
	reader := work.NewReader(s.db)
	read := governance.NewReadService(reader, reader)
	s.members.m[s.bs.users[1].ID] = Membership{Groups: []string{surfaceApprovers}}

	var err error
	if s.pending, err = s.requests.Submit(ctx, s.principal(0), governance.NewRequest{TemplateID: "project", Name: "Apollo launch"}); err != nil {
		t.Fatal(err)
	}
	fab := governance.Principal{Kind: governance.PrincipalUser, TenantID: "fabrikam", ID: "f0f0f0f0-0000-4000-a000-00000000f001", Name: "Fay"}
	if s.foreign, err = s.requests.Submit(ctx, fab, governance.NewRequest{TemplateID: "fab", Name: "Secret plan"}); err != nil {
		t.Fatal(err)
	}

	auth, err := NewAuthenticator(AuthOptions{
		AppID: simAppID, HTTPClient: http.DefaultClient, AllowUnauthenticated: true,
		KnownTenant: func(ctx context.Context, tid string) bool {
			_, err := s.db.TenantByEntraID(ctx, tid)
			return err == nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	o := HandlerOptions{Auth: auth, Tenants: s.db, Directory: s.members, Roles: s.db, Requests: s.requests, Reads: read,
		Catalog: read, Lifecycle: s.renew, CRM: s.crm, Connector: s.bs.conn,
		Links: Links{AppID: "5e1f0000-0000-4000-a000-00000000a5e1", BaseURL: "https://steward.example"}}
	if mod != nil {
		mod(s, &o)
	}
	if s.h, err = NewHandler(o); err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(s.h)
	t.Cleanup(s.srv.Close)
	return s
}

// principal is users[i] as governance sees them, without the bot.
func (s *surface) principal(i int) governance.Principal {
	u := s.bs.users[i]
	return governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: u.ID, Name: u.DisplayName,
		Groups: s.members.m[u.ID].Groups, Roles: []governance.Role{governance.RoleEndUser}}
}

// activity is an activity from users[i] in their personal chat with the
// bot, as Teams sends it.
func (s *surface) activity(t *testing.T, i int, typ, locale string) *Activity {
	t.Helper()
	conv, ok := s.convs[i]
	if !ok {
		conv = s.bs.personal(t, s.bs.conn, i).Conversation.ID
		s.convs[i] = conv
	}
	s.next++
	u := s.bs.users[i]
	return &Activity{
		Type: typ, ID: fmt.Sprintf("1%012d", s.next), ChannelID: ChannelTeams, ServiceURL: s.bs.sim.ServiceURL(), Locale: locale,
		From:         &ChannelAccount{ID: botconnector.MemberID(s.bs.tenant, u.ID), Name: u.DisplayName, AADObjectID: u.ID},
		Recipient:    &ChannelAccount{ID: botconnector.BotID(s.bs.appID), Name: "Steward"},
		Conversation: &ConversationAccount{ID: conv, ConversationType: "personal", TenantID: s.bs.tenant},
		ChannelData:  &ChannelData{Tenant: &TeamsRef{ID: s.bs.tenant}},
	}
}

// post sends act to the handler and returns the status and body.
func (s *surface) post(t *testing.T, act *Activity) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(act)
	if err != nil {
		t.Fatal(err)
	}
	return s.raw(t, http.MethodPost, "application/json", b)
}

func (s *surface) raw(t *testing.T, method, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+"/api/messages", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// replies are the activities the bot posted in users[i]'s chat.
func (s *surface) replies(i int) []map[string]any {
	var out []map[string]any
	for _, r := range s.bs.sim.Bot.Calls() {
		if r.Method == http.MethodPost && r.ConversationID == s.convs[i] && r.Activity != nil && r.Status/100 == 2 {
			out = append(out, r.Activity)
		}
	}
	return out
}

// lastReply is the last activity posted in users[i]'s chat, as JSON.
func (s *surface) lastReply(t *testing.T, i int) string {
	t.Helper()
	rs := s.replies(i)
	if len(rs) == 0 {
		t.Fatal("the bot posted nothing")
	}
	b, _ := json.Marshal(rs[len(rs)-1])
	return string(b)
}

type fakeMemberOf struct {
	mu    sync.Mutex
	m     map[string]Membership
	calls int
	err   error
}

func (f *fakeMemberOf) MemberOf(_ context.Context, _, userID string) (Membership, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.m[userID], f.err
}

type fakeCRM struct {
	mu      sync.Mutex
	records []crm.Record
	got     []crm.Query
	err     error
	tenant  string
}

func (f *fakeCRM) Search(_ context.Context, tenantID string, q crm.Query) ([]crm.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got, f.tenant = append(f.got, q), tenantID
	if f.err != nil {
		return nil, f.err
	}
	var out []crm.Record
	for _, r := range f.records {
		if (q.Kind == "" || r.Kind == q.Kind) && strings.Contains(strings.ToLower(r.Title), strings.ToLower(q.Text)) && len(out) < q.Limit {
			out = append(out, r)
		}
	}
	return out, nil
}

type fakeRenewer struct {
	mu     sync.Mutex
	got    []string
	expiry time.Time
}

func (f *fakeRenewer) Renew(_ context.Context, p governance.Principal, teamID string, attest bool) (governance.ManagedTeam, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, fmt.Sprintf("%s/%s/%v", p.TenantID, teamID, attest))
	if !attest {
		return governance.ManagedTeam{}, governance.Errorf(governance.KindInvalid, "renewal_attestation_required", "confirm the team's owners and members to renew it")
	}
	return governance.ManagedTeam{TenantID: p.TenantID, TeamID: teamID, Lifecycle: governance.LifecycleState{ExpiresAt: f.expiry}}, nil
}

func TestNewHandlerRequiresItsDependencies(t *testing.T) {
	_, err := NewHandler(HandlerOptions{})
	if err == nil {
		t.Fatal("an empty configuration was accepted")
	}
	for _, want := range []string{"Auth", "Tenants", "Requests", "Reads", "Catalog", "Links.AppID", "Connector or Outbox"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// TestHandlerRefusals: what is not an authenticated activity from a served
// tenant is refused before anything is processed.
func TestHandlerRefusals(t *testing.T) {
	s := newSurface(t, nil)
	strict, err := NewAuthenticator(AuthOptions{AppID: simAppID, HTTPClient: http.DefaultClient,
		KnownTenant: func(context.Context, string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := NewHandler(HandlerOptions{Auth: strict, Tenants: s.db, Requests: s.requests, Reads: s.h.o.Reads, Catalog: s.h.o.Catalog,
		Connector: s.bs.conn, Links: s.h.o.Links})
	if err != nil {
		t.Fatal(err)
	}
	strictSrv := httptest.NewServer(sh)
	t.Cleanup(strictSrv.Close)

	msg := func(mod func(a *Activity)) []byte {
		a := s.activity(t, 0, TypeMessage, "en-US")
		a.Text = "help"
		if mod != nil {
			mod(a)
		}
		b, _ := json.Marshal(a)
		return b
	}
	tests := []struct {
		name        string
		server      *httptest.Server
		method      string
		contentType string
		body        []byte
		status      int
		code        string
	}{
		{"GET", s.srv, http.MethodGet, "", nil, 405, CodeMethodNotAllowed},
		{"text/plain", s.srv, http.MethodPost, "text/plain", msg(nil), 415, CodeUnsupportedType},
		{"no content type", s.srv, http.MethodPost, "", msg(nil), 415, CodeUnsupportedType},
		{"too large", s.srv, http.MethodPost, "application/json", append(msg(nil)[:1], append(bytes.Repeat([]byte(" "), MaxActivityBytes), msg(nil)[1:]...)...), 413, CodeBodyTooLarge},
		{"not JSON", s.srv, http.MethodPost, "application/json", []byte("{nope"), 400, CodeActivityMalformed},
		{"no type", s.srv, http.MethodPost, "application/json", []byte(`{"text":"help"}`), 400, CodeActivityMalformed},
		{"no token", strictSrv, http.MethodPost, "application/json; charset=utf-8", msg(nil), 401, CodeUnauthorized},
		{"tenant Steward does not serve", s.srv, http.MethodPost, "application/json", msg(func(a *Activity) {
			a.ChannelData.Tenant.ID, a.Conversation.TenantID = "99999999-0000-4000-a000-000000000009", "99999999-0000-4000-a000-000000000009"
		}), 403, CodeForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.bs.sim.Bot.Calls())
			req, _ := http.NewRequest(tc.method, tc.server.URL+"/api/messages", bytes.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			res, err := tc.server.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var p Problem
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
				t.Fatalf("body: %v", err)
			}
			if res.StatusCode != tc.status || p.Code != tc.code {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, p.Code, tc.status, tc.code)
			}
			if after := len(s.bs.sim.Bot.Calls()); after != before {
				t.Errorf("the bot called the connector %d times for a refused activity", after-before)
			}
		})
	}
}

// TestHandlerSignedBySimulator: activities signed by the simulated channel
// pass the real Authenticator; the message is answered in its chat, the
// install with one welcome, and the reference of each is remembered.
func TestHandlerSignedBySimulator(t *testing.T) {
	refs := &fakeReferences{}
	s := newSurface(t, func(s *surface, o *HandlerOptions) {
		o.References = refs
		auth, err := NewAuthenticator(AuthOptions{MetadataURL: s.bs.sim.Bot.MetadataURL(), AppID: s.bs.appID, HTTPClient: http.DefaultClient,
			KnownTenant: func(context.Context, string) bool { return true }})
		if err != nil {
			t.Fatal(err)
		}
		o.Auth = auth
	})
	if _, err := s.bs.sim.Dir.SetBotEndpoint(s.bs.appID, s.srv.URL+"/api/messages"); err != nil {
		t.Fatal(err)
	}
	u := s.bs.users[0]
	conv, err := s.bs.sim.Bot.PersonalConversation(s.bs.tenant, s.bs.appID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	s.convs[0] = conv.ID
	ctx := t.Context()
	deliver := func(a map[string]any) (int, []byte) {
		t.Helper()
		status, body, err := s.bs.sim.Bot.Deliver(ctx, s.bs.tenant, s.bs.appID, a)
		if err != nil {
			t.Fatal(err)
		}
		return status, body
	}
	if status, _ := deliver(s.bs.sim.Bot.InstallationUpdate(conv, u, "add")); status != 200 {
		t.Fatalf("installationUpdate: %d", status)
	}
	if status, _ := deliver(s.bs.sim.Bot.ConversationUpdate(conv, u)); status != 200 {
		t.Fatalf("conversationUpdate: %d", status)
	}
	if got := s.lastReply(t, 0); !strings.Contains(got, "Welcome to Steward") || len(s.replies(0)) != 1 {
		t.Fatalf("want one welcome, got %d replies, last %s", len(s.replies(0)), got)
	}
	if status, _ := deliver(s.bs.sim.Bot.Message(u, "my requests", conv)); status != 200 {
		t.Fatalf("message: %d", status)
	}
	if got := s.lastReply(t, 0); !strings.Contains(got, "Apollo launch") || !strings.Contains(got, `"replyToId"`) {
		t.Fatalf("my requests answered with %s", got)
	}
	status, body := deliver(s.bs.sim.Bot.Invoke(u, conv, InvokeComposeExtensionQuery, botconnector.QueryValue(CommandSearchAccounts, "query", "")))
	if status != 200 || !strings.Contains(string(body), `"composeExtension"`) {
		t.Fatalf("query invoke: %d %s", status, body)
	}
	if got := refs.count(); got != 4 {
		t.Errorf("remembered %d references, want 4 (one per activity)", got)
	}
}

type fakeReferences struct {
	mu  sync.Mutex
	got []string
}

func (f *fakeReferences) Remember(_ context.Context, tenantID string, a *Activity) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, tenantID+"/"+a.Conversation.ID)
	return nil
}

func (f *fakeReferences) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}

// TestPrincipalCache: a user's groups and roles are read once per five
// minutes, in a cache of bounded size.
func TestPrincipalCache(t *testing.T) {
	clock := testenv.NewClockAt(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	dir := &fakeMemberOf{m: map[string]Membership{
		"u1": {Groups: []string{"g1"}, RoleTemplateIDs: []string{governance.EntraTeamsAdministratorID}},
	}}
	roles := roleList{{TenantID: "t", Role: governance.RoleApprover, SubjectType: "group", SubjectID: "g1"}}
	ps := newPrincipals(dir, roles, 5*time.Minute, 2, clock.Now)
	act := &Activity{From: &ChannelAccount{ID: "29:x", Name: "Uma", AADObjectID: "u1"}}
	p, err := ps.of(t.Context(), "t", act)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != governance.PrincipalUser || p.TenantID != "t" || p.ID != "u1" || p.Name != "Uma" || !p.InGroup("g1") ||
		!p.Has(governance.RoleAdministrator) || !holds(p.Roles, governance.RoleApprover) {
		t.Fatalf("principal %+v", p)
	}
	for _, step := range []struct {
		name    string
		advance time.Duration
		user    string
		calls   int
	}{
		{"cached", time.Minute, "u1", 1},
		{"other users fill the cache", 0, "u2", 2},
		{"third user evicts the oldest", 0, "u3", 3},
		{"evicted user is read again", 0, "u1", 4},
		{"expired after five minutes", 5 * time.Minute, "u1", 5},
	} {
		t.Run(step.name, func(t *testing.T) {
			clock.Advance(step.advance)
			if _, err := ps.of(t.Context(), "t", &Activity{From: &ChannelAccount{AADObjectID: step.user}}); err != nil {
				t.Fatal(err)
			}
			if dir.calls != step.calls {
				t.Fatalf("directory read %d times, want %d", dir.calls, step.calls)
			}
		})
	}
	if _, err := ps.of(t.Context(), "t", &Activity{From: &ChannelAccount{ID: "28:bot"}}); err != errNoSender {
		t.Fatalf("sender without aadObjectId: %v", err)
	}
}

type roleList []governance.RoleAssignment

func (r roleList) RoleAssignments(context.Context, string) ([]governance.RoleAssignment, error) {
	return r, nil
}

func holds[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// surfaceCredentials is the simulator's credential of Contoso's Steward app.
type surfaceCredentials struct{ b *botSim }

func (c surfaceCredentials) Credential(context.Context, string) (graph.Credential, error) {
	return graph.Credential{EntraTenantID: c.b.tenant, ClientID: c.b.appID, ClientSecret: "steward-dev-secret-contoso"}, nil
}

// TestGraphMemberOf reads groups and directory roles from the simulator's
// GET /users/{id}/transitiveMemberOf, and the roles they give.
func TestGraphMemberOf(t *testing.T) {
	b := newBotSim(t, nil)
	gc, err := graph.New(graph.Options{LoginURL: b.sim.LoginURL(), GraphURL: b.sim.GraphURL(), HTTPClient: &http.Client{}, Credentials: surfaceCredentials{b}})
	if err != nil {
		t.Fatal(err)
	}
	const (
		adele   = "9f85c93b-f556-59b1-a786-578801649d0e"
		grace   = "49cbf5fe-f8ef-5d11-a788-432a4f9f36b6"
		sales   = "67b0e5f1-a176-5eca-a648-b1ccdb76ba4f"
		stewApp = "5fc44df5-d1e5-5ada-a230-ec7750d8e9ba" // Steward Approvers
	)
	tests := []struct {
		name      string
		user      string
		group     string
		roles     []string
		adminRole bool
		kind      governance.Kind
	}{
		{name: "member of Sales, no directory role", user: adele, group: sales},
		{name: "Teams Administrator in Steward Approvers", user: grace, group: stewApp, roles: []string{governance.EntraTeamsAdministratorID}, adminRole: true},
		{name: "unknown user", user: "00000000-0000-4000-a000-000000000000", kind: governance.KindNotFound},
		{name: "not an object id", user: "a/b", kind: governance.KindInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := GraphMemberOf{Client: gc}.MemberOf(t.Context(), "contoso", tc.user)
			if tc.kind != governance.KindInternal {
				if governance.KindOf(err) != tc.kind {
					t.Fatalf("error %v, want kind %s", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !holds(m.Groups, tc.group) || fmt.Sprint(m.RoleTemplateIDs) != fmt.Sprint(tc.roles) && len(tc.roles) > 0 || len(tc.roles) == 0 && len(m.RoleTemplateIDs) != 0 {
				t.Fatalf("membership %+v, want group %s and roles %v", m, tc.group, tc.roles)
			}
			got := governance.EffectiveRoles(tc.user, m.RoleTemplateIDs, m.Groups, nil)
			if holds(got, governance.RoleAdministrator) != tc.adminRole {
				t.Errorf("roles %v, administrator want %v", got, tc.adminRole)
			}
		})
	}
}
