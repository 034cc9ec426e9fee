package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/docs"
	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/trust"
)

// uiIdentity is the pages' SessionIdentity in tests: a token is the name
// of one of apiPrincipals, and so are the kept claims.
type fakeIdentity struct{ people tokenAuth }

func (f fakeIdentity) FromToken(_ context.Context, raw string) (SessionClaims, error) {
	p, ok := f.people[raw]
	if !ok || p.Kind != governance.PrincipalUser {
		return SessionClaims{}, governance.Errorf(governance.KindUnauthenticated, "token_invalid", "sign in again")
	}
	return SessionClaims{TenantID: p.TenantID, UserID: p.ID, Kept: []byte(raw), ExpiresAt: time.Now().Add(time.Hour)}, nil
}

func (f fakeIdentity) Principal(_ context.Context, kept []byte) (governance.Principal, error) {
	p, ok := f.people[string(kept)]
	if !ok {
		return governance.Principal{}, governance.Errorf(governance.KindUnauthenticated, "token_invalid", "sign in again")
	}
	return p, nil
}

// fakeSignIn is Entra for the sign-in tests: code "code-<name>" redeems to
// <name>'s token, once the verifier matches the challenge it was given.
type fakeSignIn struct{ challenges map[string]bool }

func (f *fakeSignIn) Organization(_ context.Context, hint string) (Organization, error) {
	switch {
	case strings.HasSuffix(hint, "contoso.example"):
		return Organization{TenantID: "contoso", EntraTenantID: "entra-contoso", ClientID: "app-id"}, nil
	case strings.Contains(hint, "."):
		return Organization{}, governance.Errorf(governance.KindNotFound, "organization_not_found", "no such organization")
	}
	return Organization{}, governance.Errorf(governance.KindInvalid, "organization_invalid", "enter your work email address")
}

func (f *fakeSignIn) AuthorizeURL(tid string) string {
	return "https://login.example/" + tid + "/oauth2/v2.0/authorize"
}
func (f *fakeSignIn) Scopes(client string) []string {
	return []string{"openid", "api://" + client + "/access_as_user"}
}

func (f *fakeSignIn) Redeem(_ context.Context, tenantID, code, verifier, redirect string) (string, error) {
	sum := sha256.Sum256([]byte(verifier))
	if !f.challenges[base64.RawURLEncoding.EncodeToString(sum[:])] || redirect != "http://steward.test/auth/callback" {
		return "", governance.Errorf(governance.KindInvalid, "signin_code_invalid", "the sign-in expired")
	}
	return strings.TrimPrefix(code, "code-"), nil
}

type fakePeople struct{}

func (fakePeople) SearchPeople(_ context.Context, p governance.Principal, q string, limit int) ([]Person, error) {
	if strings.HasPrefix("carol", strings.ToLower(q)) {
		return []Person{{ID: idCarol, Name: "Carol", Mail: "carol@contoso.example"}}, nil
	}
	return nil, nil
}

func (fakePeople) People(_ context.Context, p governance.Principal, ids []string) ([]Person, error) {
	var out []Person
	for _, id := range ids {
		if id == idAlice {
			out = append(out, Person{ID: idAlice, Name: "Alice"})
		}
	}
	return out, nil
}

// uiEnv is the API scenarios' stack with the pages on top.
type uiEnv struct {
	*apiEnv
	signin *fakeSignIn
	now    time.Time
}

