package graph

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// CodeToken is what redeeming a sign-in code gives: an access token for
// the scopes asked (Steward's own API, so the token's audience is Steward)
// and when it expires.
type CodeToken struct {
	AccessToken string
	ExpiresAt   time.Time
}

// RedeemCode finishes an OpenID Connect sign-in (authorization code flow
// with PKCE, RFC 7636): it exchanges code and the verifier whose S256
// challenge started the flow for an access token, authenticating as the
// tenant's registered credential (secret or certificate). redirectURI must
// be the one the authorize request named. Errors: an *Error with Entra's
// code (invalid_grant for a used, expired or mismatched code) or
// ErrNoCredential.
func (c *Client) RedeemCode(ctx context.Context, tenantID, code, verifier, redirectURI string, scopes []string) (CodeToken, error) {
	cred, err := c.tokens.creds.Credential(ctx, tenantID)
	if err != nil {
		return CodeToken{}, err
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {redirectURI}, "scope": {strings.Join(scopes, " ")}}
	t, err := c.tokens.request(ctx, cred, form)
	if err != nil {
		return CodeToken{}, err
	}
	return CodeToken{AccessToken: t.value, ExpiresAt: t.expires}, nil
}

// ClientID is the app (client) id of tenantID's registered credential: the
// client_id a sign-in redirect must name. Errors: as Credentials.
func (c *Client) ClientID(ctx context.Context, tenantID string) (entraTenantID, clientID string, err error) {
	cred, err := c.tokens.creds.Credential(ctx, tenantID)
	if err != nil {
		return "", "", err
	}
	return cred.EntraTenantID, cred.ClientID, nil
}

// meScope is the delegated permission GET /me needs.
const meScope = "https://graph.microsoft.com/User.Read"

// Me reads the signed-in user's own profile on their behalf: userToken
// (an access token issued to Steward, from Teams SSO or the sign-in) is
// exchanged on-behalf-of for a delegated Graph token with User.Read.
func (c *Client) Me(ctx context.Context, tenantID, userToken string) (User, error) {
	tok, err := c.OnBehalfOf(ctx, tenantID, userToken, meScope)
	if err != nil {
		return User{}, err
	}
	resp, err := c.Do(ctx, tenantID, Request{Method: "GET", Path: "/me", Query: url.Values{"$select": {userSelect}}, Token: tok})
	if err != nil {
		return User{}, err
	}
	var u User
	return u, resp.Decode(&u)
}
