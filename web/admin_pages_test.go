package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
)

// adminIdentity rebuilds the scenario principal a session keeps by name.
type adminIdentity struct{ people tokenAuth }

func (a adminIdentity) FromToken(context.Context, string) (SessionClaims, error) {
	return SessionClaims{}, governance.Errorf(governance.KindUnauthenticated, "token_invalid", "sign in again")
}

func (a adminIdentity) Principal(_ context.Context, kept []byte) (governance.Principal, error) {
	if p, ok := a.people[string(kept)]; ok {
		return p, nil
	}
	return governance.Principal{}, governance.Errorf(governance.KindUnauthenticated, "token_invalid", "sign in again")
}

type adminNoSignIn struct{}

func (adminNoSignIn) Organization(context.Context, string) (Organization, error) {
	return Organization{}, governance.Errorf(governance.KindNotFound, "organization_unknown", "unknown")
}
func (adminNoSignIn) AuthorizeURL(string) string { return "https://login.example/authorize" }
func (adminNoSignIn) Redeem(context.Context, string, string, string, string) (string, error) {
	return "", governance.Errorf(governance.KindInvalid, "signin_code_invalid", "no")
}
func (adminNoSignIn) Scopes(string) []string { return nil }

type adminNoPeople struct{}

func (adminNoPeople) SearchPeople(context.Context, governance.Principal, string, int) ([]Person, error) {
	return nil, nil
}
func (adminNoPeople) People(context.Context, governance.Principal, []string) ([]Person, error) {
	return nil, nil
}

// adminFake stands for cmd/steward's admin services: usage from the real
// store, a credential kept in memory, CRM records in memory.
type adminFake struct {
	db      *store.DB
	cred    GraphCredentialInput
	setAt   time.Time
	records []CRMRecord
}

func (f *adminFake) SystemStatus(_ context.Context, p governance.Principal) (SystemStatus, error) {
	if err := p.Require(governance.RoleAdministrator); err != nil {
		return SystemStatus{}, err
	}
	return SystemStatus{Version: "v9.8.7", Checks: []CheckResult{{Name: "store", OK: true}, {Name: "cache", Error: "unavailable"}},
		Queue: QueueDepth{Available: 3, Running: 2, Retryable: 1}}, nil
}

func (f *adminFake) ActivePeople(ctx context.Context, p governance.Principal, since time.Time) (int, error) {
	if err := p.Require(governance.RoleAdministrator); err != nil {
		return 0, err
	}
	return f.db.ActivePeople(ctx, p.TenantID, since)
}

func (f *adminFake) RequestCounts(ctx context.Context, p governance.Principal) (map[governance.RequestState]int, error) {
	if err := p.Require(governance.RoleAdministrator); err != nil {
		return nil, err
	}
	return f.db.RequestCountsByState(ctx, p.TenantID)
}

func (f *adminFake) CredentialStatus(_ context.Context, p governance.Principal) (GraphCredentialStatus, error) {
	if err := p.Require(governance.RoleAdministrator); err != nil {
		return GraphCredentialStatus{}, err
	}
	if f.cred.ClientID == "" {
		return GraphCredentialStatus{}, nil
	}
	typ := "secret"
	if f.cred.CertificatePEM != "" {
		typ = "certificate"
	}
	return GraphCredentialStatus{Set: true, ClientID: f.cred.ClientID, Type: typ, SetAt: f.setAt}, nil
}

func (f *adminFake) SetCredential(_ context.Context, p governance.Principal, c GraphCredentialInput) error {
	if err := p.Require(governance.RoleAdministrator); err != nil {
		return err
	}
	if len(c.ClientID) != 36 {
		return governance.Errorf(governance.KindInvalid, "graph_credential_invalid", "the app credential is not usable")
	}
	f.cred, f.setAt = c, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	return nil
}

func (f *adminFake) ImportCRM(_ context.Context, p governance.Principal, kind, format string, r io.Reader) (CRMImportResult, error) {
	if err := p.Require(governance.RoleIntegrationManager); err != nil {
		return CRMImportResult{}, err
	}
	b, _ := io.ReadAll(r)
	var res CRMImportResult
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		id, name, _ := strings.Cut(line, ",")
		if name == "" {
			res.RejectedRows++
			res.Rejected = append(res.Rejected, "line "+string(rune('2'+i))+": name is empty")
			continue
		}
		f.records = append(f.records, CRMRecord{Kind: kind, ID: id, Title: name})
		res.Created++
	}
	return res, nil
}

