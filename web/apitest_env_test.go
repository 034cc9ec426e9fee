package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/identity"
	"github.com/stewardhq/steward/internal/teststack"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/work"
)

// Entra object ids of the API scenarios' people and groups.
const (
	idAlice     = "11111111-1111-4111-8111-111111111111"
	idBob       = "22222222-2222-4222-8222-222222222222"
	idCarol     = "33333333-3333-4333-8333-333333333333"
	idAdmin     = "44444444-4444-4444-8444-444444444444"
	idFabrikam  = "55555555-5555-4555-8555-555555555555"
	idSecretGrp = "66666666-6666-4666-8666-666666666666"
	idCatalog   = "77777777-7777-4777-8777-777777777777"
	idIntegr    = "88888888-8888-4888-8888-888888888888"
	idFabAdmin  = "99999999-9999-4999-8999-999999999999"
	idApprover  = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
)

// tokenAuth is the scenarios' Authenticator: the bearer token names the
// principal.
type tokenAuth map[string]governance.Principal

func (a tokenAuth) Authenticate(_ context.Context, r *http.Request) (governance.Principal, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if p, found := a[tok]; ok && found {
		return p, nil
	}
	return governance.Principal{}, governance.Errorf(governance.KindUnauthenticated, "token_invalid", "sign in again")
}

func apiPrincipals() tokenAuth {
	user := func(tenant, id, name string, roles ...governance.Role) governance.Principal {
		return governance.Principal{Kind: governance.PrincipalUser, TenantID: tenant, ID: id, Name: name, Roles: roles,
			Attributes: map[string]string{"Department": "Sales"}}
	}
	return tokenAuth{
		"alice":          user("contoso", idAlice, "Alice"),
		"bob":            user("contoso", idBob, "Bob"),
		"carol":          user("contoso", idCarol, "Carol"),
		"admin":          user("contoso", idAdmin, "Admin", governance.RoleAdministrator),
		"fabrikam-user":  user("fabrikam", idFabrikam, "Fabian"),
		"apikey-read":    {Kind: governance.PrincipalAPIKey, TenantID: "contoso", ID: "AbCd1234", Name: "Zapier", Scopes: []string{governance.ScopeRequestsRead}},
		"catalog":        user("contoso", idCatalog, "Cathy", governance.RoleCatalogManager),
		"approver":       user("contoso", idApprover, "Avery", governance.RoleApprover),
		"integrations":   user("contoso", idIntegr, "Ines", governance.RoleIntegrationManager),
		"fabrikam-admin": user("fabrikam", idFabAdmin, "Fiona", governance.RoleAdministrator),
		"apikey-write": {Kind: governance.PrincipalAPIKey, TenantID: "contoso", ID: "EfGh5678", Name: "Power Automate",
			Scopes: []string{governance.ScopeRequestsRead, governance.ScopeRequestsWrite, governance.ScopeTemplatesRead}},
		"apikey-hooks": {Kind: governance.PrincipalAPIKey, TenantID: "contoso", ID: "IjKl9012", Name: "Zapier hooks",
			Scopes: []string{governance.ScopeWebhooksManage}},
	}
}

// apiEnv is the API over the real services on SQLite.
type apiEnv struct {
	srv     *Server
	db      *store.DB
	h       http.Handler
	prov    *teststack.Provisioner
	hookSub string
	// hookDelivery is a failed delivery of hookSub, ready to be resent.
	hookDelivery string
	// keyID is an API key of Contoso's, made by its administrator.
	keyID  string
	pepper []byte
}

