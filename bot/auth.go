package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Inbound authentication of the Bot Connector's requests, as Microsoft
// documents it in "Authentication with the Bot Connector API" (connector to
// bot). The Go SDK skips the endorsements check, hence this file.
const (
	// DefaultMetadataURL is the OpenID metadata of the public-cloud channel.
	DefaultMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	// ChannelIssuer is the iss of every token the channel signs for bots.
	ChannelIssuer = "https://api.botframework.com"
	// AuthSkew is the clock skew tolerated on exp, nbf and iat, the value
	// Microsoft documents and its SDKs use.
	AuthSkew = 5 * time.Minute
	// KeyTTL is how long the metadata and keys are trusted before they are
	// fetched again; an unknown kid refetches sooner.
	KeyTTL = 24 * time.Hour
	// KeyRefetchInterval is the least time between two JWKS fetches caused
	// by tokens naming a key the bot does not know.
	KeyRefetchInterval = 5 * time.Minute
)

// maxTokenLen bounds what is parsed at all: channel tokens are about a
// kilobyte; anything far larger is an attack on the parser.
const maxTokenLen = 16 << 10

// maxTenantIDLen bounds the tenant id handed to KnownTenant: Entra's are
// 36-character GUIDs, and the store need not look up megabytes.
const maxTenantIDLen = 128

// Codes of AuthError. They are stable: tests and logs key on them.
const (
	CodeTokenMissing       = "token_missing"
	CodeTokenMalformed     = "token_malformed"
	CodeAlgInvalid         = "alg_invalid"
	CodeSignatureInvalid   = "signature_invalid"
	CodeIssuerInvalid      = "issuer_invalid"
	CodeAudienceInvalid    = "audience_invalid"
	CodeTokenExpired       = "token_expired"
	CodeTokenNotYetValid   = "token_not_yet_valid"
	CodeKeyUnknown         = "key_unknown"
	CodeEndorsementMissing = "endorsement_missing"
	CodeServiceURLMismatch = "serviceurl_mismatch"
	CodeTenantUnknown      = "tenant_unknown"
	// CodeKeysUnavailable is the channel's metadata or JWKS being
	// unreachable (503): not the caller's fault, and the channel retries.
	CodeKeysUnavailable = "keys_unavailable"
)

// AuthError is why Authenticate refused a request. Status is the HTTP status
// to answer with: 401 for a missing or invalid token, 403 for a valid token
// from a tenant Steward does not serve, 503 when the keys cannot be fetched.
// Code and Message are for logs and tests; the HTTP adapter answers with the
// status alone, so a caller probing with forged tokens learns nothing about
// which check failed. Neither ever contains the token.
type AuthError struct {
	Status  int
	Code    string
	Message string
	Err     error // the underlying cause, if any
}

