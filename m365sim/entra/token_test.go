package entra

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/simauth"
)

// checkTokenHeaders asserts the headers Microsoft sends on every token
// endpoint answer.
func checkTokenHeaders(t *testing.T, r response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if p := r.header.Get("Pragma"); p != "no-cache" {
		t.Errorf("Pragma = %q", p)
	}
}

func TestClientCredentials(t *testing.T) {
	v := newEnv(t)
	tests := []struct {
		name      string
		tenant    string
		form      url.Values
		basic     []string
		wantAud   string
		wantRoles []string
		wantTid   string
	}{
		{name: "graph with roles", tenant: tenantA,
			form:    url.Values{"client_id": {appID}, "client_secret": {secretA}, "scope": {"https://graph.microsoft.com/.default"}},
			wantAud: "https://graph.microsoft.com", wantRoles: graphRole, wantTid: tenantA},
		{name: "graph by domain and HTTP Basic", tenant: "contoso.onmicrosoft.com",
			form: url.Values{"scope": {"https://graph.microsoft.com/.default"}}, basic: []string{appID, secretA},
			wantAud: "https://graph.microsoft.com", wantRoles: graphRole, wantTid: tenantA},
		{name: "bot framework has no roles", tenant: tenantA,
			form:    url.Values{"client_id": {appID}, "client_secret": {secretA}, "scope": {"https://api.botframework.com/.default"}},
			wantAud: "https://api.botframework.com", wantTid: tenantA},
		{name: "own api by api://appId", tenant: tenantA,
			form:    url.Values{"client_id": {appID}, "client_secret": {secretA}, "scope": {"api://" + appID + "/.default"}},
			wantAud: "api://" + appID, wantTid: tenantA},
		{name: "own api by identifier URI", tenant: tenantA,
			form:    url.Values{"client_id": {appID}, "client_secret": {secretA}, "scope": {identURI + "/.default"}},
			wantAud: identURI, wantTid: tenantA},
		{name: "same app in tenant B with its own secret", tenant: tenantB,
			form:    url.Values{"client_id": {appID}, "client_secret": {secretB}, "scope": {"https://graph.microsoft.com/.default"}},
			wantAud: "https://graph.microsoft.com", wantRoles: graphRole, wantTid: tenantB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("grant_type", "client_credentials")
			r := v.post(t, tokenPath(tt.tenant), tt.form, tt.basic...)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			checkTokenHeaders(t, r)
			j := r.json
			if j["token_type"] != "Bearer" || j["expires_in"] != float64(3599) || j["ext_expires_in"] != float64(3599) {
				t.Errorf("response %v", j)
			}
			if _, ok := j["scope"]; ok {
				t.Errorf("client credentials response has scope: %v", j["scope"])
			}
			c, err := v.e.Verify(j["access_token"].(string), tt.wantAud)
			if err != nil {
				t.Fatal(err)
			}
			if c.TenantID != tt.wantTid || c.AppID != appID || c.Audience != tt.wantAud || c.Delegated() ||
				c.ObjectID != servicePrincipalID(tt.wantTid, appID) || c.Subject != c.ObjectID ||
				c.Issuer != v.base+"/"+tt.wantTid+"/v2.0" || !slices.Equal(c.Roles, tt.wantRoles) {
				t.Errorf("claims %+v", c)
			}
		})
	}
}

