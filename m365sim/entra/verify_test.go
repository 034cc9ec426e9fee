package entra

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stewardhq/steward/m365sim/simauth"
)

// decodeClaims reads a JWT's payload without verifying it, to look at
// claims simauth.Claims does not carry.
func decodeClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTokenShape(t *testing.T) {
	v := newEnv(t)
	tok, err := v.e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")
	if err != nil {
		t.Fatal(err)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Header
	if h["typ"] != "JWT" || h["alg"] != "RS256" || h["kid"] != v.e.signer().kid || h["x5t"] != v.e.signer().x5t {
		t.Errorf("header %v", h)
	}
	c := decodeClaims(t, tok)
	for _, k := range []string{"aud", "iss", "iat", "nbf", "exp", "aio", "azp", "azpacr", "oid", "rh", "roles", "sub", "tid", "uti", "ver"} {
		if _, ok := c[k]; !ok {
			t.Errorf("claim %s missing: %v", k, c)
		}
	}
	if c["exp"].(float64)-c["iat"].(float64) != 3600 || c["ver"] != "2.0" || c["azpacr"] != "1" {
		t.Errorf("claims %v", c)
	}
	tok2, _ := v.e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")
	if decodeClaims(t, tok2)["uti"] == c["uti"] {
		t.Error("uti is not unique")
	}
	u1, _ := v.e.IssueUserToken(tenantA, aliceID, appID, identURI, []string{"access_as_user"})
	u2, _ := v.e.IssueUserToken(tenantA, aliceID, publicID, identURI, []string{"access_as_user"})
	u3, _ := v.e.IssueUserToken(tenantA, aliceID, appID, "https://graph.microsoft.com", []string{"User.Read"})
	s1, s2, s3 := decodeClaims(t, u1)["sub"], decodeClaims(t, u2)["sub"], decodeClaims(t, u3)["sub"]
	if s1 == s2 || s1 != s3 || s1 == aliceID {
		t.Errorf("sub must be pairwise per user and app: %v %v %v", s1, s2, s3)
	}
}

func TestVerify(t *testing.T) {
	v := newEnv(t)
	graphTok, _ := v.e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")
	other := newEnv(t)
	foreign, _ := other.e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")

	// Signed with this Entra's key but claiming another tenant's issuer.
	c := v.e.baseClaims(tenantA, graphResource, time.Hour)
	c.Iss = v.e.issuer(tenantB)
	wrongIss, _ := v.e.sign(c)
	c = v.e.baseClaims("00000000-0000-0000-0000-0000000000ff", graphResource, time.Hour)
	unknownTenant, _ := v.e.sign(c)
	// Not yet valid beyond the skew.
	c = v.e.baseClaims(tenantA, graphResource, time.Hour)
	c.Nbf = v.clock.Now().Add(10 * time.Minute).Unix()
	future, _ := v.e.sign(c)
	// alg none and HS256 with the public key as secret must be refused.
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"aud": graphResource}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	parts := strings.Split(graphTok, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"https://graph.microsoft.com","tid":"`+tenantA+`"}`)) + "." + parts[2]

	for _, tt := range []struct {
		name      string
		token     string
		audiences []string
		want      error
	}{
		{"graph URI", graphTok, []string{"https://graph.microsoft.com"}, nil},
		{"graph app id accepted for the graph URI", graphTok, []string{"00000003-0000-0000-c000-000000000000"}, nil},
		{"one of several", graphTok, []string{"api://x", "https://graph.microsoft.com"}, nil},
		{"no audience asked", graphTok, nil, nil},
		{"wrong audience", graphTok, []string{"https://api.botframework.com"}, simauth.ErrWrongAudience},
		{"another key", foreign, nil, simauth.ErrInvalid},
		{"issuer of another tenant", wrongIss, nil, simauth.ErrInvalid},
		{"unknown tenant", unknownTenant, nil, simauth.ErrInvalid},
		{"not yet valid", future, nil, simauth.ErrInvalid},
		{"alg none", none, nil, simauth.ErrInvalid},
		{"tampered payload", tampered, nil, simauth.ErrInvalid},
		{"garbage", "not.a.jwt", nil, simauth.ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.e.Verify(tt.token, tt.audiences...)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("expiry with five minutes of skew", func(t *testing.T) {
		v.clock.Advance(time.Hour + 4*time.Minute)
		if _, err := v.e.Verify(graphTok); err != nil {
			t.Errorf("within skew: %v", err)
		}
		v.clock.Advance(2 * time.Minute)
		if _, err := v.e.Verify(graphTok); !errors.Is(err, simauth.ErrExpired) {
			t.Errorf("err = %v, want ErrExpired", err)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	v := newEnv(t)
	old := v.e.signer().kid
	before, _ := v.e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")
	kid, err := v.e.RotateKeys()
	if err != nil {
		t.Fatal(err)
	}
	if kid == old {
		t.Fatal("rotation kept the kid")
	}
	after, _ := v.e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")
	if decodeHeader(t, after)["kid"] != kid {
		t.Error("new tokens are not signed with the new key")
	}
	for _, tok := range []string{before, after} {
		if _, err := v.e.Verify(tok); err != nil {
			t.Errorf("verify after rotation: %v", err)
		}
	}
	kids := jwksKids(t, v)
	if len(kids) != 2 || kids[0] != kid || kids[1] != old {
		t.Errorf("JWKS kids %v, want [%s %s]", kids, kid, old)
	}
	if _, err := v.e.RotateKeys(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.e.Verify(before); !errors.Is(err, simauth.ErrInvalid) {
		t.Errorf("token of a retired key: %v", err)
	}
	if kids := jwksKids(t, v); len(kids) != 2 || kids[1] != kid {
		t.Errorf("JWKS kids %v", kids)
	}
	in := v.e.Inspect().(Inspection)
	if len(in.SigningKeys) != 2 || !in.SigningKeys[1].Current || in.SigningKeys[0].Kid != kid {
		t.Errorf("inspect keys %+v", in.SigningKeys)
	}
}

func decodeHeader(t *testing.T, tok string) map[string]any {
	t.Helper()
	p, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Header
}

func jwksKids(t *testing.T, v *env) []string {
	t.Helper()
	var kids []string
	for _, k := range v.get(t, "/"+tenantA+"/discovery/v2.0/keys").json["keys"].([]any) {
		kids = append(kids, k.(map[string]any)["kid"].(string))
	}
	return kids
}

// TestIndependentValidation validates tokens the way a relying party that
// knows only the authority URL does: discovery document → jwks_uri → the
// JWK's n and e, and the issuer from the metadata. It proves the published
// metadata is self-consistent.
func TestIndependentValidation(t *testing.T) {
	v := newEnv(t)
	if _, err := v.e.RotateKeys(); err != nil { // two keys published: the keyfunc must pick by kid
		t.Fatal(err)
	}
	fetch := func(u string, into any) {
		t.Helper()
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(into); err != nil {
			t.Fatal(err)
		}
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	fetch(v.base+"/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration", &meta)
	var set struct {
		Keys []struct{ Kid, Kty, N, E string } `json:"keys"`
	}
	fetch(meta.JWKSURI, &set)
	keyfunc := func(tok *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == tok.Header["kid"] && k.Kty == "RSA" {
				n, err1 := base64.RawURLEncoding.DecodeString(k.N)
				e, err2 := base64.RawURLEncoding.DecodeString(k.E)
				if err1 != nil || err2 != nil {
					return nil, fmt.Errorf("bad JWK")
				}
				return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
			}
		}
		return nil, fmt.Errorf("kid %v not published", tok.Header["kid"])
	}
	appTok, _ := v.e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")
	q := v.signIn(t, tenantA, authorizeParams(), aliceID)
	r := v.redeem(t, tenantA, q.Get("code"))
	for name, tt := range map[string]struct{ tok, aud string }{
		"app token":    {appTok, "https://graph.microsoft.com"},
		"access token": {r.json["access_token"].(string), "https://graph.microsoft.com"},
		"id token":     {r.json["id_token"].(string), appID},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := jwt.Parse(tt.tok, keyfunc, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(meta.Issuer),
				jwt.WithAudience(tt.aud), jwt.WithTimeFunc(v.clock.Now), jwt.WithExpirationRequired())
			if err != nil {
				t.Error(err)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	v := newEnv(t)
	tok, _ := v.e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")
	r := v.post(t, tokenPath(tenantA), map[string][]string{"grant_type": {"client_credentials"}, "client_id": {appID},
		"client_secret": {secretA}, "scope": {"https://graph.microsoft.com/.default"}})
	q := v.signIn(t, tenantA, authorizeParams(), aliceID)
	pending := v.e.Inspect().(Inspection).PendingCodes
	rr := v.redeem(t, tenantA, q.Get("code"))
	in := v.e.Inspect().(Inspection)
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, secret := range []string{tok, r.json["access_token"].(string), rr.json["refresh_token"].(string), q.Get("code"), secretA} {
		if strings.Contains(s, secret) {
			t.Fatalf("inspection leaks a secret: %s", s)
		}
	}
	want := map[string]int{"issue_app": 1, "client_credentials": 1, "authorization_code": 1}
	for _, c := range in.TokensIssued {
		if c.TenantID != tenantA || c.AppID != appID || want[c.Grant] != c.Count {
			t.Errorf("count %+v", c)
		}
		delete(want, c.Grant)
	}
	if len(want) != 0 || pending != 1 || in.PendingCodes != 0 || in.RefreshTokens != 1 {
		t.Errorf("inspection %s (pending before redeem %d)", s, pending)
	}
}

func TestSeededRandAndNew(t *testing.T) {
	d := testDirectory(t, time.Now)
	if _, err := New(Options{BaseURL: "not a url", Dir: d}); err == nil {
		t.Error("relative BaseURL accepted")
	}
	if _, err := New(Options{BaseURL: "http://127.0.0.1/login"}); err == nil {
		t.Error("missing directory accepted")
	}
	e, err := New(Options{BaseURL: "http://127.0.0.1/login/", Dir: d, Rand: rand.NewChaCha8([32]byte{1}), TokenLifetime: 90 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")
	b, _ := e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")
	ca, cb := decodeClaims(t, a), decodeClaims(t, b)
	if ca["uti"] == cb["uti"] || ca["iss"] != "http://127.0.0.1/login/"+tenantA+"/v2.0" || ca["exp"].(float64)-ca["iat"].(float64) != 5400 {
		t.Errorf("claims %v / %v", ca, cb)
	}
}

// TestConcurrentUse runs grants, verification and rotation at once for the
// race detector.
func TestConcurrentUse(t *testing.T) {
	v := newEnv(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			tok, err := v.e.IssueAppToken(tenantA, appID, "https://graph.microsoft.com")
			if err == nil {
				_, err = v.e.Verify(tok, "https://graph.microsoft.com")
			}
			if err != nil {
				t.Error(err)
			}
			if i == 0 { // one rotation: every token's key stays published

				if _, err := v.e.RotateKeys(); err != nil {
					t.Error(err)
				}
			}
			_ = v.e.Inspect()
		})
	}
	wg.Wait()
}
