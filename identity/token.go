package identity

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stewardhq/steward/governance"
)

// Claims are what Steward reads from a validated Entra v2.0 access token.
type Claims struct {
	// StewardTenantID is the Steward tenant registered for TenantID.
	StewardTenantID string
	TenantID        string // tid: the Entra directory that issued the token
	ObjectID        string // oid: the user (or, app-only, the service principal)
	UPN             string // preferred_username; display only, it can change
	Name            string
	Scopes          []string // scp, split on spaces
	Roles           []string // roles: app roles of Steward's registration
	Wids            []string // wids: Entra directory role template ids
	// Groups are the user's group ids. When the user is in more groups
	// than a token can hold (200 in a JWT), Entra leaves groups out and
	// sets GroupsOverage: the groups must then be read from Microsoft
	// Graph, which this package does not do (a later issue), so such a
	// user gets no group-based role until it does.
	Groups        []string
	GroupsOverage bool
	AppID         string // azp: the client app the token was issued to
	// Delegated is true for a token acting for a signed-in user (it has
	// scp) and false for an app-only token (client credentials).
	Delegated bool
	Audience  string
	ExpiresAt time.Time
}

// entraClaims is the JSON of an Entra v2.0 access token.
type entraClaims struct {
	jwt.RegisteredClaims
	Tid               string            `json:"tid"`
	Oid               string            `json:"oid"`
	PreferredUsername string            `json:"preferred_username"`
	Name              string            `json:"name"`
	Scp               string            `json:"scp"`
	Roles             []string          `json:"roles"`
	Wids              []string          `json:"wids"`
	Groups            []string          `json:"groups"`
	Azp               string            `json:"azp"`
	Ver               string            `json:"ver"`
	ClaimNames        map[string]string `json:"_claim_names"`
}