func TestTokenErrors(t *testing.T) {
	v := newEnv(t)
	cc := func(kv ...string) url.Values {
		f := url.Values{"grant_type": {"client_credentials"}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	graph := "https://graph.microsoft.com/.default"
	tests := []struct {
		name   string
		tenant string
		form   url.Values
		basic  []string
		status int
		err    string
		code   int
	}{
		{"unknown app", tenantA, cc("client_id", "00000000-0000-0000-0000-000000000001", "client_secret", "x", "scope", graph), nil, 400, "unauthorized_client", 700016},
		{"bad secret", tenantA, cc("client_id", appID, "client_secret", "wrong", "scope", graph), nil, 401, "invalid_client", 7000215},
		{"bad secret over Basic", tenantA, cc("scope", graph), []string{appID, "wrong"}, 401, "invalid_client", 7000215},
		{"no secret", tenantA, cc("client_id", appID, "scope", graph), nil, 401, "invalid_client", 7000218},
		{"public client cannot use client credentials", tenantA, cc("client_id", publicID, "scope", graph), nil, 401, "invalid_client", 7000218},
		{"tenant A's secret in tenant B", tenantB, cc("client_id", appID, "client_secret", secretA, "scope", graph), nil, 401, "invalid_client", 7000215},
		{"app of tenant A only, in tenant B", tenantB, cc("client_id", publicID, "scope", graph), nil, 400, "unauthorized_client", 700016},
		{"missing scope", tenantA, cc("client_id", appID, "client_secret", secretA), nil, 400, "invalid_request", 900144},
		{"scope without .default", tenantA, cc("client_id", appID, "client_secret", secretA, "scope", "https://graph.microsoft.com/User.Read.All"), nil, 400, "invalid_scope", 1002012},
		{"unknown resource", tenantA, cc("client_id", appID, "client_secret", secretA, "scope", "api://nope/.default"), nil, 400, "invalid_resource", 500011},
		{"common names no tenant", "common", cc("client_id", appID, "client_secret", secretA, "scope", graph), nil, 400, "invalid_request", 50059},
		{"unknown tenant", "nowhere", cc("client_id", appID, "client_secret", secretA, "scope", graph), nil, 400, "invalid_request", 90002},
		{"unsupported grant", tenantA, url.Values{"grant_type": {"password"}, "client_id": {appID}}, nil, 400, "unsupported_grant_type", 70003},
		{"missing grant_type", tenantA, url.Values{"client_id": {appID}}, nil, 400, "invalid_request", 900144},
		{"missing client_id", tenantA, url.Values{"grant_type": {"client_credentials"}}, nil, 400, "invalid_request", 900144},
		{"missing code", tenantA, url.Values{"grant_type": {"authorization_code"}, "client_id": {appID}}, nil, 400, "invalid_request", 900144},
		{"unknown code", tenantA, url.Values{"grant_type": {"authorization_code"}, "client_id": {appID}, "code": {"nope"}, "redirect_uri": {redirect}}, nil, 400, "invalid_grant", 70000},
		{"unknown refresh token", tenantA, url.Values{"grant_type": {"refresh_token"}, "client_id": {appID}, "refresh_token": {"nope"}}, nil, 400, "invalid_grant", 9002313},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.post(t, tokenPath(tt.tenant), tt.form, tt.basic...)
			v.checkAADError(t, r, tt.status, tt.err, tt.code)
			checkTokenHeaders(t, r)
		})
	}
	t.Run("GET is refused with an AADSTS body", func(t *testing.T) {
		v.checkAADError(t, v.get(t, tokenPath(tenantA)), 400, "invalid_request", 900561)
	})
	t.Run("client-request-id becomes the correlation id", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, v.base+tokenPath(tenantA), strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("client-request-id", "11111111-2222-4333-8444-555555555555")
		if r := do(t, req); r.json["correlation_id"] != "11111111-2222-4333-8444-555555555555" {
			t.Errorf("correlation_id = %v", r.json["correlation_id"])
		}
	})
}

func TestOnBehalfOf(t *testing.T) {
	v := newEnv(t)
	// What Teams SSO getAuthToken yields: aud = the app's identifier URI.
	sso, err := v.e.IssueUserToken(tenantA, aliceID, appID, identURI, []string{"access_as_user"})
	if err != nil {
		t.Fatal(err)
	}
	obo := func(kv ...string) url.Values {
		f := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "client_id": {appID}, "client_secret": {secretA},
			"requested_token_use": {"on_behalf_of"}, "assertion": {sso}, "scope": {"https://graph.microsoft.com/.default"}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				f.Del(kv[i])
			} else {
				f.Set(kv[i], kv[i+1])
			}
		}
		return f
	}
	for _, tt := range []struct {
		name, tenant, scope, wantScope string
	}{
		{"graph .default", tenantA, "https://graph.microsoft.com/.default", "User.Read"},
		{"graph named permission", tenantA, "https://graph.microsoft.com/User.Read", "User.Read"},
		{"common takes the tenant from the assertion", "common", "User.Read", "User.Read"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := v.post(t, tokenPath(tt.tenant), obo("scope", tt.scope))
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			checkTokenHeaders(t, r)
			if r.json["scope"] != tt.wantScope {
				t.Errorf("scope = %v", r.json["scope"])
			}
			c, err := v.e.Verify(r.json["access_token"].(string), "00000003-0000-0000-c000-000000000000")
			if err != nil {
				t.Fatal(err)
			}
			if c.Audience != "https://graph.microsoft.com" || c.ObjectID != aliceID || c.TenantID != tenantA ||
				c.UPN != "alice@contoso.onmicrosoft.com" || c.Name != "Alice Able" || c.AppID != appID ||
				!slices.Equal(c.Scopes, []string{"User.Read"}) || len(c.Roles) != 0 {
				t.Errorf("claims %+v", c)
			}
		})
	}

	graphTok, _ := v.e.IssueUserToken(tenantA, aliceID, appID, "https://graph.microsoft.com", []string{"User.Read"})
	appTok, _ := v.e.IssueAppToken(tenantA, appID, "api://"+appID)
	bTok, _ := v.e.IssueUserToken(tenantB, carolID, appID, identURI, []string{"access_as_user"})
	other := newEnv(t)
	forged, _ := other.e.IssueUserToken(tenantA, aliceID, appID, identURI, []string{"access_as_user"})
	for _, tt := range []struct {
		name   string
		tenant string
		form   url.Values
		status int
		err    string
		code   int
	}{
		{"missing assertion", tenantA, obo("assertion", ""), 400, "invalid_request", 900144},
		{"missing requested_token_use", tenantA, obo("requested_token_use", ""), 400, "invalid_request", 900144},
		{"assertion for another audience", tenantA, obo("assertion", graphTok), 400, "invalid_grant", 500131},
		{"assertion signed elsewhere", tenantA, obo("assertion", forged), 400, "invalid_grant", 50013},
		{"app-only assertion", tenantA, obo("assertion", appTok), 400, "invalid_grant", 50013},
		{"assertion of another tenant", tenantA, obo("assertion", bTok), 400, "invalid_grant", 50013},
		{"bad secret", tenantA, obo("client_secret", "wrong"), 401, "invalid_client", 7000215},
		{"permission not consented", tenantA, obo("scope", "https://graph.microsoft.com/Mail.Send"), 400, "invalid_grant", 65001},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := v.post(t, tokenPath(tt.tenant), tt.form)
			v.checkAADError(t, r, tt.status, tt.err, tt.code)
			if tt.code == 65001 && r.json["suberror"] != "consent_required" {
				t.Errorf("suberror = %v", r.json["suberror"])
			}
		})
	}
	t.Run("expired assertion", func(t *testing.T) {
		v.clock.Advance(v.e.lifetime + clockSkew + 1)
		v.checkAADError(t, v.post(t, tokenPath(tenantA), obo()), 400, "invalid_grant", 500133)
	})
}

