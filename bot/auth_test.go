package bot

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stewardhq/steward/internal/testenv"
)

const (
	authAppID      = "5e1f0b0e-7b1a-4c3e-9d2f-0a1b2c3d4e5f"
	authTenantID   = "3ee597ab-4c2e-5cc5-ac18-f87d56474cd8"
	authServiceURL = "https://smba.trafficmanager.net/amer/"
)

// testKey is a signing key the fake channel may publish.
type testKey struct {
	kid          string
	priv         *rsa.PrivateKey
	endorsements []string
}

func newTestKey(t *testing.T, kid string, endorsements ...string) testKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{kid: kid, priv: priv, endorsements: endorsements}
}

func (k testKey) jwk() map[string]any {
	return map[string]any{
		"kty":          "RSA",
		"use":          "sig",
		"kid":          k.kid,
		"n":            base64.RawURLEncoding.EncodeToString(k.priv.N.Bytes()),
		"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes()),
		"endorsements": k.endorsements,
	}
}

// fakeChannel serves OpenID metadata and a JWKS the way
// login.botframework.com does, and counts the fetches.
type fakeChannel struct {
	srv *httptest.Server

	mu          sync.Mutex
	keys        []testKey
	jwksURI     string // "" means the server's own keys URL
	failing     bool   // answer 500 to everything
	jwksBody    []byte // served instead of the keys, when set
	metaFetches int
	jwksFetches int
}

func newFakeChannel(t *testing.T, keys ...testKey) *fakeChannel {
	t.Helper()
	fc := &fakeChannel{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/.well-known/openidconfiguration", func(w http.ResponseWriter, r *http.Request) {
		fc.mu.Lock()
		fc.metaFetches++
		failing, uri := fc.failing, fc.jwksURI
		fc.mu.Unlock()
		if failing {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if uri == "" {
			uri = fc.srv.URL + "/v1/.well-known/keys"
		}
		writeTestJSON(w, map[string]any{
			"issuer":                                ChannelIssuer,
			"authorization_endpoint":                "https://invalid.botframework.com",
			"jwks_uri":                              uri,
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
		})
	})
	mux.HandleFunc("GET /v1/.well-known/keys", func(w http.ResponseWriter, r *http.Request) {
		fc.mu.Lock()
		fc.jwksFetches++
		failing, body := fc.failing, fc.jwksBody
		set := []map[string]any{}
		for _, k := range fc.keys {
			set = append(set, k.jwk())
		}
		fc.mu.Unlock()
		if failing {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if body != nil {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		writeTestJSON(w, map[string]any{"keys": set})
	})
	fc.srv = httptest.NewServer(mux)
	t.Cleanup(fc.srv.Close)
	return fc
}

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (fc *fakeChannel) metadataURL() string {
	return fc.srv.URL + "/v1/.well-known/openidconfiguration"
}

func (fc *fakeChannel) fetches() (meta, jwks int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.metaFetches, fc.jwksFetches
}

func (fc *fakeChannel) publish(keys ...testKey) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.keys = append(fc.keys, keys...)
}

func (fc *fakeChannel) set(f func(fc *fakeChannel)) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	f(fc)
}