func newUIEnv(t *testing.T) *uiEnv {
	t.Helper()
	e := &uiEnv{apiEnv: newAPIEnv(t), signin: &fakeSignIn{challenges: map[string]bool{}}, now: time.Now()}
	help, err := NewHelpCenter(docs.Files)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := trust.New(trust.Inputs{
		Destinations: []edge.Destination{
			{Host: "graph.microsoft.com", Purpose: edge.PurposeGraph, Why: "creates teams", Setting: "graph_url"},
			{Host: "res.cdn.office.net", Purpose: edge.PurposeTeamsCDN, Why: "TeamsJS", Direction: edge.DirectionBrowser},
		},
		GraphPermissions: trust.GraphPermissions(), TLS: edge.DescribeTLS(), Measures: trust.Measures(), Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.UseUI(&UI{Sessions: e.db, Trust: tc, Identity: fakeIdentity{apiPrincipals()}, SignIn: e.signin, People: fakePeople{},
		Help: help, PublicURL: "http://steward.test", LoginURL: "https://login.example",
		Now: func() time.Time { return e.now }}); err != nil {
		t.Fatal(err)
	}
	e.h = e.srv.Handler()
	return e
}

// browser is a cookie jar in front of the handler.
type browser struct {
	e       *uiEnv
	cookies map[string]string
}

func (e *uiEnv) browser() *browser { return &browser{e: e, cookies: map[string]string{}} }

func (b *browser) do(t *testing.T, method, target string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	rec := httptest.NewRecorder()
	b.e.h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return rec
}

// signIn walks the OIDC flow as who (a key of apiPrincipals).
func (b *browser) signIn(t *testing.T, email, who string) {
	t.Helper()
	rec := b.do(t, "GET", "/auth/start?email="+url.QueryEscape(email)+"&return=/app/requests", nil, nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("auth/start: %d %s", rec.Code, rec.Body)
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	q := loc.Query()
	if loc.Host != "login.example" || q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != "http://steward.test/auth/callback" ||
		q.Get("login_hint") != email || q.Get("response_type") != "code" {
		t.Fatalf("authorize redirect %s", loc)
	}
	b.e.signin.challenges[q.Get("code_challenge")] = true
	rec = b.do(t, "GET", "/auth/callback?code=code-"+who+"&state="+url.QueryEscape(q.Get("state")), nil, nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/app/requests" {
		t.Fatalf("callback: %d %s %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	if b.cookies["steward_session"] == "" {
		t.Fatal("no session cookie after sign-in")
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) csrf(t *testing.T, page string) string {
	t.Helper()
	rec := b.do(t, "GET", page, nil, nil)
	m := csrfField.FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("%s has no CSRF field: %d", page, rec.Code)
	}
	return m[1]
}

func TestUISignIn(t *testing.T) {
	e := newUIEnv(t)

	t.Run("pages need a session", func(t *testing.T) {
		rec := e.browser().do(t, "GET", "/app/requests?x=1", nil, nil)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin?return=%2Fapp%2Frequests%3Fx%3D1" {
			t.Fatalf("%d %s", rec.Code, rec.Header().Get("Location"))
		}
	})
	t.Run("full sign-in", func(t *testing.T) {
		b := e.browser()
		b.signIn(t, "alice@contoso.example", "alice")
		rec := b.do(t, "GET", "/app/requests", nil, nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Apollo") {
			t.Fatalf("my requests: %d", rec.Code)
		}
	})
	t.Run("unknown organization is explained on the form", func(t *testing.T) {
		rec := e.browser().do(t, "GET", "/auth/start?email=x@nowhere.example", nil, nil)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "no such organization") || !strings.Contains(rec.Body.String(), `value="x@nowhere.example"`) {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("forged state", func(t *testing.T) {
		b := e.browser()
		b.do(t, "GET", "/auth/start?email=alice@contoso.example", nil, nil)
		rec := b.do(t, "GET", "/auth/callback?code=code-alice&state=forged", nil, nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "signin_state_mismatch") || b.cookies["steward_session"] != "" {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("callback without the browser's cookie", func(t *testing.T) {
		rec := e.browser().do(t, "GET", "/auth/callback?code=code-alice&state=x", nil, nil)
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("%d", rec.Code)
		}
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		b := e.browser()
		rec := b.do(t, "GET", "/auth/start?email=alice@contoso.example", nil, nil)
		loc, _ := url.Parse(rec.Header().Get("Location"))
		// The challenge is not registered: the verifier cannot match.
		rec = b.do(t, "GET", "/auth/callback?code=code-alice&state="+url.QueryEscape(loc.Query().Get("state")), nil, nil)
		if rec.Code != http.StatusBadRequest || b.cookies["steward_session"] != "" {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("a token of another tenant than the one chosen", func(t *testing.T) {
		b := e.browser()
		rec := b.do(t, "GET", "/auth/start?email=alice@contoso.example", nil, nil)
		loc, _ := url.Parse(rec.Header().Get("Location"))
		e.signin.challenges[loc.Query().Get("code_challenge")] = true
		rec = b.do(t, "GET", "/auth/callback?code=code-fabrikam-user&state="+url.QueryEscape(loc.Query().Get("state")), nil, nil)
		if rec.Code != http.StatusForbidden || b.cookies["steward_session"] != "" {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("return address stays on the site", func(t *testing.T) {
		for _, ret := range []string{"//evil.example/x", "https://evil.example", "/\\evil.example", "evil"} {
			if got := localPath(ret); got != "/app" {
				t.Errorf("localPath(%q) = %q", ret, got)
			}
		}
		if got := localPath("/app/requests/req-1"); got != "/app/requests/req-1" {
			t.Errorf("local path changed: %q", got)
		}
	})
	t.Run("sessions end when idle", func(t *testing.T) {
		b := e.browser()
		b.signIn(t, "alice@contoso.example", "alice")
		e.now = e.now.Add(idleTimeout + time.Minute)
		defer func() { e.now = time.Now() }()
		if rec := b.do(t, "GET", "/app", nil, nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("idle session still served: %d", rec.Code)
		}
	})
	t.Run("sign out ends the session on the server", func(t *testing.T) {
		b := e.browser()
		b.signIn(t, "alice@contoso.example", "alice")
		stolen := b.cookies["steward_session"]
		if rec := b.do(t, "POST", "/signout", url.Values{"csrf": {"wrong"}}, nil); rec.Code != http.StatusForbidden {
			t.Fatalf("sign-out without the token: %d", rec.Code)
		}
		tok := b.csrf(t, "/app")
		if rec := b.do(t, "POST", "/signout", url.Values{"csrf": {tok}}, nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("sign-out: %d", rec.Code)
		}
		thief := e.browser()
		thief.cookies["steward_session"] = stolen
		if rec := thief.do(t, "GET", "/app", nil, nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("a signed-out cookie still works: %d", rec.Code)
		}
	})
	t.Run("a forged session cookie is nobody", func(t *testing.T) {
		b := e.browser()
		b.cookies["steward_session"] = "contoso." + strings.Repeat("A", 43)
		if rec := b.do(t, "GET", "/app", nil, nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("%d", rec.Code)
		}
	})
}

func TestUITeamsSSO(t *testing.T) {
	e := newUIEnv(t)
	post := func(origin, ctype, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/auth/teams", strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec
	}
	for _, tt := range []struct {
		name, origin, ctype, body string
		status                    int
		code                      string
	}{
		{"another site", "https://evil.example", "application/json", `{"token":"alice"}`, 403, "csrf_cross_site"},
		{"a form post", "", "application/x-www-form-urlencoded", "token=alice", 400, "content_type_unsupported"},
		{"no token", "http://steward.test", "application/json", `{}`, 400, "sso_token_missing"},
		{"a forged token", "http://steward.test", "application/json", `{"token":"forged"}`, 401, "token_invalid"},
		{"a good token", "http://steward.test", "application/json", `{"token":"bob","locale":"fr-FR"}`, 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(tt.origin, tt.ctype, tt.body)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.code) {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			got := false
			for _, c := range rec.Result().Cookies() {
				got = got || (c.Name == "steward_session" && c.HttpOnly && c.Value != "")
			}
			if got != (tt.status == 200) {
				t.Errorf("session cookie set = %v", got)
			}
		})
	}
}

func TestUIRequestFlow(t *testing.T) {
	e := newUIEnv(t)
	alice, bob := e.browser(), e.browser()
	alice.signIn(t, "alice@contoso.example", "alice")
	bob.signIn(t, "bob@contoso.example", "bob")

	var id string
	t.Run("submit through the wizard", func(t *testing.T) {
		tok := alice.csrf(t, "/app/new?template=project")
		rec := alice.do(t, "POST", "/app/new", url.Values{"csrf": {tok}, "template": {"project"}, "name": {"Borealis"},
			"owners": {idAlice}, "members": {idCarol}, "field.code": {"P-7"}}, nil)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		loc := rec.Header().Get("Location")
		id = strings.TrimSuffix(strings.TrimPrefix(loc, "/app/requests/"), "?notice=submitted")
		req := e.request(t, id)
		if req.Requested != "Borealis" || req.Fields["code"] != "P-7" || req.State != governance.StatePending {
			t.Fatalf("request %+v", req)
		}
	})
	t.Run("a refused request keeps what was typed", func(t *testing.T) {
		tok := alice.csrf(t, "/app/new?template=project")
		rec := alice.do(t, "POST", "/app/new", url.Values{"csrf": {tok}, "template": {"project"}, "name": {"Borealis"},
			"description": {"kept text"}}, nil)
		if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "kept text") || !strings.Contains(rec.Body.String(), `role="alert"`) {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("no CSRF token, no request", func(t *testing.T) {
		rec := alice.do(t, "POST", "/app/new", url.Values{"template": {"project"}, "name": {"Forged"}}, nil)
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "csrf_token_invalid") {
			t.Fatalf("%d", rec.Code)
		}
	})
	t.Run("another person's token does not do", func(t *testing.T) {
		tok := bob.csrf(t, "/app")
		rec := alice.do(t, "POST", "/app/requests/"+id+"/cancel", url.Values{"csrf": {tok}}, nil)
		if rec.Code != http.StatusForbidden {
			t.Fatalf("%d", rec.Code)
		}
	})
	t.Run("cross-site fetch is refused even with the token", func(t *testing.T) {
		tok := alice.csrf(t, "/app")
		rec := alice.do(t, "POST", "/app/requests/"+id+"/cancel", url.Values{"csrf": {tok}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "csrf_cross_site") {
			t.Fatalf("%d", rec.Code)
		}
	})
	t.Run("the approver sees it and approves", func(t *testing.T) {
		rec := bob.do(t, "GET", "/app/approvals", nil, nil)
		if !strings.Contains(rec.Body.String(), "Borealis") {
			t.Fatalf("approvals lack the request: %s", rec.Body)
		}
		page := bob.do(t, "GET", "/app/requests/"+id, nil, nil).Body.String()
		if !strings.Contains(page, `action="/app/requests/`+id+`/decision"`) {
			t.Fatal("no decision form for the approver")
		}
		tok := csrfField.FindStringSubmatch(page)[1]
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page)[1]
		rec = bob.do(t, "POST", "/app/requests/"+id+"/decision", url.Values{"csrf": {tok}, "version": {version}, "decision": {"approve"}, "comment": {"Go"}}, nil)
		if rec.Code != http.StatusSeeOther || !strings.HasSuffix(rec.Header().Get("Location"), "notice=approved") {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if r := e.request(t, id); r.State == governance.StatePending {
			t.Fatalf("still pending: %+v", r)
		}
		decided := bob.do(t, "GET", "/app/approvals?show=decided", nil, nil).Body.String()
		pending := bob.do(t, "GET", "/app/approvals", nil, nil).Body.String()
		if !strings.Contains(decided, "Borealis") || strings.Contains(pending, "Borealis") {
			t.Fatalf("Borealis must move from Waiting for me to Decided:\n%s", decided)
		}
	})
	t.Run("the approver edits before deciding", func(t *testing.T) {
		page := bob.do(t, "GET", "/app/requests/req-2", nil, nil).Body.String()
		tok := csrfField.FindStringSubmatch(page)[1]
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page)[1]
		rec := bob.do(t, "POST", "/app/requests/req-2/edit", url.Values{"csrf": {tok}, "version": {version}, "name": {"Zephyr two"},
			"description": {"Renamed"}, "comment": {"Clearer name"}}, nil)
		if rec.Code != http.StatusSeeOther || !strings.HasSuffix(rec.Header().Get("Location"), "notice=edited") {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		r := e.request(t, "req-2")
		if r.Requested != "Zephyr two" || r.Description != "Renamed" || len(r.Comments) != 1 {
			t.Fatalf("request %+v", r)
		}
		// The version Bob saw is stale now: a second edit with it conflicts.
		rec = bob.do(t, "POST", "/app/requests/req-2/edit", url.Values{"csrf": {tok}, "version": {version}, "name": {"Again"}}, nil)
		if rec.Code != http.StatusConflict {
			t.Fatalf("stale edit: %d", rec.Code)
		}
	})
	t.Run("only administrators retry, and only failed requests", func(t *testing.T) {
		tok := alice.csrf(t, "/app")
		rec := alice.do(t, "POST", "/app/requests/req-1/retry", url.Values{"csrf": {tok}, "version": {"1"}}, nil)
		if rec.Code < 400 {
			t.Fatalf("retry by the requester: %d", rec.Code)
		}
	})
	t.Run("the requester cannot decide", func(t *testing.T) {
		page := alice.do(t, "GET", "/app/requests/req-2", nil, nil).Body.String()
		if strings.Contains(page, "/decision") {
			t.Fatal("the requester is offered the decision form")
		}
		tok := csrfField.FindStringSubmatch(page)[1]
		rec := alice.do(t, "POST", "/app/requests/req-2/decision", url.Values{"csrf": {tok}, "version": {"1"}, "decision": {"approve"}}, nil)
		if rec.Code < 400 {
			t.Fatalf("the requester approved her own request: %d", rec.Code)
		}
	})
	t.Run("another tenant's request is not found", func(t *testing.T) {
		rec := alice.do(t, "GET", "/app/requests/req-3", nil, nil)
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "Fabrikam secret plan") {
			t.Fatalf("%d", rec.Code)
		}
	})
	t.Run("live status", func(t *testing.T) {
		rec := alice.do(t, "GET", "/app/api/requests/"+id+"/status", nil, map[string]string{"Accept": "application/json"})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"state"`) {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("people picker and name preview", func(t *testing.T) {
		rec := alice.do(t, "GET", "/app/api/people?q=car", nil, nil)
		if !strings.Contains(rec.Body.String(), idCarol) {
			t.Fatalf("%s", rec.Body)
		}
		tok := alice.csrf(t, "/app")
		req := httptest.NewRequest("POST", "/app/api/name-preview", strings.NewReader(`{"template":"named","name":"Launch"}`))
		req.Header.Set("X-CSRF-Token", tok)
		for k, v := range alice.cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		out := httptest.NewRecorder()
		e.h.ServeHTTP(out, req)
		if out.Code != 200 || !strings.Contains(out.Body.String(), `"displayName":"Sales-Launch"`) {
			t.Fatalf("%d %s", out.Code, out.Body)
		}
	})
}

func TestUIPagesAndHeaders(t *testing.T) {
	e := newUIEnv(t)
	alice := e.browser()
	alice.signIn(t, "alice@contoso.example", "alice")
	for _, tt := range []struct {
		path     string
		status   int
		contains []string
	}{
		{"/app", 200, []string{"<h1>Home</h1>", "Open community", `href="/app/new?template=open"`}},
		{"/app?q=zzz", 200, []string{"No template matches your search."}},
		{"/app/new", 200, []string{"Step 1: choose a template"}},
		{"/app/requests", 200, []string{"Apollo", "Zephyr"}},
		{"/app/approvals", 200, []string{"Nothing is waiting for your approval."}},
		{"/app?lang=fr", 200, []string{`<html lang="fr"`, "Accueil"}},
		{"/app?theme=contrast", 200, []string{`data-theme="contrast"`}},
		{"/help", 200, []string{"Help center"}},
		{"/help/search?q=approv", 200, []string{"results for"}},
		{"/help/no-such-guide", 404, []string{"help_page_not_found"}},
		{"/no/such/page", 404, []string{"Page not found"}},
		{"/tabs/requests?id=req-1", 303, nil},
		{"/trust", 200, []string{"Network flows", "<code>graph.microsoft.com (443, or 80 for http)</code>", "browsers only", "Team.Create", "TLS 1.2"}},
		{"/trust?lang=fr", 200, []string{"Centre de confiance", "Flux réseau"}},
		{"/trust/privacy", 200, []string{"self-hosted"}},
		{"/trust/terms", 200, []string{"operated by your organization"}},
		{"/trust/steward.pac", 200, []string{"function FindProxyForURL", `"graph.microsoft.com"`}},
		{"/trust/steward-trust.json", 200, []string{`"graphPermissions"`}},
		{"/trust/steward-trust.txt", 200, []string{"graph.microsoft.com"}},
	} {
		t.Run(tt.path, func(t *testing.T) {
			rec := alice.do(t, "GET", tt.path, nil, nil)
			if rec.Code != tt.status {
				t.Fatalf("status %d", rec.Code)
			}
			for _, s := range tt.contains {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("lacks %q", s)
				}
			}
			h := rec.Header()
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'self' https://teams.microsoft.com") || strings.Contains(csp, "unsafe-inline") ||
				!strings.Contains(csp, "script-src 'self' https://res.cdn.office.net") {
				t.Errorf("CSP %q", csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("Permissions-Policy") == "" {
				t.Errorf("headers %v", h)
			}
		})
	}
	if loc := alice.do(t, "GET", "/tabs/requests?id=req-1", nil, nil).Header().Get("Location"); loc != "/app/requests/req-1" {
		t.Errorf("deep link went to %q", loc)
	}
}

// uiStringCalls finds the English UI strings in templates and Go code.
var uiStringCalls = []*regexp.Regexp{
	regexp.MustCompile(`\.T "((?:[^"\\]|\\.)*)"`),
	regexp.MustCompile(`\bT\("((?:[^"\\]|\\.)*)"`),
	regexp.MustCompile(`translateUI\([a-zA-Z.]+, "((?:[^"\\]|\\.)*)"`),
}

func TestEveryUIStringHasAFrenchTranslation(t *testing.T) {
	var missing []string
	seen := map[string]bool{}
	check := func(file, src string) {
		for _, re := range uiStringCalls {
			for _, m := range re.FindAllStringSubmatch(src, -1) {
				s := strings.ReplaceAll(m[1], `\"`, `"`)
				if seen[s] {
					continue
				}
				seen[s] = true
				if _, ok := uiFrench[s]; !ok {
					missing = append(missing, file+": "+s)
				}
			}
		}
	}
	forEachSource(t, check)
	// The strings the Go code picks from (states, notices, error titles).
	for _, s := range append(append(stateLabels(), noticeTexts()...), errorTitles()...) {
		if _, ok := uiFrench[s]; !ok && !seen[s] {
			seen[s] = true
			missing = append(missing, "label: "+s)
		}
	}
	for _, m := range missing {
		t.Errorf("no French for %s", m)
	}
	if len(seen) < 100 {
		t.Fatalf("found only %d UI strings: the scanner is broken", len(seen))
	}
}

// forEachSource calls fn with every page template and non-test Go file of
// this package.
func forEachSource(t *testing.T, fn func(file, src string)) {
	t.Helper()
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(templateFiles, n)
		if err != nil {
			t.Fatal(err)
		}
		fn(n, string(b))
	}
	gofiles, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range gofiles {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		fn(n, string(b))
	}
}

func stateLabels() []string {
	var out []string
	for _, s := range []governance.RequestState{governance.StateDraft, governance.StatePending, governance.StateApproved,
		governance.StateRejected, governance.StateProvisioning, governance.StateCompleted, governance.StateFailed, governance.StateCancelled} {
		out = append(out, stateLabel(s))
	}
	return out
}

func noticeTexts() []string {
	var out []string
	for _, c := range []string{"submitted", "cancelled", "approved", "rejected", "edited", "retried", "saved", "signedout"} {
		out = append(out, noticeText(c))
	}
	return out
}

func errorTitles() []string {
	var out []string
	for _, s := range []int{400, 401, 403, 404, 409, 429, 500, 503} {
		out = append(out, errorTitle(s))
	}
	return out
}

// TestTenantRateLimit: one organization's burst is refused with 429 on the
// API and on the pages, while another organization goes on.
func TestTenantRateLimit(t *testing.T) {
	e := newUIEnv(t)
	lim, err := edge.NewMemoryLimiter(edge.Rate{PerSecond: 0.001, Burst: 3}, edge.MemoryLimiterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.opts.API.TenantLimit = edge.TenantLimiter{Limiter: lim}
	alice := e.browser()
	alice.signIn(t, "alice@contoso.example", "alice") // signing in spends nothing
	api := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/catalog", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec
	}
	codes := []int{api("alice").Code, api("bob").Code, alice.do(t, "GET", "/app", nil, nil).Code, api("bob").Code}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 200 || codes[3] != http.StatusTooManyRequests {
		t.Fatalf("contoso's codes %v, want 200 200 200 429 (a burst of 3 shared by its people and pages)", codes)
	}
	if rec := api("alice"); rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "rate_limited") {
		t.Fatalf("429 without Retry-After or code: %v %s", rec.Header(), rec.Body)
	}
	if rec := alice.do(t, "GET", "/app", nil, nil); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("page: %d", rec.Code)
	}
	if rec := api("fabrikam-user"); rec.Code != 200 {
		t.Fatalf("another organization is limited too: %d", rec.Code)
	}
}