func TestIssueHelpers(t *testing.T) {
	v := newEnv(t)
	if _, err := v.e.IssueUserToken(tenantA, daveID, appID, identURI, []string{"access_as_user"}); err == nil {
		t.Error("a disabled user got a token")
	}
	if _, err := v.e.IssueUserToken(tenantB, aliceID, appID, identURI, []string{"access_as_user"}); err == nil {
		t.Error("a user of tenant A got a token in tenant B")
	}
	if _, err := v.e.IssueAppToken(tenantB, publicID, "https://graph.microsoft.com"); err == nil {
		t.Error("an app of tenant A got a token in tenant B")
	}
	guest, err := v.e.IssueUserToken(tenantB, guestID, appID, identURI, []string{"access_as_user"})
	if err != nil {
		t.Fatalf("guest in resource tenant: %v", err)
	}
	c, err := v.e.Verify(guest, identURI)
	if err != nil || c.TenantID != tenantB || c.ObjectID != guestID {
		t.Errorf("guest claims %+v, %v", c, err)
	}
	if _, err := v.e.Verify(guest, "api://someone-else"); !errors.Is(err, simauth.ErrWrongAudience) {
		t.Errorf("wrong audience: %v", err)
	}
}

// TestDemoFixture checks the fixture Steward ships works with the real
// grants: client credentials with the documented dev secret and OBO from a
// Teams SSO token.
func TestDemoFixture(t *testing.T) {
	d := directory.New(nil)
	if err := d.Load(directory.DemoFixture()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String() + "/login"
	e, err := New(Options{BaseURL: base, Dir: d})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = http.StripPrefix("/login", e.Handler())
	srv.Start()
	t.Cleanup(srv.Close)
	v := &env{e: e, srv: srv, base: base}
	for _, tn := range d.Tenants() {
		apps, _ := d.Apps(tn.ID)
		users, _ := d.Users(tn.ID)
		for _, a := range apps {
			r := v.post(t, tokenPath(tn.Domain), url.Values{"grant_type": {"client_credentials"}, "client_id": {a.AppID},
				"client_secret": {a.Secrets[0]}, "scope": {"https://graph.microsoft.com/.default"}})
			if r.status != 200 {
				t.Fatalf("%s: %d %s", tn.Domain, r.status, r.body)
			}
			if c, err := e.Verify(r.json["access_token"].(string), graphAppID); err != nil || !c.Has("Team.Create") {
				t.Errorf("%s: %+v %v", tn.Domain, c, err)
			}
			sso, err := e.IssueUserToken(tn.ID, users[0].ID, a.AppID, "api://"+a.AppID, []string{"access_as_user"})
			if err != nil {
				t.Fatal(err)
			}
			r = v.post(t, tokenPath(tn.ID), url.Values{"grant_type": {grantJWTBearer}, "client_id": {a.AppID}, "client_secret": {a.Secrets[0]},
				"assertion": {sso}, "requested_token_use": {"on_behalf_of"}, "scope": {"https://graph.microsoft.com/User.Read"}})
			if r.status != 200 {
				t.Fatalf("%s OBO: %d %s", tn.Domain, r.status, r.body)
			}
		}
	}
}