// newTestAuthenticator builds an Authenticator against fc whose only known
// tenant is authTenantID.
func newTestAuthenticator(t *testing.T, fc *fakeChannel, clock *testenv.Clock, anon bool) *Authenticator {
	t.Helper()
	a, err := NewAuthenticator(AuthOptions{
		MetadataURL:          fc.metadataURL(),
		AppID:                authAppID,
		HTTPClient:           fc.srv.Client(),
		KnownTenant:          func(_ context.Context, tid string) bool { return tid == authTenantID },
		Now:                  clock.Now,
		AllowUnauthenticated: anon,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// channelToken signs claims as the channel does, with key under kid.
func channelToken(t *testing.T, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goodClaims are the claims of a genuine token issued at now.
func goodClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":        ChannelIssuer,
		"aud":        authAppID,
		"iat":        now.Unix(),
		"nbf":        now.Unix(),
		"exp":        now.Add(time.Hour).Unix(),
		"serviceurl": authServiceURL,
	}
}

func teamsActivity() *Activity {
	return &Activity{
		Type:         TypeMessage,
		ServiceURL:   authServiceURL,
		ChannelID:    ChannelTeams,
		Conversation: &ConversationAccount{ID: "a:1", TenantID: authTenantID},
		ChannelData:  &ChannelData{Tenant: &TeamsRef{ID: authTenantID}},
	}
}

func bearerRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/messages", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// wantAuthError checks err is an *AuthError with status and code, and that
// it does not repeat the token.
func wantAuthError(t *testing.T, err error, status int, code, token string) {
	t.Helper()
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *AuthError", err)
	}
	if ae.Status != status || ae.Code != code {
		t.Fatalf("got %d %s (%v), want %d %s", ae.Status, ae.Code, err, status, code)
	}
	if token != "" && strings.Contains(err.Error(), token) {
		t.Fatalf("the error repeats the token: %v", err)
	}
}

func TestAuthForgedTokens(t *testing.T) {
	clock := testenv.NewClockAt(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	teams := newTestKey(t, "teams-key", "msteams", "skype")
	webchat := newTestKey(t, "webchat-key", "webchat")
	attacker := newTestKey(t, "attacker-key", "msteams")
	fc := newFakeChannel(t, teams, webchat)
	a := newTestAuthenticator(t, fc, clock, false)
	now := clock.Now()

	pubDER, err := x509.MarshalPKIXPublicKey(&teams.priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	with := func(change func(c jwt.MapClaims)) string {
		c := goodClaims(now)
		change(c)
		return channelToken(t, teams.priv, teams.kid, c)
	}
	good := channelToken(t, teams.priv, teams.kid, goodClaims(now))

	tests := []struct {
		name     string
		header   []string          // Authorization header values; nil means none
		activity func(a *Activity) // changes to the genuine activity
		status   int               // 0: accepted
		code     string
	}{
		{name: "genuine", header: []string{"Bearer " + good}},
		{name: "scheme is case-insensitive", header: []string{"bearer " + good}},
		{name: "no token", status: 401, code: CodeTokenMissing},
		{name: "basic scheme", header: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))}, status: 401, code: CodeTokenMalformed},
		{name: "empty bearer", header: []string{"Bearer "}, status: 401, code: CodeTokenMalformed},
		{name: "not a JWT", header: []string{"Bearer not-a.jwt"}, status: 401, code: CodeTokenMalformed},
		{name: "two Authorization headers", header: []string{"Bearer " + good, "Bearer " + good}, status: 401, code: CodeTokenMalformed},
		{name: "oversized", header: []string{"Bearer " + good + strings.Repeat("A", maxTokenLen)}, status: 401, code: CodeTokenMalformed},
		{name: "alg none", header: []string{"Bearer " + func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, goodClaims(now))
			tok.Header["kid"] = teams.kid
			s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}()}, status: 401, code: CodeAlgInvalid},
		{name: "HS256 keyed with the public key", header: []string{"Bearer " + func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, goodClaims(now))
			tok.Header["kid"] = teams.kid
			s, err := tok.SignedString(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}()}, status: 401, code: CodeAlgInvalid},
		{name: "HS256 keyed with the modulus", header: []string{"Bearer " + func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, goodClaims(now))
			tok.Header["kid"] = teams.kid
			s, err := tok.SignedString(teams.priv.N.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}()}, status: 401, code: CodeAlgInvalid},
		{name: "PS256", header: []string{"Bearer " + func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodPS256, goodClaims(now))
			tok.Header["kid"] = teams.kid
			s, err := tok.SignedString(teams.priv)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}()}, status: 401, code: CodeAlgInvalid},
		{name: "no kid", header: []string{"Bearer " + channelToken(t, teams.priv, "", goodClaims(now))}, status: 401, code: CodeTokenMalformed},
		{name: "wrong issuer", header: []string{"Bearer " + with(func(c jwt.MapClaims) { c["iss"] = "https://login.microsoftonline.com/botframework.com/v2.0" })}, status: 401, code: CodeIssuerInvalid},
		{name: "issuer with trailing slash", header: []string{"Bearer " + with(func(c jwt.MapClaims) { c["iss"] = ChannelIssuer + "/" })}, status: 401, code: CodeIssuerInvalid},
		{name: "wrong audience", header: []string{"Bearer " + with(func(c jwt.MapClaims) { c["aud"] = "00000000-0000-0000-0000-000000000001" })}, status: 401, code: CodeAudienceInvalid},
		{name: "audience array with the app id", header: []string{"Bearer " + with(func(c jwt.MapClaims) { c["aud"] = []string{"other", authAppID} })}},
		{name: "no audience", header: []string{"Bearer " + with(func(c jwt.MapClaims) { delete(c, "aud") })}, status: 401, code: CodeAudienceInvalid},
		{name: "expired 6 min ago", header: []string{"Bearer " + with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-6*time.Minute).Unix()
		})}, status: 401, code: CodeTokenExpired},
		{name: "expired 4 min ago is within the skew", header: []string{"Bearer " + with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-4*time.Minute).Unix()
		})}},
		{name: "no exp", header: []string{"Bearer " + with(func(c jwt.MapClaims) { delete(c, "exp") })}, status: 401, code: CodeTokenMalformed},
		{name: "not valid for 6 min", header: []string{"Bearer " + with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"] = now.Unix(), now.Add(6*time.Minute).Unix()
		})}, status: 401, code: CodeTokenNotYetValid},
		{name: "issued 6 min in the future", header: []string{"Bearer " + with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"] = now.Add(6*time.Minute).Unix(), now.Unix()
		})}, status: 401, code: CodeTokenNotYetValid},
		{name: "valid in 4 min is within the skew", header: []string{"Bearer " + with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"] = now.Add(4*time.Minute).Unix(), now.Add(4*time.Minute).Unix()
		})}},
		{name: "key endorsed for webchat only", header: []string{"Bearer " + channelToken(t, webchat.priv, webchat.kid, goodClaims(now))}, status: 401, code: CodeEndorsementMissing},
		{name: "activity claims a channel the key does not endorse", header: []string{"Bearer " + good},
			activity: func(a *Activity) { a.ChannelID = "webchat" }, status: 401, code: CodeEndorsementMissing},
		{name: "activity without a channel", header: []string{"Bearer " + good},
			activity: func(a *Activity) { a.ChannelID = "" }, status: 401, code: CodeEndorsementMissing},
		{name: "serviceurl claim differs", header: []string{"Bearer " + with(func(c jwt.MapClaims) { c["serviceurl"] = "https://attacker.example/" })}, status: 401, code: CodeServiceURLMismatch},
		{name: "activity serviceUrl differs", header: []string{"Bearer " + good},
			activity: func(a *Activity) { a.ServiceURL = "https://attacker.example/" }, status: 401, code: CodeServiceURLMismatch},
		{name: "serviceurl without trailing slash", header: []string{"Bearer " + with(func(c jwt.MapClaims) { c["serviceurl"] = strings.TrimSuffix(authServiceURL, "/") })}, status: 401, code: CodeServiceURLMismatch},
		{name: "no serviceurl claim, no serviceUrl", header: []string{"Bearer " + with(func(c jwt.MapClaims) { delete(c, "serviceurl") })},
			activity: func(a *Activity) { a.ServiceURL = "" }, status: 401, code: CodeServiceURLMismatch},
		{name: "unknown tenant", header: []string{"Bearer " + good},
			activity: func(a *Activity) { a.ChannelData.Tenant.ID = "11111111-2222-3333-4444-555555555555" }, status: 403, code: CodeTenantUnknown},
		{name: "no tenant", header: []string{"Bearer " + good},
			activity: func(a *Activity) { a.ChannelData, a.Conversation.TenantID = nil, "" }, status: 403, code: CodeTenantUnknown},
		{name: "tenant from conversation when channelData has none", header: []string{"Bearer " + good},
			activity: func(a *Activity) { a.ChannelData = nil }},
		{name: "different key under a known kid", header: []string{"Bearer " + channelToken(t, attacker.priv, teams.kid, goodClaims(now))}, status: 401, code: CodeSignatureInvalid},
		{name: "payload swapped under a genuine signature", header: []string{"Bearer " + func() string {
			other := with(func(c jwt.MapClaims) { c["serviceurl"] = "https://attacker.example/" })
			p := strings.Split(good, ".")
			return p[0] + "." + strings.Split(other, ".")[1] + "." + p[2]
		}()}, activity: func(a *Activity) { a.ServiceURL = "https://attacker.example/" }, status: 401, code: CodeSignatureInvalid},
		{name: "unknown kid", header: []string{"Bearer " + channelToken(t, attacker.priv, attacker.kid, goodClaims(now))}, status: 401, code: CodeKeyUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := bearerRequest("")
			for _, h := range tc.header {
				r.Header.Add("Authorization", h)
			}
			act := teamsActivity()
			if tc.activity != nil {
				tc.activity(act)
			}
			c, err := a.Authenticate(context.Background(), r, act)
			token := ""
			if len(tc.header) > 0 {
				_, token, _ = strings.Cut(tc.header[0], " ")
			}
			if tc.status != 0 {
				wantAuthError(t, err, tc.status, tc.code, token)
				if c != (Claims{}) {
					t.Errorf("rejected request returned claims %+v", c)
				}
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			want := Claims{AppID: authAppID, ServiceURL: authServiceURL, ChannelID: ChannelTeams, TenantID: authTenantID, KeyID: teams.kid}
			got := c
			got.IssuedAt, got.ExpiresAt = time.Time{}, time.Time{}
			if got != want || c.ExpiresAt.IsZero() || c.IssuedAt.IsZero() {
				t.Errorf("claims = %+v, want %+v with times", c, want)
			}
		})
	}
}

