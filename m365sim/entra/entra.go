// Package entra simulates the Microsoft Entra ID v2.0 endpoints Steward
// talks to: OpenID discovery, JWKS, the token endpoint (client credentials,
// authorization code with PKCE, refresh token, on-behalf-of; clients
// authenticate with a secret or a certificate, i.e. a signed client
// assertion) and an interactive authorize page. It signs RS256 tokens with the shapes
// Microsoft documents and verifies them for the simulated resource servers
// (simauth.Verifier), so Steward cannot tell it from login.microsoftonline.com
// except by its base URL.
//
// Deliberate differences from Microsoft, each so Steward is tested against
// the stricter or simpler behaviour:
//
//   - Every token is a v2.0 token. Microsoft issues Graph tokens in the v1.0
//     format (and with a header nonce that makes them unverifiable outside
//     Graph); here they are v2.0 with aud "https://graph.microsoft.com", so
//     the simulated Graph can verify them like any other.
//   - Tokens for an app's own API carry the identifier asked for
//     (api://{appId} or the identifier URI) as aud, as v1.0 tokens and Teams
//     SSO tokens do; Microsoft's v2.0 tokens would carry the app id GUID.
//   - PKCE accepts only S256; Microsoft still accepts plain.
//   - Only response_type=code is implemented (and advertised); form_post
//     needs a click, because the pages carry no script.
//   - There is no browser session: every authorize request shows the
//     account picker, prompt=none always answers login_required and sign-out
//     only redirects.
//   - Refresh tokens are single use (rotated on every redemption) and a
//     failed redemption still consumes an authorization code.
//   - Client assertions are single use too: they must carry jti and exp,
//     and a jti the app already authenticated with is refused until the
//     assertion expires (RFC 7523 §3 allows this; Entra documents no replay
//     check, and MSAL.NET has reused an assertion until it nearly expired,
//     so a client that caches assertions works there but not here).
//     Presenting a secret and an assertion together is refused as
//     malformed.
//   - Secrets and certificates are registered per tenant (on the app's
//     entry in each tenant), where Entra keeps them on the application
//     object in its home tenant.
//   - Consent is never prompted for: a permission not consented is
//     AADSTS65001 (consent_required at the authorize endpoint). Consent is
//     the directory's App.Scopes: names with a dot (User.Read)
//     are Graph's, the rest (access_as_user) the app's own API's. The
//     OpenID scopes are always granted.
//
// Like all of m365sim, it imports nothing of Steward.
package entra

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/simauth"
)

// Options configures an Entra.
type Options struct {
	// BaseURL is the external URL of this service with no trailing slash,
	// e.g. http://127.0.0.1:8081/login. It is the prefix of every issuer and
	// endpoint published, the way https://login.microsoftonline.com is.
	BaseURL string
	// Dir holds the tenants, users and app registrations. Required.
	Dir *directory.Directory
	// Now is the clock; default time.Now. Tests inject one to expire tokens
	// and codes without sleeping.
	Now func() time.Time
	// TokenLifetime is the access token lifetime; default 1h (Microsoft
	// picks 60-90 minutes).
	TokenLifetime time.Duration
	// Rand is the source of token ids, codes, refresh tokens and trace ids;
	// default crypto/rand. Tests may pass a seeded generator (e.g.
	// math/rand/v2's ChaCha8); it must never run dry, as a failing source
	// panics. RSA keys always come from crypto/rand (Go ignores custom
	// readers for key generation).
	Rand io.Reader
}

// Lifetimes Microsoft documents for the artifacts that are not access tokens.
const (
	codeLifetime    = 10 * time.Minute
	refreshLifetime = 90 * 24 * time.Hour
	clockSkew       = 5 * time.Minute
)

// Well-known resources.
const (
	graphResource = "https://graph.microsoft.com"
	graphAppID    = "00000003-0000-0000-c000-000000000000"
	botResource   = "https://api.botframework.com"
)

// Entra is one simulated Microsoft Entra ID cloud serving every tenant of
// its directory. It is safe for concurrent use.
type Entra struct {
	base     string
	dir      *directory.Directory
	now      func() time.Time
	lifetime time.Duration

	randMu sync.Mutex
	rand   io.Reader

	csrfKey []byte

	mu      sync.Mutex
	keys    []*signingKey // oldest first; the last one signs
	codes   map[string]*authCode
	refresh map[string]*refreshGrant
	issued  map[statKey]int
	// assertions remembers the client assertions accepted (app id and jti)
	// until they expire, so none authenticates twice.
	assertions map[string]time.Time
}

var _ simauth.Verifier = (*Entra)(nil)

type statKey struct{ tenantID, appID, grant string }

