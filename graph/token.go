package graph

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// graphScope is what app-only tokens ask for: every application permission
// admin-consented to the app. Graph's resource URI is the same whatever base
// URL the client talks to (the simulator checks it too).
const graphScope = "https://graph.microsoft.com/.default"

// Client assertion constants (RFC 7523, as Entra documents them).
const (
	assertionType     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	grantJWTBearer    = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	assertionLifetime = 5 * time.Minute
	// refreshMargin: a cached token is replaced this long before it
	// expires, so a call never leaves with a token about to lapse.
	refreshMargin = 5 * time.Minute
	maxOBOEntries = 10000
)

// token is a cached access token.
type token struct {
	value   string
	expires time.Time
}

func (t token) fresh(now time.Time) bool {
	return t.value != "" && now.Add(refreshMargin).Before(t.expires)
}

// tokens fetches and caches access tokens: one app-only token per tenant
// and one delegated token per (user assertion, scopes). A tenant's fetch is
// serialised, so a burst of calls after expiry makes one token request.
type tokens struct {
	loginURL string
	http     *http.Client
	creds    Credentials
	now      func() time.Time

	mu    sync.Mutex
	app   map[string]token
	locks map[string]*sync.Mutex
	obo   map[string]token
}

func newTokens(loginURL string, hc *http.Client, creds Credentials, now func() time.Time) *tokens {
	return &tokens{loginURL: strings.TrimSuffix(loginURL, "/"), http: hc, creds: creds, now: now,
		app: map[string]token{}, locks: map[string]*sync.Mutex{}, obo: map[string]token{}}
}

func (ts *tokens) lock(key string) *sync.Mutex {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	l := ts.locks[key]
	if l == nil {
		l = &sync.Mutex{}
		ts.locks[key] = l
	}
	return l
}

// appToken returns a valid app-only token for tenantID.
func (ts *tokens) appToken(ctx context.Context, tenantID string) (string, error) {
	ts.mu.Lock()
	t := ts.app[tenantID]
	ts.mu.Unlock()
	if t.fresh(ts.now()) {
		return t.value, nil
	}
	l := ts.lock("app|" + tenantID)
	l.Lock()
	defer l.Unlock()
	ts.mu.Lock()
	t = ts.app[tenantID]
	ts.mu.Unlock()
	if t.fresh(ts.now()) {
		return t.value, nil
	}
	cred, err := ts.creds.Credential(ctx, tenantID)
	if err != nil {
		return "", err
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {graphScope}}
	t, err = ts.request(ctx, cred, form)
	if err != nil {
		return "", err
	}
	ts.mu.Lock()
	ts.app[tenantID] = t
	ts.mu.Unlock()
	return t.value, nil
}

// invalidate forgets a tenant's app token (Graph said it is no longer good).
func (ts *tokens) invalidate(tenantID string) {
	ts.mu.Lock()
	delete(ts.app, tenantID)
	ts.mu.Unlock()
}

// onBehalfOf exchanges a user's access token (issued to Steward) for a
// Graph token carrying that user's delegated permissions.
func (ts *tokens) onBehalfOf(ctx context.Context, tenantID, userToken string, scopes []string) (string, error) {
	sum := sha256.Sum256([]byte(tenantID + "\x00" + strings.Join(scopes, " ") + "\x00" + userToken))
	key := hex.EncodeToString(sum[:])
	ts.mu.Lock()
	t := ts.obo[key]
	ts.mu.Unlock()
	if t.fresh(ts.now()) {
		return t.value, nil
	}
	cred, err := ts.creds.Credential(ctx, tenantID)
	if err != nil {
		return "", err
	}
	form := url.Values{"grant_type": {grantJWTBearer}, "requested_token_use": {"on_behalf_of"},
		"assertion": {userToken}, "scope": {strings.Join(scopes, " ")}}
	t, err = ts.request(ctx, cred, form)
	if err != nil {
		return "", err
	}
	ts.mu.Lock()
	now := ts.now()
	if len(ts.obo) >= maxOBOEntries {
		for k, v := range ts.obo {
			if !v.fresh(now) {
				delete(ts.obo, k)
			}
		}
		if len(ts.obo) >= maxOBOEntries {
			clear(ts.obo) // every entry is live: a burst of users; start over
		}
	}
	ts.obo[key] = t
	ts.mu.Unlock()
	return t.value, nil
}

