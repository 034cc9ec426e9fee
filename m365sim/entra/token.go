package entra

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/simauth"
)

// Grant types the token endpoint accepts.
const (
	grantClientCredentials = "client_credentials"
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
	grantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// authCode is an issued authorization code and what it was issued for.
type authCode struct {
	tid, clientID, redirectURI, userID string
	scope, nonce, challenge            string
	expires                            time.Time
	used                               bool
}

// refreshGrant is what an opaque refresh token stands for.
type refreshGrant struct {
	tid, clientID, userID, scope string
	expires                      time.Time
	used                         bool
}

// tokenResponse is the successful token endpoint answer, in Microsoft's
// field order. Client credentials responses carry no scope.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

func (e *Entra) expiresIn() int { return int(e.lifetime/time.Second) - 1 }

func (e *Entra) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	resp, aerr := e.token(r)
	if aerr != nil {
		e.writeError(w, r, aerr)
		return
	}
	writeJSON(w, http.StatusOK, resp, true)
}

func (e *Entra) token(r *http.Request) (tokenResponse, *aadError) {
	if r.Method != http.MethodPost {
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_request", 900561, "The endpoint only accepts POST, OPTIONS requests. Received a %s request.", r.Method)
	}
	tenant := r.PathValue("tenant")
	tid := "" // empty on common/organizations: the grant names the tenant
	if !multiTenant(tenant) {
		t, ok := e.dir.ResolveTenant(tenant)
		if !ok {
			return tokenResponse{}, errTenantNotFound(tenant, "invalid_request")
		}
		tid = t.ID
	}
	if err := r.ParseForm(); err != nil {
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
	}
	grant := r.PostForm.Get("grant_type")
	if grant == "" {
		return tokenResponse{}, errMissing("grant_type")
	}
	cred := clientCredentials(r, tenant)
	if cred.id == "" {
		return tokenResponse{}, errMissing("client_id")
	}
	switch grant {
	case grantClientCredentials:
		return e.clientCredentialsGrant(tid, cred, r.PostForm)
	case grantAuthorizationCode:
		return e.authorizationCodeGrant(tid, cred, r.PostForm)
	case grantRefreshToken:
		return e.refreshTokenGrant(tid, cred, r.PostForm)
	case grantJWTBearer:
		return e.onBehalfOfGrant(tid, cred, r.PostForm)
	}
	return tokenResponse{}, newErr(http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'.", grant)
}

func (e *Entra) clientCredentialsGrant(tid string, cred clientCred, form url.Values) (tokenResponse, *aadError) {
	if tid == "" {
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_request", 50059, "No tenant-identifying information found in either the request or implied by any provided credentials.")
	}
	app, err := e.dir.App(tid, cred.id)
	if err != nil {
		return tokenResponse{}, errAppNotFound(cred.id, tid)
	}
	azpacr, aerr := e.authenticate(tid, app, cred, true)
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	scope := form.Get("scope")
	if scope == "" {
		return tokenResponse{}, errMissing("scope")
	}
	f := strings.Fields(scope)
	if len(f) != 1 || !strings.HasSuffix(f[0], "/.default") {
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)
	}
	res, aerr := e.resolveResource(tid, strings.TrimSuffix(f[0], "/.default"))
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	at, err := e.appToken(tid, app.AppID, azpacr, res.aud, res.appRoles(app))
	if err != nil {
		return tokenResponse{}, errInternal()
	}
	e.count(tid, app.AppID, grantClientCredentials)
	return tokenResponse{TokenType: "Bearer", ExpiresIn: e.expiresIn(), ExtExpiresIn: e.expiresIn(), AccessToken: at}, nil
}