// New returns an Entra serving opts.Dir with a fresh RSA-2048 signing key.
func New(opts Options) (*Entra, error) {
	if opts.Dir == nil {
		return nil, errors.New("entra: Options.Dir is required")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("entra: BaseURL %q must be an absolute URL such as http://127.0.0.1:8081/login", opts.BaseURL)
	}
	e := &Entra{
		base:     strings.TrimRight(opts.BaseURL, "/"),
		dir:      opts.Dir,
		now:      opts.Now,
		lifetime: opts.TokenLifetime,
		rand:     opts.Rand,
		codes:    map[string]*authCode{},
		refresh:  map[string]*refreshGrant{},
		issued:   map[statKey]int{},

		assertions: map[string]time.Time{},
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.lifetime <= 0 {
		e.lifetime = time.Hour
	}
	if e.rand == nil {
		e.rand = rand.Reader
	}
	if e.csrfKey, err = e.randomBytes(32); err != nil {
		return nil, fmt.Errorf("entra: %w", err)
	}
	k, err := newSigningKey(e.now())
	if err != nil {
		return nil, err
	}
	e.keys = []*signingKey{k}
	return e, nil
}

// Handler serves the endpoints at paths relative to BaseURL; the caller
// mounts it with http.StripPrefix. {tenant} is a tenant id, a domain, or
// common/organizations:
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	GET  /{tenant}/discovery/v2.0/keys
//	POST /{tenant}/oauth2/v2.0/token
//	GET  /{tenant}/oauth2/v2.0/authorize (POST: the account picker's answer)
//	GET  /{tenant}/oauth2/v2.0/logout
//	GET  /error?code=N (the error_uri of error responses)
func (e *Entra) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", e.handleDiscovery)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", e.handleKeys)
	// No method in the pattern: Microsoft answers other methods with an
	// AADSTS error body, not a bare 405.
	mux.HandleFunc("/{tenant}/oauth2/v2.0/token", e.handleToken)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", e.handleAuthorizeGet)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/authorize", e.handleAuthorizePost)
	mux.HandleFunc("/{tenant}/oauth2/v2.0/logout", e.handleLogout)
	mux.HandleFunc("GET /error", e.handleErrorPage)
	return mux
}

func (e *Entra) randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	e.randMu.Lock()
	defer e.randMu.Unlock()
	if _, err := io.ReadFull(e.rand, b); err != nil {
		return nil, fmt.Errorf("random: %w", err)
	}
	return b, nil
}

// randomString is an opaque url-safe value with n bytes of entropy. A
// failing random source is unrecoverable for an identity provider.
func (e *Entra) randomString(n int) string {
	b, err := e.randomBytes(n)
	if err != nil {
		panic("entra: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// newGUID returns a random (version 4) GUID for trace and correlation ids.
func (e *Entra) newGUID() string {
	b, err := e.randomBytes(16)
	if err != nil {
		panic("entra: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (e *Entra) issuer(tid string) string { return e.base + "/" + tid + "/v2.0" }

// multiTenant reports the authority aliases that do not name a tenant.
func multiTenant(t string) bool {
	return strings.EqualFold(t, "common") || strings.EqualFold(t, "organizations")
}

func (e *Entra) count(tid, appID, grant string) {
	e.mu.Lock()
	e.issued[statKey{tid, appID, grant}]++
	e.mu.Unlock()
}

// Inspection is the snapshot Inspect returns. It never holds token values.
type Inspection struct {
	SigningKeys   []KeyInfo     `json:"signingKeys"`
	TokensIssued  []IssuedCount `json:"tokensIssued"`
	PendingCodes  int           `json:"pendingAuthorizationCodes"`
	RefreshTokens int           `json:"activeRefreshTokens"`
}

// KeyInfo describes one published signing key.
type KeyInfo struct {
	Kid     string    `json:"kid"`
	Current bool      `json:"current"`
	Created time.Time `json:"created"`
}

// IssuedCount is how many tokens one app obtained in one tenant by one
// grant: client_credentials, authorization_code, refresh_token,
// on_behalf_of, or issue_app / issue_user for the test helpers.
type IssuedCount struct {
	TenantID string `json:"tenantId"`
	AppID    string `json:"appId"`
	Grant    string `json:"grant"`
	Count    int    `json:"count"`
}

// Inspect returns a JSON-able snapshot (an Inspection) for the simulator's
// inspection page.
func (e *Entra) Inspect() any {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	in := Inspection{SigningKeys: []KeyInfo{}, TokensIssued: []IssuedCount{}}
	for i, k := range e.keys {
		in.SigningKeys = append(in.SigningKeys, KeyInfo{Kid: k.kid, Current: i == len(e.keys)-1, Created: k.created})
	}
	for k, n := range e.issued {
		in.TokensIssued = append(in.TokensIssued, IssuedCount{TenantID: k.tenantID, AppID: k.appID, Grant: k.grant, Count: n})
	}
	sort.Slice(in.TokensIssued, func(i, j int) bool {
		a, b := in.TokensIssued[i], in.TokensIssued[j]
		if a.TenantID != b.TenantID {
			return a.TenantID < b.TenantID
		}
		if a.AppID != b.AppID {
			return a.AppID < b.AppID
		}
		return a.Grant < b.Grant
	})
	for _, c := range e.codes {
		if !c.used && now.Before(c.expires) {
			in.PendingCodes++
		}
	}
	for _, g := range e.refresh {
		if !g.used && now.Before(g.expires) {
			in.RefreshTokens++
		}
	}
	return in
}