func (e *AuthError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("bot: auth %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("bot: auth %s: %s", e.Code, e.Message)
}

func (e *AuthError) Unwrap() error { return e.Err }

func authFailed(code, msg string, cause error) *AuthError {
	return &AuthError{Status: http.StatusUnauthorized, Code: code, Message: msg, Err: cause}
}

// AuthOptions configure an Authenticator.
type AuthOptions struct {
	// MetadataURL is the channel's OpenID metadata; default
	// DefaultMetadataURL. It must be https, except on a loopback host (the
	// simulator).
	MetadataURL string
	// AppID is the bot's Microsoft App ID, the audience of its tokens.
	AppID string
	// HTTPClient fetches metadata and keys. Required: the caller passes its
	// egress-controlled client.
	HTTPClient *http.Client
	// KnownTenant reports whether Steward serves an Entra tenant. Required.
	KnownTenant func(ctx context.Context, entraTenantID string) bool
	// Now is the clock; default time.Now.
	Now func() time.Time
	// AllowUnauthenticated accepts requests with no Authorization header —
	// dev only, for Microsoft 365 Agents Playground on loopback, which sends
	// no token. Requests from a non-loopback RemoteAddr are still refused; a
	// token that IS present is still validated; the tenant is still checked.
	AllowUnauthenticated bool
}

// Authenticator validates the channel's requests to the bot. It is safe for
// concurrent use.
type Authenticator struct {
	appID       string
	knownTenant func(ctx context.Context, entraTenantID string) bool
	now         func() time.Time
	allowAnon   bool
	keys        *keySet
}

// NewAuthenticator checks o and returns an Authenticator. It makes no
// network call: the keys are fetched on the first token.
func NewAuthenticator(o AuthOptions) (*Authenticator, error) {
	raw := o.MetadataURL
	if raw == "" {
		raw = DefaultMetadataURL
	}
	var problems []string
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || (u.Scheme != "https" && u.Scheme != "http"):
		problems = append(problems, fmt.Sprintf("MetadataURL %q must be an absolute https URL such as %s", raw, DefaultMetadataURL))
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		problems = append(problems, fmt.Sprintf("MetadataURL %q must be https (plain http only on a loopback host)", raw))
	}
	if strings.TrimSpace(o.AppID) == "" {
		problems = append(problems, "AppID is required (the bot's Microsoft App ID)")
	}
	if o.HTTPClient == nil {
		problems = append(problems, "HTTPClient is required (the egress-controlled client)")
	}
	if o.KnownTenant == nil {
		problems = append(problems, "KnownTenant is required")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("bot: authenticator: %s", strings.Join(problems, "; "))
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Authenticator{
		appID:       o.AppID,
		knownTenant: o.KnownTenant,
		now:         now,
		allowAnon:   o.AllowUnauthenticated,
		keys: &keySet{
			metadataURL: u,
			client:      o.HTTPClient,
			now:         now,
			ttl:         KeyTTL,
			refetchGap:  KeyRefetchInterval,
		},
	}, nil
}

// Claims are what Authenticate established about a request.
type Claims struct {
	AppID      string // aud: the bot's app id
	ServiceURL string // the serviceurl claim, equal to the activity's serviceUrl
	ChannelID  string // the activity's channelId, endorsed by the signing key
	TenantID   string // the activity's Entra tenant, one Steward serves
	KeyID      string
	IssuedAt   time.Time
	ExpiresAt  time.Time
	// Anonymous is a request accepted without a token
	// (AuthOptions.AllowUnauthenticated): only the tenant was checked.
	Anonymous bool
}

// channelClaims is the payload of a channel token.
type channelClaims struct {
	jwt.RegisteredClaims
	ServiceURL string `json:"serviceurl"`
}

// Authenticate checks r's bearer token against the activity it carries, in
// this order: the Authorization header; size, then the header read without
// trusting it (alg must be RS256: an attacker must not choose how the
// signature is checked; a kid must name the key); the key, from the cached
// JWKS or one rate-limited refetch; the signature, by golang-jwt, which then
// checks iss, aud, exp, nbf and iat with AuthSkew; the key's endorsements
// include act.ChannelID; the serviceurl claim equals act.ServiceURL (else a
// token for one service URL could make the bot send replies, with its own
// credentials, to another); and act's tenant is known.
// Errors are always *AuthError.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, act *Activity) (Claims, error) {
	if act == nil {
		// Fail closed: no channel is endorsed and no service URL matches.
		act = &Activity{}
	}
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 {
		if !a.allowAnon {
			return Claims{}, authFailed(CodeTokenMissing, "no Authorization header", nil)
		}
		if !loopbackAddr(r.RemoteAddr) {
			return Claims{}, authFailed(CodeTokenMissing, "no Authorization header; unauthenticated requests are accepted from loopback only", fmt.Errorf("remote address %q", r.RemoteAddr))
		}
		tid, err := a.tenant(ctx, act)
		if err != nil {
			return Claims{}, err
		}
		return Claims{ServiceURL: act.ServiceURL, ChannelID: act.ChannelID, TenantID: tid, Anonymous: true}, nil
	}
	raw, err := bearerCredential(vals)
	if err != nil {
		return Claims{}, err
	}
	c, kid, err := a.verify(ctx, raw, act)
	if err != nil {
		return Claims{}, err
	}
	tid, err := a.tenant(ctx, act)
	if err != nil {
		return Claims{}, err
	}
	out := Claims{AppID: a.appID, ServiceURL: c.ServiceURL, ChannelID: act.ChannelID, TenantID: tid, KeyID: kid}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time
	}
	if c.ExpiresAt != nil {
		out.ExpiresAt = c.ExpiresAt.Time
	}
	return out, nil
}

// bearerCredential extracts the credential of the one Authorization header.
func bearerCredential(vals []string) (string, error) {
	if len(vals) > 1 {
		// Two headers could be read differently by a proxy and by us.
		return "", authFailed(CodeTokenMalformed, "more than one Authorization header", nil)
	}
	scheme, cred, ok := strings.Cut(vals[0], " ")
	// RFC 6750: the scheme is case-insensitive.
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", authFailed(CodeTokenMalformed, "authorization scheme is not Bearer", nil)
	}
	cred = strings.TrimSpace(cred)
	if cred == "" {
		return "", authFailed(CodeTokenMalformed, "empty bearer token", nil)
	}
	return cred, nil
}