func errInternal() *aadError {
	return newErr(http.StatusInternalServerError, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
}

func errInvalidCode() *aadError {
	return newErr(http.StatusBadRequest, "invalid_grant", 70000, "The provided value for the 'code' parameter is not valid.")
}

func (e *Entra) authorizationCodeGrant(tid string, cred clientCred, form url.Values) (tokenResponse, *aadError) {
	code := form.Get("code")
	if code == "" {
		return tokenResponse{}, errMissing("code")
	}
	if form.Get("redirect_uri") == "" {
		return tokenResponse{}, errMissing("redirect_uri")
	}
	now := e.now()
	e.mu.Lock()
	c, ok := e.codes[code]
	var used bool
	if ok {
		// Any redemption attempt consumes the code, so a wrong verifier
		// cannot be retried against it.
		used, c.used = c.used, true
	}
	e.mu.Unlock()
	switch {
	case !ok || c.clientID != cred.id || (tid != "" && tid != c.tid):
		return tokenResponse{}, errInvalidCode()
	case used:
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
	case !now.Before(c.expires):
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
	case form.Get("redirect_uri") != c.redirectURI:
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 500112, "The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code.", form.Get("redirect_uri"), c.redirectURI)
	}
	app, err := e.dir.App(c.tid, cred.id)
	if err != nil {
		return tokenResponse{}, errAppNotFound(cred.id, c.tid)
	}
	azpacr, aerr := e.authenticate(c.tid, app, cred, false)
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	if c.challenge != "" {
		v := form.Get("code_verifier")
		if v == "" {
			return tokenResponse{}, errMissing("code_verifier")
		}
		sum := sha256.Sum256([]byte(v))
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(c.challenge)) != 1 {
			return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 50148, "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.")
		}
	}
	u, aerr := e.signInUser(c.tid, c.userID)
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	sr, aerr := e.parseScope(c.tid, c.scope)
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	return e.delegated(c.tid, app, azpacr, u, sr, c.scope, c.nonce, grantAuthorizationCode)
}

// signInUser returns a user who may obtain tokens now.
func (e *Entra) signInUser(tid, oid string) (directory.User, *aadError) {
	u, err := e.dir.User(tid, oid)
	if err != nil {
		return directory.User{}, newErr(http.StatusBadRequest, "invalid_grant", 50034, "The user account %s does not exist in the %s directory. To sign into this application, the account must be added to the directory.", oid, tid)
	}
	if !u.AccountEnabled {
		return directory.User{}, errUserDisabled()
	}
	return u, nil
}

func (e *Entra) refreshTokenGrant(tid string, cred clientCred, form url.Values) (tokenResponse, *aadError) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return tokenResponse{}, errMissing("refresh_token")
	}
	now := e.now()
	e.mu.Lock()
	g, ok := e.refresh[rt]
	var used bool
	if ok && g.clientID == cred.id {
		used, g.used = g.used, true
	}
	e.mu.Unlock()
	switch {
	case !ok || g.clientID != cred.id || (tid != "" && tid != g.tid):
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
	case used:
		// Refresh tokens rotate: each is redeemable once.
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 70000, "The provided value for the 'refresh_token' is not valid: it was already redeemed. Use the refresh token returned with it.")
	case !now.Before(g.expires):
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 700082, "The refresh token has expired due to inactivity. The token was issued on %s and was inactive for 90.00:00:00.", g.expires.Add(-refreshLifetime).UTC().Format(time.RFC3339Nano))
	}
	app, err := e.dir.App(g.tid, cred.id)
	if err != nil {
		return tokenResponse{}, errAppNotFound(cred.id, g.tid)
	}
	azpacr, aerr := e.authenticate(g.tid, app, cred, false)
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	u, aerr := e.signInUser(g.tid, g.userID)
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	// A refresh token is good for any resource the user consented to.
	scope := form.Get("scope")
	if scope == "" {
		scope = g.scope
	}
	sr, aerr := e.parseScope(g.tid, scope)
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	sr.offline = true
	return e.delegated(g.tid, app, azpacr, u, sr, scope, "", grantRefreshToken)
}