// tokenEndpoint is the v2.0 token endpoint of the credential's tenant.
func (ts *tokens) tokenEndpoint(cred Credential) string {
	return ts.loginURL + "/" + url.PathEscape(cred.EntraTenantID) + "/oauth2/v2.0/token"
}

// request posts one token request, authenticating the client with its
// secret or a fresh signed assertion, retrying transient failures.
func (ts *tokens) request(ctx context.Context, cred Credential, form url.Values) (token, error) {
	if err := cred.Validate(); err != nil {
		return token{}, err
	}
	endpoint := ts.tokenEndpoint(cred)
	var last error
	for attempt := range 4 {
		if attempt > 0 {
			if err := sleep(ctx, backoff(attempt-1, time.Second, 8*time.Second)); err != nil {
				return token{}, errors.Join(last, err)
			}
		}
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("client_id", cred.ClientID)
		if cred.Certificate != nil {
			a, err := ts.assertion(cred, endpoint)
			if err != nil {
				return token{}, err
			}
			f.Set("client_assertion_type", assertionType)
			f.Set("client_assertion", a)
		} else {
			f.Set("client_secret", cred.ClientSecret)
		}
		t, err := ts.post(ctx, endpoint, f)
		if err == nil {
			return t, nil
		}
		last = err
		var ge *Error
		if errors.As(err, &ge) && !ge.Transient() {
			return token{}, err
		}
	}
	return token{}, last
}

// tokenError is the OAuth 2.0 error body Entra answers with.
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	TraceID     string `json:"trace_id"`
	Codes       []int  `json:"error_codes"`
}

func (ts *tokens) post(ctx context.Context, endpoint string, form url.Values) (token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return token{}, fmt.Errorf("graph: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := ts.http.Do(req)
	if err != nil {
		return token{}, fmt.Errorf("graph: token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return token{}, fmt.Errorf("graph: token response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var te tokenError
		_ = json.Unmarshal(body, &te)
		e := &Error{Method: "POST", Path: "/oauth2/v2.0/token", Status: resp.StatusCode, Code: te.Error,
			Message: te.Description, RequestID: te.TraceID, RetryAfter: retryAfter(resp.Header, ts.now())}
		if e.Code == "" {
			e.Code, e.Message = http.StatusText(resp.StatusCode), truncate(string(body), 200)
		}
		return token{}, e
	}
	var tr struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return token{}, errors.New("graph: token response has no access_token")
	}
	secs := 0
	// Entra sends expires_in as a number; some proxies quote it.
	if err := json.Unmarshal(tr.ExpiresIn, &secs); err != nil {
		var s string
		if json.Unmarshal(tr.ExpiresIn, &s) == nil {
			_, _ = fmt.Sscan(s, &secs)
		}
	}
	if secs <= 0 {
		secs = 300
	}
	return token{value: tr.AccessToken, expires: ts.now().Add(time.Duration(secs) * time.Second)}, nil
}

// assertion signs the client assertion Entra's certificate credentials
// expect: PS256, x5t#S256 = SHA-256 thumbprint of the certificate, aud =
// the token endpoint, iss = sub = client id, a unique jti, five minutes.
func (ts *tokens) assertion(cred Credential, endpoint string) (string, error) {
	now := ts.now()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	claims := jwt.RegisteredClaims{
		Audience: jwt.ClaimStrings{endpoint}, Issuer: cred.ClientID, Subject: cred.ClientID,
		ID: hex.EncodeToString(jti), NotBefore: jwt.NewNumericDate(now), IssuedAt: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(assertionLifetime)),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodPS256, claims)
	sum := sha256.Sum256(cred.Certificate.Raw)
	t.Header["x5t#S256"] = base64.RawURLEncoding.EncodeToString(sum[:])
	s, err := t.SignedString(cred.Key)
	if err != nil {
		return "", fmt.Errorf("graph: sign client assertion: %w", err)
	}
	return s, nil
}
