package entra

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/stewardhq/steward/m365sim/directory"
)

var signedOutPage = mustPage("signedout", `
<h1>You signed out of your account</h1>
<p>It's a good idea to close all browser windows.</p>`)

// handleLogout is the end_session_endpoint. The simulator keeps no browser
// session, so signing out only sends the user back: to
// post_logout_redirect_uri when it is a redirect URI registered for the
// client (named by client_id or by the audience of id_token_hint, which may
// have expired), else to a signed-out page, as Microsoft does with an
// unregistered URI.
func (e *Entra) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		e.renderError(w, r, newErr(400, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid."))
		return
	}
	tenant := r.PathValue("tenant")
	var tenants []directory.Tenant
	if multiTenant(tenant) {
		tenants = e.dir.Tenants()
	} else {
		t, ok := e.dir.ResolveTenant(tenant)
		if !ok {
			e.renderError(w, r, errTenantNotFound(tenant, "invalid_tenant"))
			return
		}
		tenants = []directory.Tenant{t}
	}
	target := r.Form.Get("post_logout_redirect_uri")
	clientID := r.Form.Get("client_id")
	if hint := r.Form.Get("id_token_hint"); hint != "" && clientID == "" {
		if c, err := e.parse(hint, false); err == nil && c.Iss == e.issuer(c.Tid) {
			clientID = c.Aud
		}
	}
	if target != "" && clientID != "" {
		for _, t := range tenants {
			a, err := e.dir.App(t.ID, clientID)
			if err != nil || !slices.Contains(a.RedirectURIs, target) {
				continue
			}
			u, err := url.Parse(target)
			if err != nil {
				break
			}
			if s := r.Form.Get("state"); s != "" {
				q := u.Query()
				q.Set("state", s)
				u.RawQuery = q.Encode()
			}
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, u.String(), http.StatusFound)
			return
		}
	}
	writePage(w, http.StatusOK, signedOutPage, map[string]any{"Title": "Sign out"})
}
