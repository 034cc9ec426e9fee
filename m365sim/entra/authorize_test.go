package entra

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// htmlForm is a form as a browser would submit it.
type htmlForm struct {
	action, method string
	fields         url.Values
	buttons        []string // submit button labels
}

// parseForms reads the forms of an HTML page with encoding/xml in its
// lenient HTML mode: the test drives the page as a browser would, through
// its markup only.
func parseForms(t *testing.T, page string) []htmlForm {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	var forms []htmlForm
	var cur *htmlForm
	inButton := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parse page: %v\n%s", err, page)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attr := map[string]string{}
			for _, a := range el.Attr {
				attr[a.Name.Local] = a.Value
			}
			switch el.Name.Local {
			case "form":
				forms = append(forms, htmlForm{action: attr["action"], method: attr["method"], fields: url.Values{}})
				cur = &forms[len(forms)-1]
			case "input":
				if cur != nil {
					cur.fields.Add(attr["name"], attr["value"])
				}
			case "button":
				inButton = cur != nil
				if inButton {
					cur.buttons = append(cur.buttons, "")
				}
			}
		case xml.CharData:
			if inButton {
				cur.buttons[len(cur.buttons)-1] += string(el)
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "form":
				cur = nil
			case "button":
				inButton = false
			}
		}
	}
	return forms
}

// formFor finds the sign-in form of a user.
func formFor(t *testing.T, forms []htmlForm, userID string) htmlForm {
	t.Helper()
	for _, f := range forms {
		if f.fields.Get("user") == userID {
			return f
		}
	}
	t.Fatalf("no sign-in form for user %s", userID)
	return htmlForm{}
}