func (f *adminFake) SearchCRM(_ context.Context, p governance.Principal, kind, text string) ([]CRMRecord, error) {
	if err := p.Require(governance.RoleIntegrationManager); err != nil {
		return nil, err
	}
	var out []CRMRecord
	for _, r := range f.records {
		if (kind == "" || r.Kind == kind) && strings.Contains(strings.ToLower(r.Title), strings.ToLower(text)) {
			out = append(out, r)
		}
	}
	return out, nil
}

type adminEnv struct {
	*apiEnv
	fake *adminFake
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	e := &adminEnv{apiEnv: newAPIEnv(t)}
	e.fake = &adminFake{db: e.db}
	if err := e.srv.UseUI(&UI{Sessions: e.db, Identity: adminIdentity{apiPrincipals()}, SignIn: adminNoSignIn{}, People: adminNoPeople{},
		PublicURL: "http://steward.test", LoginURL: "https://login.example",
		Admin: &AdminServices{System: e.fake, Usage: e.fake, Credentials: e.fake, CRM: e.fake}}); err != nil {
		t.Fatal(err)
	}
	e.h = e.srv.Handler()
	return e
}

// adminSession is a signed-in browser of one scenario principal.
type adminSession struct {
	e      *adminEnv
	cookie *http.Cookie
	csrf   string
}

var adminCSRF = regexp.MustCompile(`data-csrf="([^"]+)"`)

func (e *adminEnv) session(t *testing.T, who string) *adminSession {
	t.Helper()
	p := apiPrincipals()[who]
	rec := httptest.NewRecorder()
	if err := e.srv.ui.startSession(context.Background(), rec, SessionClaims{TenantID: p.TenantID, UserID: p.ID, Kept: []byte(who),
		ExpiresAt: time.Now().Add(time.Hour)}, "en"); err != nil {
		t.Fatal(err)
	}
	s := &adminSession{e: e, cookie: rec.Result().Cookies()[0]}
	m := adminCSRF.FindStringSubmatch(s.do(t, "GET", "/app/preferences", nil, "").Body.String())
	if m == nil {
		t.Fatal("no CSRF token on the preferences page")
	}
	s.csrf = m[1]
	return s
}

func (s *adminSession) do(t *testing.T, method, target string, body io.Reader, contentType string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	req.Header.Set("Accept", "text/html")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.AddCookie(s.cookie)
	rec := httptest.NewRecorder()
	s.e.h.ServeHTTP(rec, req)
	return rec
}

func (s *adminSession) post(t *testing.T, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", s.csrf)
	}
	return s.do(t, "POST", target, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

func (s *adminSession) upload(t *testing.T, target string, fields map[string]string, fileField, fileName, content string) *httptest.ResponseRecorder {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", s.csrf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if fileField != "" {
		fw, _ := mw.CreateFormFile(fileField, fileName)
		_, _ = fw.Write([]byte(content))
	}
	_ = mw.Close()
	return s.do(t, "POST", target, &buf, mw.FormDataContentType())
}

// expectPage checks a response's status and body fragments.
func expectPage(t *testing.T, rec *httptest.ResponseRecorder, status int, contains []string, notContain ...string) {
	t.Helper()
	body := rec.Body.String()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %.2000s", rec.Code, status, body)
	}
	for _, s := range contains {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q", s)
		}
	}
	for _, s := range notContain {
		if strings.Contains(body, s) {
			t.Errorf("body must not contain %q", s)
		}
	}
}

