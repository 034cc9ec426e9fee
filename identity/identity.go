// Package identity authenticates API and tab requests: Microsoft Entra ID
// v2.0 access tokens, validated against the OpenID metadata of the tenant
// that issued them, and Steward's per-tenant API keys. It turns either into
// a governance.Principal whose tenant is the Steward tenant registered for
// the credential, never one the caller names.
//
// Every rejected credential is a KindUnauthenticated error with one
// generic, user-safe message; the precise reason is the wrapped cause, which
// the HTTP adapter logs and never shows, so a caller probing with forged
// tokens learns nothing about which check failed. Failing to reach Entra is
// KindUnavailable instead: it is not the caller's fault and a retry helps.
package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// TenantResolver finds the Steward tenant registered for an Entra
// directory. *store.DB implements it. Errors: KindNotFound for a directory
// no tenant registered.
type TenantResolver interface {
	TenantByEntraID(ctx context.Context, entraTenantID string) (governance.Tenant, error)
}

// RoleSource lists the role assignments (to users and groups) of a Steward
// tenant.
type RoleSource interface {
	RoleAssignments(ctx context.Context, tenantID string) ([]governance.RoleAssignment, error)
}

// APIKeyAuthenticator resolves a presented API key to its principal.
// *store.DB implements it.
type APIKeyAuthenticator interface {
	AuthenticateAPIKey(ctx context.Context, pepper []byte, key string, now time.Time) (governance.Principal, error)
}

// Defaults of Options.
const (
	// DefaultSkew is the clock skew tolerated on exp, nbf and iat, the
	// value Microsoft's own libraries use.
	DefaultSkew = 5 * time.Minute
	// DefaultMetadataTTL is how long a tenant's OpenID metadata and keys
	// are trusted before they are fetched again. Microsoft asks clients to
	// refresh at least daily; an unknown kid refreshes sooner.
	DefaultMetadataTTL = 24 * time.Hour
	// KeyRefetchInterval is the least time between two JWKS fetches of one
	// tenant caused by tokens naming a key Steward does not know. Without
	// it, anyone could make Steward call Entra once per request by sending
	// tokens with made-up kids.
	KeyRefetchInterval = 5 * time.Minute
)

// maxTokenLen bounds what is parsed at all: Entra access tokens are a few
// kilobytes (more with many groups); anything far larger is an attack on the
// parser, not a token.
const maxTokenLen = 16 << 10

// Options configure an Authenticator.
type Options struct {
	// LoginURL is the Entra authority host, without a tenant:
	// https://login.microsoftonline.com, or the simulator's {base}/login.
	LoginURL string
	// Audiences are the accepted aud values: Steward's app id (GUID) and
	// its App ID URI (api://host/{appId}), which Teams SSO tokens carry.
	Audiences []string
	// HTTPClient fetches metadata and keys. Required: the caller passes its
	// egress-controlled client, so this package cannot reach the network
	// in a way the deployment did not allow.
	HTTPClient *http.Client
	// Tenants maps the token's Entra tenant to a Steward tenant. Required.
	Tenants TenantResolver
	// Roles supplies role assignments; nil means none (roles then come
	// from Entra directory roles alone).
	Roles RoleSource
	// APIKeys authenticates "stw_" keys; nil refuses every API key.
	APIKeys APIKeyAuthenticator
	// Pepper is the server secret API key hashes are keyed with
	// (governance.APIKeyPepperSize bytes); required with APIKeys.
	Pepper []byte
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Skew is the clock skew tolerated; default DefaultSkew.
	Skew time.Duration
	// MetadataTTL is how long metadata and keys are cached; default
	// DefaultMetadataTTL.
	MetadataTTL time.Duration
}

// Authenticator validates credentials. It is safe for concurrent use.
type Authenticator struct {
	login     *url.URL
	audiences []string
	client    *http.Client
	tenants   TenantResolver
	roles     RoleSource
	apiKeys   APIKeyAuthenticator
	pepper    []byte
	now       func() time.Time
	skew      time.Duration
	ttl       time.Duration
	keys      *keyCache
}