func (e *Entra) onBehalfOfGrant(tid string, cred clientCred, form url.Values) (tokenResponse, *aadError) {
	for _, p := range []string{"assertion", "requested_token_use", "scope"} {
		if form.Get(p) == "" {
			return tokenResponse{}, errMissing(p)
		}
	}
	if form.Get("requested_token_use") != "on_behalf_of" {
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_request", 90100, "The parameter 'requested_token_use' is empty or not valid: it must be 'on_behalf_of'.")
	}
	c, err := e.Verify(form.Get("assertion"))
	switch {
	case errors.Is(err, simauth.ErrExpired):
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 500133, "Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token.")
	case err != nil:
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 50013, "Assertion failed signature validation.")
	case !c.Delegated():
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 50013, "Assertion is not a delegated (user) token.")
	}
	if tid == "" {
		tid = c.TenantID
	}
	if tid != c.TenantID {
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 50013, "Assertion was issued by tenant '%s', not '%s'.", c.TenantID, tid)
	}
	app, err := e.dir.App(tid, cred.id)
	if err != nil {
		return tokenResponse{}, errAppNotFound(cred.id, tid)
	}
	azpacr, aerr := e.authenticate(tid, app, cred, true)
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	if !slices.Contains([]string{"api://" + app.AppID, app.AppID, app.IdentifierURI}, c.Audience) || c.Audience == "" {
		return tokenResponse{}, newErr(http.StatusBadRequest, "invalid_grant", 500131, "Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '%s' and the expected audience is '%s' or one of the Application Id URIs of this application.", c.Audience, app.AppID)
	}
	u, aerr := e.signInUser(tid, c.ObjectID)
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	sr, aerr := e.parseScope(tid, form.Get("scope"))
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	return e.delegated(tid, app, azpacr, u, sr, form.Get("scope"), "", "on_behalf_of")
}

// delegated issues the tokens of a user grant: the access token for the
// requested resource, an ID token when openid was asked and a refresh
// token when offline_access was (or on refresh).
func (e *Entra) delegated(tid string, client directory.App, azpacr string, u directory.User, sr scopeRequest, rawScope, nonce, grant string) (tokenResponse, *aadError) {
	scp, aerr := delegatedScopes(client, sr)
	if aerr != nil {
		return tokenResponse{}, aerr
	}
	at, err := e.userToken(tid, u, client.AppID, azpacr, sr.res.aud, scp)
	if err != nil {
		return tokenResponse{}, errInternal()
	}
	resp := tokenResponse{TokenType: "Bearer", Scope: scopeString(sr.res, scp), ExpiresIn: e.expiresIn(), ExtExpiresIn: e.expiresIn(), AccessToken: at}
	if sr.openid {
		if resp.IDToken, err = e.idToken(tid, u, client.AppID, nonce); err != nil {
			return tokenResponse{}, errInternal()
		}
	}
	if sr.offline {
		resp.RefreshToken = e.randomString(48)
		e.mu.Lock()
		e.refresh[resp.RefreshToken] = &refreshGrant{tid: tid, clientID: client.AppID, userID: u.ID, scope: rawScope, expires: e.now().Add(refreshLifetime)}
		e.pruneLocked()
		e.mu.Unlock()
	}
	e.count(tid, client.AppID, grant)
	return resp, nil
}

// scopeString is the scope field of a token response: Graph permissions
// bare (as Microsoft returns them), other resources' qualified.
func scopeString(res resource, scp []string) string {
	if res.graph {
		return strings.Join(scp, " ")
	}
	q := make([]string, len(scp))
	for i, s := range scp {
		q[i] = res.aud + "/" + s
	}
	return strings.Join(q, " ")
}

// pruneLocked forgets codes and refresh tokens long past expiry, keeping
// recently used ones so a replay is reported as such, and the jti of
// expired client assertions. e.mu must be held.
func (e *Entra) pruneLocked() {
	cutoff := e.now().Add(-time.Hour)
	for k, c := range e.codes {
		if c.expires.Before(cutoff) {
			delete(e.codes, k)
		}
	}
	for k, g := range e.refresh {
		if g.expires.Before(cutoff) {
			delete(e.refresh, k)
		}
	}
	// An expired assertion is refused for its time, so its jti can go.
	now := e.now()
	for k, until := range e.assertions {
		if !now.Before(until) {
			delete(e.assertions, k)
		}
	}
}
