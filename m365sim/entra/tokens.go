package entra

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/simauth"
)

// tokenClaims are the claims of the v2.0 access and ID tokens this simulator
// issues, named and shaped as Microsoft documents them
// (learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
// aud is a single string, as in Microsoft tokens, which is why this is not
// jwt.RegisteredClaims (whose audience would need a package-global switch).
type tokenClaims struct {
	Aud               string   `json:"aud"`
	Iss               string   `json:"iss"`
	Iat               int64    `json:"iat"`
	Nbf               int64    `json:"nbf"`
	Exp               int64    `json:"exp"`
	Aio               string   `json:"aio,omitempty"`
	Azp               string   `json:"azp,omitempty"`
	Azpacr            string   `json:"azpacr,omitempty"`
	Idtyp             string   `json:"idtyp,omitempty"`
	Name              string   `json:"name,omitempty"`
	GivenName         string   `json:"given_name,omitempty"`
	FamilyName        string   `json:"family_name,omitempty"`
	Nonce             string   `json:"nonce,omitempty"`
	Oid               string   `json:"oid"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	Rh                string   `json:"rh,omitempty"`
	Roles             []string `json:"roles,omitempty"`
	Scp               string   `json:"scp,omitempty"`
	Sub               string   `json:"sub"`
	Tid               string   `json:"tid"`
	Uti               string   `json:"uti"`
	Ver               string   `json:"ver"`
	// Wids are the template ids of the user's Entra directory roles, which
	// Entra puts in user tokens so apps can map admins without a Graph call.
	Wids []string `json:"wids,omitempty"`
	// Groups holds the user's group ids when the app asks for them
	// (groupMembershipClaims); past groupsClaimLimit Entra sends an overage
	// reference instead, and apps must read the groups from Graph.
	Groups       []string                     `json:"groups,omitempty"`
	ClaimNames   map[string]string            `json:"_claim_names,omitempty"`
	ClaimSources map[string]map[string]string `json:"_claim_sources,omitempty"`
}

// groupsClaimLimit is how many groups a JWT carries before Entra switches to
// the overage reference.
const groupsClaimLimit = 200

// groupsClaim fills c's groups claim (or its overage reference) for user u
// of tenant tid as app appID's manifest asks.
func (e *Entra) groupsClaim(c *tokenClaims, tid string, u directory.User, appID string) {
	app, err := e.dir.App(tid, appID)
	if err != nil || (app.GroupMembershipClaims != "SecurityGroup" && app.GroupMembershipClaims != "All") {
		return
	}
	groups, err := e.dir.UserGroups(tid, u.ID, app.GroupMembershipClaims == "SecurityGroup")
	if err != nil || len(groups) == 0 {
		return
	}
	if len(groups) > groupsClaimLimit {
		c.ClaimNames = map[string]string{"groups": "src1"}
		c.ClaimSources = map[string]map[string]string{"src1": {
			"endpoint": "https://graph.microsoft.com/v1.0/users/" + u.ID + "/getMemberObjects"}}
		return
	}
	c.Groups = groups
}

// roleTemplateIDs are Entra's built-in directory role template ids
// (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
var roleTemplateIDs = map[string]string{
	"Global Administrator":          "62e90394-69f5-4237-9190-012177145e10",
	"Teams Administrator":           "69091246-20e8-4a56-aa4d-066075b2a7a8",
	"User Administrator":            "fe930be7-5e62-47db-91af-98c3a49a38b1",
	"Groups Administrator":          "fdd7a751-b60b-444a-984c-02652fe8fa1c",
	"SharePoint Administrator":      "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
	"Exchange Administrator":        "29232cdf-9323-42fd-ade2-1d097af3e4de",
	"Global Reader":                 "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
	"Application Administrator":     "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
	"Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
}

// wids lists the role template ids of u's directory roles, plus the
// "member user" template every member gets (guests get none), as Entra does.
func wids(u directory.User) []string {
	var out []string
	for _, r := range u.Roles {
		if id, ok := roleTemplateIDs[r]; ok {
			out = append(out, id)
		}
	}
	if u.UserType != "Guest" {
		out = append(out, "b79fbf4d-3ef9-4689-8143-76b194e85509") // member user
	}
	return out
}

func numericDate(s int64) *jwt.NumericDate {
	if s == 0 {
		return nil
	}
	return jwt.NewNumericDate(time.Unix(s, 0))
}

func (c tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) { return numericDate(c.Exp), nil }
func (c tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return numericDate(c.Iat), nil }
func (c tokenClaims) GetNotBefore() (*jwt.NumericDate, error)      { return numericDate(c.Nbf), nil }
func (c tokenClaims) GetIssuer() (string, error)                   { return c.Iss, nil }
func (c tokenClaims) GetSubject() (string, error)                  { return c.Sub, nil }
func (c tokenClaims) GetAudience() (jwt.ClaimStrings, error)       { return jwt.ClaimStrings{c.Aud}, nil }

// servicePrincipalID is the object id of an app's service principal in a
// tenant; the directory does not model service principals, so it is derived.
func servicePrincipalID(tid, appID string) string {
	return directory.GUID("serviceprincipal/" + tid + "/" + appID)
}

// pairwiseSub is the sub claim: stable per user and app, different between
// apps, like Microsoft's pairwise subject.
func pairwiseSub(tid, oid, appID string) string {
	sum := sha256.Sum256([]byte("m365sim-sub\x00" + tid + "\x00" + oid + "\x00" + appID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// baseClaims fills the claims every token carries.
func (e *Entra) baseClaims(tid, aud string, lifetime time.Duration) tokenClaims {
	now := e.now()
	return tokenClaims{
		Aud: aud,
		Iss: e.issuer(tid),
		Iat: now.Unix(),
		Nbf: now.Unix(),
		Exp: now.Add(lifetime).Unix(),
		Aio: e.randomString(40),
		Rh:  "0." + e.randomString(30) + ".",
		Tid: tid,
		Uti: e.randomString(16),
		Ver: "2.0",
	}
}

// sign serialises c as an RS256 JWT with the header Microsoft uses
// (typ, alg, kid and x5t).
func (e *Entra) sign(c tokenClaims) (string, error) {
	k := e.signer()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	t.Header["kid"] = k.kid
	t.Header["x5t"] = k.x5t
	s, err := t.SignedString(k.priv)
	if err != nil {
		return "", fmt.Errorf("entra: sign token: %w", err)
	}
	return s, nil
}

// appToken mints an app-only access token. azpacr says how the client
// authenticated: "1" a secret, "2" a certificate.
func (e *Entra) appToken(tid, appID, azpacr, aud string, roles []string) (string, error) {
	c := e.baseClaims(tid, aud, e.lifetime)
	c.Azp, c.Azpacr, c.Idtyp = appID, azpacr, "app"
	c.Oid = servicePrincipalID(tid, appID)
	c.Sub = c.Oid
	c.Roles = roles
	return e.sign(c)
}

// userToken mints a delegated access token.
func (e *Entra) userToken(tid string, u directory.User, appID, azpacr, aud string, scp []string) (string, error) {
	c := e.baseClaims(tid, aud, e.lifetime)
	c.Azp, c.Azpacr = appID, azpacr
	c.Oid, c.Sub = u.ID, pairwiseSub(tid, u.ID, appID)
	c.Name, c.PreferredUsername = u.DisplayName, u.UserPrincipalName
	c.GivenName, c.FamilyName = u.GivenName, u.Surname
	c.Scp = strings.Join(scp, " ")
	c.Wids = wids(u)
	e.groupsClaim(&c, tid, u, appID)
	return e.sign(c)
}

// idToken mints a v2.0 ID token for client appID.
func (e *Entra) idToken(tid string, u directory.User, appID, nonce string) (string, error) {
	c := e.baseClaims(tid, appID, time.Hour)
	c.Oid, c.Sub = u.ID, pairwiseSub(tid, u.ID, appID)
	c.Name, c.PreferredUsername = u.DisplayName, u.UserPrincipalName
	c.Nonce = nonce
	return e.sign(c)
}

// IssueAppToken returns an app-only access token for appID in tenantID, as
// the client credentials grant would for scope "{resource}/.default". It
// is for tests and the other simulators; the app must be registered in the
// tenant. Graph tokens carry the app's granted AppRoles.
func (e *Entra) IssueAppToken(tenantID, appID, resource string) (string, error) {
	t, ok := e.dir.ResolveTenant(tenantID)
	if !ok {
		return "", fmt.Errorf("entra: issue app token: tenant %s: %w", tenantID, directory.ErrNotFound)
	}
	app, err := e.dir.App(t.ID, appID)
	if err != nil {
		return "", fmt.Errorf("entra: issue app token: %w", err)
	}
	res, aerr := e.resolveResource(t.ID, strings.TrimSuffix(resource, "/.default"))
	if aerr != nil {
		return "", fmt.Errorf("entra: issue app token: %w", aerr)
	}
	tok, err := e.appToken(t.ID, app.AppID, "1", res.aud, res.appRoles(app))
	if err == nil {
		e.count(t.ID, app.AppID, "issue_app")
	}
	return tok, err
}

// IssueUserToken returns a delegated access token for user userID signed in
// to appID, with audience exactly as given (e.g. "api://host/{appId}" as
// Teams SSO getAuthToken yields, or "https://graph.microsoft.com") and scp
// the given scopes. For tests and the other simulators: consent is not
// checked, but the user must exist and be enabled.
func (e *Entra) IssueUserToken(tenantID, userID, appID, audience string, scopes []string) (string, error) {
	t, ok := e.dir.ResolveTenant(tenantID)
	if !ok {
		return "", fmt.Errorf("entra: issue user token: tenant %s: %w", tenantID, directory.ErrNotFound)
	}
	if _, err := e.dir.App(t.ID, appID); err != nil {
		return "", fmt.Errorf("entra: issue user token: %w", err)
	}
	u, err := e.dir.User(t.ID, userID)
	if err != nil {
		return "", fmt.Errorf("entra: issue user token: %w", err)
	}
	if !u.AccountEnabled {
		return "", fmt.Errorf("entra: issue user token: %w", errUserDisabled())
	}
	tok, err := e.userToken(t.ID, u, appID, "1", audience, scopes)
	if err == nil {
		e.count(t.ID, appID, "issue_user")
	}
	return tok, err
}

// Verify implements simauth.Verifier: it checks the RS256 signature against
// the published keys (current and previous), exp and nbf with 5 minutes of
// clock skew, that the issuer is this Entra's for the token's tenant, and
// that the audience is one of audiences (any, if none are given, as
// simauth.Static does). Asking for https://graph.microsoft.com also accepts
// Graph's app id, and the other way round, as Graph itself does.
func (e *Entra) Verify(token string, audiences ...string) (simauth.Claims, error) {
	c, err := e.parse(token, true)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return simauth.Claims{}, fmt.Errorf("%w: %v", simauth.ErrExpired, err)
	case err != nil:
		return simauth.Claims{}, fmt.Errorf("%w: %v", simauth.ErrInvalid, err)
	}
	if t, ok := e.dir.ResolveTenant(c.Tid); !ok || t.ID != c.Tid || c.Iss != e.issuer(c.Tid) {
		return simauth.Claims{}, fmt.Errorf("%w: issuer %q is not this authority's for tenant %q", simauth.ErrInvalid, c.Iss, c.Tid)
	}
	if len(audiences) > 0 && !audienceAccepted(c.Aud, audiences) {
		return simauth.Claims{}, fmt.Errorf("%w: %q not in %q", simauth.ErrWrongAudience, c.Aud, audiences)
	}
	return simauth.Claims{
		Issuer:    c.Iss,
		Audience:  c.Aud,
		Subject:   c.Sub,
		TenantID:  c.Tid,
		ObjectID:  c.Oid,
		AppID:     c.Azp,
		UPN:       c.PreferredUsername,
		Name:      c.Name,
		Roles:     c.Roles,
		Scopes:    strings.Fields(c.Scp),
		IssuedAt:  time.Unix(c.Iat, 0),
		ExpiresAt: time.Unix(c.Exp, 0),
	}, nil
}

// parse checks a token's signature against the published keys and, if
// checkTime, its lifetime; the issuer and audience are the caller's to check.
func (e *Entra) parse(token string, checkTime bool) (tokenClaims, error) {
	var c tokenClaims
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"RS256"})}
	if checkTime {
		opts = append(opts, jwt.WithLeeway(clockSkew), jwt.WithTimeFunc(e.now), jwt.WithExpirationRequired())
	} else {
		opts = append(opts, jwt.WithoutClaimsValidation())
	}
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := e.publicKey(kid)
		if !ok {
			return nil, fmt.Errorf("unknown signing key %q", kid)
		}
		return k, nil
	}, opts...)
	return c, err
}

func isGraph(aud string) bool {
	return strings.EqualFold(strings.TrimSuffix(aud, "/"), graphResource) || strings.EqualFold(aud, graphAppID)
}

func audienceAccepted(aud string, want []string) bool {
	for _, w := range want {
		if w == aud || (isGraph(w) && isGraph(aud)) {
			return true
		}
	}
	return false
}

// resource is what a scope value names: Microsoft Graph, the Bot Framework
// or an app's own API.
type resource struct {
	aud   string // the token audience
	graph bool
	bot   bool
	api   *directory.App // the API's registration, for app resources
}

// appRoles are the roles an app-only token for this resource carries. The
// directory records only Graph application permissions, so other resources
// get none (the Bot Connector token has none on Microsoft either).
func (r resource) appRoles(app directory.App) []string {
	if r.graph {
		return slices.Clone(app.AppRoles)
	}
	return nil
}

// resolveResource maps a resource identifier (without the permission part)
// to a resource of tenant tid.
func (e *Entra) resolveResource(tid, id string) (resource, *aadError) {
	switch {
	case isGraph(id):
		return resource{aud: graphResource, graph: true}, nil
	case strings.EqualFold(strings.TrimSuffix(id, "/"), botResource):
		return resource{aud: botResource, bot: true}, nil
	}
	apps, err := e.dir.Apps(tid)
	if err == nil {
		for _, a := range apps {
			if id == "api://"+a.AppID || id == a.AppID || (a.IdentifierURI != "" && id == a.IdentifierURI) {
				// Microsoft puts the app id GUID in v2.0 tokens' aud; tokens
				// here carry the identifier asked for (v1.0 behaviour, what
				// Teams SSO yields), so the resource sees api://... as Steward
				// will in Teams.
				return resource{aud: id, api: &a}, nil
			}
		}
	}
	return resource{}, errResourceNotFound(id, tid)
}

// oidcScopes are the OpenID Connect scopes, which name no resource.
var oidcScopes = []string{"openid", "profile", "email", "offline_access"}

func isOIDC(s string) bool { return slices.Contains(oidcScopes, strings.ToLower(s)) }

// scopeRequest is a parsed scope parameter.
type scopeRequest struct {
	res     resource
	perms   []string // permission names without the resource prefix
	dflt    bool     // {resource}/.default
	oidc    []string // lower-case OIDC scopes asked for
	offline bool
	openid  bool
}

// parseScope splits a scope parameter into one resource and its
// permissions. Bare names ("User.Read") are Graph permissions, as on
// Microsoft; asking for two resources at once is AADSTS28000.
func (e *Entra) parseScope(tid, scope string) (scopeRequest, *aadError) {
	var sr scopeRequest
	resID := ""
	for _, f := range strings.Fields(scope) {
		if isOIDC(f) {
			l := strings.ToLower(f)
			if !slices.Contains(sr.oidc, l) {
				sr.oidc = append(sr.oidc, l)
			}
			sr.offline = sr.offline || l == "offline_access"
			sr.openid = sr.openid || l == "openid"
			continue
		}
		id, perm := graphResource, f
		if i := strings.LastIndex(f, "/"); i > 0 {
			id, perm = f[:i], f[i+1:]
		}
		if perm == "" {
			return sr, errInvalidScope(scope)
		}
		if resID != "" && !sameResource(resID, id) {
			return sr, newErr(400, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.", scope)
		}
		resID = id
		if perm == ".default" {
			sr.dflt = true
		} else {
			sr.perms = append(sr.perms, perm)
		}
	}
	if resID == "" {
		resID = graphResource // OIDC scopes alone yield a Graph token on Microsoft
	}
	res, aerr := e.resolveResource(tid, resID)
	if aerr != nil {
		return sr, aerr
	}
	sr.res = res
	return sr, nil
}

func sameResource(a, b string) bool {
	return a == b || (isGraph(a) && isGraph(b))
}

// graphShaped tells Graph's delegated permissions (Resource.Action[.Scope])
// from the scopes an app exposes on its own API (access_as_user): the
// directory records both in App.Scopes.
func graphShaped(s string) bool { return strings.Contains(s, ".") }

// delegatedScopes computes the scp of a delegated token client obtains for
// sr: the consented permissions asked for (all consented ones for
// .default). A permission not consented is AADSTS65001.
func delegatedScopes(client directory.App, sr scopeRequest) ([]string, *aadError) {
	var consented []string
	switch {
	case sr.res.graph:
		for _, s := range client.Scopes {
			if graphShaped(s) {
				consented = append(consented, s)
			}
		}
	case sr.res.api != nil:
		for _, s := range sr.res.api.Scopes {
			if !graphShaped(s) && !isOIDC(s) {
				consented = append(consented, s)
			}
		}
	default:
		return nil, newErr(400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid. The scope %s is not valid for delegated access.", sr.res.aud)
	}
	var scp []string
	if sr.dflt {
		scp = slices.Clone(consented)
	}
	for _, p := range sr.perms {
		i := slices.IndexFunc(consented, func(c string) bool { return strings.EqualFold(c, p) })
		if i < 0 {
			return nil, errConsent(client.AppID, client.DisplayName)
		}
		if !slices.Contains(scp, consented[i]) {
			scp = append(scp, consented[i])
		}
	}
	if sr.res.graph {
		// Graph tokens also list the OIDC scopes granted with them.
		for _, o := range sr.oidc {
			if o != "offline_access" {
				scp = append(scp, o)
			}
		}
	}
	if len(scp) == 0 {
		return nil, errConsent(client.AppID, client.DisplayName)
	}
	return scp, nil
}