// verify checks the token itself and its binding to act (endorsement,
// service URL).
func (a *Authenticator) verify(ctx context.Context, raw string, act *Activity) (channelClaims, string, error) {
	if len(raw) > maxTokenLen {
		return channelClaims{}, "", authFailed(CodeTokenMalformed, fmt.Sprintf("token of %d bytes exceeds %d", len(raw), maxTokenLen), nil)
	}
	tok, _, err := jwt.NewParser().ParseUnverified(raw, &channelClaims{})
	if err != nil {
		return channelClaims{}, "", authFailed(CodeTokenMalformed, "token does not parse", err)
	}
	// Checked here too, not only by WithValidMethods below, so that a
	// forbidden alg is reported as such and never causes a key fetch.
	if alg := tok.Method.Alg(); alg != jwt.SigningMethodRS256.Alg() {
		return channelClaims{}, "", authFailed(CodeAlgInvalid, fmt.Sprintf("alg %q is not RS256", alg), nil)
	}
	kid, _ := tok.Header["kid"].(string)
	if kid == "" {
		return channelClaims{}, "", authFailed(CodeTokenMalformed, "no kid in the token header", nil)
	}
	key, err := a.keys.key(ctx, kid)
	switch {
	case errors.Is(err, errKeysUnavailable):
		return channelClaims{}, "", &AuthError{Status: http.StatusServiceUnavailable, Code: CodeKeysUnavailable,
			Message: "the channel's signing keys cannot be fetched", Err: err}
	case err != nil:
		return channelClaims{}, "", authFailed(CodeKeyUnknown, "the token's signing key is not in the channel's JWKS", err)
	}
	var c channelClaims
	_, err = jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return key.pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(ChannelIssuer),
		jwt.WithAudience(a.appID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(AuthSkew),
		jwt.WithTimeFunc(a.now),
	)
	if err != nil {
		return channelClaims{}, "", tokenError(err, c)
	}
	if !key.endorses(act.ChannelID) {
		return channelClaims{}, "", authFailed(CodeEndorsementMissing,
			fmt.Sprintf("signing key %q is not endorsed for channel %q", kid, act.ChannelID), nil)
	}
	if c.ServiceURL == "" || c.ServiceURL != act.ServiceURL {
		return channelClaims{}, "", authFailed(CodeServiceURLMismatch,
			fmt.Sprintf("serviceurl claim %q differs from the activity's serviceUrl %q", c.ServiceURL, act.ServiceURL), nil)
	}
	return c, kid, nil
}

// tokenError maps golang-jwt's verdict on a token with claims c to a code.
// Claims errors are joined, so the most telling one is named first.
func tokenError(err error, c channelClaims) *AuthError {
	if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && len(c.Audience) == 0 {
		return authFailed(CodeAudienceInvalid, "token has no audience", err)
	}
	for _, m := range []struct {
		target error
		code   string
		msg    string
	}{
		{jwt.ErrTokenSignatureInvalid, CodeSignatureInvalid, "signature does not verify"},
		{jwt.ErrTokenMalformed, CodeTokenMalformed, "token does not parse"},
		{jwt.ErrTokenExpired, CodeTokenExpired, "token expired"},
		{jwt.ErrTokenNotValidYet, CodeTokenNotYetValid, "token not valid yet"},
		{jwt.ErrTokenUsedBeforeIssued, CodeTokenNotYetValid, "token issued in the future"},
		{jwt.ErrTokenInvalidIssuer, CodeIssuerInvalid, "issuer is not " + ChannelIssuer},
		{jwt.ErrTokenInvalidAudience, CodeAudienceInvalid, "audience is not the bot's app id"},
	} {
		if errors.Is(err, m.target) {
			return authFailed(m.code, m.msg, err)
		}
	}
	// A missing exp, or anything golang-jwt adds later: invalid either way.
	return authFailed(CodeTokenMalformed, "token rejected", err)
}

// tenant checks that act comes from a tenant Steward serves.
func (a *Authenticator) tenant(ctx context.Context, act *Activity) (string, error) {
	tid := act.TenantID()
	if tid == "" || len(tid) > maxTenantIDLen || !a.knownTenant(ctx, tid) {
		return "", &AuthError{Status: http.StatusForbidden, Code: CodeTenantUnknown,
			Message: "the activity's tenant is not one Steward serves", Err: fmt.Errorf("tenant %.128q", tid)}
	}
	return tid, nil
}

// loopbackAddr reports whether a RemoteAddr ("ip:port") is a loopback
// address. RemoteAddr is the TCP peer, which no header can change.
func loopbackAddr(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// loopbackHost reports whether a URL host is loopback by name or address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