// entraIDPattern is the shape of an Entra tenant id. The tid is checked
// against it before it goes anywhere near a URL path or the database.
var entraIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ValidateToken validates an Entra v2.0 access token for Steward and returns
// its claims. It is exported for the bot and tab SSO, which receive tokens
// outside an Authorization header. The checks, in order (each failure is
// KindUnauthenticated with one generic message and the reason as cause):
//
//  1. size, then the header, read without trusting it: alg must be RS256
//     (no "none", HMAC, ECDSA or PSS: an attacker must not choose how the
//     signature is checked) and a kid must name the key;
//  2. tid, read from the unverified payload only to pick whose metadata to
//     fetch: it must be a GUID and a tenant registered in Steward, checked
//     before any network call so strangers cannot make Steward fetch
//     (and cache) metadata of arbitrary directories;
//  3. the tenant's OpenID metadata and JWKS (cached; see KeyRefetchInterval);
//  4. the RS256 signature with the key the kid names, by golang-jwt, which
//     then checks 5-7 together (a failure of any is final);
//  5. iss equals the metadata issuer (its {tenantid} template filled with
//     tid);
//  6. aud is one of Options.Audiences;
//  7. exp (required), nbf and iat, with Options.Skew;
//  8. the verified tid is the one whose keys were used, and the issuer's
//     tenant is tid (should metadata ever name a multi-tenant issuer);
//  9. ver is "2.0": v1.0 tokens have other issuers and claims; oid is a GUID.
//
// App-only tokens pass (Claims.Delegated is false): the bot may accept
// them, but Authenticate refuses them for the user API.
//
// Errors: KindUnauthenticated; KindUnavailable when Entra or the tenant
// store cannot be reached.
func (a *Authenticator) ValidateToken(ctx context.Context, raw string) (Claims, error) {
	if raw == "" {
		return Claims{}, invalidToken(errors.New("empty token"))
	}
	if len(raw) > maxTokenLen {
		return Claims{}, invalidToken(fmt.Errorf("token of %d bytes exceeds %d", len(raw), maxTokenLen))
	}
	var unverified entraClaims
	tok, _, err := jwt.NewParser().ParseUnverified(raw, &unverified)
	if err != nil {
		return Claims{}, invalidToken(fmt.Errorf("malformed token: %w", err))
	}
	// Checked here too, not only by WithValidMethods below, so that a
	// token with a forbidden alg never causes a tenant lookup or a fetch.
	if alg := tok.Method.Alg(); alg != jwt.SigningMethodRS256.Alg() {
		return Claims{}, invalidToken(fmt.Errorf("alg %q is not RS256", alg))
	}
	kid, _ := tok.Header["kid"].(string)
	if kid == "" {
		return Claims{}, invalidToken(errors.New("no kid in the header"))
	}
	tid := unverified.Tid
	if !entraIDPattern.MatchString(tid) {
		return Claims{}, invalidToken(fmt.Errorf("tid %q is not an Entra tenant id", tid))
	}
	tenant, err := a.tenants.TenantByEntraID(ctx, tid)
	switch {
	case governance.IsKind(err, governance.KindNotFound):
		return Claims{}, invalidToken(fmt.Errorf("tenant not registered: no Steward tenant for Entra tenant %s: %w", tid, err))
	case err != nil:
		return Claims{}, fmt.Errorf("identity: find tenant of Entra tenant %s: %w", tid, err)
	}
	// From here on the tenant id is the registered one, not the token's
	// spelling of it.
	tid = tenant.EntraTenantID

	meta, err := a.tenantKeys(ctx, tid)
	if err != nil {
		return Claims{}, err
	}
	issuer := strings.ReplaceAll(meta.Issuer, "{tenantid}", tid)
	var c entraClaims
	var keyErr error
	_, err = jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		k, err := a.key(ctx, tid, kid)
		keyErr = err
		return k, err
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(a.audiences...),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(a.skew),
		jwt.WithTimeFunc(a.now),
	)
	if err != nil {
		if governance.IsKind(keyErr, governance.KindUnavailable) {
			return Claims{}, keyErr
		}
		return Claims{}, invalidToken(fmt.Errorf("tenant %s: %w", tid, err))
	}
	// The signature covers the payload now, but tid was read before it
	// was verified: the verified one must be the one whose keys were used.
	if !strings.EqualFold(c.Tid, tid) {
		return Claims{}, invalidToken(fmt.Errorf("verified tid %q differs from %q", c.Tid, tid))
	}
	if it := a.issuerTenant(c.Issuer); !strings.EqualFold(it, tid) {
		return Claims{}, invalidToken(fmt.Errorf("issuer %q is of tenant %q, not of tid %s", c.Issuer, it, tid))
	}
	if c.Ver != "2.0" {
		return Claims{}, invalidToken(fmt.Errorf("token version %q is not 2.0", c.Ver))
	}
	if !entraIDPattern.MatchString(c.Oid) {
		return Claims{}, invalidToken(fmt.Errorf("oid %q is not an object id", c.Oid))
	}
	out := Claims{
		StewardTenantID: tenant.ID,
		TenantID:        tid,
		ObjectID:        c.Oid,
		UPN:             c.PreferredUsername,
		Name:            c.Name,
		Scopes:          strings.Fields(c.Scp),
		Roles:           c.Roles,
		Wids:            c.Wids,
		Groups:          c.Groups,
		AppID:           c.Azp,
		Delegated:       strings.TrimSpace(c.Scp) != "",
	}
	_, out.GroupsOverage = c.ClaimNames["groups"]
	for _, aud := range c.Audience {
		if slices.Contains(a.audiences, aud) {
			out.Audience = aud
			break
		}
	}
	if c.ExpiresAt != nil {
		out.ExpiresAt = c.ExpiresAt.Time
	}
	return out, nil
}

// issuerTenant is the tenant an Entra issuer speaks for: the path segment
// after the login URL (https://login.microsoftonline.com/{tid}/v2.0), or ""
// for an issuer on another host. It backs up the equality with the
// metadata issuer, should metadata ever name a multi-tenant issuer.
func (a *Authenticator) issuerTenant(iss string) string {
	u, err := url.Parse(iss)
	if err != nil || u.Scheme != a.login.Scheme || !strings.EqualFold(u.Host, a.login.Host) {
		return ""
	}
	rest, ok := strings.CutPrefix(u.Path, a.login.Path+"/")
	if !ok {
		return ""
	}
	seg, _, _ := strings.Cut(rest, "/")
	return seg
}
