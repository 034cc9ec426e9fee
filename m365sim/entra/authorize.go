package entra

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
)

// authParams are the authorize request parameters the sign-in form carries
// through and the CSRF token binds.
var authParams = []string{"client_id", "response_type", "redirect_uri", "response_mode", "scope", "state",
	"nonce", "code_challenge", "code_challenge_method", "login_hint", "prompt"}

// authzRequest is a validated authorize request.
type authzRequest struct {
	tenant string // as in the path
	tid    string // the tenant's id; empty on common/organizations
	params url.Values
	app    directory.App // the registration (the first found, on common)
}

func (q authzRequest) mode() string {
	if m := q.params.Get("response_mode"); m != "" {
		return m
	}
	return "query"
}

// validateAuthorize checks an authorize request. Errors before the client
// and redirect URI are known good are shown on a page (pageErr): redirecting
// to an unregistered URI would make this an open redirector. Later errors
// go back to the client (redirErr), as OAuth requires.
func (e *Entra) validateAuthorize(tenant string, in url.Values) (q authzRequest, pageErr, redirErr *aadError) {
	q = authzRequest{tenant: tenant, params: url.Values{}}
	for _, p := range authParams {
		if v := in.Get(p); v != "" {
			q.params.Set(p, v)
		}
	}
	var tenants []directory.Tenant
	if multiTenant(tenant) {
		tenants = e.dir.Tenants()
	} else {
		t, ok := e.dir.ResolveTenant(tenant)
		if !ok {
			return q, errTenantNotFound(tenant, "invalid_tenant"), nil
		}
		q.tid, tenants = t.ID, []directory.Tenant{t}
	}
	clientID := q.params.Get("client_id")
	if clientID == "" {
		return q, errMissing("client_id"), nil
	}
	var regs []directory.App
	for _, t := range tenants {
		if a, err := e.dir.App(t.ID, clientID); err == nil {
			regs = append(regs, a)
		}
	}
	if len(regs) == 0 {
		return q, errAppNotFound(clientID, tenant), nil
	}
	redirect := q.params.Get("redirect_uri")
	if redirect == "" {
		return q, errMissing("redirect_uri"), nil
	}
	i := slices.IndexFunc(regs, func(a directory.App) bool { return slices.Contains(a.RedirectURIs, redirect) })
	if i < 0 {
		return q, errRedirectMismatch(redirect, clientID), nil
	}
	q.app = regs[i]

	if !slices.Contains([]string{"query", "fragment", "form_post"}, q.mode()) {
		q.params.Del("response_mode")
		return q, nil, newErr(400, "invalid_request", 90100, "The parameter 'response_mode' is empty or not valid.")
	}
	switch rt := q.params.Get("response_type"); rt {
	case "code":
	case "":
		return q, nil, errMissing("response_type")
	default:
		return q, nil, newErr(400, "unsupported_response_type", 70005, "response_type '%s' is not enabled for the application.", rt)
	}
	if q.params.Get("scope") == "" {
		return q, nil, errMissing("scope")
	}
	challenge, method := q.params.Get("code_challenge"), q.params.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return q, nil, errMissing("code_challenge")
	case challenge != "" && method != "S256":
		// Microsoft still accepts plain (the RFC 7636 default when the
		// method is omitted); the simulator refuses it so Steward is held
		// to S256.
		return q, nil, newErr(400, "invalid_request", 90100, "The parameter 'code_challenge_method' is empty or not valid: only S256 is accepted.")
	case challenge != "" && len(challenge) != 43:
		return q, nil, newErr(400, "invalid_request", 501491, "Invalid size of Code_Challenge parameter.")
	}
	if q.params.Get("prompt") == "none" {
		// The simulator keeps no browser session, so a silent request
		// always finds nobody signed in.
		return q, nil, newErr(400, "login_required", 50058, "A silent sign-in request was sent but no user is signed in.")
	}
	if q.tid != "" {
		if aerr := e.checkConsent(q.tid, q.app, q.params.Get("scope")); aerr != nil {
			return q, nil, aerr
		}
	}
	return q, nil, nil
}

func errRedirectMismatch(redirect, appID string) *aadError {
	return newErr(400, "invalid_request", 50011, "The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.", redirect, appID)
}

// checkConsent reports whether app may obtain the scopes for a user of tid.
func (e *Entra) checkConsent(tid string, app directory.App, scope string) *aadError {
	sr, aerr := e.parseScope(tid, scope)
	if aerr != nil {
		return aerr
	}
	if _, aerr := delegatedScopes(app, sr); aerr != nil {
		if aerr.code == 65001 {
			// At the authorize endpoint the OIDC error code says it.
			aerr.err, aerr.suberror = "consent_required", ""
		}
		return aerr
	}
	return nil
}

func (e *Entra) handleAuthorizeGet(w http.ResponseWriter, r *http.Request) {
	q, pageErr, redirErr := e.validateAuthorize(r.PathValue("tenant"), r.URL.Query())
	switch {
	case pageErr != nil:
		e.renderError(w, r, pageErr)
	case redirErr != nil:
		e.deliver(w, q, e.errorParams(r, q, redirErr))
	default:
		e.renderSignIn(w, q)
	}
}