func TestAuthKeyRefetch(t *testing.T) {
	teams := newTestKey(t, "teams-key", "msteams")
	rotated := newTestKey(t, "rotated-key", "msteams")
	stranger := newTestKey(t, "stranger-key", "msteams")
	act := teamsActivity()

	authenticate := func(t *testing.T, a *Authenticator, clock *testenv.Clock, k testKey) error {
		t.Helper()
		_, err := a.Authenticate(context.Background(), bearerRequest(channelToken(t, k.priv, k.kid, goodClaims(clock.Now()))), act)
		return err
	}
	wantFetches := func(t *testing.T, fc *fakeChannel, meta, jwks int) {
		t.Helper()
		if m, j := fc.fetches(); m != meta || j != jwks {
			t.Fatalf("fetches: metadata %d, JWKS %d; want %d, %d", m, j, meta, jwks)
		}
	}

	t.Run("unknown kid refetches once, then waits", func(t *testing.T) {
		clock := testenv.NewClockAt(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		fc := newFakeChannel(t, teams)
		a := newTestAuthenticator(t, fc, clock, false)
		if err := authenticate(t, a, clock, teams); err != nil {
			t.Fatal(err)
		}
		wantFetches(t, fc, 1, 1)
		wantAuthError(t, authenticate(t, a, clock, stranger), 401, CodeKeyUnknown, "")
		wantFetches(t, fc, 1, 2)
		for range 5 {
			wantAuthError(t, authenticate(t, a, clock, stranger), 401, CodeKeyUnknown, "")
		}
		wantFetches(t, fc, 1, 2)
		// A key published now is still refused until the interval has
		// passed: the rate limit holds whatever the kid.
		fc.publish(rotated)
		clock.Advance(KeyRefetchInterval - time.Second)
		wantAuthError(t, authenticate(t, a, clock, rotated), 401, CodeKeyUnknown, "")
		wantFetches(t, fc, 1, 2)
		clock.Advance(time.Second)
		if err := authenticate(t, a, clock, rotated); err != nil {
			t.Fatalf("rotated key after the interval: %v", err)
		}
		wantFetches(t, fc, 1, 3)
		if err := authenticate(t, a, clock, teams); err != nil {
			t.Fatal(err)
		}
		wantFetches(t, fc, 1, 3)
	})

	t.Run("key rotated into the JWKS is accepted after the refetch", func(t *testing.T) {
		clock := testenv.NewClockAt(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		fc := newFakeChannel(t, teams)
		a := newTestAuthenticator(t, fc, clock, false)
		if err := authenticate(t, a, clock, teams); err != nil {
			t.Fatal(err)
		}
		fc.publish(rotated)
		if err := authenticate(t, a, clock, rotated); err != nil {
			t.Fatalf("rotated key: %v", err)
		}
		wantFetches(t, fc, 1, 2)
	})

	t.Run("metadata and keys are refreshed after a day", func(t *testing.T) {
		clock := testenv.NewClockAt(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		fc := newFakeChannel(t, teams)
		a := newTestAuthenticator(t, fc, clock, false)
		if err := authenticate(t, a, clock, teams); err != nil {
			t.Fatal(err)
		}
		clock.Advance(KeyTTL - time.Minute)
		if err := authenticate(t, a, clock, teams); err != nil {
			t.Fatal(err)
		}
		wantFetches(t, fc, 1, 1)
		clock.Advance(time.Minute)
		if err := authenticate(t, a, clock, teams); err != nil {
			t.Fatal(err)
		}
		wantFetches(t, fc, 2, 2)
	})

	t.Run("stale keys are served while the channel is down", func(t *testing.T) {
		clock := testenv.NewClockAt(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		fc := newFakeChannel(t, teams)
		a := newTestAuthenticator(t, fc, clock, false)
		if err := authenticate(t, a, clock, teams); err != nil {
			t.Fatal(err)
		}
		fc.set(func(fc *fakeChannel) { fc.failing = true })
		clock.Advance(KeyTTL)
		if err := authenticate(t, a, clock, teams); err != nil {
			t.Fatalf("stale key during an outage: %v", err)
		}
		wantFetches(t, fc, 2, 1)
		// Not asked again on every request while it is down.
		if err := authenticate(t, a, clock, teams); err != nil {
			t.Fatal(err)
		}
		wantFetches(t, fc, 2, 1)
		clock.Advance(KeyRefetchInterval)
		fc.set(func(fc *fakeChannel) { fc.failing = false })
		if err := authenticate(t, a, clock, teams); err != nil {
			t.Fatal(err)
		}
		wantFetches(t, fc, 3, 2)
	})
}

func TestAuthKeysUnavailable(t *testing.T) {
	teams := newTestKey(t, "teams-key", "msteams")
	tests := []struct {
		name  string
		setup func(fc *fakeChannel)
	}{
		{name: "channel down", setup: func(fc *fakeChannel) { fc.failing = true }},
		{name: "jwks_uri on another host", setup: func(fc *fakeChannel) { fc.jwksURI = "http://127.0.0.2:1/v1/.well-known/keys" }},
		{name: "JWKS over the size bound", setup: func(fc *fakeChannel) {
			fc.jwksBody = append(append([]byte(`{"keys":[],"pad":"`), strings.Repeat("x", maxKeyDocumentSize)...), `"}`...)
		}},
		{name: "JWKS without a usable key", setup: func(fc *fakeChannel) {
			fc.jwksBody = []byte(`{"keys":[{"kty":"RSA","kid":"teams-key","n":"AQAB","e":"AQAB","endorsements":["msteams"]},{"kty":"EC","kid":"ec","crv":"P-256"}]}`)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := testenv.NewClockAt(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			fc := newFakeChannel(t, teams)
			fc.set(tc.setup)
			a := newTestAuthenticator(t, fc, clock, false)
			tok := channelToken(t, teams.priv, teams.kid, goodClaims(clock.Now()))
			_, err := a.Authenticate(context.Background(), bearerRequest(tok), teamsActivity())
			wantAuthError(t, err, http.StatusServiceUnavailable, CodeKeysUnavailable, tok)
		})
	}
}

func TestAuthAllowUnauthenticated(t *testing.T) {
	clock := testenv.NewClockAt(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	teams := newTestKey(t, "teams-key", "msteams")
	fc := newFakeChannel(t, teams)
	dev := newTestAuthenticator(t, fc, clock, true)
	prod := newTestAuthenticator(t, fc, clock, false)
	good := channelToken(t, teams.priv, teams.kid, goodClaims(clock.Now()))
	wrongAud := channelToken(t, teams.priv, teams.kid, func() jwt.MapClaims {
		c := goodClaims(clock.Now())
		c["aud"] = "someone-else"
		return c
	}())

	tests := []struct {
		name     string
		a        *Authenticator
		remote   string
		token    string
		tenant   string
		status   int
		code     string
		wantAnon bool
	}{
		{name: "no token from IPv4 loopback", a: dev, remote: "127.0.0.1:50123", wantAnon: true},
		{name: "no token from IPv6 loopback", a: dev, remote: "[::1]:50123", wantAnon: true},
		{name: "no token from another host", a: dev, remote: "203.0.113.7:443", status: 401, code: CodeTokenMissing},
		{name: "no token from a private address", a: dev, remote: "10.0.0.8:443", status: 401, code: CodeTokenMissing},
		{name: "no token, unparsable remote", a: dev, remote: "127.0.0.1", status: 401, code: CodeTokenMissing},
		{name: "no token from loopback, unknown tenant", a: dev, remote: "127.0.0.1:50123", tenant: "00000000-0000-0000-0000-0000000000001", status: 403, code: CodeTenantUnknown},
		{name: "present token is still validated", a: dev, remote: "127.0.0.1:50123", token: wrongAud, status: 401, code: CodeAudienceInvalid},
		{name: "present genuine token", a: dev, remote: "127.0.0.1:50123", token: good},
		{name: "present token from another host", a: dev, remote: "203.0.113.7:443", token: good},
		{name: "without the option loopback needs a token", a: prod, remote: "127.0.0.1:50123", status: 401, code: CodeTokenMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := bearerRequest(tc.token)
			r.RemoteAddr = tc.remote
			act := teamsActivity()
			if tc.tenant != "" {
				act.ChannelData.Tenant.ID = tc.tenant
			}
			c, err := tc.a.Authenticate(context.Background(), r, act)
			if tc.status != 0 {
				wantAuthError(t, err, tc.status, tc.code, tc.token)
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if c.Anonymous != tc.wantAnon || c.TenantID != authTenantID {
				t.Errorf("claims = %+v, want anonymous %v in tenant %s", c, tc.wantAnon, authTenantID)
			}
			if !tc.wantAnon && c.AppID != authAppID {
				t.Errorf("AppID = %q, want %q", c.AppID, authAppID)
			}
		})
	}
}

func TestNewAuthenticator(t *testing.T) {
	client := &http.Client{}
	known := func(context.Context, string) bool { return true }
	tests := []struct {
		name    string
		opts    AuthOptions
		wantErr string
	}{
		{name: "default metadata URL", opts: AuthOptions{AppID: authAppID, HTTPClient: client, KnownTenant: known}},
		{name: "loopback http", opts: AuthOptions{MetadataURL: "http://127.0.0.1:8081/botframework/v1/.well-known/openidconfiguration", AppID: authAppID, HTTPClient: client, KnownTenant: known}},
		{name: "localhost http", opts: AuthOptions{MetadataURL: "http://localhost:8081/x", AppID: authAppID, HTTPClient: client, KnownTenant: known}},
		{name: "plain http elsewhere", opts: AuthOptions{MetadataURL: "http://login.botframework.com/v1/.well-known/openidconfiguration", AppID: authAppID, HTTPClient: client, KnownTenant: known}, wantErr: "must be https"},
		{name: "relative URL", opts: AuthOptions{MetadataURL: "/v1/.well-known/openidconfiguration", AppID: authAppID, HTTPClient: client, KnownTenant: known}, wantErr: "absolute https URL"},
		{name: "other scheme", opts: AuthOptions{MetadataURL: "ftp://login.botframework.com/x", AppID: authAppID, HTTPClient: client, KnownTenant: known}, wantErr: "absolute https URL"},
		{name: "no app id", opts: AuthOptions{HTTPClient: client, KnownTenant: known}, wantErr: "AppID is required"},
		{name: "no client", opts: AuthOptions{AppID: authAppID, KnownTenant: known}, wantErr: "HTTPClient is required"},
		{name: "no tenant check", opts: AuthOptions{AppID: authAppID, HTTPClient: client}, wantErr: "KnownTenant is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewAuthenticator(tc.opts)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("NewAuthenticator: %v", err)
				}
				if tc.opts.MetadataURL == "" && a.keys.metadataURL.String() != DefaultMetadataURL {
					t.Errorf("metadata URL = %s, want %s", a.keys.metadataURL, DefaultMetadataURL)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "bot: ") {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
