// Package simauth is the contract between the simulated Entra ID (which
// issues and verifies access tokens) and the simulated resource servers
// (Graph, the Bot Connector) that accept them. It holds types only, so the
// simulators can be built and tested independently.
package simauth

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Claims are the parts of a verified v2.0 access token the simulators act on.
type Claims struct {
	Issuer    string
	Audience  string
	Subject   string
	TenantID  string   // tid
	ObjectID  string   // oid: the user (delegated) or the service principal (app-only)
	AppID     string   // azp (v2.0) / appid: the client application
	UPN       string   // preferred_username / upn, delegated tokens only
	Name      string   // delegated tokens only
	Roles     []string // app roles (application permissions), app-only tokens
	Scopes    []string // scp split on spaces, delegated tokens only
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Delegated reports a token issued for a signed-in user.
func (c Claims) Delegated() bool { return len(c.Scopes) > 0 }

// Has reports whether the token grants permission p, as an app role or a
// delegated scope.
func (c Claims) Has(p string) bool {
	return slices.Contains(c.Roles, p) || slices.Contains(c.Scopes, p)
}

// HasAny reports whether the token grants any of ps.
func (c Claims) HasAny(ps ...string) bool {
	for _, p := range ps {
		if c.Has(p) {
			return true
		}
	}
	return false
}

// Verifier checks an access token's signature, lifetime and audience.
type Verifier interface {
	// Verify returns the claims of token if it is valid for one of
	// audiences (e.g. "https://graph.microsoft.com" or
	// "00000003-0000-0000-c000-000000000000" for Graph).
	Verify(token string, audiences ...string) (Claims, error)
}

// Errors a Verifier returns, for resource servers to map onto their own
// error responses.
var (
	ErrMissing       = errors.New("simauth: no bearer token")
	ErrInvalid       = errors.New("simauth: invalid token")
	ErrExpired       = errors.New("simauth: token expired")
	ErrWrongAudience = errors.New("simauth: token audience not accepted")
)

// BearerToken extracts the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", ErrMissing
	}
	return strings.TrimSpace(tok), nil
}

// Static is a Verifier for tests: it knows a fixed set of tokens.
type Static map[string]Claims

// Verify implements Verifier.
func (s Static) Verify(token string, audiences ...string) (Claims, error) {
	c, ok := s[token]
	if !ok {
		return Claims{}, ErrInvalid
	}
	if len(audiences) > 0 && !slices.Contains(audiences, c.Audience) {
		return Claims{}, ErrWrongAudience
	}
	return c, nil
}