func TestAdminAccess(t *testing.T) {
	e := newAdminEnv(t)
	alice, ines, admin := e.session(t, "alice"), e.session(t, "integrations"), e.session(t, "admin")
	for _, tt := range []struct {
		name     string
		s        *adminSession
		path     string
		status   int
		location string
	}{
		{"end user gets the 403 page", alice, "/admin", http.StatusForbidden, ""},
		{"end user and integrations", alice, "/admin/integrations", http.StatusForbidden, ""},
		{"integration manager is sent to integrations", ines, "/admin", http.StatusSeeOther, "/admin/integrations"},
		{"integration manager and roles", ines, "/admin/roles", http.StatusForbidden, ""},
		{"integration manager and credentials", ines, "/admin/credentials", http.StatusForbidden, ""},
		{"integration manager's integrations", ines, "/admin/integrations", http.StatusOK, ""},
		{"administrator", admin, "/admin", http.StatusOK, ""},
		{"roles", admin, "/admin/roles", http.StatusOK, ""},
		{"policies", admin, "/admin/policies", http.StatusOK, ""},
		{"integrations", admin, "/admin/integrations", http.StatusOK, ""},
		{"credentials", admin, "/admin/credentials", http.StatusOK, ""},
		{"audit", admin, "/admin/audit", http.StatusOK, ""},
		{"provisioning", admin, "/admin/provisioning", http.StatusOK, ""},
		{"subscription", admin, "/admin/subscription", http.StatusOK, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.s.do(t, "GET", tt.path, nil, "")
			if rec.Code != tt.status || rec.Header().Get("Location") != tt.location {
				t.Fatalf("GET %s: %d %q, want %d %q", tt.path, rec.Code, rec.Header().Get("Location"), tt.status, tt.location)
			}
		})
	}
	t.Run("no session is sent to sign in", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/admin/roles", nil)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/signin") {
			t.Fatalf("%d %s", rec.Code, rec.Header().Get("Location"))
		}
	})
	t.Run("a form without the CSRF token is refused", func(t *testing.T) {
		rec := admin.post(t, "/admin/roles", url.Values{"csrf": {"forged"}, "role": {"approver"}, "subjectType": {"user"}, "subjectId": {idCarol}})
		expectPage(t, rec, http.StatusForbidden, nil)
	})
}

func TestAdminOverviewAndSubscription(t *testing.T) {
	e := newAdminEnv(t)
	admin := e.session(t, "admin")
	expectPage(t, admin.do(t, "GET", "/admin", nil, ""), http.StatusOK,
		[]string{"v9.8.7", "Not ready", "<th scope=\"row\">cache</th>", "Waiting for approval</th><td>2</td>", "No failed provisioning"})
	// Alice asked for two teams, and Alice and the administrator are signed in.
	expectPage(t, admin.do(t, "GET", "/admin/subscription", nil, ""), http.StatusOK,
		[]string{"Billing disabled", "Unlimited (self-hosted, billing disabled)", "<dt>Seats used</dt><dd>2</dd>"})
	fr := admin.do(t, "GET", "/admin/subscription?lang=fr", nil, "")
	expectPage(t, fr, http.StatusOK, []string{"Facturation désactivée", "Licences utilisées"})
}