func (e *Entra) handleAuthorizePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		e.renderError(w, r, newErr(400, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid."))
		return
	}
	tenant := r.PathValue("tenant")
	q, pageErr, redirErr := e.validateAuthorize(tenant, r.PostForm)
	switch {
	case pageErr != nil:
		e.renderError(w, r, pageErr)
		return
	case !e.checkCSRF(tenant, q.params, r.PostForm.Get("csrf")):
		e.renderError(w, r, newErr(400, "invalid_request", 90100, "The parameter 'csrf' is empty or not valid. The sign-in page expired or the request did not come from it; start the sign-in again."))
		return
	case redirErr != nil:
		e.deliver(w, q, e.errorParams(r, q, redirErr))
		return
	}
	// The user's tenant: the path's, or on common the one picked.
	utid := q.tid
	if utid == "" {
		utid = r.PostForm.Get("user_tenant")
	}
	u, err := e.dir.User(utid, r.PostForm.Get("user"))
	if err != nil {
		e.renderError(w, r, newErr(400, "invalid_request", 50034, "The user account %s does not exist in the %s directory. To sign into this application, the account must be added to the directory.", r.PostForm.Get("user"), tenantLabel(tenant, utid)))
		return
	}
	if !u.AccountEnabled {
		e.renderError(w, r, errUserDisabled())
		return
	}
	app, err := e.dir.App(utid, q.app.AppID)
	if err != nil {
		e.renderError(w, r, errAppNotFound(q.app.AppID, utid))
		return
	}
	if !slices.Contains(app.RedirectURIs, q.params.Get("redirect_uri")) {
		e.renderError(w, r, errRedirectMismatch(q.params.Get("redirect_uri"), app.AppID))
		return
	}
	q.app = app
	if aerr := e.checkConsent(utid, app, q.params.Get("scope")); aerr != nil {
		e.deliver(w, q, e.errorParams(r, q, aerr))
		return
	}
	code := e.randomString(48)
	e.mu.Lock()
	e.codes[code] = &authCode{
		tid: utid, clientID: app.AppID, redirectURI: q.params.Get("redirect_uri"), userID: u.ID,
		scope: q.params.Get("scope"), nonce: q.params.Get("nonce"), challenge: q.params.Get("code_challenge"),
		expires: e.now().Add(codeLifetime),
	}
	e.pruneLocked()
	e.mu.Unlock()
	out := url.Values{"code": {code}}
	if s := q.params.Get("state"); s != "" {
		out.Set("state", s)
	}
	e.deliver(w, q, out)
}

func tenantLabel(path, tid string) string {
	if tid != "" {
		return tid
	}
	return path
}

// errorParams are the parameters of an error sent back to the client.
func (e *Entra) errorParams(r *http.Request, q authzRequest, a *aadError) url.Values {
	b := e.errorBody(r, a)
	v := url.Values{"error": {b.Error}, "error_description": {b.Description}, "error_uri": {b.ErrorURI}}
	if s := q.params.Get("state"); s != "" {
		v.Set("state", s)
	}
	return v
}

// deliver sends response parameters to the (validated) redirect URI the
// way response_mode asks.
func (e *Entra) deliver(w http.ResponseWriter, q authzRequest, v url.Values) {
	redirect := q.params.Get("redirect_uri")
	switch q.mode() {
	case "form_post":
		e.renderFormPost(w, redirect, v)
	case "fragment":
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Location", redirect+"#"+v.Encode())
		w.WriteHeader(http.StatusFound)
	default:
		u, err := url.Parse(redirect)
		if err != nil { // a registration with a malformed URI
			http.Error(w, "entra: registered redirect URI is malformed", http.StatusInternalServerError)
			return
		}
		qs := u.Query()
		for k, vs := range v {
			qs[k] = vs
		}
		u.RawQuery = qs.Encode()
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusFound)
	}
}

// csrfToken binds a sign-in form to its authorize parameters and a time,
// with an HMAC only this instance can compute.
func (e *Entra) csrfToken(tenant string, params url.Values, ts int64) string {
	m := hmac.New(sha256.New, e.csrfKey)
	fmt.Fprintf(m, "%s\x00%d", strings.ToLower(tenant), ts)
	for _, p := range authParams {
		fmt.Fprintf(m, "\x00%s=%s", p, params.Get(p))
	}
	return strconv.FormatInt(ts, 10) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (e *Entra) checkCSRF(tenant string, params url.Values, tok string) bool {
	tsStr, _, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	ts, err := strconv.ParseInt(tsStr, 10, 64)
	if err != nil {
		return false
	}
	age := e.now().Sub(time.Unix(ts, 0))
	if age < -clockSkew || age > codeLifetime {
		return false
	}
	return hmac.Equal([]byte(tok), []byte(e.csrfToken(tenant, params, ts)))
}