// apiPepper is the server secret the scenarios' API keys are hashed with.
var apiPepper = []byte("scenario-pepper-of-thirty-two-b!")

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	ctx := context.Background()
	prov := &teststack.Provisioner{}
	st := teststack.New(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), teststack.Options{
		Register: func(s *teststack.Stack) { jobs.Register(s.Queue, prov) },
	})
	db, q, hooks := st.DB, st.Queue, st.Hooks
	for _, tn := range []governance.Tenant{{ID: "contoso", Name: "Contoso"}, {ID: "fabrikam", Name: "Fabrikam"}} {
		if _, err := db.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	approval := governance.ApprovalPolicy{Stages: []governance.ApprovalStage{{Name: "Manager", Approvers: []governance.ApproverRef{{Type: "user", ID: idBob}}}}}
	tpl := func(tenant, id, name string, mod func(*governance.Template)) governance.Template {
		t := governance.Template{TenantID: tenant, ID: id, Name: name, Spec: governance.TeamSpec{Visibility: "private"}}
		if mod != nil {
			mod(&t)
		}
		return t
	}
	for _, t0 := range []governance.Template{
		tpl("contoso", "project", "Project", func(t *governance.Template) {
			t.Policies.Approval = approval
			t.Fields = []governance.RequestField{{ID: "code", Label: "Project code"}}
		}),
		tpl("contoso", "open", "Open community", nil),
		tpl("contoso", "named", "Department team", func(t *governance.Template) { t.Policies.Naming.Prefix = "[Department]-" }),
		tpl("contoso", "secret", "Secret board", func(t *governance.Template) { t.Audience = []string{idSecretGrp} }),
		tpl("contoso", "legacy", "Legacy workspace", func(t *governance.Template) { t.Retired = true }),
		tpl("fabrikam", "fab", "Fabrikam programme", nil),
	} {
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := db.CreateTemplate(ctx, tx, t0); return err }); err != nil {
			t.Fatal(err)
		}
	}
	auth := apiPrincipals()
	manager := auth["admin"]
	sub, _, err := hooks.Subscribe(ctx, manager, governance.WebhookSubscription{URL: "http://127.0.0.1:1/hook",
		Events: []governance.WebhookEvent{governance.EventAll}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	requests := governance.NewRequestService(work.New(db, q, hooks), teststack.NoGuests{}, func() string { n++; return fmt.Sprintf("req-%d", n) })
	reader := work.NewReader(db)
	tx := work.New(db, q, hooks)
	roles := governance.NewRoleService(tx)
	read := governance.NewReadService(reader, reader)
	keys := identity.NewKeyManager(db, apiPepper, identity.KeyManagerOptions{})
	srv := New(Options{API: &API{Auth: auth, Requests: requests, Read: read,
		Templates: governance.NewTemplateService(tx, governance.WithTeamReader(scenarioTeams{})), Roles: roles, Audit: governance.NewAuditService(reader),
		Versions: read, Webhooks: hooks, APIKeys: keys, Teams: governance.NewLifecycleService(tx, db, scenarioOwners{})}})
	seedManagedTeams(t, db)
	// Cathy's catalog role, as an administrator granted it.
	if _, err := roles.Assign(ctx, manager, governance.RoleAssignment{Role: governance.RoleCatalogManager, SubjectType: "user", SubjectID: idCatalog}); err != nil {
		t.Fatal(err)
	}
	key, _, err := keys.Create(ctx, manager, governance.APIKey{Name: "Zapier", Scopes: []string{governance.ScopeWebhooksManage}})
	if err != nil {
		t.Fatal(err)
	}
	// A delivery that failed for good, with no job behind it, so resending
	// it is the only thing that queues it.
	if _, err := db.CreateDelivery(ctx, governance.WebhookDelivery{TenantID: "contoso", ID: "dl_failed", SubscriptionID: sub.ID,
		Event: governance.EventTeamArchived, MessageID: "msg_failed", Payload: []byte(`{"type":"team.archived","data":{"teamId":"t-1"}}`),
		Attempt: 8, Status: governance.DeliveryFailed, ResponseCode: 500, Error: "gave up after 8 attempts: the endpoint answered 500"}); err != nil {
		t.Fatal(err)
	}
	e := &apiEnv{srv: srv, db: db, prov: prov, hookSub: sub.ID, hookDelivery: "dl_failed", keyID: key.ID, pepper: apiPepper, h: srv.Handler()}
	// Two pending requests of Alice's, waiting for Bob: req-1 and req-2.
	for _, name := range []string{"Apollo", "Zephyr"} {
		if _, err := requests.Submit(ctx, auth["alice"], governance.NewRequest{TemplateID: "project", Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := requests.Submit(ctx, auth["fabrikam-user"], governance.NewRequest{TemplateID: "fab", Name: "Fabrikam secret plan"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// apiScenario is one request against the API and what must follow.
type apiScenario struct {
	name       string
	token      string // bearer token; "" sends none
	method     string
	path       string
	body       string
	reqHeader  map[string]string // request headers to send
	status     int
	header     map[string]string // response headers that must start with the value
	contains   []string
	notContain []string
	after      func(t *testing.T, e *apiEnv)
	// check inspects the response body (a secret shown once, say).
	check func(t *testing.T, e *apiEnv, body string)
}

// runAPI plays the scenarios in order: later ones see earlier ones' effects.
func runAPI(t *testing.T, e *apiEnv, tests []apiScenario) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			for k, v := range tt.reqHeader {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, body)
			}
			// Every answer, error or not, is as the OpenAPI document says.
			for _, p := range conformsToOpenAPI(e.srv, req, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()) {
				t.Errorf("response departs from openapi.json: %s", p)
			}
			for k, v := range tt.header {
				if got := rec.Header().Get(k); !strings.HasPrefix(got, v) {
					t.Errorf("header %s = %q, want %q…", k, got, v)
				}
			}
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q: %s", s, body)
				}
			}
			for _, s := range tt.notContain {
				if strings.Contains(body, s) {
					t.Errorf("body must not contain %q: %s", s, body)
				}
			}
			if tt.check != nil {
				tt.check(t, e, body)
			}
			if tt.after != nil {
				tt.after(t, e)
			}
		})
	}
}

func (e *apiEnv) request(t *testing.T, id string) governance.Request {
	t.Helper()
	r, err := e.db.Request(context.Background(), "contoso", id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *apiEnv) named(t *testing.T, name string) governance.Request {
	t.Helper()
	rs, err := e.db.RequestsNamed(context.Background(), "contoso", governance.FoldForMatch(name))
	if err != nil || len(rs) != 1 {
		t.Fatalf("requests named %q: %v %v", name, rs, err)
	}
	return rs[0]
}

func (e *apiEnv) audited(t *testing.T, action, subject string) {
	t.Helper()
	chain, err := e.db.AuditChain(context.Background(), "contoso", 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(chain, func(a governance.AuditEvent) bool { return a.Action == action && a.SubjectID == subject }) {
		t.Fatalf("no audit event %s for %s", action, subject)
	}
}

func (e *apiEnv) delivered(t *testing.T, event governance.WebhookEvent, requestID string) {
	t.Helper()
	ds, err := e.db.Deliveries(context.Background(), "contoso", e.hookSub, 200, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ds, func(d governance.WebhookDelivery) bool {
		return d.Event == event && strings.Contains(string(d.Payload), `"`+requestID+`"`)
	}) {
		t.Fatalf("no %s webhook delivery for %s", event, requestID)
	}
}

func (e *apiEnv) provisioned(t *testing.T, requestID string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if slices.Contains(e.prov.Got(), "contoso/"+requestID) {
			return
		}
	}
	t.Fatalf("request %s never reached the provisioning queue (saw %v)", requestID, e.prov.Got())
}