func TestAdminRoles(t *testing.T) {
	e := newAdminEnv(t)
	admin := e.session(t, "admin")
	expectPage(t, admin.post(t, "/admin/roles", url.Values{"role": {"approver"}, "subjectType": {"user"}, "subjectId": {""}}),
		http.StatusBadRequest, []string{`role="alert"`, "Grant a role"})
	rec := admin.post(t, "/admin/roles", url.Values{"role": {"approver"}, "subjectType": {"user"}, "subjectId": {idCarol}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/roles?done=role-assigned" {
		t.Fatalf("assign: %d %s %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	expectPage(t, admin.do(t, "GET", "/admin/roles?done=role-assigned", nil, ""), http.StatusOK, []string{"The role was granted.", idCarol, "Approver"})
	rec = admin.post(t, "/admin/roles/remove", url.Values{"role": {"approver"}, "subjectType": {"user"}, "subjectId": {idCarol}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", rec.Code, rec.Body)
	}
	e.audited(t, "role.unassigned", "approver:user:"+idCarol)
	expectPage(t, admin.do(t, "GET", "/admin/roles", nil, ""), http.StatusOK, nil, idCarol)
}

var (
	webhookSecret = regexp.MustCompile(`whsec_[A-Za-z0-9+/=_-]+`)
	apiKeyShown   = regexp.MustCompile(`stw_[A-Za-z0-9_-]+`)
)

func TestAdminIntegrations(t *testing.T) {
	e := newAdminEnv(t)
	ines := e.session(t, "integrations")
	// A plain http endpoint is refused, and the form keeps what was typed.
	expectPage(t, ines.post(t, "/admin/integrations/webhooks", url.Values{"url": {"ftp://hooks.example/x"}, "events": {"*"}}),
		http.StatusBadRequest, []string{`role="alert"`, "ftp://hooks.example/x"})
	rec := ines.post(t, "/admin/integrations/webhooks", url.Values{"url": {"https://hooks.example/steward"}, "events": {"request.created", "team.provisioned"}, "description": {"Zapier"}})
	expectPage(t, rec, http.StatusOK, []string{"https://hooks.example/steward", "shown this once"})
	secret := webhookSecret.FindString(rec.Body.String())
	if secret == "" {
		t.Fatal("the new webhook's secret is not shown")
	}
	page := ines.do(t, "GET", "/admin/integrations", nil, "")
	expectPage(t, page, http.StatusOK, []string{"https://hooks.example/steward", "Turn off"}, secret)

	subs, err := e.db.Webhooks(context.Background(), "contoso")
	if err != nil {
		t.Fatal(err)
	}
	var hook governance.WebhookSubscription
	for _, s := range subs {
		if s.URL == "https://hooks.example/steward" {
			hook = s
		}
	}
	ver := itoa
	rec = ines.post(t, "/admin/integrations/webhooks/"+hook.ID+"/enabled", url.Values{"version": {ver(hook.Version)}, "enabled": {"false"}})
	if rec.Code != http.StatusSeeOther || !strings.HasSuffix(rec.Header().Get("Location"), "done=webhook-disabled") {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	// The same version again is stale: shown on the page, 409.
	expectPage(t, ines.post(t, "/admin/integrations/webhooks/"+hook.ID+"/enabled", url.Values{"version": {ver(hook.Version)}, "enabled": {"true"}}),
		http.StatusConflict, []string{`role="alert"`})

	// The delivery log of the scenario's webhook, and redelivering its failed delivery.
	expectPage(t, ines.do(t, "GET", "/admin/integrations/webhooks/"+e.hookSub, nil, ""), http.StatusOK, []string{"team.archived", "msg_failed", "HTTP 500"})
	rec = ines.post(t, "/admin/integrations/webhooks/"+e.hookSub+"/deliveries/"+e.hookDelivery+"/redeliver", nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("redeliver: %d %s", rec.Code, rec.Body)
	}
	rec = ines.post(t, "/admin/integrations/webhooks/"+hook.ID+"/delete", nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	expectPage(t, ines.do(t, "GET", "/admin/integrations", nil, ""), http.StatusOK, nil, "https://hooks.example/steward")

	// API keys: shown once, then only the prefix.
	expectPage(t, ines.post(t, "/admin/integrations/apikeys", url.Values{"name": {"Nightly"}, "scopes": {"requests:read"}, "expires": {"31/12/2027"}}),
		http.StatusBadRequest, []string{"2027-12-31", `value="Nightly"`})
	rec = ines.post(t, "/admin/integrations/apikeys", url.Values{"name": {"Nightly"}, "scopes": {"webhooks:manage"}, "expires": {"2027-12-31"}})
	expectPage(t, rec, http.StatusOK, []string{"Nightly", "shown this once"})
	key := apiKeyShown.FindString(rec.Body.String())
	if key == "" {
		t.Fatal("the new API key is not shown")
	}
	expectPage(t, ines.do(t, "GET", "/admin/integrations", nil, ""), http.StatusOK, []string{"Nightly", "Revoke"}, key)
	keys, err := e.db.APIKeys(context.Background(), "contoso")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Name == "Nightly" {
			if rec := ines.post(t, "/admin/integrations/apikeys/"+k.ID+"/revoke", nil); rec.Code != http.StatusSeeOther {
				t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
			}
			e.audited(t, "api_key.revoked", k.ID)
		}
	}

	// CRM: import with a bad row, then search.
	rec = ines.upload(t, "/admin/integrations/crm/import", map[string]string{"kind": "account"}, "file", "accounts.csv", "id,name\nA-1,Northwind\nA-2,\n")
	expectPage(t, rec, http.StatusOK, []string{"accounts.csv: 1 created, 0 updated, 0 unchanged, 1 rejected.", "name is empty"})
	expectPage(t, ines.upload(t, "/admin/integrations/crm/import", map[string]string{"kind": "account"}, "file", "accounts.xlsx", "x"),
		http.StatusBadRequest, []string{".csv or .json"})
	expectPage(t, ines.do(t, "GET", "/admin/integrations?crm=north&crmKind=account", nil, ""), http.StatusOK, []string{"1 records found", "Northwind", "A-1"})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestAdminCredentials(t *testing.T) {
	e := newAdminEnv(t)
	admin := e.session(t, "admin")
	expectPage(t, admin.do(t, "GET", "/admin/credentials", nil, ""), http.StatusOK, []string{"No credential is set."})
	const secret = "Zx9~very-secret-value"
	expectPage(t, admin.upload(t, "/admin/credentials", map[string]string{"clientId": "short", "type": "secret", "clientSecret": secret}, "", "", ""),
		http.StatusBadRequest, []string{`role="alert"`, `value="short"`}, secret)
	rec := admin.upload(t, "/admin/credentials", map[string]string{"clientId": "0e3f1b2a-1111-4222-8333-444455556666", "type": "secret", "clientSecret": secret}, "", "", "")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("set: %d %s", rec.Code, rec.Body)
	}
	if e.fake.cred.ClientSecret != secret {
		t.Fatalf("stored secret %q", e.fake.cred.ClientSecret)
	}
	expectPage(t, admin.do(t, "GET", "/admin/credentials?done=credential-saved", nil, ""), http.StatusOK,
		[]string{"0e3f1b2a-1111-4222-8333-444455556666", "Client secret", "Nov 20, 2026 08:00 UTC", "was saved"}, secret)
	// A certificate and its key in two files arrive as one PEM.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf": admin.csrf, "clientId": "0e3f1b2a-1111-4222-8333-444455556666", "type": "certificate"} {
		_ = mw.WriteField(k, v)
	}
	cw, _ := mw.CreateFormFile("certificate", "cert.pem")
	_, _ = cw.Write([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	kw, _ := mw.CreateFormFile("key", "key.pem")
	_, _ = kw.Write([]byte("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"))
	_ = mw.Close()
	if rec := admin.do(t, "POST", "/admin/credentials", &buf, mw.FormDataContentType()); rec.Code != http.StatusSeeOther {
		t.Fatalf("certificate: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(e.fake.cred.CertificatePEM, "END CERTIFICATE-----\n-----BEGIN PRIVATE KEY") || e.fake.cred.ClientSecret != "" {
		t.Fatalf("stored %+v", e.fake.cred)
	}
	expectPage(t, admin.do(t, "GET", "/admin/credentials", nil, ""), http.StatusOK, []string{"<dd>Certificate</dd>"}, "MIIE")
}

func TestAdminAuditAndProvisioning(t *testing.T) {
	e := newAdminEnv(t)
	admin := e.session(t, "admin")
	expectPage(t, admin.do(t, "GET", "/admin/audit?action=request.*", nil, ""), http.StatusOK,
		[]string{"request.created", "/admin/audit/export?action=request.%2A&amp;format=csv"}, "role.assigned")
	expectPage(t, admin.do(t, "GET", "/admin/audit?since=yesterday", nil, ""), http.StatusBadRequest, []string{"2026-11-22T09:30"})
	rec := admin.do(t, "GET", "/admin/audit/export?format=csv&action=request.*&since=2000-01-01T00:00", nil, "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Body.String(), "request.created") || strings.Contains(rec.Body.String(), "role.assigned") {
		t.Fatalf("export: %d %s %.500s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	rec = admin.do(t, "GET", "/admin/audit/export?format=json&actor="+idAlice, nil, "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "[") || !strings.Contains(rec.Body.String(), idAlice) {
		t.Fatalf("json export: %d %.500s", rec.Code, rec.Body)
	}

	// req-1 failed to provision.
	ctx := context.Background()
	r := e.request(t, "req-1")
	r.State, r.FailureReason = governance.StateFailed, "Graph refused the team name"
	if err := e.db.InTx(ctx, func(tx *store.Tx) error { _, err := e.db.SaveRequest(ctx, tx, r, nil); return err }); err != nil {
		t.Fatal(err)
	}
	expectPage(t, admin.do(t, "GET", "/admin", nil, ""), http.StatusOK, []string{"1 failed provisionings"})
	expectPage(t, admin.do(t, "GET", "/admin/provisioning", nil, ""), http.StatusOK, []string{"Apollo", "Graph refused the team name", "Retry Apollo"})
	r = e.request(t, "req-1")
	expectPage(t, admin.post(t, "/admin/provisioning/req-1/retry", url.Values{"version": {itoa(r.Version - 1)}}), http.StatusConflict, []string{`role="alert"`})
	rec = admin.post(t, "/admin/provisioning/req-1/retry", url.Values{"version": {itoa(r.Version)}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/provisioning?done=retried" {
		t.Fatalf("retry: %d %s", rec.Code, rec.Body)
	}
	if st := e.request(t, "req-1").State; st == governance.StateFailed {
		t.Fatalf("still failed after retry")
	}
}
