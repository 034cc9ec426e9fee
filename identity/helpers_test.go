package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stewardhq/steward/governance"
)

// clock is a test clock advanced by hand instead of sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// countingTransport counts the requests Steward makes to the identity
// provider, by kind, so tests can prove what was (not) fetched.
type countingTransport struct {
	base              http.RoundTripper
	total, meta, jwks atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.total.Add(1)
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		c.meta.Add(1)
	case strings.HasSuffix(r.URL.Path, "/keys"):
		c.jwks.Add(1)
	}
	return c.base.RoundTrip(r)
}

// tenantMap is an in-memory TenantResolver.
type tenantMap map[string]governance.Tenant

func (m tenantMap) TenantByEntraID(_ context.Context, entraID string) (governance.Tenant, error) {
	t, ok := m[entraID]
	if !ok {
		return governance.Tenant{}, governance.Errorf(governance.KindNotFound, "tenant_not_found", "no tenant for %s", entraID)
	}
	return t, nil
}

// roleList is a RoleSource with fixed assignments per tenant.
type roleList map[string][]governance.RoleAssignment

func (r roleList) RoleAssignments(_ context.Context, tenantID string) ([]governance.RoleAssignment, error) {
	return r[tenantID], nil
}

// Keys of the fake identity provider, generated once: RSA key generation
// is most of what these tests would otherwise spend.
var (
	testKeysOnce sync.Once
	testKeys     [2]*rsa.PrivateKey
)

func fakeKeys(t *testing.T) [2]*rsa.PrivateKey {
	t.Helper()
	testKeysOnce.Do(func() {
		for i := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys[i] = k
		}
	})
	return testKeys
}

// Tenants of the fake identity provider.
const (
	fakeContoso  = "11111111-1111-4111-8111-111111111111"
	fakeFabrikam = "22222222-2222-4222-8222-222222222222"
	fakeAppID    = "33333333-3333-4333-8333-333333333333"
	fakeUserID   = "44444444-4444-4444-8444-444444444444"
	fakeGroupID  = "55555555-5555-4555-8555-555555555555"
)

// fakeEntra is an httptest identity provider that, unlike m365sim, has a
// signing key per tenant and lets a test sign any claims: forged tokens
// need a valid signature on claims Entra would never issue.
type fakeEntra struct {
	srv  *httptest.Server
	keys map[string]*rsa.PrivateKey // by tenant
	kids map[string]string
	// fail makes discovery answer 500.
	fail atomic.Bool
	// issuerOverride, when set, is the issuer every tenant's metadata
	// names (to model misconfigured or multi-tenant metadata).
	issuerOverride atomic.Value
}

func newFakeEntra(t *testing.T) *fakeEntra {
	t.Helper()
	keys := fakeKeys(t)
	f := &fakeEntra{
		keys: map[string]*rsa.PrivateKey{fakeContoso: keys[0], fakeFabrikam: keys[1]},
		kids: map[string]string{fakeContoso: "contoso-kid", fakeFabrikam: "fabrikam-kid"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/{tid}/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		tid := r.PathValue("tid")
		if f.fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if _, ok := f.keys[tid]; !ok {
			http.Error(w, "no tenant", http.StatusBadRequest)
			return
		}
		iss := f.issuer(tid)
		if o, _ := f.issuerOverride.Load().(string); o != "" {
			iss = o
		}
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer":   iss,
			"jwks_uri": f.loginURL() + "/" + tid + "/discovery/v2.0/keys",
		})
	})
	mux.HandleFunc("GET /login/{tid}/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
		tid := r.PathValue("tid")
		k, ok := f.keys[tid]
		if !ok || f.fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "use": "sig", "kid": f.kids[tid],
			"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
		}}})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEntra) loginURL() string         { return f.srv.URL + "/login" }
func (f *fakeEntra) issuer(tid string) string { return f.loginURL() + "/" + tid + "/v2.0" }

// claims are a valid delegated token of the fake Contoso's admin user.
func (f *fakeEntra) claims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": f.issuer(fakeContoso), "aud": "api://steward.example/" + fakeAppID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"tid": fakeContoso, "oid": fakeUserID, "sub": "pairwise",
		"preferred_username": "admin@contoso.example", "name": "Admin",
		"scp": "access_as_user", "azp": fakeAppID, "ver": "2.0",
		"wids":   []string{governance.EntraGlobalAdministratorID},
		"groups": []string{fakeGroupID},
	}
}

// sign signs c with tenant signer's key under kid.
func (f *fakeEntra) sign(t *testing.T, signer, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(f.keys[signer])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeEnv is an Authenticator trusting a fakeEntra.
type fakeEnv struct {
	idp   *fakeEntra
	clock *clock
	count *countingTransport
	auth  *Authenticator
}

func newFakeEnv(t *testing.T, roles RoleSource) *fakeEnv {
	t.Helper()
	e := &fakeEnv{idp: newFakeEntra(t), clock: newClock(), count: &countingTransport{base: http.DefaultTransport}}
	auth, err := New(Options{
		LoginURL:   e.idp.loginURL(),
		Audiences:  []string{fakeAppID, "api://steward.example/" + fakeAppID},
		HTTPClient: &http.Client{Transport: e.count, Timeout: 5 * time.Second},
		Tenants: tenantMap{
			fakeContoso:  {ID: "contoso", Name: "Contoso", EntraTenantID: fakeContoso},
			fakeFabrikam: {ID: "fabrikam", Name: "Fabrikam", EntraTenantID: fakeFabrikam},
		},
		Roles: roles,
		Now:   e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.auth = auth
	return e
}

func bearerRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/requests", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// wantInvalidToken fails unless err is the one generic token rejection
// and p is the zero principal.
func wantInvalidToken(t *testing.T, p governance.Principal, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted: %+v", p)
	}
	if k := governance.KindOf(err); k != governance.KindUnauthenticated {
		t.Fatalf("kind = %v, want unauthenticated: %v", k, err)
	}
	code, msg := governance.Public(err)
	if code != "access_token_invalid" || msg != "sign in again: the access token is not valid" {
		t.Fatalf("public = %q %q, want the one generic answer (err %v)", code, msg, err)
	}
	if p.TenantID != "" || p.ID != "" || p.Kind != "" || p.Roles != nil {
		t.Fatalf("principal not zero: %+v", p)
	}
}
