package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stewardhq/steward/governance"
)

// TestValidDelegatedToken: wids make a Global Administrator an
// administrator, and a group assignment from the RoleSource applies to the
// group's members.
func TestValidDelegatedToken(t *testing.T) {
	roles := roleList{"contoso": {{TenantID: "contoso", Role: governance.RoleApprover, SubjectType: "group", SubjectID: fakeGroupID}}}
	e := newFakeEnv(t, roles)
	tok := e.idp.sign(t, fakeContoso, "contoso-kid", e.idp.claims(e.clock.Now()))
	p, err := e.auth.Authenticate(t.Context(), bearerRequest(tok))
	if err != nil {
		t.Fatal(err)
	}
	want := []governance.Role{governance.RoleEndUser, governance.RoleApprover, governance.RoleAdministrator}
	if p.Kind != governance.PrincipalUser || p.TenantID != "contoso" || p.ID != fakeUserID ||
		p.UPN != "admin@contoso.example" || p.Name != "Admin" || !slices.Equal(p.Roles, want) ||
		!slices.Equal(p.Groups, []string{fakeGroupID}) {
		t.Fatalf("principal = %+v", p)
	}

	c, err := e.auth.ValidateToken(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.TenantID != fakeContoso || c.StewardTenantID != "contoso" || !c.Delegated || c.AppID != fakeAppID ||
		!slices.Equal(c.Scopes, []string{"access_as_user"}) || !slices.Equal(c.Wids, []string{governance.EntraGlobalAdministratorID}) ||
		c.Audience != "api://steward.example/"+fakeAppID || c.GroupsOverage {
		t.Fatalf("claims = %+v", c)
	}
}

// TestGroupsOverage: a token whose groups did not fit says so; the flag
// is surfaced so a caller can read the groups from Graph.
func TestGroupsOverage(t *testing.T) {
	e := newFakeEnv(t, nil)
	c := e.idp.claims(e.clock.Now())
	delete(c, "groups")
	c["_claim_names"] = map[string]string{"groups": "src1"}
	got, err := e.auth.ValidateToken(t.Context(), e.idp.sign(t, fakeContoso, "contoso-kid", c))
	if err != nil {
		t.Fatal(err)
	}
	if !got.GroupsOverage || got.Groups != nil {
		t.Fatalf("claims = %+v", got)
	}
}

// TestForgedTokens: every forged, stale or misdirected token is the same
// KindUnauthenticated answer, and nothing else.
func TestForgedTokens(t *testing.T) {
	keys := fakeKeys(t)
	pubDER, err := x509.MarshalPKIXPublicKey(&keys[0].PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// signWith signs the valid claims, edited by edit, with any method.
	signWith := func(t *testing.T, e *fakeEnv, m jwt.SigningMethod, key any, edit func(jwt.MapClaims)) string {
		t.Helper()
		c := e.idp.claims(e.clock.Now())
		if edit != nil {
			edit(c)
		}
		tok := jwt.NewWithClaims(m, c)
		tok.Header["kid"] = "contoso-kid"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	valid := func(edit func(jwt.MapClaims)) func(*testing.T, *fakeEnv) string {
		return func(t *testing.T, e *fakeEnv) string {
			return signWith(t, e, jwt.SigningMethodRS256, keys[0], edit)
		}
	}

	tests := []struct {
		name string
		// cause is part of the logged reason: the check that must fire.
		cause string
		token func(*testing.T, *fakeEnv) string
		// req builds the request when the header itself is the point.
		req func(string) *http.Request
		// before runs after the token is made and before it is presented.
		before func(*fakeEnv)
		// noFetch: rejected before any request to the identity provider.
		noFetch bool
	}{
		{name: "no token", cause: "no Authorization header", token: func(*testing.T, *fakeEnv) string { return "" }, noFetch: true},
		{name: "not bearer", cause: "not Bearer", token: valid(nil), req: func(s string) *http.Request {
			r := bearerRequest("")
			r.Header.Set("Authorization", "Basic "+s)
			return r
		}, noFetch: true},
		{name: "two authorization headers", cause: "more than one Authorization", token: valid(nil), req: func(s string) *http.Request {
			r := bearerRequest(s)
			r.Header.Add("Authorization", "Bearer "+s)
			return r
		}, noFetch: true},
		{name: "malformed", cause: "malformed token", token: func(*testing.T, *fakeEnv) string { return "eyJhbGciOiJSUzI1NiJ9.not-json.x" }, noFetch: true},
		{name: "oversized", cause: "exceeds", token: func(*testing.T, *fakeEnv) string { return strings.Repeat("a", maxTokenLen+1) }, noFetch: true},
		{name: "alg none", cause: "alg \"none\"", token: func(t *testing.T, e *fakeEnv) string {
			return signWith(t, e, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil)
		}, noFetch: true},
		{name: "HS256 keyed with the RSA public key", cause: "alg \"HS256\"", token: func(t *testing.T, e *fakeEnv) string {
			return signWith(t, e, jwt.SigningMethodHS256, pubPEM, nil)
		}, noFetch: true},
		{name: "HS256 keyed with the raw modulus", cause: "alg \"HS256\"", token: func(t *testing.T, e *fakeEnv) string {
			return signWith(t, e, jwt.SigningMethodHS256, keys[0].N.Bytes(), nil)
		}, noFetch: true},
		{name: "ES256", cause: "alg \"ES256\"", token: func(t *testing.T, e *fakeEnv) string {
			return signWith(t, e, jwt.SigningMethodES256, ecKey, nil)
		}, noFetch: true},
		{name: "PS256 with the tenant's own key", cause: "alg \"PS256\"", token: func(t *testing.T, e *fakeEnv) string {
			return signWith(t, e, jwt.SigningMethodPS256, keys[0], nil)
		}, noFetch: true},
		{name: "no kid", cause: "no kid", token: func(t *testing.T, e *fakeEnv) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, e.idp.claims(e.clock.Now()))
			s, err := tok.SignedString(keys[0])
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, noFetch: true},
		{name: "tid not a GUID", cause: "not an Entra tenant id", token: valid(func(c jwt.MapClaims) { c["tid"] = "../../evil" }), noFetch: true},
		{name: "unregistered tenant", cause: "tenant not registered", token: valid(func(c jwt.MapClaims) {
			c["tid"] = "99999999-9999-4999-8999-999999999999"
		}), noFetch: true},
		{name: "wrong issuer", cause: "invalid issuer", token: valid(func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" + fakeContoso + "/v2.0" })},
		{name: "issuer of another tenant than tid", cause: "invalid issuer", token: func(t *testing.T, e *fakeEnv) string {
			return signWith(t, e, jwt.SigningMethodRS256, keys[0], func(c jwt.MapClaims) { c["iss"] = e.idp.issuer(fakeFabrikam) })
		}},
		{name: "metadata issuer of another tenant", cause: "is of tenant", token: func(t *testing.T, e *fakeEnv) string {
			// Passes the equality with the metadata issuer; only the
			// check of the issuer's tenant catches it.
			e.idp.issuerOverride.Store(e.idp.issuer(fakeFabrikam))
			return signWith(t, e, jwt.SigningMethodRS256, keys[0], func(c jwt.MapClaims) { c["iss"] = e.idp.issuer(fakeFabrikam) })
		}},
		{name: "wrong audience", cause: "invalid audience", token: valid(func(c jwt.MapClaims) { c["aud"] = "api://other.example/" + fakeAppID })},
		{name: "no audience", cause: "aud claim is required", token: valid(func(c jwt.MapClaims) { delete(c, "aud") })},
		{name: "expired", cause: "token is expired", token: valid(nil), before: func(e *fakeEnv) { e.clock.Advance(time.Hour + DefaultSkew + time.Second) }},
		{name: "no exp", cause: "exp claim is required", token: valid(func(c jwt.MapClaims) { delete(c, "exp") })},
		{name: "not yet valid", cause: "not valid yet", token: valid(func(c jwt.MapClaims) {
			c["nbf"] = time.Now().Add(DefaultSkew + time.Minute).Unix()
		})},
		{name: "issued in the future", cause: "used before issued", token: valid(func(c jwt.MapClaims) {
			c["iat"] = time.Now().Add(DefaultSkew + time.Minute).Unix()
		})},
		{name: "unknown kid", cause: "unknown kid", token: func(t *testing.T, e *fakeEnv) string {
			return e.idp.sign(t, fakeContoso, "no-such-kid", e.idp.claims(e.clock.Now()))
		}},
		{name: "Fabrikam's key under Fabrikam's kid, tid of Contoso", cause: "unknown kid \"fabrikam-kid\"", token: func(t *testing.T, e *fakeEnv) string {
			return e.idp.sign(t, fakeFabrikam, "fabrikam-kid", e.idp.claims(e.clock.Now()))
		}},
		{name: "Fabrikam's key under Contoso's kid", cause: "signature is invalid", token: func(t *testing.T, e *fakeEnv) string {
			return e.idp.sign(t, fakeFabrikam, "contoso-kid", e.idp.claims(e.clock.Now()))
		}},
		{name: "tampered payload", cause: "signature is invalid", token: func(t *testing.T, e *fakeEnv) string {
			good := e.idp.sign(t, fakeContoso, "contoso-kid", e.idp.claims(e.clock.Now()))
			other := e.idp.sign(t, fakeContoso, "contoso-kid", jwt.MapClaims(func() jwt.MapClaims {
				c := e.idp.claims(e.clock.Now())
				c["oid"] = "66666666-6666-4666-8666-666666666666"
				return c
			}()))
			g, o := strings.Split(good, "."), strings.Split(other, ".")
			return g[0] + "." + o[1] + "." + g[2]
		}},
		{name: "app-only token", cause: "app-only token", token: valid(func(c jwt.MapClaims) { delete(c, "scp"); c["roles"] = []string{"Requests.Read.All"} })},
		{name: "v1.0 token", cause: "version \"1.0\"", token: valid(func(c jwt.MapClaims) { c["ver"] = "1.0" })},
		{name: "no oid", cause: "not an object id", token: valid(func(c jwt.MapClaims) { delete(c, "oid") })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFakeEnv(t, nil)
			tok := tt.token(t, e)
			if tt.before != nil {
				tt.before(e)
			}
			r := bearerRequest(tok)
			if tt.req != nil {
				r = tt.req(tok)
			}
			p, err := e.auth.Authenticate(t.Context(), r)
			wantInvalidToken(t, p, err)
			if !strings.Contains(err.Error(), tt.cause) {
				t.Fatalf("cause %q, want it to mention %q", err, tt.cause)
			}
			if n := e.count.total.Load(); tt.noFetch && n != 0 {
				t.Fatalf("%d requests to the identity provider, want none", n)
			}
		})
	}
}

// TestUnknownKidRefetchIsRateLimited: tokens with made-up kids cannot make
// Steward call Entra more than once per KeyRefetchInterval per tenant.
func TestUnknownKidRefetchIsRateLimited(t *testing.T) {
	e := newFakeEnv(t, nil)
	good := e.idp.sign(t, fakeContoso, "contoso-kid", e.idp.claims(e.clock.Now()))
	if _, err := e.auth.ValidateToken(t.Context(), good); err != nil {
		t.Fatal(err)
	}
	jwksBefore := e.count.jwks.Load()
	for i := range 10 {
		tok := e.idp.sign(t, fakeContoso, fmt.Sprintf("random-kid-%d-%s", i, rand.Text()), e.idp.claims(e.clock.Now()))
		p, err := e.auth.Authenticate(t.Context(), bearerRequest(tok))
		wantInvalidToken(t, p, err)
		e.clock.Advance(10 * time.Second)
	}
	if n := e.count.jwks.Load() - jwksBefore; n > 1 {
		t.Fatalf("%d JWKS refetches for 10 unknown kids within %s, want at most 1", n, KeyRefetchInterval)
	}
	// The known key still works meanwhile, from the cache.
	if _, err := e.auth.ValidateToken(t.Context(), good); err != nil {
		t.Fatal(err)
	}
	// After the interval, one more refetch is allowed.
	e.clock.Advance(KeyRefetchInterval)
	before := e.count.jwks.Load()
	tok := e.idp.sign(t, fakeContoso, "yet-another-kid", e.idp.claims(e.clock.Now()))
	_, err := e.auth.ValidateToken(t.Context(), tok)
	wantInvalidToken(t, governance.Principal{}, err)
	if n := e.count.jwks.Load() - before; n != 1 {
		t.Fatalf("%d JWKS refetches after the interval, want 1", n)
	}
}

// TestMetadataUnavailable: Entra unreachable is KindUnavailable (retry),
// not unauthenticated (sign in again).
func TestMetadataUnavailable(t *testing.T) {
	e := newFakeEnv(t, nil)
	e.idp.fail.Store(true)
	tok := e.idp.sign(t, fakeContoso, "contoso-kid", e.idp.claims(e.clock.Now()))
	_, err := e.auth.Authenticate(t.Context(), bearerRequest(tok))
	if governance.KindOf(err) != governance.KindUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if code, _ := governance.Public(err); code != "identity_provider_unavailable" {
		t.Fatalf("code = %q", code)
	}
	// Once Entra is back, the same token is accepted: the failure was not
	// cached.
	e.idp.fail.Store(false)
	if _, err := e.auth.Authenticate(t.Context(), bearerRequest(tok)); err != nil {
		t.Fatal(err)
	}
}

// TestStaleMetadataServedWhileEntraIsDown: after the TTL a failed refresh
// keeps the old keys, and is not retried on every request.
func TestStaleMetadataServedWhileEntraIsDown(t *testing.T) {
	e := newFakeEnv(t, nil)
	if _, err := e.auth.ValidateToken(t.Context(), e.idp.sign(t, fakeContoso, "contoso-kid", e.idp.claims(e.clock.Now()))); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(DefaultMetadataTTL)
	e.idp.fail.Store(true)
	before := e.count.meta.Load()
	for range 3 {
		if _, err := e.auth.ValidateToken(t.Context(), e.idp.sign(t, fakeContoso, "contoso-kid", e.idp.claims(e.clock.Now()))); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count.meta.Load() - before; n != 1 {
		t.Fatalf("%d metadata fetches while down, want 1", n)
	}
}
