package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// signinCookie holds a sign-in in flight (state, PKCE verifier, tenant,
// return path) for ten minutes. It needs no seal: tampering with it can
// only break the person's own sign-in, the verifier never leaves this
// browser and the server, and the return path is checked when used.
const (
	signinCookie = "steward_signin"
	signinMaxAge = 600
)

type signinPageData struct {
	Return  string
	Hint    string
	Error   string
	DevOrgs []DevOrganization
}

// signinPage asks for the work address (or domain) whose organization to
// sign in to.
func (x *ui) signinPage(w http.ResponseWriter, r *http.Request) error {
	if v, err := x.visitorOf(r); err == nil && v.ok {
		http.Redirect(w, r, localPath(r.URL.Query().Get("return")), http.StatusSeeOther)
		return nil
	}
	p := x.newPage(r, "", "signin")
	p.Title = p.T("Sign in")
	p.Data = signinPageData{Return: localPath(r.URL.Query().Get("return")), DevOrgs: x.DevOrganizations}
	return x.render(w, "signin", p)
}

// signinStart resolves the organization and sends the browser to Entra's
// authorize endpoint with PKCE (S256), a state bound to this browser, and
// the address as login_hint.
func (x *ui) signinStart(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	hint := strings.TrimSpace(q.Get("email"))
	ret := localPath(q.Get("return"))
	org, err := x.SignIn.Organization(r.Context(), hint)
	if err != nil {
		if k := governance.KindOf(err); k == governance.KindInvalid || k == governance.KindNotFound {
			p := x.newPage(r, "", "signin")
			p.Title = p.T("Sign in")
			_, msg := governance.Localize(err, p.Lang)
			p.Status = StatusOf(k)
			p.Data = signinPageData{Return: ret, Hint: hint, Error: msg, DevOrgs: x.DevOrganizations}
			return x.render(w, "signin", p)
		}
		return err
	}
	state, verifier := randomToken(), randomToken()
	sum := sha256.Sum256([]byte(verifier))
	flight, _ := json.Marshal(signinFlight{State: state, Verifier: verifier, TenantID: org.TenantID, Return: ret})
	x.setCookie(w, signinCookie, base64.RawURLEncoding.EncodeToString(flight), signinMaxAge)
	v := url.Values{
		"client_id":             {org.ClientID},
		"response_type":         {"code"},
		"redirect_uri":          {x.redirectURI()},
		"response_mode":         {"query"},
		"scope":                 {strings.Join(x.SignIn.Scopes(org.ClientID), " ")},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	if strings.Contains(hint, "@") {
		v.Set("login_hint", hint)
	}
	http.Redirect(w, r, x.SignIn.AuthorizeURL(org.EntraTenantID)+"?"+v.Encode(), http.StatusSeeOther)
	return nil
}

type signinFlight struct {
	State    string `json:"s"`
	Verifier string `json:"v"`
	TenantID string `json:"t"`
	Return   string `json:"r"`
}

func (x *ui) redirectURI() string { return x.origin + "/auth/callback" }

// signinCallback finishes the sign-in: the state must be this browser's,
// the code is redeemed with the verifier, the token validated like any
// other, and a session started.
func (x *ui) signinCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ck, err := r.Cookie(signinCookie)
	var f signinFlight
	if err == nil {
		raw, derr := base64.RawURLEncoding.DecodeString(ck.Value)
		if derr != nil || json.Unmarshal(raw, &f) != nil {
			f = signinFlight{}
		}
	}
	x.setCookie(w, signinCookie, "", -1)
	if f.State == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(q.Get("state"))) != 1 {
		return governance.Errorf(governance.KindInvalid, "signin_state_mismatch",
			"this sign-in was not started in this browser, or took more than ten minutes; start again from the sign-in page")
	}
	if e := q.Get("error"); e != "" {
		return governance.Errorf(governance.KindForbidden, "signin_refused",
			"Microsoft Entra ID did not sign you in (%s): %s", e, truncateText(q.Get("error_description"), 300))
	}
	code := q.Get("code")
	if code == "" {
		return governance.Errorf(governance.KindInvalid, "signin_code_missing",
			"the sign-in answer has no code; start again from the sign-in page")
	}
	token, err := x.SignIn.Redeem(r.Context(), f.TenantID, code, f.Verifier, x.redirectURI())
	if err != nil {
		return err
	}
	c, err := x.Identity.FromToken(r.Context(), token)
	if err != nil {
		return err
	}
	if c.TenantID != f.TenantID {
		return governance.Errorf(governance.KindForbidden, "signin_tenant_mismatch",
			"you signed in to another organization than the one you chose; start again and pick your own account")
	}
	if err := x.startSession(r.Context(), w, c, x.language(r, visitor{})); err != nil {
		return err
	}
	http.Redirect(w, r, localPath(f.Return), http.StatusSeeOther)
	return nil
}