// New checks opts and returns an Authenticator. It makes no network call:
// metadata is fetched on the first token of each tenant.
func New(opts Options) (*Authenticator, error) {
	u, err := url.Parse(strings.TrimRight(opts.LoginURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("identity: LoginURL %q must be an absolute http(s) URL such as https://login.microsoftonline.com", opts.LoginURL)
	}
	var problems []string
	if len(opts.Audiences) == 0 {
		problems = append(problems, "Audiences needs Steward's app id and App ID URI")
	}
	for _, a := range opts.Audiences {
		if strings.TrimSpace(a) == "" {
			problems = append(problems, "Audiences holds an empty value")
		}
	}
	if opts.HTTPClient == nil {
		problems = append(problems, "HTTPClient is required (the egress-controlled client)")
	}
	if opts.Tenants == nil {
		problems = append(problems, "Tenants is required")
	}
	if opts.APIKeys != nil && len(opts.Pepper) != governance.APIKeyPepperSize {
		problems = append(problems, fmt.Sprintf("Pepper must be %d bytes when APIKeys is set", governance.APIKeyPepperSize))
	}
	if opts.Skew < 0 || opts.MetadataTTL < 0 {
		problems = append(problems, "Skew and MetadataTTL cannot be negative")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("identity: %s", strings.Join(problems, "; "))
	}
	a := &Authenticator{
		login:     u,
		audiences: append([]string(nil), opts.Audiences...),
		client:    opts.HTTPClient,
		tenants:   opts.Tenants,
		roles:     opts.Roles,
		apiKeys:   opts.APIKeys,
		pepper:    append([]byte(nil), opts.Pepper...),
		now:       opts.Now,
		skew:      opts.Skew,
		ttl:       opts.MetadataTTL,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.skew == 0 {
		a.skew = DefaultSkew
	}
	if a.ttl == 0 {
		a.ttl = DefaultMetadataTTL
	}
	a.keys = newKeyCache()
	return a, nil
}

// apiKeyPrefix starts every Steward API key (see governance.NewAPIKey);
// Entra tokens are JWTs and start with "eyJ", so the two cannot be confused.
const apiKeyPrefix = "stw_"

// Authenticate resolves the credential in the request's
// "Authorization: Bearer <credential>" header: a Steward API key (it
// starts with "stw_") or an Entra v2.0 access token (see ValidateToken).
// Errors: KindUnauthenticated (no, malformed or rejected credential; an
// app-only token), KindUnavailable (Entra or the store unreachable), and
// whatever else the tenant resolver, role source or API key authenticator
// return.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (governance.Principal, error) {
	raw, err := bearer(r)
	if err != nil {
		return governance.Principal{}, err
	}
	if strings.HasPrefix(raw, apiKeyPrefix) {
		if a.apiKeys == nil {
			return governance.Principal{}, governance.ErrAPIKeyInvalid()
		}
		p, err := a.apiKeys.AuthenticateAPIKey(ctx, a.pepper, raw, a.now())
		if err != nil {
			return governance.Principal{}, fmt.Errorf("identity: API key: %w", err)
		}
		return p, nil
	}
	c, err := a.ValidateToken(ctx, raw)
	if err != nil {
		return governance.Principal{}, err
	}
	return a.UserPrincipal(ctx, c)
}

// UserPrincipal turns validated claims into the principal of a person,
// reading the tenant's role assignments now (so a web session kept for
// hours sees a revoked role at once). Errors: KindUnauthenticated for
// app-only claims, and whatever the role source returns.
func (a *Authenticator) UserPrincipal(ctx context.Context, c Claims) (governance.Principal, error) {
	// An app-only token (client credentials) acts for no person: the user
	// API's role checks would be meaningless for it, so it is refused here.
	if !c.Delegated {
		return governance.Principal{}, invalidToken(errors.New("app-only token (no scp) on the user API"))
	}
	var assignments []governance.RoleAssignment
	if a.roles != nil {
		var err error
		if assignments, err = a.roles.RoleAssignments(ctx, c.StewardTenantID); err != nil {
			return governance.Principal{}, fmt.Errorf("identity: role assignments of tenant %s: %w", c.StewardTenantID, err)
		}
	}
	return governance.Principal{
		Kind:     governance.PrincipalUser,
		TenantID: c.StewardTenantID,
		ID:       c.ObjectID,
		Name:     c.Name,
		UPN:      c.UPN,
		Groups:   append([]string(nil), c.Groups...),
		// wids carries the Entra directory role template ids, which is how
		// Global and Teams Administrators become Steward administrators
		// without a Graph call. The roles claim is not passed: it holds app
		// roles of Steward's registration, not directory roles.
		Roles: governance.EffectiveRoles(c.ObjectID, c.Wids, c.Groups, assignments),
	}, nil
}

// bearer extracts the credential of the one Authorization header.
func bearer(r *http.Request) (string, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 {
		return "", invalidToken(errors.New("no Authorization header"))
	}
	if len(vals) > 1 {
		// Two headers could be read differently by a proxy and by us.
		return "", invalidToken(errors.New("more than one Authorization header"))
	}
	scheme, cred, ok := strings.Cut(vals[0], " ")
	// RFC 6750: the scheme is case-insensitive.
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", invalidToken(errors.New("authorization scheme is not Bearer"))
	}
	cred = strings.TrimSpace(cred)
	if cred == "" {
		return "", invalidToken(errors.New("empty bearer credential"))
	}
	return cred, nil
}

// invalidToken is the one answer for every rejected token: cause says why,
// for the log only.
func invalidToken(cause error) error {
	return governance.Wrap(governance.KindUnauthenticated, "access_token_invalid",
		"sign in again: the access token is not valid", fmt.Errorf("identity: %w", cause))
}

// unavailable reports that Entra could not be asked: the caller should
// retry, not sign in again.
func unavailable(cause error) error {
	return governance.Wrap(governance.KindUnavailable, "identity_provider_unavailable",
		"Microsoft sign-in cannot be reached right now; try again in a minute", fmt.Errorf("identity: %w", cause))
}