func (v *env) submit(t *testing.T, f htmlForm) response {
	t.Helper()
	if f.method != "post" || !strings.HasPrefix(f.action, v.base+"/") {
		t.Fatalf("form posts %s to %s", f.method, f.action)
	}
	req, _ := http.NewRequest(http.MethodPost, f.action, strings.NewReader(f.fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

func pkce(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-0123456789"

func authorizeParams(kv ...string) url.Values {
	p := url.Values{
		"client_id": {appID}, "response_type": {"code"}, "redirect_uri": {redirect},
		"scope": {"openid profile offline_access User.Read"}, "state": {"st-123"}, "nonce": {"n-456"},
		"code_challenge": {pkce(verifier)}, "code_challenge_method": {"S256"},
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			p.Del(kv[i])
		} else {
			p.Set(kv[i], kv[i+1])
		}
	}
	return p
}

func authorizePath(tenant string, p url.Values) string {
	return "/" + tenant + "/oauth2/v2.0/authorize?" + p.Encode()
}

// signIn drives the sign-in page for userID and returns the redirect's
// query parameters.
func (v *env) signIn(t *testing.T, tenant string, p url.Values, userID string) url.Values {
	t.Helper()
	page := v.get(t, authorizePath(tenant, p))
	if page.status != 200 {
		t.Fatalf("authorize: %d %s", page.status, page.body)
	}
	r := v.submit(t, formFor(t, parseForms(t, page.body), userID))
	return redirectParams(t, r)
}

func redirectParams(t *testing.T, r response) url.Values {
	t.Helper()
	if r.status != http.StatusFound {
		t.Fatalf("status %d, want 302: %s", r.status, r.body)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirect {
		t.Fatalf("redirected to %s", loc)
	}
	return loc.Query()
}

func (v *env) redeem(t *testing.T, tenant, code string, kv ...string) response {
	t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "client_id": {appID}, "client_secret": {secretA},
		"code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			f.Del(kv[i])
		} else {
			f.Set(kv[i], kv[i+1])
		}
	}
	return v.post(t, tokenPath(tenant), f)
}

func TestAuthorizationCodeFlow(t *testing.T) {
	v := newEnv(t)
	page := v.get(t, authorizePath(tenantA, authorizeParams("login_hint", "bob@contoso.onmicrosoft.com")))
	if page.status != 200 || page.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("page: %d %q", page.status, page.header.Get("Content-Type"))
	}
	csp := page.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action " + v.srv.URL + " http://127.0.0.1:9"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if page.header.Get("Cache-Control") != "no-store" || page.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", page.header)
	}
	// Plain HTML: no script, handlers or loaded resources.
	for _, bad := range []string{"<script", " onclick=", " src=", "<link", "https://"} {
		if strings.Contains(page.body, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	forms := parseForms(t, page.body)
	var users []string
	for _, f := range forms {
		users = append(users, f.fields.Get("user"))
	}
	if !slices.Equal(users, []string{bobID, aliceID}) {
		t.Errorf("listed users %v, want the hinted one first and no disabled account", users)
	}
	if !strings.Contains(page.body, `autofocus aria-describedby="hint-`+bobID) {
		t.Error("login_hint account is not highlighted")
	}
	f := formFor(t, forms, aliceID)
	if len(f.buttons) != 1 || !strings.Contains(f.buttons[0], "Alice Able") || !strings.Contains(f.buttons[0], "alice@contoso.onmicrosoft.com") {
		t.Errorf("button %q", f.buttons)
	}

	q := redirectParams(t, v.submit(t, f))
	if q.Get("state") != "st-123" || q.Get("code") == "" {
		t.Fatalf("redirect params %v", q)
	}
	r := v.redeem(t, tenantA, q.Get("code"))
	if r.status != 200 {
		t.Fatalf("redeem: %d %s", r.status, r.body)
	}
	checkTokenHeaders(t, r)
	j := r.json
	if j["token_type"] != "Bearer" || j["expires_in"] != float64(3599) || j["scope"] != "User.Read openid profile" {
		t.Errorf("response %v", j)
	}
	at, err := v.e.Verify(j["access_token"].(string), "https://graph.microsoft.com")
	if err != nil {
		t.Fatal(err)
	}
	if at.ObjectID != aliceID || at.TenantID != tenantA || at.AppID != appID || !slices.Equal(at.Scopes, []string{"User.Read", "openid", "profile"}) {
		t.Errorf("access token %+v", at)
	}
	id, err := v.e.Verify(j["id_token"].(string), appID)
	if err != nil {
		t.Fatal(err)
	}
	idc := decodeClaims(t, j["id_token"].(string))
	if idc["nonce"] != "n-456" || idc["ver"] != "2.0" || idc["preferred_username"] != "alice@contoso.onmicrosoft.com" ||
		idc["name"] != "Alice Able" || idc["oid"] != aliceID || idc["tid"] != tenantA || id.Subject == "" || id.Subject == aliceID {
		t.Errorf("id token %v", idc)
	}
	if atc := decodeClaims(t, j["access_token"].(string)); atc["azpacr"] != "1" || atc["sub"] != idc["sub"] || atc["given_name"] != "Alice" {
		t.Errorf("access token claims %v", atc)
	}

	t.Run("code is single use", func(t *testing.T) {
		v.checkAADError(t, v.redeem(t, tenantA, q.Get("code")), 400, "invalid_grant", 54005)
	})

	rt := j["refresh_token"].(string)
	refresh := func(token string, kv ...string) response {
		f := url.Values{"grant_type": {"refresh_token"}, "client_id": {appID}, "client_secret": {secretA}, "refresh_token": {token}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return v.post(t, tokenPath(tenantA), f)
	}
	var rt2 string
	t.Run("refresh rotates", func(t *testing.T) {
		r := refresh(rt)
		if r.status != 200 {
			t.Fatalf("refresh: %d %s", r.status, r.body)
		}
		checkTokenHeaders(t, r)
		rt2, _ = r.json["refresh_token"].(string)
		if rt2 == "" || rt2 == rt || r.json["id_token"] == nil {
			t.Errorf("refresh response %v", r.json)
		}
		v.checkAADError(t, refresh(rt), 400, "invalid_grant", 70000)
	})
	t.Run("refresh for another resource", func(t *testing.T) {
		r := refresh(rt2, "scope", identURI+"/access_as_user")
		if r.status != 200 {
			t.Fatalf("refresh: %d %s", r.status, r.body)
		}
		c, err := v.e.Verify(r.json["access_token"].(string), identURI)
		if err != nil || !slices.Equal(c.Scopes, []string{"access_as_user"}) || r.json["scope"] != identURI+"/access_as_user" {
			t.Errorf("claims %+v, %v, scope %v", c, err, r.json["scope"])
		}
	})
	t.Run("refresh token of a client is not another's", func(t *testing.T) {
		q := v.signIn(t, tenantA, authorizeParams(), bobID)
		r := v.redeem(t, tenantA, q.Get("code"))
		f := url.Values{"grant_type": {"refresh_token"}, "client_id": {publicID}, "refresh_token": {r.json["refresh_token"].(string)}}
		v.checkAADError(t, v.post(t, tokenPath(tenantA), f), 400, "invalid_grant", 9002313)
	})
	t.Run("expired refresh token", func(t *testing.T) {
		q := v.signIn(t, tenantA, authorizeParams(), bobID)
		r := v.redeem(t, tenantA, q.Get("code"))
		v.clock.Advance(refreshLifetime + 1)
		v.checkAADError(t, refresh(r.json["refresh_token"].(string)), 400, "invalid_grant", 700082)
	})
}

func TestAuthorizationCodeErrors(t *testing.T) {
	v := newEnv(t)
	tests := []struct {
		name   string
		redeem []string
		before func()
		status int
		err    string
		code   int
	}{
		{name: "PKCE verifier mismatch", redeem: []string{"code_verifier", strings.Repeat("x", 50)}, status: 400, err: "invalid_grant", code: 50148},
		{name: "PKCE verifier missing", redeem: []string{"code_verifier", ""}, status: 400, err: "invalid_request", code: 900144},
		{name: "redirect_uri differs", redeem: []string{"redirect_uri", "http://127.0.0.1:9/other"}, status: 400, err: "invalid_grant", code: 500112},
		{name: "redirect_uri missing", redeem: []string{"redirect_uri", ""}, status: 400, err: "invalid_request", code: 900144},
		{name: "bad client secret", redeem: []string{"client_secret", "nope"}, status: 401, err: "invalid_client", code: 7000215},
		{name: "confidential client without secret", redeem: []string{"client_secret", ""}, status: 401, err: "invalid_client", code: 7000218},
		{name: "code of another client", redeem: []string{"client_id", publicID, "client_secret", ""}, status: 400, err: "invalid_grant", code: 70000},
		{name: "code redeemed at another tenant", redeem: []string{"tenant", tenantB}, status: 400, err: "invalid_grant", code: 70000},
		{name: "expired code", before: func() { v.clock.Advance(codeLifetime + 1) }, status: 400, err: "invalid_grant", code: 70008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := v.signIn(t, tenantA, authorizeParams(), aliceID)
			if tt.before != nil {
				tt.before()
			}
			tenant := tenantA
			kv := tt.redeem
			if len(kv) == 2 && kv[0] == "tenant" {
				tenant, kv = kv[1], nil
			}
			v.checkAADError(t, v.redeem(t, tenant, q.Get("code"), kv...), tt.status, tt.err, tt.code)
		})
	}
	t.Run("public client with PKCE and no secret", func(t *testing.T) {
		q := v.signIn(t, tenantA, authorizeParams("client_id", publicID, "scope", "User.Read"), aliceID)
		r := v.redeem(t, tenantA, q.Get("code"), "client_id", publicID, "client_secret", "")
		if r.status != 200 || r.json["refresh_token"] != nil || r.json["id_token"] != nil {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if c := decodeClaims(t, r.json["access_token"].(string)); c["azpacr"] != "0" {
			t.Errorf("azpacr = %v", c["azpacr"])
		}
	})
}

func TestAuthorizePageErrors(t *testing.T) {
	v := newEnv(t)
	// Errors shown on a page: never a redirect to an unchecked URI.
	for _, tt := range []struct {
		name, tenant string
		params       url.Values
		code         string
	}{
		{"unknown client", tenantA, authorizeParams("client_id", "00000000-0000-0000-0000-000000000009"), "AADSTS700016"},
		{"client of another tenant", tenantB, authorizeParams("client_id", publicID), "AADSTS700016"},
		{"unregistered redirect URI", tenantA, authorizeParams("redirect_uri", "https://evil.example/cb"), "AADSTS50011"},
		{"missing redirect URI", tenantA, authorizeParams("redirect_uri", ""), "AADSTS900144"},
		{"unknown tenant", "nowhere", authorizeParams(), "AADSTS90002"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := v.get(t, authorizePath(tt.tenant, tt.params))
			if r.status != 400 || r.header.Get("Location") != "" || !strings.Contains(r.body, tt.code) ||
				r.header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("%d Location=%q body %s", r.status, r.header.Get("Location"), r.body)
			}
		})
	}
	// Errors sent back to the registered redirect URI with the state.
	for _, tt := range []struct {
		name   string
		params url.Values
		err    string
		code   string
	}{
		{"plain PKCE refused", authorizeParams("code_challenge", verifier[:43], "code_challenge_method", "plain"), "invalid_request", "AADSTS90100"},
		{"PKCE method omitted means plain", authorizeParams("code_challenge_method", ""), "invalid_request", "AADSTS90100"},
		{"implicit flow", authorizeParams("response_type", "token"), "unsupported_response_type", "AADSTS70005"},
		{"silent sign-in", authorizeParams("prompt", "none"), "login_required", "AADSTS50058"},
		{"delegated scope on the Bot Framework", authorizeParams("scope", "https://api.botframework.com/.default"), "invalid_scope", "AADSTS70011"},
		{"unknown resource", authorizeParams("scope", "api://nobody/read"), "invalid_resource", "AADSTS500011"},
		{"missing scope", authorizeParams("scope", ""), "invalid_request", "AADSTS900144"},
		{"not consented", authorizeParams("scope", "openid Mail.Send"), "consent_required", "AADSTS65001"},
		{"two resources", authorizeParams("scope", "User.Read api://"+appID+"/access_as_user"), "invalid_scope", "AADSTS28000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := redirectParams(t, v.get(t, authorizePath(tenantA, tt.params)))
			if q.Get("error") != tt.err || !strings.HasPrefix(q.Get("error_description"), tt.code+": ") || q.Get("state") != "st-123" || q.Get("code") != "" {
				t.Errorf("redirect params %v", q)
			}
		})
	}

	page := v.get(t, authorizePath(tenantA, authorizeParams()))
	form := formFor(t, parseForms(t, page.body), aliceID)
	forge := func(kv ...string) htmlForm {
		f := htmlForm{action: form.action, method: form.method, fields: url.Values{}}
		for k, vs := range form.fields {
			f.fields[k] = slices.Clone(vs)
		}
		for i := 0; i < len(kv); i += 2 {
			f.fields.Set(kv[i], kv[i+1])
		}
		return f
	}
	for _, tt := range []struct {
		name string
		form htmlForm
		code string
	}{
		{"disabled user", forge("user", daveID), "AADSTS50057"},
		{"user of another tenant", forge("user", carolID), "AADSTS50034"},
		{"user_tenant cannot move a tenant page", forge("user", carolID, "user_tenant", tenantB), "AADSTS50034"},
		{"tampered parameters", forge("redirect_uri", redirect, "scope", "openid User.Read access_as_user"), "csrf"},
		{"tampered state", forge("state", "other"), "csrf"},
		{"no csrf token", forge("csrf", ""), "csrf"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := v.submit(t, tt.form)
			if r.status != 400 || r.header.Get("Location") != "" || !strings.Contains(r.body, tt.code) {
				t.Errorf("%d Location=%q body %s", r.status, r.header.Get("Location"), r.body)
			}
		})
	}
	t.Run("sign-in page expires", func(t *testing.T) {
		v.clock.Advance(codeLifetime + 1)
		if r := v.submit(t, form); r.status != 400 || !strings.Contains(r.body, "csrf") {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
}

func TestTenantIsolationOnSignIn(t *testing.T) {
	v := newEnv(t)
	page := v.get(t, authorizePath("fabrikam.onmicrosoft.com", authorizeParams()))
	var users []string
	for _, f := range parseForms(t, page.body) {
		users = append(users, f.fields.Get("user"))
	}
	if !slices.Equal(users, []string{carolID, guestID}) {
		t.Errorf("tenant B lists %v", users)
	}
	if strings.Contains(page.body, "Alice") {
		t.Error("tenant B's page shows tenant A's users")
	}
	// A guest signs in to the resource tenant; tokens are tenant B's.
	q := v.signIn(t, "fabrikam.onmicrosoft.com", authorizeParams(), guestID)
	r := v.redeem(t, tenantB, q.Get("code"), "client_secret", secretB)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	c, err := v.e.Verify(r.json["access_token"].(string), "https://graph.microsoft.com")
	if err != nil || c.TenantID != tenantB || c.ObjectID != guestID || c.Issuer != v.base+"/"+tenantB+"/v2.0" {
		t.Errorf("%+v %v", c, err)
	}
	t.Run("tenant A's secret cannot redeem tenant B's code", func(t *testing.T) {
		q := v.signIn(t, tenantB, authorizeParams(), carolID)
		v.checkAADError(t, v.redeem(t, tenantB, q.Get("code")), 401, "invalid_client", 7000215)
	})
}

func TestCommonAuthority(t *testing.T) {
	v := newEnv(t)
	page := v.get(t, authorizePath("common", authorizeParams()))
	if page.status != 200 {
		t.Fatalf("%d %s", page.status, page.body)
	}
	for _, want := range []string{"Contoso (contoso.onmicrosoft.com)", "Fabrikam (fabrikam.onmicrosoft.com)"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page lacks group %q", want)
		}
	}
	forms := parseForms(t, page.body)
	f := formFor(t, forms, carolID)
	if f.fields.Get("user_tenant") != tenantB {
		t.Fatalf("user_tenant = %q", f.fields.Get("user_tenant"))
	}
	q := redirectParams(t, v.submit(t, f))
	r := v.redeem(t, "organizations", q.Get("code"), "client_secret", secretB)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if c, err := v.e.Verify(r.json["access_token"].(string), "https://graph.microsoft.com"); err != nil || c.TenantID != tenantB {
		t.Errorf("%+v %v", c, err)
	}
	t.Run("app not registered in the user's tenant", func(t *testing.T) {
		page := v.get(t, authorizePath("common", authorizeParams("client_id", publicID, "scope", "User.Read")))
		r := v.submit(t, formFor(t, parseForms(t, page.body), carolID))
		if r.status != 400 || !strings.Contains(r.body, "AADSTS700016") {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	t.Run("a forged tenant/user pair", func(t *testing.T) {
		f := formFor(t, forms, carolID)
		f.fields.Set("user_tenant", tenantA)
		if r := v.submit(t, f); r.status != 400 || !strings.Contains(r.body, "AADSTS50034") {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
}

func TestResponseModes(t *testing.T) {
	v := newEnv(t)
	t.Run("fragment", func(t *testing.T) {
		page := v.get(t, authorizePath(tenantA, authorizeParams("response_mode", "fragment")))
		r := v.submit(t, formFor(t, parseForms(t, page.body), aliceID))
		loc, _ := url.Parse(r.header.Get("Location"))
		frag, _ := url.ParseQuery(loc.Fragment)
		if r.status != 302 || loc.RawQuery != "" || frag.Get("code") == "" || frag.Get("state") != "st-123" {
			t.Errorf("%d %s", r.status, r.header.Get("Location"))
		}
	})
	t.Run("form_post", func(t *testing.T) {
		page := v.get(t, authorizePath(tenantA, authorizeParams("response_mode", "form_post")))
		r := v.submit(t, formFor(t, parseForms(t, page.body), aliceID))
		forms := parseForms(t, r.body)
		if r.status != 200 || len(forms) != 1 || forms[0].action != redirect || forms[0].fields.Get("code") == "" ||
			forms[0].fields.Get("state") != "st-123" || strings.Contains(r.body, "<script") {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if rr := v.redeem(t, tenantA, forms[0].fields.Get("code")); rr.status != 200 {
			t.Errorf("redeem: %d %s", rr.status, rr.body)
		}
	})
}

func TestLogout(t *testing.T) {
	v := newEnv(t)
	q := v.signIn(t, tenantA, authorizeParams(), aliceID)
	idTok := v.redeem(t, tenantA, q.Get("code")).json["id_token"].(string)
	v.clock.Advance(2 * time.Hour) // an expired id_token_hint still names the client
	for _, tt := range []struct {
		name, tenant string
		params       url.Values
		wantLocation string
	}{
		{"registered URI by client_id", tenantA, url.Values{"client_id": {appID}, "post_logout_redirect_uri": {redirect}, "state": {"s1"}}, redirect + "?state=s1"},
		{"registered URI by id_token_hint", "common", url.Values{"id_token_hint": {idTok}, "post_logout_redirect_uri": {redirect}}, redirect},
		{"unregistered URI", tenantA, url.Values{"client_id": {appID}, "post_logout_redirect_uri": {"https://evil.example/"}}, ""},
		{"no client", tenantA, url.Values{"post_logout_redirect_uri": {redirect}}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := v.get(t, "/"+tt.tenant+"/oauth2/v2.0/logout?"+tt.params.Encode())
			if tt.wantLocation != "" {
				if r.status != 302 || r.header.Get("Location") != tt.wantLocation {
					t.Errorf("%d Location=%q", r.status, r.header.Get("Location"))
				}
				return
			}
			if r.status != 200 || r.header.Get("Location") != "" || !strings.Contains(r.body, "You signed out") {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestErrorPage(t *testing.T) {
	v := newEnv(t)
	r := v.get(t, "/error?code=7000215")
	if r.status != 200 || r.header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(r.body, "AADSTS7000215") {
		t.Errorf("%d %s", r.status, r.body)
	}
}