// teamsSSO starts a session from a Teams single sign-on token (TeamsJS
// authentication.getAuthToken in the tab). The body is JSON, which a
// cross-site form cannot send without a CORS preflight Steward never
// grants; the Origin must be this site.
func (x *ui) teamsSSO(w http.ResponseWriter, r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" && o != x.origin {
		return asJSON(governance.Errorf(governance.KindForbidden, "csrf_cross_site",
			"this request came from another site and was refused; reload the page and try again"))
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return asJSON(governance.Errorf(governance.KindInvalid, "content_type_unsupported",
			"send the token in the \"token\" field of a JSON body (Content-Type application/json)"))
	}
	var body struct {
		Token  string `json:"token"`
		Locale string `json:"locale"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 32<<10)).Decode(&body); err != nil || body.Token == "" {
		return asJSON(governance.Errorf(governance.KindInvalid, "sso_token_missing",
			"send the Teams single sign-on token in the \"token\" field of a JSON body"))
	}
	c, err := x.Identity.FromToken(r.Context(), body.Token)
	if err != nil {
		return asJSON(err)
	}
	if err := x.startSession(r.Context(), w, c, governance.PreferredLanguage(body.Locale)); err != nil {
		return asJSON(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "signed_in"})
	return nil
}

// signout ends the session. It is a POST with the CSRF token, so another
// site cannot sign people out.
func (x *ui) signout(w http.ResponseWriter, r *http.Request) error {
	v, err := x.visitorOf(r)
	if err != nil {
		return err
	}
	if v.ok {
		if err := checkCSRF(r, v); err != nil {
			return err
		}
		if err := x.Sessions.DeleteWebSession(r.Context(), v.session.TenantID, v.session.IDHash); err != nil {
			return err
		}
	}
	x.setCookie(w, x.cookieName(), "", -1)
	http.Redirect(w, r, "/signin?notice=signedout", http.StatusSeeOther)
	return nil
}

// tabEntry is the content URL of the static tabs (/tabs/{entity}, the
// manifest's and the deep links' fallback URL, ?id= naming an item). Inside
// Teams the page script signs in silently with TeamsJS; a signed-in
// browser goes straight to the tab asked for.
func (x *ui) tabEntry(w http.ResponseWriter, r *http.Request) error {
	next := tabPath(r.PathValue("entity"), r.URL.Query().Get("id"))
	if v, err := x.visitorOf(r); err == nil && v.ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	p := x.newPage(r, "", "")
	p.Title = p.T("Signing you in")
	p.Data = struct{ Next string }{next}
	p.Scripts = []string{"teams.js"}
	return x.render(w, "tab", p)
}

// tabPath maps a tab's entity id (and an item of it) to its page.
func tabPath(tab, id string) string {
	switch tab {
	case "requests", "approvals":
		if id != "" {
			return "/app/requests/" + url.PathEscape(id)
		}
	}
	switch tab {
	case "new":
		return "/app/new"
	case "requests":
		return "/app/requests"
	case "approvals":
		return "/app/approvals"
	case "catalog":
		return "/app/catalog"
	}
	return "/app"
}

// tabConfig is the configuration page of the channel tab: the team owner
// picks which Steward page the tab shows.
func (x *ui) tabConfig(w http.ResponseWriter, r *http.Request) error {
	p := x.newPage(r, "", "")
	p.Title = p.T("Set up the Steward tab")
	p.Scripts = []string{"teams.js"}
	return x.render(w, "tabconfig", p)
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
